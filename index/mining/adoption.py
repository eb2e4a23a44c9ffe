"""Who uses a formulation: its documents counted by the values of a metadata field (the countries of the UN
General Debate, KCNA's topics), each value with its first use (the adopters, in order), its last use, and its
share of that value's mined documents.

A document may hold several values of a field (a KCNA story filed under two topics counts for both), so the
values' documents can add up to more than the formulation's; documents without the field are counted apart.
Every figure is computed from the formulation's member passages, whose documents each adopter lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.dates import bounds
from index.errors import RefrainError
from index.mining.types import Formulation, MiningResult, Seen

if TYPE_CHECKING:
    from index.search import Searcher


@dataclass(frozen=True)
class Adopter:
    """One value of the field (a country, a topic) and its use of the formulation."""

    value: str
    documents: int  # its documents using the formulation
    passages: int
    total: int  # its mined documents
    share: float  # documents / total, to four decimals
    first_seen: Seen | None  # its first use: document, date and passage (None when all its uses are undated)
    last_seen: Seen | None
    doc_ids: tuple[str, ...]  # the documents, in date order

    def to_dict(self) -> dict:
        return {"value": self.value, "documents": self.documents, "passages": self.passages, "total": self.total,
                "share": self.share, "first_seen": self.first_seen.to_dict() if self.first_seen else None,
                "last_seen": self.last_seen.to_dict() if self.last_seen else None, "doc_ids": list(self.doc_ids)}


@dataclass(frozen=True)
class Adoption:
    """A formulation's users by one metadata field: first adopters first (undated last), then by documents."""

    formulation_id: str
    field: str
    adopters: tuple[Adopter, ...]
    without_value: int  # documents using it that have no value for the field
    values_mined: int  # values of the field among the mined documents (users or not)

    def to_dict(self) -> dict:
        return {"formulation": self.formulation_id, "field": self.field, "values_mined": self.values_mined,
                "without_value": self.without_value, "adopters": [a.to_dict() for a in self.adopters]}


@dataclass(frozen=True)
class FieldValues:
    """The values of one metadata field for every mined document, and the mined documents per value."""

    field: str
    of_document: dict[str, tuple[str, ...]]
    totals: dict[str, int]


def field_values(searcher: Searcher, result: MiningResult, field: str) -> FieldValues:
    """The field's values over the documents the result was mined from (its date and metadata filters)."""
    known = sorted(searcher.facets().get("meta", {}))
    if field not in known:
        raise RefrainError(f"unknown metadata field {field!r}; this index has: {', '.join(known) or 'none'}")
    of_document: dict[str, tuple[str, ...]] = {}
    totals: dict[str, int] = {}
    for doc in searcher.documents(result.params.filters):
        values = tuple(sorted(set(doc["meta"].get(field, ()))))
        of_document[doc["doc_id"]] = values
        for value in values:
            totals[value] = totals.get(value, 0) + 1
    return FieldValues(field, of_document, totals)


def adoption(formulation: Formulation, values: FieldValues) -> Adoption:
    """Who uses the formulation, by the field's values: counts, shares, first and last use, from its members."""
    docs: dict[str, set[str]] = {}
    passages: dict[str, int] = {}
    first: dict[str, Seen] = {}
    last: dict[str, Seen] = {}
    order: dict[str, list[str]] = {}
    without: set[str] = set()
    for m in formulation.members:  # in date order, undated last
        held = values.of_document.get(m.doc_id, ())
        if not held:
            without.add(m.doc_id)
        for value in held:
            passages[value] = passages.get(value, 0) + 1
            if m.doc_id not in docs.setdefault(value, set()):
                docs[value].add(m.doc_id)
                order.setdefault(value, []).append(m.doc_id)
            if m.date:
                seen = Seen(m.date, m.doc_id, m.title, m.passage_id)
                first.setdefault(value, seen)
                last[value] = seen
    adopters = [
        Adopter(value, len(docs[value]), passages[value], values.totals.get(value, 0),
                round(len(docs[value]) / values.totals[value], 4) if values.totals.get(value) else 0.0,
                first.get(value), last.get(value), tuple(order[value]))
        for value in docs
    ]
    adopters.sort(key=lambda a: (a.first_seen is None, _start(a.first_seen), -a.documents, a.value))
    return Adoption(formulation.id, values.field, tuple(adopters), len(without), len(values.totals))


def _start(seen: Seen | None) -> str:
    return bounds(seen.date)[0] if seen else ""
