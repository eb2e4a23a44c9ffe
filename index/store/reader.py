"""Opening one index generation and checking it: the manifest, the database, and per level the vectors,
document rows and FAISS index, each checked against the others before any query runs.

Every damage a reader can meet gives one sentence naming the file and what is wrong, and the rebuild
that fixes it (IndexUnavailable). Vectors stay on disk (memory-mapped, rows read with pread); nothing
is unpickled. A GenerationReader never changes: `is_stale()` says when a newer build has been published.
index/store/writer.py writes exactly what this reads.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index import FORMAT_VERSION
from index.errors import IndexUnavailable
from index.levels import LEVELS
from index.store import layout
from index.store.database import ReadOnlyDatabase
from index.store.vectorfile import read_rows

SCAN_CHUNK = 65_536  # rows per step of an exact scan (100 MB of 384-d vectors)


@dataclass
class Level:
    """One level of an opened generation: its vectors, each row's document ord, its FAISS index and spec."""

    vectors: np.ndarray  # memory-mapped, read-only
    doc_rows: np.ndarray  # document ord of each row
    index: faiss.Index
    spec: dict

    def rows(self, rows) -> np.ndarray:
        """Vectors of the given rows (any order): from a flat level's FAISS index in memory, else read with pread
        (one call per run of consecutive rows) rather than through the memory map.

        A page fault on the map brings a whole large folio (up to 2 MB) of the file into this process's
        resident set, so scattered single-row lookups (re-ranking, more-like-this) on a 1M-row level would
        grow it by gigabytes; pread copies just the rows (see bench/RESULTS.md, "Scale").
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        held = self._held()
        if held is not None:
            return held[rows]
        fd = self._file()
        offset = getattr(self.vectors, "offset", None)
        filename = getattr(self.vectors, "filename", None)
        if fd is None or offset is None:
            return np.array(self.vectors[rows], dtype=np.float32)
        try:
            return read_rows(fd, offset, self.vectors.shape[1], rows, filename)
        except ValueError:
            raise IndexUnavailable(f"{filename} is shorter than its header says; rebuild the index") from None

    def scan(self, rows: np.ndarray, query: np.ndarray, chunk: int = SCAN_CHUNK):
        """(rows, scores against query) in chunks, so an exact scan never holds the whole level in memory."""
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            yield part, self.rows(part) @ query

    def _held(self) -> np.ndarray | None:
        """A flat FAISS index holds this level's vectors in memory already, row for row: read them there, not
        from the file (whose pages this machine's kernel may have dropped: a hybrid search scores a hundred
        scattered lexical candidates, ~30 ms from a cold disk)."""
        if self.spec.get("kind") != "flat" or not hasattr(self.index, "get_xb"):
            return None
        held = getattr(self, "_held_rows", None)
        if held is None:
            held = self._held_rows = faiss.rev_swig_ptr(self.index.get_xb(), self.index.ntotal * self.index.d).reshape(
                self.index.ntotal, self.index.d)
        return held

    def _file(self) -> int | None:
        fd = getattr(self, "_fd", None)
        filename = getattr(self.vectors, "filename", None)
        if fd is None and filename:
            try:
                fd = self._fd = os.open(filename, os.O_RDONLY)
            except OSError:
                return None
        return fd

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def prefetch(self) -> None:
        """Ask the OS to read the vectors file into its page cache (asynchronously; not this process's memory),
        so the first re-ranked searches do not wait on the disk for their scattered rows."""
        fd = self._file() if self.spec.get("rerank") else None
        if fd is not None and hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except OSError:
                pass


class GenerationReader:
    """One generation of the index in `root`, opened read-only and checked; thread-safe.

    `open_live(root)` opens the live one. `model`, when given, must be the model the index was built with.
    """

    def __init__(self, root: str | Path, generation: Path, model: str | None = None):
        self.root = Path(root)
        self.path = generation
        self.generation = generation.name
        self.manifest = read_manifest(generation)
        self.model_name = self.manifest["model"]["name"]
        self.dimension = self.manifest["model"]["dimension"]
        if model and model != self.model_name:
            raise IndexUnavailable(
                f"the index in {self.root} was built with model {self.model_name!r}, not {model!r}; "
                f"query without --model, or rebuild with: refrain build ... --model {model} --out {self.root}"
            )
        self.db = self._open_database()
        self.n_documents = self.db.query("SELECT count(*) FROM documents")[0][0]
        self.levels = {level: self._open_level(level) for level in LEVELS}
        for opened in self.levels.values():
            opened.prefetch()

    @classmethod
    def open_live(cls, root: str | Path, model: str | None = None) -> "GenerationReader":
        root = Path(root)
        for attempt in range(3):
            generation = layout.live_generation(root)
            try:
                return cls(root, generation, model)
            except IndexUnavailable:
                # Two rebuilds published while we were opening, and the second removed this generation:
                # open the live one instead. A generation that is still live and broken is a real error.
                if attempt == 2 or not _is_stale(root, generation.name):
                    raise
        raise AssertionError("unreachable")

    def fix(self) -> str:
        return f"rebuild with: refrain build ... --out {self.root}"

    def is_stale(self) -> bool:
        """True once a newer build has been published in this directory (or the index vanished)."""
        return _is_stale(self.root, self.generation)

    def check_encoder(self, encoder) -> None:
        """The encoder must give vectors of the index's dimension."""
        if encoder.dim != self.dimension:
            raise IndexUnavailable(f"model {self.model_name!r} gives {encoder.dim}-d vectors, the index holds "
                                   f"{self.dimension}-d; {self.fix()}")

    def size_bytes(self) -> int:
        return layout.disk_size(self.path)

    # ---------------------------------------------------------------- opening and checking

    def _open_database(self) -> ReadOnlyDatabase:
        path = self.path / layout.DATABASE
        if not path.is_file():
            raise IndexUnavailable(f"the index database {path} is missing; {self.fix()}")
        try:
            return ReadOnlyDatabase(path)
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(f"the index database {path} is damaged ({exc}); {self.fix()}") from None

    def _disagreement(self, level: str, rows: int, db_rows: int, doc_rows: np.ndarray) -> str:
        """Name the file that is out of step, so the user knows what broke, not only that counts differ."""
        file_rows = doc_rows.shape[0] if doc_rows.ndim == 1 else None
        counts = (f"{db_rows} {level} passages in {layout.DATABASE}, {rows} in {layout.MANIFEST}, "
                  f"{'?' if file_rows is None else file_rows} in {layout.doc_rows_file(level)}")
        if file_rows == rows:
            culprit = f"the index database {self.path / layout.DATABASE} is damaged"
        elif db_rows == rows:
            culprit = f"{self.path / layout.doc_rows_file(level)} is damaged"
        elif file_rows == db_rows:
            culprit = f"the manifest {self.path / layout.MANIFEST} is damaged"
        else:
            culprit = "the index files are damaged"
        return f"{culprit}: its files disagree ({counts}); {self.fix()}"

    def _open_level(self, level: str) -> Level:
        info = self.manifest.get("levels", {}).get(level)
        dim = self.dimension
        if not info:
            raise IndexUnavailable(f"the manifest in {self.path} lists no {level} level; {self.fix()}")
        rows = info["rows"]
        vectors = self._load_npy(layout.vectors_file(level), mmap=True)
        if vectors.ndim != 2 or vectors.shape != (rows, dim) or vectors.dtype != np.float32:
            raise IndexUnavailable(
                f"{self.path / layout.vectors_file(level)} holds {vectors.shape} {vectors.dtype} vectors but the index "
                f"has {rows} {level} passages of dimension {dim}; {self.fix()}"
            )
        doc_rows = np.asarray(self._load_npy(layout.doc_rows_file(level), mmap=False))
        db_rows = self.db.query("SELECT count(*) FROM passages WHERE level = ?", (level,))[0][0]
        if doc_rows.shape != (rows,) or db_rows != rows:
            raise IndexUnavailable(self._disagreement(level, rows, db_rows, doc_rows))
        if rows and (doc_rows.dtype.kind not in "iu" or doc_rows.min() < 0 or doc_rows.max() >= self.n_documents):
            raise IndexUnavailable(f"{self.path / layout.doc_rows_file(level)} names documents the database does not hold; "
                                   f"{self.fix()}")
        path = self.path / layout.faiss_file(level)
        if not path.is_file():
            raise IndexUnavailable(f"the FAISS index {path} is missing; {self.fix()}")
        try:
            index = faiss.read_index(str(path))
        except Exception as exc:  # FAISS raises RuntimeError subclasses with C++ messages
            raise IndexUnavailable(f"the FAISS index {path} is damaged ({str(exc).splitlines()[0][:120]}); {self.fix()}") from None
        if index.ntotal != rows or index.d != dim:
            raise IndexUnavailable(
                f"the FAISS index {path} has {index.ntotal} vectors of dimension {index.d}, expected {rows} of {dim}; {self.fix()}"
            )
        return Level(vectors, doc_rows, index, info["faiss"])

    def _load_npy(self, name: str, mmap: bool) -> np.ndarray:
        path = self.path / name
        if not path.is_file():
            raise IndexUnavailable(f"{path} is missing; {self.fix()}")
        try:
            return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            # numpy suggests allow_pickle=True for some damage: never follow that advice for an index file
            reason = "not a plain numeric array" if "pickle" in str(exc) else str(exc)
            raise IndexUnavailable(f"{path} is damaged ({reason}); {self.fix()}") from None


def _is_stale(root: Path, generation: str) -> bool:
    try:
        live = layout.current_generation(root)
    except IndexUnavailable:
        return True
    return live is None or live.name != generation


def read_manifest(generation: Path) -> dict:
    """The generation's manifest, checked for a format this code can read."""
    path = generation / layout.MANIFEST
    root = generation.parent
    fix = f"rebuild with: refrain build ... --out {root}"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexUnavailable(f"the index manifest {path} is missing; {fix}") from None
    except (ValueError, UnicodeDecodeError):
        raise IndexUnavailable(f"the index manifest {path} is damaged (not valid JSON); {fix}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format_version"), int):
        raise IndexUnavailable(f"the index manifest {path} has no format version; {fix}")
    version = manifest["format_version"]
    if version > FORMAT_VERSION:
        raise IndexUnavailable(
            f"the index in {root} has format {version}, newer than this Refrain reads ({FORMAT_VERSION}); "
            "upgrade Refrain or rebuild the index with this version"
        )
    if version < FORMAT_VERSION:
        raise IndexUnavailable(f"the index in {root} has the old format {version}; {fix}")
    missing = _manifest_gaps(manifest)
    if missing:
        raise IndexUnavailable(f"the index manifest {path} is incomplete ({missing}); {fix}")
    return manifest


def _manifest_gaps(manifest: dict) -> str:
    """What a readable manifest lacks that opening an index needs ('' when nothing)."""
    model = manifest.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str):
        return "no model name"
    if not isinstance(model.get("dimension"), int) or isinstance(model["dimension"], bool) or model["dimension"] < 1:
        return "no model dimension"
    levels = manifest.get("levels")
    for level in LEVELS:
        info = levels.get(level) if isinstance(levels, dict) else None
        if not isinstance(info, dict) or not isinstance(info.get("rows"), int) or info["rows"] < 0:
            return f"no row count for the {level} level"
        if not isinstance(info.get("faiss"), dict) or not isinstance(info["faiss"].get("kind"), str):
            return f"no FAISS index kind for the {level} level"
    return ""
