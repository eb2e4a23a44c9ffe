"""Boilerplate: lines repeated verbatim across a large share of documents ("Back to top button").

Such lines are reported and kept out of passages. A line must recur in at least `min_docs` documents
and in at least `share` of all documents; recurring speech is rarely a whole line in 20% of a corpus,
while scraper debris and press-office footers are.
"""

from __future__ import annotations

import math
from collections import Counter

from .documents import Document

DEFAULT_SHARE = 0.2
DEFAULT_MIN_DOCS = 3


def find_boilerplate(documents: list[Document], share: float = DEFAULT_SHARE, min_docs: int = DEFAULT_MIN_DOCS) -> list[tuple[str, int]]:
    """Lines (stripped) with the number of documents they occur in, most frequent first."""
    counts: Counter[str] = Counter()
    for doc in documents:
        counts.update({line.strip() for line in doc.text.split("\n") if line.strip()})
    needed = max(min_docs, math.ceil(share * len(documents)))
    found = [(line, n) for line, n in counts.items() if n >= needed]
    return sorted(found, key=lambda item: (-item[1], item[0]))
