"""Export of result lists (CSV and JSON) for analysts' own tools: one row per passage.

Every row carries the passage id, document, title, date, score, why it matched and text (plus level, position and
metadata), so an exported file can be cited and re-opened in the explorer. CSV cells that a
spreadsheet would run as a formula (leading = + - @) are prefixed with an apostrophe; JSON is exact.

Recurring formulations (index.mining) export the same way: one CSV row per formulation with its
documents per year, one per member passage, or the whole result as JSON with every member.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from itertools import chain
from typing import TYPE_CHECKING, Iterable, Iterator, TextIO

if TYPE_CHECKING:
    from index.mining.adoption import Adoption
    from index.mining.periods_compare import PeriodComparison
    from index.mining.types import Formulation, MiningResult, PeriodTotals, PhraseRow, Seen

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


def rows_to_csv(rows: Iterable[dict], fields: Iterable[str] | None = None) -> str:
    """CSV of any flat rows, the header from `fields` (default: the first row's keys); formulas defused."""
    buffer = io.StringIO()
    write_csv_rows(buffer, rows, fields)
    return buffer.getvalue()


def write_csv_rows(out: TextIO, rows: Iterable[dict], fields: Iterable[str] | None = None) -> int:
    """rows_to_csv's CSV written to `out` a row at a time (a whole archive's rows need not be held); the rows written."""
    rows = iter(rows)
    first = next(rows, None)
    names = list(fields) if fields is not None else list(first or ())
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    written = 0
    for row in chain([first], rows) if first is not None else ():
        writer.writerow([_csv_cell(row.get(name)) for name in names])
        written += 1
    return written


def seen_date(seen: Seen | None) -> str:
    """The date of a first/last appearance, '' when it has none."""
    return seen.date if seen else ""


def formulation_rows(formulations: Iterable[Formulation], period_totals: PeriodTotals, by: str = "year") -> Iterator[dict]:
    """One row per formulation, as they are asked for: label, category and salience, counts, first and last appearance, rise, wording,
    and documents per period (docs_YYYY for every year of the mined corpus, or docs_YYYY-MM for every month with
    `by="month"`; 0 where it was not used).

    multi_variant_documents: documents using more than one variant. Each passage counts under one variant (the
    members CSV names it), so variants' passages add up to `passages`; their documents exceed `documents` by
    the documents counted under several."""
    periods = list(period_totals.per(by))
    for f in formulations:
        row = {
            "id": f.id, "level": f.level, "label": f.label, "category": f.category, "salience": f.salience.score,
            "documents": f.n_documents, "passages": f.n_passages,
            "variants": f.n_variants, "multi_variant_documents": f.multi_variant_documents,
            "first_seen": seen_date(f.first_seen),
            "first_doc": f.first_seen.doc_id if f.first_seen else None, "last_seen": seen_date(f.last_seen),
            "last_doc": f.last_seen.doc_id if f.last_seen else None, "rise": f.rise, "core": f.core,
            "centre": f.centre.text, "shared": " | ".join(w.text for w in f.shared),
        }
        counts = f.counts(by)
        row.update({f"docs_{p}": counts[p].documents if p in counts else 0 for p in periods})
        yield row


def formulation_fields(period_totals: PeriodTotals, by: str = "year") -> list[str]:
    """The header of formulation_rows (also for an empty list)."""
    return ["id", "level", "label", "category", "salience", "documents", "passages", "variants",
            "multi_variant_documents", "first_seen", "first_doc", "last_seen", "last_doc", "rise", "core", "centre",
            "shared", *(f"docs_{p}" for p in period_totals.per(by))]


MEMBER_FIELDS = ("formulation", "passage_id", "doc_id", "title", "date", "similarity", "variant", "text")


def member_rows(formulations: Iterable[Formulation]) -> Iterator[dict]:
    """One row per member passage of each formulation, in date order, as they are asked for; `variant` is the
    wording it counts under (at phrase level the phrase, the longest variant the sentence holds; the passage is the
    sentence)."""
    return (
        {"formulation": f.id, "passage_id": m.passage_id, "doc_id": m.doc_id, "title": m.title, "date": m.date,
         "similarity": m.similarity, "variant": f.variant_of(m), "text": m.text}
        for f in formulations for m in f.members
    )


PHRASE_FIELDS = ("phrase", "words", "documents", "passages", "first_seen", "last_seen", "formulations")


def phrase_rows(phrases: Iterable[PhraseRow]) -> list[dict]:
    """One row per recurring word phrase, its formulations as space-separated ids."""
    return [
        {"phrase": p.phrase, "words": p.n_words, "documents": p.n_documents, "passages": p.n_passages,
         "first_seen": seen_date(p.first_seen), "last_seen": seen_date(p.last_seen), "formulations": " ".join(p.formulations)}
        for p in phrases
    ]


VARIANT_COUNTS = ("exclusive: each member passage counts under one variant, the one its text_hash names (at phrase "
                  "level the longest variant its sentence holds), so a formulation's variants' passages add up to "
                  "n_passages; a document using several variants counts under each, multi_variant_documents says "
                  "how many do")


ADOPTER_FIELDS = ("formulation", "field", "value", "documents", "passages", "total", "share", "first_seen", "first_doc",
                  "first_passage", "last_seen", "last_doc", "doc_ids", "centre")


def adopter_rows(adoptions: Iterable[tuple[Formulation, Adoption]]) -> list[dict]:
    """One row per formulation and metadata value using it (`recurring --by FIELD --csv`), first adopters first;
    doc_ids lists the documents counted, space-separated."""
    return [
        {"formulation": f.id, "field": a.field, "value": u.value, "documents": u.documents, "passages": u.passages,
         "total": u.total, "share": u.share, "first_seen": seen_date(u.first_seen),
         "first_doc": u.first_seen.doc_id if u.first_seen else None,
         "first_passage": u.first_seen.passage_id if u.first_seen else None, "last_seen": seen_date(u.last_seen),
         "last_doc": u.last_seen.doc_id if u.last_seen else None, "doc_ids": " ".join(u.doc_ids), "centre": f.centre.text}
        for f, a in adoptions for u in a.adopters
    ]


CHANGE_FIELDS = ("status", "formulation", "first_documents", "first_passages", "first_share", "second_documents",
                 "second_passages", "second_share", "change", "p_value", "centre", "first_passage_ids",
                 "second_passage_ids")


def change_rows(comparison: PeriodComparison) -> list[dict]:
    """One row per formulation used in either period (`compare-periods --csv`), with the passages counted."""
    return [
        {"status": c.status, "formulation": c.formulation_id, "first_documents": c.first.documents,
         "first_passages": c.first.passages, "first_share": c.first.share, "second_documents": c.second.documents,
         "second_passages": c.second.passages, "second_share": c.second.share, "change": c.change,
         "p_value": c.p_value, "centre": c.centre, "first_passage_ids": " ".join(c.first.passage_ids),
         "second_passage_ids": " ".join(c.second.passage_ids)}
        for c in comparison.changes
    ]


def recurring_json(result: MiningResult, formulations: Iterable[Formulation], selection: dict | None = None) -> str:
    """The mined result (parameters, statistics, period totals) with the chosen formulations, members included."""
    data = {k: v for k, v in replace(result, formulations=()).to_dict().items() if k != "formulations"}
    if selection is not None:
        data["selection"] = selection
    data["variant_counts"] = VARIANT_COUNTS
    data["formulations"] = [f.to_dict() for f in formulations]
    return json.dumps(data, ensure_ascii=False, indent=1)


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)


def file_name(*parts: str, ext: str) -> str:
    """A safe, readable download name: 'refrain-search-people-first-principle.csv'."""
    words = re.findall(r"[a-z0-9]+", " ".join(p for p in parts if p).lower())
    stem = "-".join(["refrain", *words])[:80].rstrip("-")
    return f"{stem}.{ext}"
