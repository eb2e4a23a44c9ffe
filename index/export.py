"""Export of result lists (CSV and JSON) for analysts' own tools: one row per passage.

Every row carries the passage id, document, title, date, score and text (plus level, position and
metadata), so an exported file can be cited and re-opened in the explorer. CSV cells that a
spreadsheet would run as a formula (leading = + - @) are prefixed with an apostrophe; JSON is exact.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Iterable

FIELDS = ("passage_id", "doc_id", "title", "date", "score", "text", "level", "ordinal", "meta")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(hits: Iterable) -> list[dict]:
    """Plain dicts, in result order, from Hit-like objects."""
    return [
        {
            "passage_id": h.passage_id,
            "doc_id": h.doc_id,
            "title": h.title,
            "date": h.date,
            "score": None if h.score is None else round(float(h.score), 4),
            "text": h.text,
            "level": h.level,
            "ordinal": h.ordinal,
            "meta": {k: list(v) for k, v in (h.meta or {}).items()},
        }
        for h in hits
    ]


def _csv_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = "; ".join(f"{k}={', '.join(v)}" for k, v in sorted(value.items()))
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict]) -> str:
    """UTF-8 CSV text with a header row; metadata as 'field=value, value; field=value'."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in FIELDS])
    return buffer.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)


def file_name(*parts: str, ext: str) -> str:
    """A safe, readable download name: 'refrain-search-people-first-principle.csv'."""
    words = re.findall(r"[a-z0-9]+", " ".join(p for p in parts if p).lower())
    stem = "-".join(["refrain", *words])[:80].rstrip("-")
    return f"{stem}.{ext}"
