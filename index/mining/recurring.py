"""Recurring formulations: groups of passages from several documents that say the same thing.

Method (documented with its evidence in README.md, "Recurring formulations"):
1. Identical texts collapse first: one node per distinct normalised text, with all its occurrences (corpus.py).
2. Candidate pairs: a batched FAISS self-join keeps node pairs with cosine >= threshold; a pair whose
   two texts occur only in one and the same document does not count (pairs.py).
3. Grouping without drift: within the similarity graph, the text whose neighbourhood covers the most
   documents becomes a centre and takes its unassigned neighbours; repeat. Every member is thus within
   the threshold of its group's centre (no A~B~C~D chains). Members then move to the closest centre they
   are within the threshold of (grouping.py).
4. Groups found in at least min_docs distinct documents are formulations. Every count and date in
   a formulation is computed from its member passages, which are listed with it (describe.py).

This module is the entry: recurring() (stored results reused), mine(), is_mined(). Parameters are in params.py,
the result types in types.py, ranking in select.py. FAISS and SciPy load on first mining, so importing this
is cheap for the CLI and the explorer.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from index.mining.params import DEFAULT_MIN_DOCS, DEFAULT_THRESHOLDS, MINING_LEVELS, SORTS, MiningParams
from index.mining.types import IndexInfo, MiningResult, MiningStats, Progress
from index.mining.stored import derived_key
from index.store.derived import result_path, store_streamed, stored

if TYPE_CHECKING:
    from index.search import Searcher

__all__ = ["recurring", "mine", "is_mined", "stored_bytes", "MiningParams", "MiningResult", "DEFAULT_MIN_DOCS", "DEFAULT_THRESHOLDS",
           "MINING_LEVELS", "SORTS"]


def recurring(searcher: Searcher, params: MiningParams, progress: Progress | None = None,
              use_cache: bool = True) -> MiningResult:
    """The formulations for these parameters, read from DIR/derived when this index was mined so before.

    A stored result that does not read back (a damaged or hand-edited file) is mined again and replaced.
    """
    params.check()
    key = derived_key(searcher, params)
    found = stored(*key) if use_cache else None
    if found is not None:
        try:
            return MiningResult.from_dict(found)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # mined again below, and replaced
    result = mine(searcher, params, progress)
    head = replace(result, formulations=()).to_dict()
    del head["formulations"], head["version"]
    store_streamed(*key, head, "formulations", (f.to_dict() for f in result.formulations))
    if params.level != "phrase":  # kept with it while the level's vectors are fresh from mining (phrase: on first use)
        from index.mining.centres import centre_vectors

        centre_vectors(searcher, result)
    return result


def is_mined(searcher: Searcher, params: MiningParams) -> bool:
    """True when DIR/derived holds this mining, so recurring() reads it instead of mining."""
    return result_path(*derived_key(searcher, params.check())).is_file()


def stored_bytes(searcher: Searcher, params: MiningParams) -> int:
    """The size of the stored result for these parameters (0 when none is stored): reading one back takes about
    13 s and 5 GB of memory per GB of JSON (a whole archive's phrase level: 2.9 GB, 217 s, 14.7 GB)."""
    try:
        return result_path(*derived_key(searcher, params.check())).stat().st_size
    except OSError:
        return 0


def mine(searcher: Searcher, params: MiningParams, progress: Progress | None = None) -> MiningResult:
    """Mine formulations from the searcher's index (no caching)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from index.mining.corpus import corpus_for
    from index.mining.describe import describe, with_shared_wording
    from index.mining.grouping import formulation_groups
    from index.mining.pairs import similar_pairs
    from index.mining.salience import WordStats

    params.check()
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    report(0.0, "reading passages")
    corpus = corpus_for(searcher, params, report)
    with corpus.vectors(report) as vectors:  # what follows the join needs only the pairs
        report(0.05, f"joining {len(corpus.node_hash):,} distinct texts")
        first, second, score = similar_pairs(vectors, params.threshold, lambda f: report(0.05 + 0.8 * f, "joining"))
    keep = ~corpus.same_single_doc(first, second) & corpus.related(first, second)
    first, second, score = first[keep], second[keep], score[keep]
    report(0.86, f"grouping {len(first):,} pairs")
    groups = formulation_groups(corpus, first, second, score, params.min_docs)
    report(0.95, f"describing {len(groups):,} formulations")
    stats = WordStats.of(corpus.sentence_texts(), corpus.wording)
    formulations = [describe(corpus, centre, members, params, stats) for centre, members in groups]
    formulations = with_shared_wording(formulations, corpus)
    formulations.sort(key=lambda f: (-f.n_documents, -f.n_passages, f.id))
    report(1.0, "done")
    n = len(corpus.node_hash)
    n_components = connected_components(coo_matrix((score, (first, second)), shape=(n, n)), directed=False)[0]
    return MiningResult(
        params=params,
        index=IndexInfo(searcher.manifest["content_hash"], searcher.generation, searcher.model_name),
        computed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 3),
        stats=MiningStats(passages=int(len(corpus.occ_pid)), distinct_texts=int(len(corpus.node_hash)),
                          pairs=int(len(first)), components=int(n_components), documents=int(len(corpus.doc_ords)),
                          formulations=len(formulations)),
        period_totals=corpus.period_totals,
        rise_since=corpus.rise_since,
        formulations=tuple(formulations),
    )
