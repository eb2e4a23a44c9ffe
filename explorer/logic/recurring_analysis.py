"""What the Recurring view's analysis panels show, as plain data: the variants with the words that differ from the
shared wording marked, a formulation's lineage (its curve beside its predecessors' and successors'), who uses it
by a metadata field, and the comparison of two periods.

Everything is read from index.mining's results (lineage, adoption, periods_compare), which compute every figure
from member passages; the view (explorer/views/recurring_panels.py) only draws these rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from explorer.logic import recurring_rows as rv
from explorer.logic.highlight import escape_html, query_keys, spans_to_html, word_key
from index.dates import bounds
from index.export import seen_date
from index.mining.adoption import Adoption
from index.mining.lineage import Lineage
from index.mining.periods_compare import PeriodComparison
from index.mining.types import Formulation, PeriodTotals
from index.words import TERM

ADOPTERS_CHARTED = 30  # values drawn in the adopters chart (the table lists them all)


# ---------------------------------------------------------------- variants against the shared wording


def shared_wording(formulation: Formulation) -> str:
    """What the variants are marked against: the core wording when variants differ, else the centre."""
    return formulation.core if formulation.n_variants > 1 and formulation.core else formulation.centre.text


def marked_variant(text: str, shared: str) -> str:
    """The wording as escaped HTML, each word that is not in the shared wording marked (<mark class="diff">)."""
    keys = query_keys(shared)
    spans: list[tuple[int, int]] = []
    for m in TERM.finditer(text):
        if word_key(m.group()) in keys:
            continue
        if spans and not text[spans[-1][1]:m.start()].strip():  # one mark for a run of differing words
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append(m.span())
    return spans_to_html(text, spans, "diff")


def variants_html(formulation: Formulation) -> str:
    """The variants as a table, every wording in full with its differing words marked, and its counts."""
    shared = shared_wording(formulation)
    rows = "".join(
        f'<tr><td class="rf-wording">{marked_variant(v["wording"], shared)}</td><td class="num">{v["passages"]:,}</td>'
        f'<td class="num">{v["documents"]:,}</td><td>{escape_html(v["first_seen"])}</td>'
        f'<td>{escape_html(v["last_seen"])}</td><td class="num">{v["similarity"]:.2f}</td></tr>'
        for v in rv.variant_rows(formulation))
    return ('<div class="rf-variants"><table><thead><tr><th>Wording <span class="rf-muted">(words not in the shared '
            'wording marked)</span></th><th>Passages</th><th>Docs</th><th>First seen</th><th>Last seen</th>'
            f'<th title="Cosine similarity to the centre">To centre</th></tr></thead><tbody>{rows}</tbody></table></div>')


# ---------------------------------------------------------------- lineage


@dataclass(frozen=True)
class LinkRow:
    """A predecessor or successor of the chosen formulation, as the panel lists it."""

    relation: str
    formulation_id: str
    centre: str
    documents: int
    first_seen: str
    last_seen: str
    similarity: float
    correlation: float
    summary: str  # the handover in words, with the shares that make it one


def link_rows(found: Lineage, formulation_id: str) -> list[LinkRow]:
    rows = []
    for link in found.links:
        other = link.other(formulation_id)
        rows.append(LinkRow(
            link.relation_to(formulation_id), other.formulation_id, other.centre, other.n_documents,
            other.first_seen or "", other.last_seen or "", link.similarity, link.correlation,
            f"The later one took over in {link.handover}: the earlier one was in {link.share_before:.1%} of the "
            f"documents before, {link.share_after:.1%} from then on."))
    rows.sort(key=lambda r: (r.relation != "predecessor", r.first_seen, r.formulation_id))
    return rows


def lineage_chart_rows(found: Lineage, formulation: Formulation, totals: PeriodTotals) -> list[dict]:
    """Share of each period's documents using the formulation and each formulation linked to it (one line
    each), over every period from the first use of any of them to the last."""
    used = [p for link in found.links for p in link.periods]
    if not used:
        return []
    period_documents = totals.per(found.by)
    window = [p for p in sorted(period_documents) if min(used) <= p <= max(used)]
    own = formulation.counts(found.by)
    rows = [{"period": p, "start": _start(p), "formulation": "this formulation", "id": formulation.id,
             "documents": own[p].documents if p in own else 0, "share": own[p].share if p in own else 0.0,
             "total": period_documents[p]}
            for p in window]
    for link in found.links:
        curve = link.other(formulation.id)
        label = f"{link.relation_to(formulation.id)}: {curve.centre[:60]}"
        # a link's own window holds every use of both formulations: outside it the other one is not used
        by_period = dict(zip(link.periods, zip(curve.documents, curve.shares)))
        for p in window:
            documents, share = by_period.get(p, (0, 0.0))
            rows.append({"period": p, "start": _start(p), "formulation": label, "id": curve.formulation_id,
                         "documents": documents, "share": share, "total": period_documents[p]})
    return rows


def _start(period: str) -> str:
    return period + ("-01-01" if len(period) == 4 else "-01")


# ---------------------------------------------------------------- who uses it


def adopter_rows(found: Adoption) -> list[dict]:
    """One row per value, first adopters first: its documents, its mined documents, the share, since when."""
    return [{"value": a.value, "documents": a.documents, "total": a.total, "share": a.share,
             "since": seen_date(a.first_seen), "first_title": a.first_seen.title if a.first_seen else "",
             "last": seen_date(a.last_seen), "order": i} for i, a in enumerate(found.adopters)]


# ---------------------------------------------------------------- compare periods


def default_periods(totals: PeriodTotals, by: str) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]] | None:
    """The mined span's periods (years or months) cut in two halves, as whole periods; None below two periods."""
    periods = rv.periods(totals, by)
    if len(periods) < 2:
        return None
    half = (len(periods) + 1) // 2
    return (_day(periods[0], False), _day(periods[half - 1], True)), (_day(periods[half], False), _day(periods[-1], True))


def _day(period: str, end: bool) -> dt.date:
    return dt.date.fromisoformat(bounds(period)[1 if end else 0])


def change_rows(comparison: PeriodComparison) -> list[dict]:
    return [{"status": c.status, "formulation": c.centre, "first_documents": c.first.documents,
             "first_share": round(c.first.share * 100, 1), "second_documents": c.second.documents,
             "second_share": round(c.second.share * 100, 1), "change": round(c.change * 100, 1) + 0.0,
             "p_value": c.p_value, "id": c.formulation_id}
            for c in comparison.changes]
