"""The embedding cache: vectors keyed by (model, text hash), so no text is ever embedded twice.

It lives beside the index generations (or wherever --cache points), is committed batch by batch while
embedding runs, and so survives an interrupted build. It also keeps pysbd's sentence splits and whole
documents' segmentations, so an unchanged rebuild neither splits nor tokenizes anything again.

One vector is one row of a rowid table in 16 KiB pages: a 384-d float32 vector (1,536 bytes) takes about
1.09 times its raw size on disk. The first format (a WITHOUT ROWID table, 4 KiB pages) spilled every vector
into an overflow page and took about 3 times (4.7 KB per 1.5 KB vector); such a cache is migrated in place
when it is opened, in one transaction, then compacted (bench/bench_cache.py has the measurements, float16
and a separate vector file among them).

A damaged cache (a scribbled or truncated file) is not a reason to stop a build: it is moved aside under a
timestamped name, with a warning naming both files, and the build goes on with a new, empty cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import sys
import threading
from pathlib import Path

import numpy as np

from index.errors import RefrainError

FORMAT = 2  # PRAGMA user_version of the current layout; 0 is the first (WITHOUT ROWID) one
PAGE_SIZE = 16384  # a vector row and its key fit a page ten times over: little slack per page
_SCHEMA = """
CREATE TABLE IF NOT EXISTS vector_models (id INTEGER PRIMARY KEY, model TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, model INTEGER NOT NULL, hash BLOB NOT NULL,
                                    vector BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS vectors_by_key ON vectors (model, hash);
CREATE TABLE IF NOT EXISTS splits (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (model TEXT PRIMARY KEY, dimension INTEGER NOT NULL) WITHOUT ROWID;
"""
_CHUNK = 900  # stay under SQLite's bound-parameter limit
_MIGRATE_BATCH = 4096
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Damage ("malformed", "not a database") is a plain DatabaseError; locked, constraint, interface are not."""
    return type(exc) is sqlite3.DatabaseError


def _recovering(method):
    """A damaged cache met during a build is moved aside and the call is made again on a new, empty cache."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise
            self._move_aside(exc)
            return method(self, *args, **kwargs)

    return guarded


class EmbeddingCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.moved_aside: list[Path] = []  # damaged files this cache replaced, for the caller to report
        self._lock = threading.Lock()
        self._model_ids: dict[str, int] = {}
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise
            self._db = None
            self._move_aside(exc)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        try:
            if not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only a new, empty file takes it
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > FORMAT:
                raise RefrainError(f"the embedding cache {self.path} was written by a newer Refrain (format {version}, "
                                   f"this one reads {FORMAT}); build with that version, or give --cache another file")
            if _has_first_format(db):
                _migrate(db)
            if version != FORMAT:
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version={FORMAT}")
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, exc: Exception) -> None:
        """Rename the damaged cache (and SQLite's side files) with a timestamp, warn, and start a new one."""
        with self._lock:
            if self._db is not None:
                self._db.close()
            stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            for suffix in ("", *_SIDE_FILES):
                source = Path(str(self.path) + suffix)
                if source.exists():
                    source.replace(str(aside) + suffix)
            self.moved_aside.append(aside)
            print(f"warning: the embedding cache {self.path} is damaged ({exc}); moved it to {aside} and "
                  f"started a new one (texts it held are embedded again)", file=sys.stderr, flush=True)
            self._model_ids.clear()
            self._db = self._open()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _model_id(self, model: str, create: bool) -> int | None:
        """The small integer that stands for the model in every vector row (held under self._lock)."""
        if model not in self._model_ids:
            if create:  # another process may be adding the same model: the insert waits for its commit
                self._db.execute("INSERT OR IGNORE INTO vector_models (model) VALUES (?)", (model,))
            row = self._db.execute("SELECT id FROM vector_models WHERE model = ?", (model,)).fetchone()
            if row is None:
                return None
            self._model_ids[model] = row[0]
        return self._model_ids[model]

    @_recovering
    def get_vectors(self, model: str, hashes: list[str], dim: int) -> dict[str, np.ndarray]:
        """Cached vectors for the given hashes. A row of the wrong size or not of unit length (every encoder
        returns L2-normalised vectors, or zeros for an empty text) is damage: it counts as missing."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            model_id = self._model_id(model, create=False)
            if model_id is None:
                return found
            for i in range(0, len(hashes), _CHUNK):
                chunk = [bytes.fromhex(h) for h in hashes[i : i + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})", [model_id, *chunk]
                )
                keys, blobs = [], []
                for key, blob in rows:
                    if len(blob) == dim * 4:
                        keys.append(key)
                        blobs.append(blob)
                if not keys:
                    continue
                matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(keys), dim)
                norms = np.einsum("ij,ij->i", matrix, matrix)
                sound = (np.abs(norms - 1.0) < 1e-3) | (norms == 0.0)
                found.update((key.hex(), row) for key, row, ok in zip(keys, matrix, sound.tolist()) if ok)
        return found

    @_recovering
    def put_vectors(self, model: str, hashes: list[str], vectors: np.ndarray) -> None:
        """Store one chunk of vectors in one transaction: committed whole, or (killed) not at all."""
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            try:
                with self._db:
                    model_id = self._model_id(model, create=True)
                    self._db.executemany(
                        "INSERT INTO vectors (model, hash, vector) VALUES (?, ?, ?) "
                        "ON CONFLICT (model, hash) DO UPDATE SET vector = excluded.vector",
                        ((model_id, bytes.fromhex(h), data[i].tobytes()) for i, h in enumerate(hashes)),
                    )
            except BaseException:
                self._model_ids.pop(model, None)  # its row may have been rolled back with the chunk
                raise

    @_recovering
    def hashes(self, model: str) -> set[str]:
        """Every text hash with a vector for the model."""
        with self._lock:
            model_id = self._model_id(model, create=False)
            if model_id is None:
                return set()
            return {key.hex() for (key,) in self._db.execute("SELECT hash FROM vectors WHERE model = ?", (model_id,))}

    @_recovering
    def count(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                return self._db.execute("SELECT count(*) FROM vectors").fetchone()[0]
            model_id = self._model_id(model, create=False)
            if model_id is None:
                return 0
            return self._db.execute("SELECT count(*) FROM vectors WHERE model = ?", (model_id,)).fetchone()[0]

    @_recovering
    def dimension(self, model: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT dimension FROM models WHERE model = ?", (model,)).fetchone()
        return row[0] if row else None

    @_recovering
    def set_dimension(self, model: str, dimension: int) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO models VALUES (?, ?)", (model, int(dimension)))

    def get_splits(self, keys: list[str]) -> dict[str, list[tuple[int, int]]]:
        return {k: [tuple(pair) for pair in v] for k, v in self._get_json("splits", keys).items() if isinstance(v, list)}

    def put_splits(self, items: dict[str, list[tuple[int, int]]]) -> None:
        self._put_json("splits", items)

    def get_segments(self, keys: list[str]) -> dict[str, dict]:
        return {k: v for k, v in self._get_json("segments", keys).items() if isinstance(v, dict)}

    def put_segments(self, items: dict[str, dict]) -> None:
        self._put_json("segments", items)

    @_recovering
    def _get_json(self, table: str, keys: list[str]) -> dict:
        out = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(f"SELECT key, spans FROM {table} WHERE key IN ({marks})", chunk).fetchall()
            for key, text in rows:
                try:
                    out[key] = json.loads(text)
                except ValueError:
                    continue
        return out

    @_recovering
    def _put_json(self, table: str, items: dict) -> None:
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO {table} (key, spans) VALUES (?, ?)",
                ((k, json.dumps(v, separators=(",", ":"))) for k, v in items.items()),
            )


def _has_first_format(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'embeddings'").fetchone() is not None


def _migrate(db: sqlite3.Connection) -> None:
    """Move the first format's vectors into the current table in one transaction (a kill leaves the old
    format whole), then compact the file into 16 KiB pages if no other process has it open."""
    print("note: converting the embedding cache to its compact format (once)", file=sys.stderr, flush=True)
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.strip().split(";"):  # not executescript: it would commit
            if statement.strip():
                db.execute(statement)
        ids: dict[str, int] = {}
        rows = db.execute("SELECT model, hash, vector FROM embeddings")
        while batch := rows.fetchmany(_MIGRATE_BATCH):
            out = []
            for model, key, vector in batch:
                if model not in ids:
                    db.execute("INSERT OR IGNORE INTO vector_models (model) VALUES (?)", (model,))
                    ids[model] = db.execute("SELECT id FROM vector_models WHERE model = ?", (model,)).fetchone()[0]
                try:
                    out.append((ids[model], bytes.fromhex(key), vector))
                except (TypeError, ValueError):
                    continue  # not a hash this code ever wrote: leave it behind
            db.executemany("INSERT OR IGNORE INTO vectors (model, hash, vector) VALUES (?, ?, ?)", out)
        db.execute("DROP TABLE embeddings")
        db.execute(f"PRAGMA user_version={FORMAT}")
        db.commit()
    except BaseException:
        db.rollback()
        raise
    _compact(db)


def _compact(db: sqlite3.Connection) -> None:
    """VACUUM into PAGE_SIZE pages (WAL must be off to change the page size); skipped while the file is busy."""
    try:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        db.execute("VACUUM")
    except sqlite3.OperationalError:
        pass  # another process has the cache open: the space is reused by new rows instead
    finally:
        db.execute("PRAGMA journal_mode=WAL")
