"""Export of result lists (CSV and JSON) for analysts' own tools: one row per passage.

Every row carries the passage id, document, title, date, score, why it matched and text (plus level, position and
metadata), so an exported file can be cited and re-opened in the explorer. CSV cells that a
spreadsheet would run as a formula (leading = + - @) are prefixed with an apostrophe; JSON is exact.

Recurring formulations (index.recurring) export the same way: one CSV row per formulation with its
documents per year, one per member passage, or the whole result as JSON with every member.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Iterable

FIELDS = ("passage_id", "doc_id", "title", "date", "score", "match", "text", "level", "ordinal", "meta")
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
            "match": getattr(h, "match", None),  # verbatim, words or meaning (search hits)
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
    """UTF-8 CSV text of result rows with a header row; metadata as 'field=value, value; field=value'."""
    return rows_to_csv(rows, FIELDS)


def rows_to_csv(rows: list[dict], fields: Iterable[str] | None = None) -> str:
    """CSV of any flat rows, the header from `fields` (default: the first row's keys); formulas defused."""
    names = list(fields) if fields is not None else list(rows[0]) if rows else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in names])
    return buffer.getvalue()


def seen_date(seen: dict | None) -> str:
    """The date of a first/last appearance, '' when it has none."""
    return seen["date"] if seen else ""


def formulation_rows(formulations: list[dict], period_totals: dict) -> list[dict]:
    """One row per formulation: counts, first and last appearance, rise, wording, and documents per year
    (docs_YYYY for every year of the mined corpus, 0 where it was not used)."""
    years = list(period_totals["years"])
    rows = []
    for f in formulations:
        row = {
            "id": f["id"], "level": f["level"], "documents": f["n_documents"], "passages": f["n_passages"],
            "variants": f["n_variants"], "first_seen": seen_date(f["first_seen"]),
            "first_doc": (f["first_seen"] or {}).get("doc_id"), "last_seen": seen_date(f["last_seen"]),
            "last_doc": (f["last_seen"] or {}).get("doc_id"), "rise": f["rise"], "core": f["core"],
            "centre": f["centre"]["text"],
        }
        row.update({f"docs_{y}": f["per_year"].get(y, {}).get("documents", 0) for y in years})
        rows.append(row)
    return rows


def formulation_fields(period_totals: dict) -> list[str]:
    """The header of formulation_rows (also for an empty list)."""
    return ["id", "level", "documents", "passages", "variants", "first_seen", "first_doc", "last_seen", "last_doc",
            "rise", "core", "centre", *(f"docs_{y}" for y in period_totals["years"])]


MEMBER_FIELDS = ("formulation", "passage_id", "doc_id", "title", "date", "similarity", "variant", "text")


def member_rows(formulations: list[dict]) -> list[dict]:
    """One row per member passage of each formulation, in date order; `variant` is the wording it holds
    (at phrase level the phrase, the passage being the sentence that contains it)."""
    rows = []
    for f in formulations:
        variants = {v["text_hash"]: v["text"] for v in f["variants"]}
        rows += [
            {"formulation": f["id"], "passage_id": m["passage_id"], "doc_id": m["doc_id"], "title": m["title"],
             "date": m["date"], "similarity": m["similarity"], "variant": variants.get(m["text_hash"]), "text": m["text"]}
            for m in f["members"]
        ]
    return rows


PHRASE_FIELDS = ("phrase", "words", "documents", "passages", "first_seen", "last_seen", "formulations")


def phrase_rows(phrases: list[dict]) -> list[dict]:
    """One row per recurring word phrase, its formulations as space-separated ids."""
    return [
        {"phrase": p["phrase"], "words": p["n_words"], "documents": p["n_documents"], "passages": p["n_passages"],
         "first_seen": seen_date(p["first_seen"]), "last_seen": seen_date(p["last_seen"]), "formulations": " ".join(p["formulations"])}
        for p in phrases
    ]


def recurring_json(result: dict, formulations: list[dict], selection: dict | None = None) -> str:
    """The mined result (parameters, statistics, period totals) with the chosen formulations, members included."""
    data = {k: v for k, v in result.items() if k != "formulations"}
    if selection is not None:
        data["selection"] = selection
    data["formulations"] = formulations
    return json.dumps(data, ensure_ascii=False, indent=1)


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)


def file_name(*parts: str, ext: str) -> str:
    """A safe, readable download name: 'refrain-search-people-first-principle.csv'."""
    words = re.findall(r"[a-z0-9]+", " ".join(p for p in parts if p).lower())
    stem = "-".join(["refrain", *words])[:80].rstrip("-")
    return f"{stem}.{ext}"
