"""What an index holds, read back file by file, for tests that compare two builds (workers, growth)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from index.levels import LEVELS
from index.store import layout

TABLES = {
    "documents": "SELECT doc_id, ord, key, title, date, date_start, date_end, text, text_hash, meta, copies "
                 "FROM documents ORDER BY ord",
    "copies": "SELECT doc_id, source, locator, title, date, meta FROM copies ORDER BY doc_id, source, locator",
    "doc_meta": "SELECT field, value, doc_id FROM doc_meta ORDER BY field, value, doc_id",
    "passages": "SELECT passage_id, doc_id, level, ordinal, row, start, end, text, text_hash FROM passages "
                "ORDER BY level, row",
    "boilerplate": "SELECT line, documents FROM boilerplate ORDER BY rowid",
    "problems": "SELECT source, locator, reason, skipped FROM problems ORDER BY rowid",
    "fts": "SELECT p.level, p.row FROM passages_fts f JOIN passages p ON p.rowid = f.rowid "
           "WHERE passages_fts MATCH 'the OR and OR of' ORDER BY p.level, p.row",
}


def live(root: Path) -> Path:
    return layout.live_generation(Path(root))


def tables(generation: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"file:{generation / layout.DATABASE}?mode=ro", uri=True)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


def arrays(generation: Path) -> dict[str, np.ndarray]:
    return {name(level): np.load(generation / name(level), allow_pickle=False)
            for level in LEVELS for name in (layout.vectors_file, layout.doc_rows_file)}


def manifest(generation: Path) -> dict:
    return json.loads((generation / layout.MANIFEST).read_text(encoding="utf-8"))


def assert_same_index(a: Path, b: Path, faiss_bytes: bool = True) -> None:
    """Two published indexes hold the same documents, passages (ids, rows, texts), vectors, document rows and
    content hash; and, unless told otherwise, byte-identical FAISS indexes."""
    ga, gb = live(a), live(b)
    ta, tb = tables(ga), tables(gb)
    for name in TABLES:
        assert ta[name] == tb[name], f"table {name} differs"
    xa, xb = arrays(ga), arrays(gb)
    for name in xa:
        assert xa[name].dtype == xb[name].dtype and np.array_equal(xa[name], xb[name]), f"{name} differs"
    if faiss_bytes:
        for level in LEVELS:
            name = layout.faiss_file(level)
            assert (ga / name).read_bytes() == (gb / name).read_bytes(), f"{name} differs"
    ma, mb = manifest(ga), manifest(gb)
    for key in ("content_hash", "levels", "model", "language", "counts"):
        assert ma[key] == mb[key], f"manifest {key} differs"
