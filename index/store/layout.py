"""The index directory on disk: generations swapped in atomically, a build lock, and file names.

    DIR/CURRENT          name of the live generation (replaced atomically with os.replace)
    DIR/gen-.../         one complete, immutable index: manifest.json, index.sqlite, vectors and FAISS files
    DIR/cache.sqlite     embedding cache shared by all generations (survives crashes)
    DIR/derived/         results computed from an index (recurring formulations), keyed by its content
    DIR/.lock            held by the one build allowed at a time
    DIR/staging.sqlite   a running build's passages between segmentation and writing (index/store/staging.py)

A build writes a new generation beside the live one and publishes it by replacing CURRENT, so a reader
sees the old index or the new one, never a mix. The previous generation is kept for readers still using it.
What a generation holds is written by index/store/writer.py and opened and checked by index/store/reader.py.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Callable

from index.errors import BuildLocked, IndexUnavailable, RefrainError

CURRENT = "CURRENT"
LOCK = ".lock"
CACHE = "cache.sqlite"
STAGING = "staging.sqlite"
DERIVED = "derived"
MANIFEST = "manifest.json"
DATABASE = "index.sqlite"
GEN_PREFIX = "gen-"


def vectors_file(level: str) -> str:
    return f"vectors-{level}.npy"


def doc_rows_file(level: str) -> str:
    return f"docrows-{level}.npy"


def faiss_file(level: str) -> str:
    return f"faiss-{level}.index"


def current_generation(root: Path) -> Path | None:
    """The live generation's folder, or None when the directory holds no published index."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexUnavailable(f"cannot read {root / CURRENT}: {exc}") from None
    if not name.startswith(GEN_PREFIX) or "/" in name or not (root / name).is_dir():
        raise IndexUnavailable(
            f"{root} points at a missing generation {name!r}; rebuild with: refrain build ... --out {root}"
        )
    return root / name


def live_generation(root: Path) -> Path:
    """The live generation's folder; IndexUnavailable, with the command that makes one, when there is none."""
    generation = current_generation(root) if root.is_dir() else None
    if generation is None:
        raise IndexUnavailable(f"no index in {root}; build one with: refrain build SOURCE... --out {root}")
    return generation


def is_index_folder(path: Path) -> bool:
    """A Refrain index directory (it has a CURRENT pointer or a generation folder)."""
    try:
        return (path / CURRENT).is_file() or any(p.name.startswith(GEN_PREFIX) and p.is_dir() for p in path.iterdir())
    except OSError:
        return False


def check_buildable(root: Path) -> None:
    """Refuse to build into a folder that holds something other than a Refrain index."""
    if not root.exists():
        return
    if not root.is_dir():
        raise RefrainError(f"--out {root} exists and is not a folder")
    # SQLite keeps cache.sqlite-wal/-shm beside the cache while a build runs, and after one is killed
    ours = {CURRENT, LOCK, CACHE, DERIVED, STAGING, CURRENT + ".tmp", *(CACHE + s for s in ("-wal", "-shm", "-journal"))}
    aside = CACHE + ".damaged-"  # a damaged cache a build moved aside (index.embed.cache)
    foreign = [p.name for p in root.iterdir()
               if p.name not in ours and not p.name.startswith(GEN_PREFIX) and not p.name.startswith(aside)]
    if foreign:
        shown = ", ".join(sorted(foreign)[:5])
        raise RefrainError(f"--out {root} is not a Refrain index folder (it holds {shown}); choose a new or empty folder")


def new_generation(root: Path) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = root / f"{GEN_PREFIX}{stamp}-{secrets.token_hex(3)}"
    path.mkdir(parents=True)
    return path


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(root: Path, generation: Path, before_rename: Callable[[], None] | None = None) -> None:
    """Make generation the live index: everything durable first, then one atomic rename.

    before_rename is called once CURRENT.tmp is durable, just before the rename (a build reports it)."""
    for child in generation.iterdir():
        _fsync_path(child)
    _fsync_path(generation)
    tmp = root / (CURRENT + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(generation.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if before_rename is not None:
        before_rename()
    os.replace(tmp, root / CURRENT)
    _fsync_path(root)


def collect_garbage(root: Path, keep: set[str]) -> list[str]:
    """Delete generations other than `keep` (the live and the previous one): leftovers of killed builds too."""
    removed = []
    for child in root.iterdir():
        if child.name.startswith(GEN_PREFIX) and child.name not in keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
    return removed


class BuildLock:
    """An exclusive flock on DIR/.lock: a second build waits up to `wait` seconds, then fails clearly.

    The kernel drops the lock when the process dies, so a killed build never leaves a stale lock.
    """

    def __init__(self, root: Path, wait: float = 0.0):
        self.root = root
        self.wait = wait
        self._fh = None

    def __enter__(self) -> "BuildLock":
        self.root.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.root / LOCK, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._fh.seek(0)
                    holder = self._fh.read().strip() or "unknown"
                    self._fh.close()
                    raise BuildLocked(
                        f"another build is running on {self.root} (pid {holder}); wait for it or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(str(os.getpid()))
        self._fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()


def disk_size(path: Path) -> int:
    """Bytes under path; files deleted meanwhile (a later build collecting this generation) count as 0."""
    total = 0
    for p in path.rglob("*"):
        try:
            total += p.stat().st_size if p.is_file() else 0
        except OSError:
            continue
    return total
