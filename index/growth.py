"""Growing an index instead of rebuilding it, when the corpus only grew.

An archive grows at its end: a new UN session, another month of KCNA. When every document of the live index is
read again unchanged (same text, dates, metadata and copies, in the same places), the boilerplate lines and the
language are the ones it was built with, the settings, the model and the segmentation rules are the same, and the
new documents all sort after the old ones (documents are ordered by date), then a full build would write the live
index's rows unchanged and add the new ones after them. So the build does only that: it segments and embeds the new
documents, copies the live generation and appends their rows, vectors and FAISS entries (index/store/writer.py),
without re-segmenting, rewriting or retraining the rest. Anything else is a full build (which still takes every
vector it can from the embedding cache); the reason is reported.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Iterable, Iterator

from index import FORMAT_VERSION
from index.errors import IndexUnavailable
from index.ingest.documents import Document
from index.store import layout

VECTOR_DEFINING = ("name", "dimension", "max_tokens", "precision", "prompts")  # what makes two models' vectors alike
NO_INDEX_YET = "no index yet"
CONTENT_SETTINGS = ("read", "boilerplate", "index_kind", "dateline_pattern")  # settings that shape the rows


@dataclass(frozen=True)
class Growth:
    """How a build extends the live generation: its folder and how many documents it holds."""
    live: Path
    documents: int

    def passage_hashes(self, level: str) -> Iterator[tuple[str, str]]:
        """(passage_id, text_hash) of the live generation's passages of a level, in row order."""
        db = sqlite3.connect(f"file:{self.live / layout.DATABASE}?mode=ro", uri=True)
        try:
            cursor = db.execute("SELECT passage_id, text_hash FROM passages WHERE level = ? ORDER BY row", (level,))
            while rows := cursor.fetchmany(65_536):
                yield from rows
        finally:
            db.close()


@dataclass(frozen=True)
class GrowthCheck:
    """The plan, or why the build is a full one."""
    growth: Growth | None
    reason: str


def plan_growth(root: Path, documents: list[Document], boilerplate: list[tuple[str, int]], language: str,
                segmentation: str, model: dict, settings: dict) -> GrowthCheck:
    """Can the build grow the live index in `root` by the documents after its own? (see the module docstring)"""
    try:
        live = layout.current_generation(root)
    except IndexUnavailable as exc:
        return GrowthCheck(None, str(exc))
    if live is None:
        return GrowthCheck(None, NO_INDEX_YET)
    try:
        manifest = json.loads((live / layout.MANIFEST).read_text(encoding="utf-8"))
        db = sqlite3.connect(f"file:{live / layout.DATABASE}?mode=ro", uri=True)
    except (OSError, ValueError, sqlite3.Error) as exc:
        return GrowthCheck(None, f"the live index cannot be read ({exc})")
    try:
        count = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        reason = (_same_format(manifest, model, settings, language, segmentation)
                  or _same_boilerplate(db, boilerplate)
                  or _same_documents(db, documents, count))
    except sqlite3.Error as exc:
        reason, count = f"the live index cannot be read ({exc})", 0
    finally:
        db.close()
    if reason:
        return GrowthCheck(None, reason)
    return GrowthCheck(Growth(live, count), f"{len(documents) - count:,} new documents after the "
                                                      f"{count:,} of {live.name}")


def _same_format(manifest: dict, model: dict, settings: dict, language: str, segmentation: str) -> str:
    if manifest.get("format_version") != FORMAT_VERSION:
        return "the live index has another format"
    if manifest.get("segmentation") != segmentation:
        return "the live index was segmented by other rules (or does not say which)"
    live_model = manifest.get("model", {})
    if any(live_model.get(key) != model.get(key) for key in VECTOR_DEFINING):
        return "the model differs from the live index's"
    live_settings = manifest.get("settings", {})
    settings = json.loads(json.dumps(settings))  # as the manifest holds them (tuples are lists there)
    if any(live_settings.get(key) != settings.get(key) for key in CONTENT_SETTINGS):
        return "the build settings differ from the live index's"
    if manifest.get("language", {}).get("code") != language:
        return "the corpus language differs from the live index's"
    return ""


def _same_boilerplate(db: sqlite3.Connection, boilerplate: list[tuple[str, int]]) -> str:
    live = {line for (line,) in db.execute("SELECT line FROM boilerplate")}
    return "" if live == {line for line, _ in boilerplate} else "the boilerplate lines changed"


def _same_documents(db: sqlite3.Connection, documents: list[Document], count: int) -> str:
    """The live `count` documents (and their copies) must be the first ones read, unchanged; at least one must be
    new."""
    if len(documents) <= count:
        return "no new documents" if len(documents) == count else "documents were removed"
    live_rows = db.execute("SELECT doc_id, ord, key, title, date, date_start, date_end, text_hash, meta, copies "
                           "FROM documents ORDER BY ord")
    for doc, live in zip(documents[:count], live_rows):
        row = doc.row()
        if row[:7] + row[8:] != live:
            return f"document {live[0]} changed, or new documents sort among the old ones"
    live_copies = db.execute("SELECT doc_id, source, locator, title, date, meta FROM copies ORDER BY rowid")
    if not _equal((row for doc in documents[:count] for row in doc.copy_rows()), live_copies):
        return "the copies of the documents changed"
    return ""


def _equal(ours: Iterable[tuple], theirs: Iterable[tuple]) -> bool:
    end = object()
    return all(a is not end and b is not end and tuple(a) == tuple(b)
               for a, b in zip_longest(ours, theirs, fillvalue=end))
