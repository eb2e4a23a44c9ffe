"""Ranking and filtering mined formulations: what the CLI lists and the explorer's Recurring view shows."""

from __future__ import annotations

from typing import Iterable

from index.dates import DateError, bounds, normalise_bound
from index.errors import RefrainError
from index.mining.params import SORTS
from index.mining.types import Formulation, Seen


def select(formulations: Iterable[Formulation], sort: str = "docs", since: str | None = None, until: str | None = None,
           min_docs: int | None = None, text: str | None = None) -> list[Formulation]:
    """Rank and filter formulations: since = first seen on/after DATE (new), until = last seen on/before DATE,
    text = a variant contains it (ignoring case)."""
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
