"""The vector of each formulation's centre, which the lineage and the map compare: one place that reads them.

Sentence and paragraph centres are passages of the index, looked up by their text hash (an indexed query) and read
as stored rows; phrase centres are embedded through the index's embedding cache, where mining put them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from index.errors import RefrainError
from index.mining.stored import derived_key
from index.mining.types import MiningResult
from index.store.derived import store_array, stored_array

if TYPE_CHECKING:
    from index.search import Searcher

SQL_VARIABLES = 900  # values bound per query, well under SQLite's limit
CENTRES = "centres"  # the name of the array kept with a mining in DIR/derived


def centre_vectors(searcher: Searcher, result: MiningResult) -> np.ndarray:
    """One unit vector per formulation centre, in the mining's order (float32, rows × the model's dimension).

    Kept in DIR/derived with the mining once read: they lie scattered over the level's vectors (2,454 of a whole
    archive's 1.18M sentence rows took 6.5 s from a cold disk), and the explorer's lineage needs them at once."""
    formulations = result.formulations
    dim = searcher.manifest["model"]["dimension"]
    key = derived_key(searcher, result.params)
    kept = stored_array(*key, CENTRES)
    if kept is not None and kept.shape == (len(formulations), dim) and kept.dtype == np.float32:
        return kept
    vectors = _read_centres(searcher, result, dim)
    store_array(*key, CENTRES, vectors)
    return vectors


def _read_centres(searcher: Searcher, result: MiningResult, dim: int) -> np.ndarray:
    formulations = result.formulations
    if not formulations:
        return np.zeros((0, dim), dtype=np.float32)
    level = result.params.level
    if level == "phrase":
        from index.mining.corpus import cached_vectors

        found = cached_vectors(searcher, {f.centre.text_hash: f.centre.text for f in formulations})
        return np.array([found[f.centre.text_hash] for f in formulations], dtype=np.float32).reshape(-1, dim)
    row_of = rows_by_hash(searcher, level, [f.centre.text_hash for f in formulations])
    missing = [f.id for f in formulations if f.centre.text_hash not in row_of]
    if missing:
        raise RefrainError(f"the index no longer holds the centre of {missing[0]}: mine it again (--no-cache)")
    return searcher.levels[level].rows([row_of[f.centre.text_hash] for f in formulations])


def rows_by_hash(searcher: Searcher, level: str, hashes: Sequence[str]) -> dict[str, int]:
    """The first row of the level holding each text hash (hashes the level lacks are left out)."""
    out: dict[str, int] = {}
    wanted = list(dict.fromkeys(hashes))
    for i in range(0, len(wanted), SQL_VARIABLES):
        part = wanted[i:i + SQL_VARIABLES]
        for text_hash, row in searcher.db.query(
                f"SELECT text_hash, min(row) FROM passages WHERE level = ? AND text_hash IN ({','.join('?' * len(part))}) "
                "GROUP BY text_hash", (level, *part)):
            out[text_hash] = row
    return out
