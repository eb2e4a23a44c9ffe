"""The passages behind each formulation the Timeline charts, found by exact phrase or by meaning.

A formulation is a wording: charting "nuclear war deterrent" should count the documents that say it, not the
90 documents of military text that score 0.4 against it. So the exact phrase (full-text search) is the
default, and meaning has its own, higher minimum score; in meaning mode the series also says how many of the
matched documents hold the exact words, so an analyst sees at once whether it charts the wording or a topic.
(MODES in explorer/logic/timeline.py lists the modes; a hybrid ranking can join them as one more.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from explorer.logic.timeline import Timeline, count_by_period, period_of, periods_between
from index.dates import normalise_bound
from index.search import MAX_K, MAX_MATCHES, Filters, Hit, Searcher


@dataclass(frozen=True)
class Series:
    text: str  # the formulation as typed
    mode: str  # "phrase" or "meaning"
    hits: tuple[Hit, ...]  # every matching passage (oldest first for a phrase, best first by meaning)
    timeline: Timeline
    capped: bool  # more passages match than one query returns: counts are a lower bound
    exact_documents: int | None  # meaning mode: how many of the matched documents hold the exact words

    @property
    def documents(self) -> int:
        return len({h.doc_id for h in self.hits})


def find_series(searcher: Searcher, text: str, mode: str, level: str, filters: Filters, min_score: float,
                population: Sequence[tuple[str, str | None]], by: str) -> Series:
    """One formulation's matches and their counts per period; `population` is (doc_id, date) of every document
    the filters allow (the denominators)."""
    exact = None
    if mode == "phrase":
        hits, capped = phrase_hits(searcher, text, level, filters, population, by)
    elif mode == "meaning":
        hits = searcher.matching(text, min_score, level=level, filters=filters)
        capped = len(hits) >= MAX_MATCHES
        with_words = {h.doc_id for h in phrase_hits(searcher, text, level, filters, population, by)[0]}
        exact = len({h.doc_id for h in hits} & with_words)
    else:
        raise ValueError(f"unknown timeline mode {mode!r}")
    timeline = count_by_period([(h.doc_id, h.date) for h in hits], population, by)
    return Series(text, mode, tuple(hits), timeline, capped, exact)


def phrase_hits(searcher: Searcher, text: str, level: str, filters: Filters,
                population: Sequence[tuple[str, str | None]], by: str) -> tuple[list[Hit], bool]:
    """Every passage holding the phrase, and whether some were left out. One phrase query returns at most
    MAX_K passages, oldest first, so a common phrase is asked again period by period (a cut would read as the
    phrase falling silent in the latest months); passages of documents without such a date are then not found."""
    hits = searcher.phrase(text, k=MAX_K, level=level, filters=filters)
    if len(hits) < MAX_K:
        return hits, False
    dated = sorted(p for _, date in population if (p := period_of(date, by)))
    found: dict[str, Hit] = {}
    capped = False
    for period in periods_between(dated[0], dated[-1], by) if dated else ():
        part = searcher.phrase(text, k=MAX_K, level=level, filters=_within(filters, period))
        capped |= len(part) >= MAX_K
        found.update((h.passage_id, h) for h in part if period_of(h.date, by) == period)
    return sorted(found.values(), key=lambda h: (h.date or "", h.doc_id, h.ordinal)), capped


def _within(filters: Filters, period: str) -> Filters:
    """The filters narrowed to one period ('2024' or '2024-03')."""
    start = max(normalise_bound(filters.date_from, end=False) or "", normalise_bound(period, end=False))
    end = min(normalise_bound(filters.date_to, end=True) or "9999", normalise_bound(period, end=True))
    return Filters(start, end, filters.doc_ids, filters.meta)
