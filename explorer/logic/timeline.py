"""A query over time: per month or year, how many documents hold a matching passage.

Raw counts follow how much was published (a busy congress month looks like a surge), so each period
also carries its number of documents and the share that match. Every period between the first and
last dated document is listed, empty ones included, so the chart shows when a formulation fell silent.
Documents dated less precisely than the granularity (a year-only date in a monthly view) or undated
are counted apart, never guessed into a period.

A share resting on a handful of documents says little: a month with one document that matches is a 100%
bar that flattens every other month. So periods with fewer than SMALL_PERIOD documents are flagged, the
chart's scale is set by the other periods, and smoothing pools a window of periods (a smoothed share is
the window's matching documents over the window's documents, not a mean of shares).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

from index.mining.types import PeriodCount

GRANULARITIES = ("month", "year")
MODES = ("phrase", "meaning")  # how a formulation matches: its exact words, or passages close in meaning
SMOOTHING = (0, 1, 2, 3, 6)  # half-widths: a value is pooled over 2 * h + 1 periods centred on it
SMALL_PERIOD = 5  # fewer documents than this in a period (or a smoothing window): flagged, kept off the scale


@dataclass(frozen=True)
class TimelinePeriod:
    period: str  # "2024" or "2024-03"
    count: PeriodCount  # documents with a matching passage, the matching passages, those documents' share
    total: int  # documents in the period (after filters)

    @property
    def start(self) -> str:
        """First day of the period, ISO (for time axes)."""
        return self.period + ("-01-01" if len(self.period) == 4 else "-01")


@dataclass(frozen=True)
class Timeline:
    by: str
    periods: list[TimelinePeriod]
    unplaced_matched: int  # matching documents without a date of the needed precision
    unplaced_documents: int

    @property
    def matched(self) -> int:
        return sum(p.count.documents for p in self.periods) + self.unplaced_matched

    def nonempty(self) -> list[TimelinePeriod]:
        return [p for p in self.periods if p.count.documents]


def check_granularity(by: str) -> str:
    if by not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, got {by!r}")
    return by


def period_of(date: str | None, by: str) -> str | None:
    """The period a date ('YYYY', 'YYYY-MM' or 'YYYY-MM-DD') falls in, or None if it is not precise enough."""
    check_granularity(by)
    if not date or len(date) < 4:
        return None
    if by == "year":
        return date[:4]
    return date[:7] if len(date) >= 7 else None


def periods_between(first: str, last: str, by: str) -> list[str]:
    """Every period from first to last inclusive ('2023-11', '2023-12', '2024-01', ...)."""
    check_granularity(by)
    if by == "year":
        return [f"{y:04d}" for y in range(int(first[:4]), int(last[:4]) + 1)]
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def count_by_period(matches: Iterable[tuple[str, str | None]], documents: Iterable[tuple[str, str | None]], by: str) -> Timeline:
    """Count matching documents per period.

    matches: (doc_id, date) of every matching passage; documents: (doc_id, date) of every document
    the query could have matched (the filtered corpus), which gives the denominators.
    """
    check_granularity(by)
    docs_per_period: dict[str, int] = {}
    unplaced_documents = 0
    for _doc_id, date in documents:
        period = period_of(date, by)
        if period is None:
            unplaced_documents += 1
        else:
            docs_per_period[period] = docs_per_period.get(period, 0) + 1
    matched_docs: dict[str, set[str]] = {}
    passages: dict[str, int] = {}
    unplaced: set[str] = set()
    for doc_id, date in matches:
        period = period_of(date, by)
        if period is None:
            unplaced.add(doc_id)
            continue
        matched_docs.setdefault(period, set()).add(doc_id)
        passages[period] = passages.get(period, 0) + 1
    known = set(docs_per_period) | set(matched_docs)
    if not known:
        return Timeline(by, [], len(unplaced), unplaced_documents)
    span = periods_between(min(known), max(known), by)
    rows = [TimelinePeriod(p, PeriodCount.of(len(matched_docs.get(p, ())), passages.get(p, 0), docs_per_period.get(p, 0)),
                           docs_per_period.get(p, 0)) for p in span]
    return Timeline(by, rows, len(unplaced), unplaced_documents)


def in_period(items: Iterable, period: str, by: str, date_of=lambda item: item.date) -> list:
    """The items (hits) whose date falls in the period, in the order given."""
    return [item for item in items if period_of(date_of(item), by) == period]


@dataclass(frozen=True)
class ChartPoint:
    """One period of one charted formulation, as drawn and exported."""

    series: str  # the formulation
    period: str
    start: str  # the period's first day (ISO)
    matched: int  # documents in the period with a matching passage
    passages: int
    documents: int  # documents in the period
    share: float | None  # matched / documents; None when the period has no documents
    value: float | None  # what is charted: matched documents or share, smoothed when asked; None: no documents
    small: bool  # the value rests on fewer than SMALL_PERIOD documents


def chart_points(series: str, timeline: Timeline, norm: bool, smooth: int = 0) -> list[ChartPoint]:
    """The periods of one formulation's timeline as charted: counts or shares, pooled over 2 * smooth + 1
    periods (fewer at the ends) when smooth > 0."""
    if smooth not in SMOOTHING:
        raise ValueError(f"smoothing must be one of {SMOOTHING}, got {smooth!r}")
    periods = timeline.periods
    out = []
    for i, p in enumerate(periods):
        window = periods[max(0, i - smooth): i + smooth + 1]
        matched = sum(w.count.documents for w in window)
        documents = sum(w.total for w in window)
        if norm:
            value = round(matched / documents, 4) if documents else None
        else:
            value = round(matched / len(window), 4)
        out.append(ChartPoint(series, p.period, p.start, p.count.documents, p.count.passages, p.total,
                              round(p.count.documents / p.total, 4) if p.total else None, value,
                              documents < SMALL_PERIOD))
    return out


def scale_top(points: Iterable[ChartPoint]) -> float | None:
    """The largest value the chart's scale must show: that of periods resting on enough documents (a small
    period's 100% would flatten the others), or of all periods when none does; None when nothing is charted."""
    points = [p for p in points if p.value is not None]
    solid = [p.value for p in points if not p.small]
    values = solid or [p.value for p in points]
    return max(values) if values else None


EXPORT_FIELDS = ("series", "mode", "min_score", "level", "by", "period", "start", "matched", "passages", "documents",
                 "share", "smoothing", "value", "small")


def export_rows(points: Iterable[ChartPoint], mode: str, min_score: float, level: str, by: str, smooth: int) -> list[dict]:
    """The chart's figures as CSV rows, each saying how it was counted (mode, minimum score, level, window)."""
    how = {"mode": mode, "min_score": min_score if mode == "meaning" else "", "level": level, "by": by,
           "smoothing": 2 * smooth + 1}
    return [{**asdict(p), **how} for p in points]
