"""Results derived from an index (recurring formulations, phrases), kept in DIR/derived as JSON, and arrays that
go with them (a mining's centre vectors) as .npy beside them.

A result is keyed by the index's content hash and its parameters, so it is recomputed exactly when
either changes; an unchanged rebuild keeps it. JSON and plain arrays only, written atomically; never pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

import numpy as np

from index.store import layout


def result_path(root: Path, kind: str, content_hash: str, params: dict, version: int) -> Path:
    digest = hashlib.blake2b(json.dumps([version, params], sort_keys=True).encode(), digest_size=8).hexdigest()
    return root / layout.DERIVED / f"{kind}-{content_hash[:16]}-{digest}.json"


def cached_result(root: Path, kind: str, content_hash: str, params: dict, version: int,
                  compute: Callable[[], dict], use_cache: bool = True) -> dict:
    """The stored result for these parameters, or a computed one, which is stored. use_cache=False computes
    again even when a result is stored, and replaces it (`--no-cache`: what the explorer then shows)."""
    path = result_path(root, kind, content_hash, params, version)
    if use_cache and (found := _read(path, version)) is not None:
        return found
    result = compute()
    result["version"] = version
    _write_atomic(path, [json.dumps(result, ensure_ascii=False)])
    return result


def stored(root: Path, kind: str, content_hash: str, params: dict, version: int) -> dict | None:
    """The stored result for these parameters, None when there is none (or it is of another version)."""
    return _read(result_path(root, kind, content_hash, params, version), version)


def store_streamed(root: Path, kind: str, content_hash: str, params: dict, version: int, head: dict, key: str,
                   items: Iterable[dict]) -> None:
    """Store a result whose list `key` is large, an item at a time: {**head, key: [items], "version": version}
    (read back, the same dict as one written whole).

    A phrase-level mining of a whole archive holds millions of member passages: as one dict, then one JSON
    string, it would be held three times over (the run measured in bench/RESULTS.md passed 14 GB so)."""
    path = result_path(root, kind, content_hash, params, version)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    opening = encode(head)[:-1] + (", " if head else "") + f"{encode(key)}: ["

    def chunks():
        yield opening
        for i, item in enumerate(items):
            yield (", " if i else "") + encode(item)
        yield f"], {encode('version')}: {encode(version)}}}"

    _write_atomic(path, chunks())


def stored_array(root: Path, kind: str, content_hash: str, params: dict, version: int, name: str) -> np.ndarray | None:
    """The array `name` stored with this result (store_array), None when there is none or it does not read."""
    try:
        return np.load(_array_path(root, kind, content_hash, params, version, name), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


def store_array(root: Path, kind: str, content_hash: str, params: dict, version: int, name: str,
                array: np.ndarray) -> None:
    """Keep an array with this result, atomically; like results, skipped where the folder cannot take it."""
    _replace_atomically(_array_path(root, kind, content_hash, params, version, name),
                        lambda out: np.save(out, np.ascontiguousarray(array), allow_pickle=False))


def _array_path(root: Path, kind: str, content_hash: str, params: dict, version: int, name: str) -> Path:
    return result_path(root, kind, content_hash, params, version).with_suffix(f".{name}.npy")


def prune(root: Path, content_hash: str) -> None:
    """Drop results of index contents that no longer exist (called after a build publishes)."""
    folder = root / layout.DERIVED
    if not folder.is_dir():
        return
    for path in folder.glob("*.*"):
        if path.suffix in (".json", ".npy") and f"-{content_hash[:16]}-" not in path.name:
            path.unlink(missing_ok=True)


def _read(path: Path, version: int) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == version else None


def _write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """A result, written whole or not at all; the arrays kept with the result it replaces go with it."""
    if _replace_atomically(path, lambda out: out.writelines(chunk.encode("utf-8") for chunk in chunks)):
        for array in path.parent.glob(f"{path.stem}.*.npy"):
            array.unlink(missing_ok=True)


def _replace_atomically(path: Path, write: Callable[[BinaryIO], None]) -> bool:
    """Write a file beside `path` and rename it over it. Results are a convenience: if the index folder is
    read-only (or full) we simply do not keep them (False)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            write(out)
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
