"""Results derived from an index (recurring formulations, phrases), kept in DIR/derived as JSON.

A result is keyed by the index's content hash and its parameters, so it is recomputed exactly when
either changes; an unchanged rebuild keeps it. JSON only, written atomically; never pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

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
    _write_atomic(path, result)
    return result


def prune(root: Path, content_hash: str) -> None:
    """Drop results of index contents that no longer exist (called after a build publishes)."""
    folder = root / layout.DERIVED
    if not folder.is_dir():
        return
    for path in folder.glob("*.json"):
        if f"-{content_hash[:16]}-" not in path.name:
            path.unlink(missing_ok=True)


def _read(path: Path, version: int) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == version else None


def _write_atomic(path: Path, data: dict) -> None:
    """Results are a convenience: if the index folder is read-only we simply do not keep them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
