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
# The drawn area (the layout spans [-1, 1]; the rest is room at the edges for the points and, sideways, their
# labels) and what a label takes on it, for placing labels without overlaps: the chart is MAP_HEIGHT_PX high and
# at least MAP_WIDTH_PX wide (narrower windows stretch it less: labels may then touch), 11-px text.
X_DOMAIN, Y_DOMAIN = (-1.3, 1.3), (-1.1, 1.1)
MAP_WIDTH_PX, MAP_HEIGHT_PX = 860, 620
CHAR_PX, LINE_PX, LABEL_GAP_PX = 6.0, 14, 13  # a character's width, a label's height, its distance from the point


@dataclass(frozen=True)
class FormulationPoint:
    id: str
    x: float
    y: float
    text: str  # the centre, clipped for the tooltip
    label: str  # a short label, only on the LABELLED largest ("" elsewhere)
    label_at: str  # "above" or "below" the point, where it overlaps no other label; "" for none
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
    largest = [f for f in sorted(formulations, key=lambda f: (-f.n_documents, f.id))[:LABELLED]]
    where = {p.formulation: (p.x, p.y) for p in fmap.points}
    labels = {f.id: short_label(f.core or f.centre.text) for f in largest if f.id in where}
    label_at = place_labels([(fid, *where[fid], text) for fid, text in labels.items()])
    out = []
    for p in fmap.points:
        f = by_id.get(p.formulation)
        if f is None:
            continue
        first = f.first_seen.date if f.first_seen else ""
        last = f.last_seen.date if f.last_seen else ""
        at = label_at.get(f.id, "")
        out.append(FormulationPoint(f.id, p.x, p.y, clip(f.centre.text, TOOLTIP_CHARS), labels[f.id] if at else "",
                                    at, f.n_documents, f.n_passages, first, last,
                                    first_day(first if colour_by == "first" else last)))
    return out


def short_label(text: str, width: int = LABEL_CHARS) -> str:
    """A label of at most `width` characters, cut between words, one ellipsis at the cut (a core wording's own
    "…" gaps are not doubled: "the engines … …")."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" …,;:") + " …"


def place_labels(labels: Sequence[tuple[str, float, float, str]]) -> dict[str, str]:
    """Where each label goes, in the order given (the most used formulations first): above its point, else below
    it, wherever it overlaps no label placed before it; a label with room on neither side is left out (the
    point's tooltip still reads it). Boxes are measured in pixels of the smallest chart drawn (see MAP_WIDTH_PX)."""
    def box(x: float, y: float, text: str, side: str) -> tuple[float, float, float, float]:
        cx = (x - X_DOMAIN[0]) / (X_DOMAIN[1] - X_DOMAIN[0]) * MAP_WIDTH_PX
        cy = (Y_DOMAIN[1] - y) / (Y_DOMAIN[1] - Y_DOMAIN[0]) * MAP_HEIGHT_PX + (LABEL_GAP_PX if side == "below" else -LABEL_GAP_PX)
        half = len(text) * CHAR_PX / 2
        return cx - half, cy - LINE_PX / 2, cx + half, cy + LINE_PX / 2

    def overlaps(a, b) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    placed: list[tuple[float, float, float, float]] = []
    out = {}
    for fid, x, y, text in labels:
        for side in ("above", "below"):
            candidate = box(x, y, text, side)
            if not any(overlaps(candidate, other) for other in placed):
                placed.append(candidate)
                out[fid] = side
                break
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
