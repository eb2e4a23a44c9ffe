"""From records to documents: identical texts stored once, with every copy's metadata kept.

The document id depends on the record's identity (its path in the source folder, or its --id-field),
not on input order, so re-ordering or re-reading a corpus gives the same ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from index.dates import bounds
from index.ingest.records import Problem, Record
from index.textnorm import short_id, text_hash


@dataclass
class Document:
    doc_id: str
    key: str
    title: str
    date: str | None
    text: str
    text_hash: str
    meta: dict[str, list[str]]
    copies: list[Record] = field(default_factory=list)
    title_in_text: bool = False
    ord: int = 0

    @property
    def date_bounds(self) -> tuple[str | None, str | None]:
        return bounds(self.date) if self.date else (None, None)

    def row(self) -> tuple:
        start, end = self.date_bounds
        meta = json.dumps(self.meta, ensure_ascii=False, sort_keys=True)
        return (self.doc_id, self.ord, self.key, self.title, self.date, start, end, self.text, self.text_hash, meta, len(self.copies))

    def copy_rows(self) -> list[tuple]:
        """The index's rows of this document's copies: (doc_id, source, locator, title, date, meta)."""
        return [(self.doc_id, c.source, c.locator, c.title, c.date, json.dumps(c.meta, ensure_ascii=False, sort_keys=True))
                for c in self.copies]


def _primary_order(record: Record, digest: str) -> tuple:
    """Prefer dated copies, then the earliest date, then a stable key, then the content of the copy:
    the same choice in any input order (where a copy sits in its file decides nothing that users see)."""
    meta = json.dumps(record.meta, sort_keys=True)
    return (record.date is None, record.date or "", record.key or f"text:{digest}", record.title, meta, record.source, record.locator)


def merge_duplicates(records: list[Record]) -> tuple[list[Document], list[Problem]]:
    """One Document per distinct text, ordered by date (undated last) then key."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(text_hash(record.text), []).append(record)
    documents: list[Document] = []
    for digest, copies in groups.items():
        copies.sort(key=lambda r: _primary_order(r, digest))
        first = copies[0]
        meta: dict[str, set[str]] = {}
        for copy in copies:
            for name, values in copy.meta.items():
                meta.setdefault(name, set()).update(values)
        key = first.key or f"text:{digest}"
        documents.append(
            Document(
                doc_id=short_id(key),
                key=key,
                title=first.title,
                date=first.date,
                text=first.text,
                text_hash=digest,
                meta={name: sorted(values) for name, values in sorted(meta.items())},
                copies=copies,
                title_in_text=first.title_in_text,
            )
        )
    problems = _separate_key_collisions(documents)
    documents.sort(key=lambda d: (d.date is None, d.date_bounds[0] or "", d.key, d.text_hash))
    for i, doc in enumerate(documents):
        doc.ord = i
    return documents, problems


def _separate_key_collisions(documents: list[Document]) -> list[Problem]:
    """Two different texts with one identity (same id field, or same path in two sources) get distinct ids."""
    by_id: dict[str, list[Document]] = {}
    for doc in documents:
        by_id.setdefault(doc.doc_id, []).append(doc)
    problems = []
    for same in by_id.values():
        if len(same) < 2:
            continue
        for doc in same:
            doc.doc_id = short_id(doc.key, doc.text_hash)
            first = doc.copies[0]
            problems.append(
                Problem(first.source, first.locator, f"identity {doc.key!r} is shared by different texts; "
                        "the document id now depends on its text", skipped=False)
            )
    return problems
