"""What the filters allow: value counts that follow the other filters, and a one-line summary of what is active.

A metadata picker that says "Politics (412)" must count the documents the dates, the chosen documents and the
other fields allow, or its numbers promise results that are not there. Each field's own choice is left out
of its counts (as faceted search does), so its other values stay countable and choosable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from index.filters import Filters

DocumentMask = Callable[[Filters], np.ndarray]  # Searcher.document_mask: True per document ord that passes


def facet_counts(documents: Sequence[dict], all_counts: dict[str, dict[str, int]], filters: Filters,
                 document_mask: DocumentMask) -> dict[str, dict[str, int]]:
    """{field: {value: documents}} among the documents the filters other than that field's allow.

    `documents` are the index's documents in ord order (Searcher.documents()), `all_counts` the unfiltered
    counts (Searcher.facets()["meta"]), returned as they are when nothing else filters.
    """
    out = {}
    for field, values in all_counts.items():
        others = replace(filters, meta=tuple((name, chosen) for name, chosen in filters.meta if name != field))
        if others.empty:
            out[field] = dict(values)
            continue
        mask = document_mask(others)
        counts = dict.fromkeys(values, 0)
        for allowed, doc in zip(mask.tolist(), documents):
            if allowed:
                for value in doc["meta"].get(field, ()):
                    if value in counts:
                        counts[value] += 1
        out[field] = counts
    return out


@dataclass(frozen=True)
class FilterSummary:
    """The active filters in words, and how many documents they leave."""

    parts: tuple[str, ...]  # "2024-01-01 – 2024-06-30", "Topic: Politics, Economy", "3 chosen documents"
    documents: int  # documents passing
    total: int  # documents in the index

    @property
    def active(self) -> bool:
        return bool(self.parts)


def summarise(filters: Filters, documents: int, total: int) -> FilterSummary:
    parts = []
    if filters.date_from or filters.date_to:
        parts.append(f"{filters.date_from or 'start'} – {filters.date_to or 'end'}")
    for field, values in filters.meta:
        parts.append(f"{field.replace('_', ' ').capitalize()}: {', '.join(values)}")
    if filters.doc_ids:
        n = len(filters.doc_ids)
        parts.append(f"{n} chosen document{'s' if n != 1 else ''}")
    return FilterSummary(tuple(parts), documents, total)
