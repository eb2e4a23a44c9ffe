"""Hand-made formulations for the analyses' unit tests: a formulation used in so many documents per period (with
the metadata each document holds), made the way describe() makes them, every count computed from its members."""

from __future__ import annotations

import numpy as np

from index.mining.params import MiningParams
from index.mining.types import (Centre, Formulation, IndexInfo, Member, MiningResult, MiningStats, PeriodCount,
                                PeriodTotals, Salience, Seen)


def doc_id(period: str, slot: int) -> str:
    """The slot-th document of a period (every period has documents 0, 1, 2, …)."""
    return f"d{period}-{slot}"


def formulation(name: str, uses: dict[str, list[int]], totals: PeriodTotals) -> Formulation:
    """A formulation used in the listed document slots of each period ('2016': [0, 1] = two documents)."""
    members = []
    for period in sorted(uses):
        for slot in uses[period]:
            members.append(Member(f"{name}-{period}-{slot}", doc_id(period, slot), f"Speech {period} {slot}", period,
                                  f"h-{name}", 1.0, f"{name} said in {period}"))
    by = "year" if all(len(p) == 4 for p in uses) else "month"
    counts = {p: PeriodCount.of(len(set(uses[p])), len(uses[p]), totals.per(by)[p]) for p in sorted(uses) if uses[p]}
    per_year = counts if by == "year" else {}
    per_month = counts if by == "month" else {}
    first = Seen(members[0].date, members[0].doc_id, members[0].title, members[0].passage_id) if members else None
    last = Seen(members[-1].date, members[-1].doc_id, members[-1].title, members[-1].passage_id) if members else None
    return Formulation(
        id=f"f-{name}", level="sentence", label=f"{name} centre",
        salience=Salience("formulation", float(len(members)), 1.0, 1.0, 0.0, 0.0, 0.0),
        centre=Centre(f"{name} centre", f"h-{name}"), core=f"{name} centre", n_passages=len(members),
        n_documents=len({m.doc_id for m in members}), n_variants=1, multi_variant_documents=0, first_seen=first,
        last_seen=last, per_year=per_year, per_month=per_month, rise=0.0, variants=(), shared=(), members=tuple(members))


def result(formulations: list[Formulation], totals: PeriodTotals, threshold: float = 0.8) -> MiningResult:
    return MiningResult(MiningParams("sentence", threshold).check(), IndexInfo("x", "g"), "2024-01-01T00:00:00+00:00",
                        0.0, MiningStats(0, 0, 0, 0, sum(totals.years.values()), len(formulations)), totals, None,
                        tuple(formulations))


def yearly_totals(per_year: dict[str, int]) -> PeriodTotals:
    return PeriodTotals(dict(per_year), {}, 0)


def vectors_with(similarity: np.ndarray) -> np.ndarray:
    """Unit vectors whose cosines are the given (positive definite) matrix."""
    return np.linalg.cholesky(similarity).astype(np.float32)
