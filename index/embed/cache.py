"""The embedding cache: vectors keyed by (model, text hash), so no text is ever embedded twice.

It lives beside the index generations (or wherever --cache points), is committed batch by batch while
embedding runs, and so survives an interrupted build. It also keeps pysbd's sentence splits and whole
documents' segmentations, so an unchanged rebuild neither splits nor tokenizes anything again.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL,
                                       PRIMARY KEY (model, hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS splits (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (model TEXT PRIMARY KEY, dimension INTEGER NOT NULL) WITHOUT ROWID;
"""
_CHUNK = 900  # stay under SQLite's bound-parameter limit


def _damage_is_a_user_error(method):
    """A damaged cache file ("database disk image is malformed") is a clear error, never a traceback."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # locked, constraint, interface: not damage
                raise
            raise _corrupt(self.path, exc) from None

    return guarded


class EmbeddingCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._lock = threading.Lock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _corrupt(self.path, exc) from None

    def close(self) -> None:
        self._db.close()

    @_damage_is_a_user_error
    def get_vectors(self, model: str, hashes: list[str], dim: int) -> dict[str, np.ndarray]:
        """Cached vectors for the given hashes; rows of the wrong size (a damaged cache) count as missing."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(hashes), _CHUNK):
                chunk = hashes[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})", [model, *chunk]
                )
                for h, blob in rows:
                    if len(blob) == dim * 4:
                        found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    @_damage_is_a_user_error
    def put_vectors(self, model: str, hashes: list[str], vectors: np.ndarray) -> None:
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                ((model, h, data[i].tobytes()) for i, h in enumerate(hashes)),
            )

    @_damage_is_a_user_error
    def count(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                return self._db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
            return self._db.execute("SELECT count(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0]

    @_damage_is_a_user_error
    def dimension(self, model: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT dimension FROM models WHERE model = ?", (model,)).fetchone()
        return row[0] if row else None

    @_damage_is_a_user_error
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

    @_damage_is_a_user_error
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

    @_damage_is_a_user_error
    def _put_json(self, table: str, items: dict) -> None:
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO {table} (key, spans) VALUES (?, ?)",
                ((k, json.dumps(v, separators=(",", ":"))) for k, v in items.items()),
            )


def _corrupt(path: Path, exc: Exception):
    from index.errors import RefrainError

    return RefrainError(f"the embedding cache {path} is damaged ({exc}); delete it and build again")
