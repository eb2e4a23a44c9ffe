"""Boilerplate: page furniture repeated verbatim at the top or bottom of many documents ("Back to top button").

A line is boilerplate when it recurs in at least `min_docs` documents and in at least `share` of all
documents, and at least 80% of its occurrences sit among the first or last two lines of their document,
where headers, footers and scraper debris live. A slogan repeated inside speeches is not boilerplate,
however common: it is what the recurring-formulation miner is for.

A line that reads as prose (a sentence: five words or more ending in . ! ? or …, or twelve words or more)
needs far stronger evidence, because speeches often open or close with the same sentence and an analyst must
find it: it must be in at least PROSE_SHARE of all documents and in at least PROSE_MIN_DOCS of them (a press
office's sign-off under every release, not the greeting that opens a few speeches of a small folder).

Boilerplate lines are kept out of passages, not out of the documents: exact-phrase lookups still report
the documents holding them (index.retrieval.lexical.boilerplate_matches).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from index.ingest.documents import Document

DEFAULT_SHARE = 0.2
DEFAULT_MIN_DOCS = 3
EDGE_LINES = 2
EDGE_SHARE = 0.8
PROSE_SHARE = 0.8
PROSE_MIN_DOCS = 5
SENTENCE_WORDS = 5
LONG_LINE_WORDS = 12
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def is_prose(line: str) -> bool:
    """A sentence (five words or more, ending like one) or a long line: text a reader would quote."""
    words = len(_WORD.findall(line))
    return words >= LONG_LINE_WORDS or (words >= SENTENCE_WORDS and bool(_SENTENCE_END.search(line.strip())))


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
    prose_needed = max(needed, PROSE_MIN_DOCS, math.ceil(PROSE_SHARE * len(documents)))
    found = [(line, n) for line, n in counts.items()
             if n >= (prose_needed if is_prose(line) else needed) and at_edge[line] >= EDGE_SHARE * n]
    return sorted(found, key=lambda item: (-item[1], item[0]))
