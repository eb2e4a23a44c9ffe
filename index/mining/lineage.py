"""Lineage: the formulations a formulation took over from, and those that took over from it.

Two formulations are in one lineage when they are close in meaning but not the same formulation, and the
earlier one's use falls as the later one's rises (a slogan giving way to its successor). Precisely, over the mined
corpus's periods (years or months, each with its documents):

1. meaning: the cosine of their centres is at least LINEAGE_MIN_SIMILARITY. There is no upper edge: two
   formulations this close are usually one, but the mining keeps some apart (distinct lines of a slogan, a
   renaming the model puts at 0.84), and those are the likeliest successions; at the phrase level the two phrases
   must also share a lower-case content word, as phrases must to be grouped;
2. order: a formulation's onset is the period by which ONSET_SHARE of its documents have used it (a stray early
   use does not date it: "sustainable development goals" turns up once in a 1994 UN speech, then from 2012
   on); the earlier one, E, has the earlier onset, the later one is L;
3. handover: the first period after E's onset in which L is used in a larger share of the documents than E;
   without one, L never took over and there is no link. The window runs from E's onset to the last use of
   either;
4. E falls: E's share of the window's documents from the handover on is at most FALL_RATIO of its share
   before it, and lower beyond chance (Fisher's exact test, one-sided, p < ALPHA); E was used in at least
   MIN_SIDE_DOCUMENTS documents before the handover;
5. L rises: L's share from the handover on is higher than before it, beyond chance (the same test), in at
   least MIN_SIDE_DOCUMENTS documents;
6. their shares per period over the window are negatively correlated (Pearson r <= MAX_CORRELATION).

The tests keep the many short-lived stock formulations of a news corpus (three reports of a house-warming
in August, three others in September) from reading as a succession: three documents cannot show a decline.

Every figure comes from the formulations' own counts per period, which are computed from their member
passages, so a link can be checked against the passages behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np

from index.errors import RefrainError
from index.ingest.language import DEFAULT_LANGUAGE
from index.mining.wording import Wording
from index.mining.types import Formulation, MiningResult, PeriodTotals

if TYPE_CHECKING:
    from index.search import Searcher

# The settings below, and the evidence for them (a planted succession, the packaged sample's planted renamings,
# KCNA 2024, the UN General Debate), are in README.md, "Lineage".
LINEAGE_MIN_SIMILARITY = 0.55  # centres at least this close in meaning
ONSET_SHARE = 0.1  # a formulation's onset: the period by which a tenth of its documents have used it
FALL_RATIO = 0.5  # the earlier formulation's share after the handover is at most half its share before
ALPHA = 0.05  # the fall and the rise must each be this unlikely by chance (one-sided Fisher exact test)
MIN_SIDE_DOCUMENTS = 5  # the earlier one in this many documents before the handover, the later one from it on
MAX_CORRELATION = -0.5  # their shares per period must move against each other at least this much
MIN_PERIODS = 3  # fewer periods with documents than this say nothing about a trend
YEARS_FOR_YEARLY_PERIODS = 4  # a corpus spanning fewer years is compared per month

PREDECESSOR, SUCCESSOR = "predecessor", "successor"


@dataclass(frozen=True)
class Curve:
    """A formulation's use per period of the lineage's window: documents using it and their share of the period's."""

    formulation_id: str
    centre: str
    n_documents: int
    first_seen: str | None
    last_seen: str | None
    documents: tuple[int, ...]
    shares: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"formulation": self.formulation_id, "centre": self.centre, "n_documents": self.n_documents,
                "first_seen": self.first_seen, "last_seen": self.last_seen, "documents": list(self.documents),
                "shares": list(self.shares)}


@dataclass(frozen=True)
class Link:
    """One earlier formulation giving way to a later one, with the figures that make it a link."""

    earlier: str  # formulation ids
    later: str
    similarity: float  # cosine of the two centres
    correlation: float  # Pearson r of their shares per period over the window
    handover: str  # the first period in which the later one is used more than the earlier one: where "before" ends
    share_before: float  # the earlier one's share of the window's documents before the handover
    share_after: float  # ... and from the handover on
    periods: tuple[str, ...]  # the window: from the earlier one's onset to the last use of either
    earlier_curve: Curve
    later_curve: Curve

    def relation_to(self, formulation_id: str) -> str:
        """What the other formulation is to this one: its predecessor or its successor."""
        return PREDECESSOR if formulation_id == self.later else SUCCESSOR

    def other(self, formulation_id: str) -> Curve:
        return self.earlier_curve if formulation_id == self.later else self.later_curve

    def to_dict(self) -> dict:
        return {"earlier": self.earlier, "later": self.later, "similarity": self.similarity,
                "correlation": self.correlation, "handover": self.handover, "share_before": self.share_before,
                "share_after": self.share_after, "periods": list(self.periods),
                "curves": [self.earlier_curve.to_dict(), self.later_curve.to_dict()]}


@dataclass(frozen=True)
class Lineage:
    """The links found in a mining result (all of them, or those of one formulation), strongest first."""

    by: str  # 'year' or 'month'
    band: tuple[float, float]  # [low, high] of centre similarity
    formulation_id: str | None  # None: every link in the result
    links: tuple[Link, ...]

    def to_dict(self) -> dict:
        return {"by": self.by, "band": list(self.band), "fall_ratio": FALL_RATIO, "max_correlation": MAX_CORRELATION,
                "formulation": self.formulation_id, "links": [link.to_dict() for link in self.links]}


def auto_periods(totals: PeriodTotals) -> str:
    """'year' when the mined documents span at least YEARS_FOR_YEARLY_PERIODS years, else 'month'."""
    years = sorted(totals.years)
    if not years or not totals.months:
        return "year"
    return "year" if int(years[-1]) - int(years[0]) + 1 >= YEARS_FOR_YEARLY_PERIODS else "month"


def lineage(result: MiningResult, vectors: np.ndarray, formulation_id: str | None = None, by: str | None = None,
            min_similarity: float = LINEAGE_MIN_SIMILARITY, language: str = DEFAULT_LANGUAGE) -> Lineage:
    """Predecessors and successors of one formulation (or every link in the result when formulation_id is None).

    vectors: one unit vector per formulation centre, in result.formulations order (centre_vectors()).
    language: the index's (language_of(manifest)): which words of two phrases count as shared content.
    """
    formulations = list(result.formulations)
    if len(vectors) != len(formulations):
        raise ValueError(f"{len(vectors)} centre vectors for {len(formulations)} formulations")
    by = by or auto_periods(result.period_totals)
    if by not in ("year", "month"):
        raise RefrainError(f"periods are 'year' or 'month', got {by!r}")
    band = (float(min_similarity), 1.0)
    totals = result.period_totals.per(by)
    periods = sorted(totals)
    position = {f.id: i for i, f in enumerate(formulations)}
    if formulation_id is not None and formulation_id not in position:
        raise RefrainError(f"no formulation {formulation_id!r} in this mining; `recurring DIR --json` lists the ids")
    vectors = np.asarray(vectors, dtype=np.float32)
    sources = [position[formulation_id]] if formulation_id is not None else range(len(formulations))
    words = None
    if result.params.level == "phrase":
        wording = Wording.of(language, (f.centre.text for f in formulations))  # read only where stems need it
        words = [wording.content_words(f.centre.text) for f in formulations]
    links = []
    for i in sources:
        sims = vectors @ vectors[i]  # one row at a time: the explorer asks for one formulation of thousands
        for j in np.flatnonzero(sims >= band[0]).tolist():
            if j == i or (formulation_id is None and j < i):
                continue
            if words is not None and not words[i] & words[j]:
                continue  # phrases that share only a name are not one thing (as in mining: corpus.related)
            link = _link(formulations[i], formulations[j], float(sims[j]), periods, totals, by)
            if link is not None:
                links.append(link)
    links.sort(key=lambda k: (k.correlation - k.similarity, k.earlier, k.later))
    return Lineage(by, (round(band[0], 4), round(band[1], 4)), formulation_id, tuple(links))


def _link(a: Formulation, b: Formulation, similarity: float, periods: list[str], totals: dict[str, int],
          by: str) -> Link | None:
    """The link between two formulations close in meaning, if the earlier one's use falls as the later one's rises."""
    counts_a, counts_b = a.counts(by), b.counts(by)
    if not counts_a or not counts_b:
        return None
    onset_a, onset_b = _onset(counts_a), _onset(counts_b)
    if onset_a == onset_b:
        return None  # neither came first at this granularity
    earlier, later = (a, b) if onset_a < onset_b else (b, a)
    counts_e, counts_l = earlier.counts(by), later.counts(by)
    start = min(onset_a, onset_b)
    end = max(max(counts_a), max(counts_b))
    window = [p for p in periods if start <= p <= end]
    handover = next((p for p in window if p > start and _share_in(p, counts_l) > _share_in(p, counts_e)), None)
    if handover is None or len(window) < MIN_PERIODS:
        return None
    before = [p for p in window if p < handover]
    after = [p for p in window if p >= handover]
    e_before, e_after = _use(before, counts_e, totals), _use(after, counts_e, totals)
    l_before, l_after = _use(before, counts_l, totals), _use(after, counts_l, totals)
    share_before, share_after = _ratio(e_before), _ratio(e_after)
    if e_before[0] < MIN_SIDE_DOCUMENTS or l_after[0] < MIN_SIDE_DOCUMENTS:
        return None  # too few uses to show a decline or a rise, whatever the test says
    if share_after > FALL_RATIO * share_before:
        return None
    if _p_higher(e_before, e_after) >= ALPHA or _p_higher(l_after, l_before) >= ALPHA:
        return None
    curve_e, curve_l = _curve(earlier, window, by), _curve(later, window, by)
    r = _correlation(curve_e.shares, curve_l.shares)
    if r > MAX_CORRELATION:
        return None
    return Link(earlier.id, later.id, round(similarity, 4), round(r, 4), handover, round(share_before, 4),
                round(share_after, 4), tuple(window), curve_e, curve_l)


def _onset(counts: dict) -> str:
    """The period by which ONSET_SHARE of the formulation's documents (per period, summed) have used it."""
    total = sum(c.documents for c in counts.values())
    seen = 0
    for period in sorted(counts):
        seen += counts[period].documents
        if seen >= ONSET_SHARE * total:
            return period
    return max(counts)


def _share_in(period: str, counts: dict) -> float:
    return counts[period].share if period in counts else 0.0


def _use(periods: list[str], counts: dict, totals: dict[str, int]) -> tuple[int, int]:
    """(documents using it, all documents) in these periods."""
    return sum(counts[p].documents for p in periods if p in counts), sum(totals[p] for p in periods)


def _ratio(use: tuple[int, int]) -> float:
    return use[0] / use[1] if use[1] else 0.0


def _p_higher(high: tuple[int, int], low: tuple[int, int]) -> float:
    """One-sided Fisher exact p-value that the share in `high` exceeds the share in `low` only by chance."""
    from scipy.stats import fisher_exact

    table = [[high[0], high[1] - high[0]], [low[0], low[1] - low[0]]]
    return float(fisher_exact(table, alternative="greater").pvalue)


def _curve(f: Formulation, window: list[str], by: str) -> Curve:
    counts = f.counts(by)
    return Curve(f.id, f.centre.text, f.n_documents, f.first_seen.date if f.first_seen else None,
                 f.last_seen.date if f.last_seen else None,
                 tuple(counts[p].documents if p in counts else 0 for p in window),
                 tuple(counts[p].share if p in counts else 0.0 for p in window))


def _correlation(x: Iterable[float], y: Iterable[float]) -> float:
    """Pearson's r; 0 when either series does not vary (no trend to relate)."""
    x, y = np.asarray(list(x), dtype=np.float64), np.asarray(list(y), dtype=np.float64)
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])
