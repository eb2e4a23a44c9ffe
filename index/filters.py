"""Filters: which documents a query may answer from (dates, documents, metadata), and the SQL that finds them.

Values of one metadata field are alternatives (topic A or B); different fields must all match. A filter
is a frozen value, so searchers can cache what it selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from index.dates import DateError, normalise_bound
from index.errors import RefrainError


@dataclass(frozen=True)
class Filters:
    """Restrict results: a date range (inclusive, any precision), documents, and metadata values."""

    date_from: str | None = None
    date_to: str | None = None
    doc_ids: tuple[str, ...] = ()
    meta: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def make(cls, date_from=None, date_to=None, doc_ids=(), meta: dict | None = None) -> "Filters":
        items = tuple(sorted((k, tuple(sorted(set(v)))) for k, v in (meta or {}).items() if v))
        return cls(date_from or None, date_to or None, tuple(sorted(set(doc_ids or ()))), items)

    @property
    def empty(self) -> bool:
        return not (self.date_from or self.date_to or self.doc_ids or self.meta)

    def where(self, meta_fields: Iterable[str]) -> tuple[str, list]:
        """The WHERE clause over the `documents` table ('' when nothing is filtered) and its parameters.

        A document passes a date range when its own span (a year, a month, a day) overlaps it. Asking for a
        metadata field outside `meta_fields` (the index's fields) is an error that names the known ones.
        """
        clauses, params = [], []
        try:
            start = normalise_bound(self.date_from, end=False)
            end = normalise_bound(self.date_to, end=True)
        except DateError as exc:
            raise RefrainError(f"bad date in filter: {exc}") from None
        if start:
            clauses.append("date_end >= ?")
            params.append(start)
        if end:
            clauses.append("date_start <= ?")
            params.append(end)
        if self.doc_ids:
            clauses.append(f"doc_id IN ({','.join('?' * len(self.doc_ids))})")
            params += list(self.doc_ids)
        known = set(meta_fields) if self.meta else set()
        for name, values in self.meta:
            if name not in known:
                raise RefrainError(f"unknown metadata field {name!r}; this index has: {', '.join(sorted(known)) or 'none'}")
            clauses.append(f"doc_id IN (SELECT doc_id FROM doc_meta WHERE field = ? AND value IN ({','.join('?' * len(values))}))")
            params += [name, *values]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def document_ords(self, db) -> list[int]:
        """The ords (rows) of the documents passing these filters, in an index's read-only database."""
        fields = [f for (f,) in db.query("SELECT DISTINCT field FROM doc_meta")] if self.meta else []
        where, params = self.where(fields)
        return [o for (o,) in db.query("SELECT ord FROM documents" + where, params)]
