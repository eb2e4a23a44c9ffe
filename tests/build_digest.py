"""What a build wrote, reduced to digests that do not depend on where it ran.

A build's output must not change when only the way it is computed changes (streaming, staging, workers):
this digests every ordinary table of the database row by row in row order, every document-row file and
the manifest (less the fields that record when, where and how fast), with the machine's paths replaced
by placeholders. Vectors are floating point and their last bits may differ between CPUs, so they are not
digested here: the test checks them against the encoder instead.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np

from index.store import layout

VOLATILE_MANIFEST = ("build", "created_at", "generation", "sources")  # when, which folder, how fast, which paths


def digests(root: Path, paths: dict[str, Path]) -> dict[str, str]:
    """{part: digest} of the live generation in `root`; `paths` maps placeholders to folders to hide."""
    generation = layout.current_generation(Path(root))
    hide = sorted(((str(p), name) for name, p in paths.items()), key=lambda pair: -len(pair[0]))

    def placeholders(value):
        if isinstance(value, str):
            for path, name in hide:
                value = value.replace(path, f"<{name}>")
        return value

    out: dict[str, str] = {}
    db = sqlite3.connect(f"file:{generation / layout.DATABASE}?mode=ro", uri=True)
    try:
        for table, order in _ordinary_tables(db):
            h = hashlib.blake2b(digest_size=16)
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
                h.update(json.dumps([placeholders(v) for v in row], ensure_ascii=False).encode())
            out[f"table:{table}"] = h.hexdigest()
    finally:
        db.close()
    for path in sorted(generation.glob("docrows-*.npy")):
        rows = np.load(path, allow_pickle=False)
        out[f"file:{path.name}"] = hashlib.blake2b(rows.astype("<i4").tobytes(), digest_size=16).hexdigest()
    manifest = json.loads((generation / layout.MANIFEST).read_text(encoding="utf-8"))
    for key in VOLATILE_MANIFEST:
        manifest.pop(key, None)
    manifest.get("settings", {}).pop("cache_path", None)
    text = placeholders(json.dumps(manifest, sort_keys=True, ensure_ascii=False))
    out["manifest"] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return out


def _ordinary_tables(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, row order) of the tables with rows of their own: not the full-text indexes (virtual) nor their
    shadow tables. Rows in insertion order, or in key order where the table has no rowid."""
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if sql and sql.upper().startswith("CREATE VIRTUAL TABLE")]
    return sorted((name, "1" if "WITHOUT ROWID" in sql.upper() else "rowid") for name, sql in rows
                  if name not in virtual and not name.startswith("sqlite_")
                  and not any(name.startswith(f"{v}_") for v in virtual))
