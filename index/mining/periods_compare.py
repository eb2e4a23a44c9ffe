"""What changed between two periods: the formulations that are new, vanished, rising or falling from one date
range to another, in one table.

A document belongs to a period when its whole date lies inside the range: a speech dated only "2022" is in
2022-01-01..2022-12-31 but in neither half of that year, and such documents are counted apart (`unplaced`)
rather than guessed into one. A formulation's use in a period is the share of the period's mined documents
that use it, and the member passages behind each count are listed.

Status: new (used in the second period, not in the first), vanished (the converse), rising or falling (used
in both, its share higher or lower beyond chance: Fisher's exact test, two-sided, p < ALPHA), steady.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index.dates import DateError, bounds, normalise_bound
from index.errors import RefrainError
from index.mining.types import Formulation, MiningResult

if TYPE_CHECKING:
    from index.search import Searcher

ALPHA = 0.05
STATUSES = ("new", "rising", "falling", "vanished", "steady")


@dataclass(frozen=True)
class Period:
    """A date range as inclusive days, and the mined documents dated inside it."""

    start: str
    end: str
    documents: int

    @property
    def label(self) -> str:
        return f"{self.start} – {self.end}"

    def holds(self, date: str | None) -> bool:
        if not date:
            return False
        first, last = bounds(date)
        return self.start <= first and last <= self.end

    def to_dict(self) -> dict:
        return {"from": self.start, "to": self.end, "documents": self.documents}


@dataclass(frozen=True)
class PeriodUse:
    """A formulation in one period: its documents and passages there, and their share of the period's documents."""

    documents: int
    passages: int
    share: float  # documents / the period's documents, to four decimals
    passage_ids: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"documents": self.documents, "passages": self.passages, "share": self.share,
                "passage_ids": list(self.passage_ids)}


@dataclass(frozen=True)
class Change:
    formulation_id: str
    centre: str
    status: str
    first: PeriodUse
    second: PeriodUse
    change: float  # second share minus first share
    p_value: float  # Fisher's exact test on documents using it vs not, first period vs second

    def to_dict(self) -> dict:
        return {"formulation": self.formulation_id, "centre": self.centre, "status": self.status,
                "first": self.first.to_dict(), "second": self.second.to_dict(), "change": self.change,
                "p_value": self.p_value}


@dataclass(frozen=True)
class PeriodComparison:
    first: Period
    second: Period
    unplaced: int  # mined documents whose date overlaps a period without lying inside it: in neither count
    changes: tuple[Change, ...]  # by status (new, rising, falling, vanished, steady), then by the size of the change

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.changes) for s in STATUSES}

    def to_dict(self) -> dict:
        return {"first": self.first.to_dict(), "second": self.second.to_dict(), "unplaced": self.unplaced,
                "alpha": ALPHA, "counts": self.counts(), "changes": [c.to_dict() for c in self.changes]}


def day_range(date_from: str | None, date_to: str | None, name: str) -> tuple[str, str]:
    """A period's bounds (any precision) as inclusive days; both are required."""
    if not date_from or not date_to:
        raise RefrainError(f"the {name} period needs a start and an end date")
    try:
        start, end = normalise_bound(date_from, end=False), normalise_bound(date_to, end=True)
    except DateError as exc:
        raise RefrainError(f"bad date in the {name} period: {exc}") from None
    if start > end:
        raise RefrainError(f"the {name} period ends ({end}) before it starts ({start})")
    return start, end


def compare_periods(searcher: Searcher, result: MiningResult, first: tuple[str, str],
                    second: tuple[str, str]) -> PeriodComparison:
    """Every formulation used in either period, with its use in each and its status."""
    a, b = day_range(*first, "first"), day_range(*second, "second")
    if a[0] <= b[1] and b[0] <= a[1]:
        raise RefrainError(f"the periods overlap ({a[0]} – {a[1]} and {b[0]} – {b[1]}); compare separate ranges")
    dates = [d["date"] for d in searcher.documents(result.params.filters)]
    pa, pb = Period(*a, 0), Period(*b, 0)
    pa = Period(a[0], a[1], sum(pa.holds(d) for d in dates))
    pb = Period(b[0], b[1], sum(pb.holds(d) for d in dates))
    unplaced = sum(1 for d in dates if d and not pa.holds(d) and not pb.holds(d) and (_overlaps(d, pa) or _overlaps(d, pb)))
    changes = []
    for f in result.formulations:
        use_a, use_b = _use(f, pa), _use(f, pb)
        if use_a.documents or use_b.documents:
            changes.append(_change(f, use_a, use_b, pa, pb))
    rank = {s: i for i, s in enumerate(STATUSES)}
    changes.sort(key=lambda c: (rank[c.status], -abs(c.change), -(c.first.documents + c.second.documents), c.formulation_id))
    return PeriodComparison(pa, pb, unplaced, tuple(changes))


def _overlaps(date: str, period: Period) -> bool:
    first, last = bounds(date)
    return first <= period.end and period.start <= last


def _use(f: Formulation, period: Period) -> PeriodUse:
    members = [m for m in f.members if period.holds(m.date)]
    documents = len({m.doc_id for m in members})
    share = round(documents / period.documents, 4) if period.documents else 0.0
    return PeriodUse(documents, len(members), share, tuple(m.passage_id for m in members))


def _change(f: Formulation, a: PeriodUse, b: PeriodUse, pa: Period, pb: Period) -> Change:
    p = _fisher_p(a.documents, pa.documents, b.documents, pb.documents)
    if not a.documents:
        status = "new"
    elif not b.documents:
        status = "vanished"
    elif p < ALPHA:
        status = "rising" if b.share > a.share else "falling"
    else:
        status = "steady"
    return Change(f.id, f.centre.text, status, a, b, round(b.share - a.share, 4) + 0.0, round(p, 4))


@lru_cache(maxsize=65_536)
def _fisher_p(used_a: int, documents_a: int, used_b: int, documents_b: int) -> float:
    """Fisher's exact test (two-sided) of documents using it or not, in one period and the other. Kept per table:
    scipy takes ~1.5 ms a call, and the formulations of a whole archive share a few hundred tables (most are used
    in 2-5 documents), so comparing its 2,454 sentence formulations took 3.8 s of scipy on every rerun."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[used_a, documents_a - used_a], [used_b, documents_b - used_b]]).pvalue)
