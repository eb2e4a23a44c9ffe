"""A build's passages held on disk between segmentation and writing, so its memory does not grow with the corpus.

Segmentation appends each document's passages here as it finishes; embedding reads the distinct texts the
embedding cache lacks, longest first; writing reads each level back in row order, a block at a time. The file is
scratch: it lives in the index folder (layout.STAGING) only while a build runs, without a journal or syncing
(a killed build just starts it again), and is deleted when the build ends, however it ends.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from index.levels import LEVELS

BLOCK = 65_536  # rows read back at a time
COMMIT_ROWS = 50_000  # passages written between commits
CACHE_KIB = 131_072  # SQLite's page cache (and sorter memory) for the scratch file

# Rows are only appended while segmentation runs (no index to keep up, no random writes); the first read seals the
# file: the (level, row) index and the table of distinct texts are then made once, each by one sort.
_SCHEMA = """
CREATE TABLE passages (level INTEGER NOT NULL, row INTEGER NOT NULL, passage_id TEXT NOT NULL, doc_id TEXT NOT NULL,
                       doc_ord INTEGER NOT NULL, ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                       text TEXT NOT NULL, text_hash TEXT NOT NULL);
"""
_SEAL = """
CREATE UNIQUE INDEX passages_order ON passages (level, row);
CREATE TABLE texts (hash TEXT PRIMARY KEY, first INTEGER NOT NULL, text TEXT NOT NULL, cached INTEGER NOT NULL DEFAULT 0)
    WITHOUT ROWID;
INSERT INTO texts (hash, first, text) SELECT text_hash, min(level * {first} + row), text FROM passages GROUP BY text_hash;
"""
_FIRST = 1 << 40  # texts.first = level's place in LEVELS * _FIRST + row: the order of first use, level by level


@dataclass(frozen=True)
class StagedPassage:
    """One passage as the build stages it: row is its place in its level, in document order."""
    passage_id: str
    doc_id: str
    doc_ord: int
    ordinal: int
    start: int
    end: int
    text: str
    text_hash: str


class PassageStaging:
    """The scratch database of one build (see the module docstring); use it as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._rows = {level: 0 for level in LEVELS}
        self._db: sqlite3.Connection | None = None
        self._uncommitted = 0
        self._sealed = False

    def __enter__(self) -> "PassageStaging":
        self._remove()  # a killed build's leftover
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; "
                               f"PRAGMA cache_size = -{CACHE_KIB};" + _SCHEMA)
        return self

    def __exit__(self, *exc) -> bool:
        self._db.close()
        self._remove()
        return False

    def _remove(self) -> None:
        for path in (self.path, self.path.with_name(self.path.name + "-journal")):
            path.unlink(missing_ok=True)

    def add(self, level: str, passages: Iterable[StagedPassage]) -> None:
        """Append passages to a level, in document order."""
        if self._sealed:
            raise ValueError("passages added after the staging file was read")
        place = LEVELS.index(level)
        rows = []
        for p in passages:
            rows.append((place, self._rows[level], p.passage_id, p.doc_id, p.doc_ord, p.ordinal, p.start, p.end, p.text,
                         p.text_hash))
            self._rows[level] += 1
        if not rows:
            return
        if not self._uncommitted:
            self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self._uncommitted += len(rows)
        if self._uncommitted >= COMMIT_ROWS:
            self._commit()

    def _commit(self) -> None:
        if self._uncommitted:
            self._db.execute("COMMIT")
            self._uncommitted = 0

    def _seal(self) -> sqlite3.Connection:
        """Every read starts here: the last rows committed, the row index and the distinct texts made (once)."""
        if not self._sealed:
            self._commit()
            self._db.executescript("BEGIN;" + _SEAL.format(first=_FIRST) + "COMMIT;")
            self._sealed = True
        return self._db

    def count(self, level: str) -> int:
        return self._rows[level]

    def distinct(self) -> int:
        return self._seal().execute("SELECT count(*) FROM texts").fetchone()[0]

    def hash_blocks(self, level: str, block: int = BLOCK) -> Iterator[list[str]]:
        """A level's text hashes in row order, a block at a time."""
        cursor = self._seal().execute("SELECT text_hash FROM passages WHERE level = ? ORDER BY row",
                                      (LEVELS.index(level),))
        while rows := cursor.fetchmany(block):
            yield [h for (h,) in rows]

    def distinct_hash_blocks(self, block: int = BLOCK) -> Iterator[list[str]]:
        """Every distinct text's hash once, a block at a time (each block a query of its own, so the caller may
        mark_cached between blocks)."""
        db, after = self._seal(), ""
        while hashes := [h for (h,) in db.execute("SELECT hash FROM texts WHERE hash > ? ORDER BY hash LIMIT ?",
                                                  (after, block))]:
            yield hashes
            after = hashes[-1]

    def mark_cached(self, hashes: Iterable[str]) -> None:
        """Note texts whose vectors the embedding cache already holds."""
        db = self._seal()
        db.execute("BEGIN")
        db.executemany("UPDATE texts SET cached = 1 WHERE hash = ?", ((h,) for h in hashes))
        db.execute("COMMIT")

    def uncached_longest_first(self) -> tuple[list[str], list[str]]:
        """(hashes, texts) of the texts still to embed, longest first (so batches pad little), then in order of
        first use."""
        rows = self._seal().execute("SELECT hash, text FROM texts WHERE NOT cached ORDER BY length(text) DESC, first")
        hashes, texts = [], []
        for h, text in rows:
            hashes.append(h)
            texts.append(text)
        return hashes, texts

    def passages(self, level: str, block: int = BLOCK) -> Iterator[StagedPassage]:
        """A level's passages in row order."""
        cursor = self._seal().execute('SELECT passage_id, doc_id, doc_ord, ordinal, start, "end", text, text_hash '
                                      "FROM passages WHERE level = ? ORDER BY row", (LEVELS.index(level),))
        while rows := cursor.fetchmany(block):
            yield from (StagedPassage(*row) for row in rows)

    def doc_ords(self, level: str) -> np.ndarray:
        """Each row's document ord, as the generation's document-row file stores it."""
        cursor = self._seal().execute("SELECT doc_ord FROM passages WHERE level = ? ORDER BY row",
                                      (LEVELS.index(level),))
        return np.fromiter((o for (o,) in cursor), dtype=np.int32, count=self._rows[level])
