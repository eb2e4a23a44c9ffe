"""Ranking and filtering mined formulations: what the CLI lists and the explorer's Recurring view shows.

The default order, "salience", puts formulations before furniture (index/mining/salience.py): slogans and policy
wording first, then titles and names, then stock phrases, each by salience score. Titles, names and stock
phrases are left out unless `furniture` asks for them, whatever the order.
"""

from __future__ import annotations

from typing import Iterable

from index.dates import DateError, bounds, normalise_bound
from index.errors import RefrainError
from index.mining.params import SORTS
from index.mining.salience import CATEGORIES, FURNITURE
from index.mining.types import Formulation, Seen


def select(formulations: Iterable[Formulation], sort: str = "salience", since: str | None = None, until: str | None = None,
           min_docs: int | None = None, text: str | None = None, furniture: bool = False) -> list[Formulation]:
    """Rank and filter formulations: since = first seen on/after DATE (new), until = last seen on/before DATE,
    text = a variant contains it (ignoring case), furniture = keep titles, names and stock phrases too."""
    if sort not in SORTS:
        raise RefrainError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    try:
        since_day = normalise_bound(since, end=False)
        until_day = normalise_bound(until, end=True)
    except DateError as exc:
        raise RefrainError(f"bad date: {exc}") from None
    chosen = []
    needle = (text or "").strip().lower()
    for f in formulations:
        if not furniture and f.category in FURNITURE:
            continue
        if min_docs and f.n_documents < min_docs:
            continue
        first = f.first_seen.date if f.first_seen else None
        last = f.last_seen.date if f.last_seen else None
        if since_day and (not first or _end(first) < since_day):
            continue
        if until_day and (not last or _start(last) > until_day):
            continue
        if needle and not any(needle in v.text.lower() for v in f.variants):
            continue
        chosen.append(f)
    keys = {
        "salience": lambda f: (CATEGORIES.index(f.category), -f.salience.score, -f.n_documents, f.id),
        "docs": lambda f: (-f.n_documents, -f.n_passages, f.id),
        "first": lambda f: (_neg_date(f.first_seen), -f.n_documents, f.id),
        "last": lambda f: (_start(f.last_seen.date) if f.last_seen else "9999", -f.n_documents, f.id),
        "rising": lambda f: (-f.rise, -f.n_documents, f.id),
    }
    return sorted(chosen, key=keys[sort])


def _start(date: str) -> str:
    return bounds(date)[0]


def _end(date: str) -> str:
    return bounds(date)[1]


def _neg_date(seen: Seen | None) -> tuple:
    """Newest first: invert the date's characters so an ascending sort puts later dates first."""
    if not seen:
        return (1, "")
    return (0, "".join(chr(0x10FFFF - ord(c)) for c in _start(seen.date)))


def hidden(formulations: Iterable[Formulation]) -> int:
    """How many formulations are titles, names or stock phrases: what the default list leaves out."""
    return sum(f.category in FURNITURE for f in formulations)
