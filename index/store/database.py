"""SQLite schema of one index generation: documents, their copies, metadata, passages and FTS5.

Written once by a build, then opened read-only (immutable) by searchers. Every query is parameterised.
An index of a language whose words carry particles or are written without spaces (Korean, Japanese, Chinese)
has a second FTS5 table over the passages, tokenised in trigrams (TRIGRAM_TABLE), so that an exact phrase
matches inside a word: '인민대중제일주의' in '인민대중제일주의를' (index/retrieval/lexical.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote
from typing import Iterable

from index.levels import LEVELS

SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, ord INTEGER NOT NULL UNIQUE, key TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT, date_start TEXT, date_end TEXT, text TEXT NOT NULL, text_hash TEXT NOT NULL,
    meta TEXT NOT NULL, copies INTEGER NOT NULL);
CREATE TABLE copies (doc_id TEXT NOT NULL, source TEXT NOT NULL, locator TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT, meta TEXT NOT NULL);
CREATE INDEX copies_doc ON copies(doc_id);
CREATE TABLE doc_meta (field TEXT NOT NULL, value TEXT NOT NULL, doc_id TEXT NOT NULL,
    PRIMARY KEY (field, value, doc_id)) WITHOUT ROWID;
CREATE TABLE passages (
    passage_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL, level TEXT NOT NULL, ordinal INTEGER NOT NULL,
    row INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, text_hash TEXT NOT NULL);
CREATE UNIQUE INDEX passages_row ON passages(level, row);
CREATE INDEX passages_doc ON passages(doc_id, level, ordinal);
CREATE INDEX passages_hash ON passages(level, text_hash);
CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2');
CREATE TABLE boilerplate (line TEXT PRIMARY KEY, documents INTEGER NOT NULL);
CREATE TABLE problems (source TEXT NOT NULL, locator TEXT NOT NULL, reason TEXT NOT NULL, skipped INTEGER NOT NULL);
"""

LEVEL_ROWIDS = 1 << 40  # rowids per level (passage_rowid)
TRIGRAM_TABLE = "passages_trigram"
TRIGRAM_SCHEMA = f"""
CREATE VIRTUAL TABLE {TRIGRAM_TABLE} USING fts5(text, content='passages', content_rowid='rowid', tokenize='trigram');
"""

PASSAGE_COLUMNS = "p.passage_id, p.doc_id, p.level, p.ordinal, p.row, p.start, p.end, p.text, d.title, d.date, d.meta"


def create(path: Path) -> sqlite3.Connection:
    conn = open_for_writing(path)
    conn.executescript(SCHEMA)
    return conn


def insert_documents(conn: sqlite3.Connection, documents: Iterable[tuple]) -> None:
    conn.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)", documents)


def insert_copies(conn: sqlite3.Connection, copies: Iterable[tuple]) -> None:
    conn.executemany("INSERT INTO copies VALUES (?,?,?,?,?,?)", copies)


def insert_doc_meta(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    conn.executemany("INSERT OR IGNORE INTO doc_meta VALUES (?,?,?)", rows)


def passage_rowid(level: str, row: int) -> int:
    """Each level's passages have rowids in a span of their own, in row order: a level stays one run of rowids
    (the full-text lookups search a level's range) even when a grown index adds rows to every level."""
    return LEVELS.index(level) * LEVEL_ROWIDS + row + 1


def insert_passages(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Passage rows (passage_id, doc_id, level, ordinal, row, start, end, text, text_hash) at their rowids."""
    conn.executemany("INSERT INTO passages (rowid, passage_id, doc_id, level, ordinal, row, start, end, text, "
                     "text_hash) VALUES (?,?,?,?,?,?,?,?,?,?)", ((passage_rowid(r[2], r[4]), *r) for r in rows))


def open_for_writing(path: Path) -> sqlite3.Connection:
    """The database of a generation being written: a new one, or a copy being grown (index/growth.py)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")  # a half-written generation is discarded, never repaired
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def finish(conn: sqlite3.Connection, boilerplate: list[tuple[str, int]], problems: Iterable[tuple],
           trigram: bool = False, grown: dict[str, tuple[int, int]] | None = None) -> None:
    """Boilerplate, problems and the full-text index; with `trigram`, the trigram table too. A grown copy
    (grown: level -> (first added row, rows now)) has its boilerplate counts and problems replaced (they are the
    whole corpus's) and its full-text tables, trigram included if it has one, index the added rows."""
    if grown is not None:
        conn.execute("DELETE FROM boilerplate")
        conn.execute("DELETE FROM problems")
    conn.executemany("INSERT INTO boilerplate VALUES (?,?)", boilerplate)
    conn.executemany("INSERT INTO problems VALUES (?,?,?,?)", problems)
    if grown is None:
        conn.execute("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
        if trigram:
            conn.executescript(TRIGRAM_SCHEMA)
            conn.execute(f"INSERT INTO {TRIGRAM_TABLE}({TRIGRAM_TABLE}) VALUES ('rebuild')")
    else:
        tables = ["passages_fts", *(name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE name = ?", (TRIGRAM_TABLE,)))]
        for table in tables:
            for level, (first, rows) in grown.items():
                if rows > first:
                    conn.execute(f"INSERT INTO {table}(rowid, text) SELECT rowid, text FROM passages WHERE rowid "
                                 "BETWEEN ? AND ?", (passage_rowid(level, first), passage_rowid(level, rows - 1)))
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


class ReadOnlyDatabase:
    """One read-only connection shared by all threads, serialised by a lock.

    Lookups are sub-millisecond, and one connection keeps the generation's file open even after a
    later build deletes it, so long-running readers never fail mid-session.
    """

    def __init__(self, path: Path):
        self.path = path
        _check_complete(path)
        # quoted: a folder named "draft #2" or "100% done" must not be read as URI syntax
        uri = f"file:{quote(Path(path).resolve().as_posix(), safe='/')}?mode=ro&immutable=1"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._conn.create_function("casefold", 1, _casefold, deterministic=True)  # substring scans (lexical.py)
        self._lock = threading.Lock()
        self._conn.execute("SELECT count(*) FROM documents").fetchone()  # fail now if damaged

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError:  # syntax, constraint, interface errors: ours
                    raise
                from index.errors import IndexUnavailable  # "database disk image is malformed" and the like

                raise IndexUnavailable(f"the index database {self.path} is damaged ({exc}); rebuild with: "
                                       f"refrain build ... --out {Path(self.path).parent.parent}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _check_complete(path: Path) -> None:
    """Raise sqlite3.DatabaseError for a truncated file: SQLite would read the missing pages as zeros."""
    with open(path, "rb") as fh:
        header = fh.read(100)
        size = fh.seek(0, 2)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise sqlite3.DatabaseError("file is not a database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if pages and size < pages * page_size:
        raise sqlite3.DatabaseError(f"file is truncated: {size:,} of {pages * page_size:,} bytes")


def _casefold(text):
    return text.casefold() if isinstance(text, str) else text


def loads_meta(text: str) -> dict[str, list[str]]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
