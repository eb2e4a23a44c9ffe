"""The rows the Map draws: one per formulation (where it sits, what it says, when it was used) and one per
search hit placed among them. Dates become the first day they stand for, so a year-only date colours as its
year's start instead of being dropped."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from index.dates import DateError, normalise_bound
from index.mining.map import FormulationMap
from index.mining.types import Formulation
from index.search import Hit
from index.textnorm import clip

TOOLTIP_CHARS = 280
LABEL_CHARS = 42
LABELLED = 8  # the formulations found in the most documents carry a label on the map


@dataclass(frozen=True)
class FormulationPoint:
    id: str
    x: float
    y: float
    text: str  # the centre, clipped for the tooltip
    label: str  # a short label, only on the LABELLED largest ("" elsewhere)
    documents: int
    passages: int
    first: str  # first and last use ("" when undated)
    last: str
    when: str | None  # the day the colour stands for (first or last use); None when undated


@dataclass(frozen=True)
class HitPoint:
    passage_id: str
    doc_id: str
    x: float
    y: float
    text: str
    title: str
    date: str
    score: float | None


def formulation_points(fmap: FormulationMap, formulations: Sequence[Formulation], colour_by: str) -> list[FormulationPoint]:
    by_id = {f.id: f for f in formulations}
    largest = {f.id for f in sorted(formulations, key=lambda f: (-f.n_documents, f.id))[:LABELLED]}
    out = []
    for p in fmap.points:
        f = by_id.get(p.formulation)
        if f is None:
            continue
        first = f.first_seen.date if f.first_seen else ""
        last = f.last_seen.date if f.last_seen else ""
        out.append(FormulationPoint(f.id, p.x, p.y, clip(f.centre.text, TOOLTIP_CHARS),
                                    clip(f.core or f.centre.text, LABEL_CHARS) if f.id in largest else "",
                                    f.n_documents, f.n_passages, first, last,
                                    first_day(first if colour_by == "first" else last)))
    return out


SPREAD = 0.018  # hits placed at (nearly) one spot are spread around it by about this much, so each can be hovered


def hit_points(hits: Sequence[Hit], coords) -> list[HitPoint]:
    """Hits at their map positions; hits that land on one spot (they share their closest formulations) are laid
    around it on a small sunflower spiral, the first at the spot itself."""
    placed = [(float(x), float(y)) for x, y in coords]
    seen: dict[tuple[int, int], int] = {}
    out = []
    for h, (x, y) in zip(hits, placed):
        spot = (round(x / SPREAD), round(y / SPREAD))
        n = seen.get(spot, 0)
        seen[spot] = n + 1
        radius, angle = SPREAD * math.sqrt(n), n * GOLDEN_ANGLE
        out.append(HitPoint(h.passage_id, h.doc_id, x + radius * math.cos(angle), y + radius * math.sin(angle),
                            clip(h.text, TOOLTIP_CHARS), clip(h.title, 120), h.date or "undated", h.score))
    return out


GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def first_day(date: str | None) -> str | None:
    """'2024' -> '2024-01-01', '2024-03' -> '2024-03-01'; None for no date or one that does not parse."""
    try:
        return normalise_bound(date, end=False) if date else None
    except DateError:
        return None
