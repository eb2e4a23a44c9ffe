"""Boilerplate: lines repeated verbatim at the top or bottom of many documents ("Back to top button").

A line is boilerplate when it recurs in at least `min_docs` documents and in at least `share` of all
documents, and at least 80% of its occurrences sit among the first or last two lines of their document,
where headers, footers and scraper debris live. A slogan repeated inside speeches is not boilerplate,
however common: it is what the recurring-formulation miner is for.
"""

from __future__ import annotations

import math
from collections import Counter

from index.ingest.documents import Document

DEFAULT_SHARE = 0.2
DEFAULT_MIN_DOCS = 3
EDGE_LINES = 2
EDGE_SHARE = 0.8


def find_boilerplate(documents: list[Document], share: float = DEFAULT_SHARE, min_docs: int = DEFAULT_MIN_DOCS) -> list[tuple[str, int]]:
    """Lines (stripped) with the number of documents they occur in, most frequent first."""
    counts: Counter[str] = Counter()
    at_edge: Counter[str] = Counter()
    for doc in documents:
        lines = [line.strip() for line in doc.text.split("\n") if line.strip()]
        if doc.title_in_text:
            lines = lines[1:]
        edges = set(lines[:EDGE_LINES] + lines[-EDGE_LINES:])
        distinct = set(lines)
        counts.update(distinct)
        at_edge.update(distinct & edges)
    needed = max(min_docs, math.ceil(share * len(documents)))
    found = [(line, n) for line, n in counts.items() if n >= needed and at_edge[line] >= EDGE_SHARE * n]
    return sorted(found, key=lambda item: (-item[1], item[0]))
