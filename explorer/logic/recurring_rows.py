"""What the explorer's Recurring view shows, as plain data: table rows with a trend, chart rows, member cards.

The view (explorer/views/recurring.py) only draws what these functions return. Every figure comes from a
mined result (index.mining): counts, dates and shares are read from a formulation's own fields, which
are computed from its listed members, so nothing shown here is invented or re-estimated.
"""

from __future__ import annotations

from typing import Iterable

from index.export import seen_date
from index.mining.params import MiningParams
from index.mining.types import Formulation, Member, PeriodTotals
from index.textnorm import clip
from explorer.logic.timeline import periods_between

MEMBER_LIMIT = 50  # member cards drawn before "show all"; exports always hold every member
OPEN_LIMIT_BYTES = 256 * 2**20  # a stored result larger than this is not read into the explorer (~20 s, ~1.3 GB)
TABLE_ROW_HEIGHT = 72  # px: three lines of a centre text; Streamlit wraps cell text only in rows taller than 4rem
YEARS_FOR_YEARLY_TREND = 4  # a mined corpus spanning fewer years is charted per month
SORT_LABELS = {"salience": "Formulations first", "docs": "Most documents", "first": "Newest", "last": "Longest unseen",
               "rising": "Rising"}
CATEGORY_LABELS = {"formulation": "formulation", "title": "title or name", "stock": "stock phrase"}


def mining_params(state) -> MiningParams:
    """The mining parameters a view state asks for: its level, threshold and minimum documents, mined over
    the documents the sidebar's date and metadata filters allow (the Documents filter does not apply)."""
    return MiningParams(state.mine, state.threshold, state.min_docs, state.date_from, state.date_to, state.meta).check()


def auto_granularity(period_totals: PeriodTotals) -> str:
    """'year' when the mined documents span at least YEARS_FOR_YEARLY_TREND years, else 'month'."""
    years = sorted(period_totals.years)
    if not years or not period_totals.months:
        return "year"
    return "year" if int(years[-1]) - int(years[0]) + 1 >= YEARS_FOR_YEARLY_TREND else "month"


def periods(period_totals: PeriodTotals, by: str) -> list[str]:
    """Every year (or month) from the first to the last dated document mined, empty ones included."""
    known = sorted(period_totals.per(by))
    return periods_between(known[0], known[-1], by) if known else []


def trend(formulation: Formulation, spans: list[str], by: str, share: bool = False) -> list[float]:
    """Documents (or share of the period's documents) using the formulation, per period; 0 where none."""
    counts = formulation.counts(by)
    return [(counts[p].share if share else counts[p].documents) if p in counts else 0 for p in spans]


def table_rows(formulations: Iterable[Formulation], period_totals: PeriodTotals, by: str, share: bool = False) -> list[dict]:
    """One row per formulation for the table, its trend over every period of the mined corpus."""
    spans = periods(period_totals, by)
    return [
        {
            "id": f.id,
            "formulation": f.label,
            "category": CATEGORY_LABELS[f.category],
            "salience": f.salience.score,
            "documents": f.n_documents,
            "passages": f.n_passages,
            "variants": f.n_variants,
            "first_seen": seen_date(f.first_seen),
            "last_seen": seen_date(f.last_seen),
            "rise": rise(f),
            "trend": trend(f, spans, by, share),
        }
        for f in formulations
    ]


def rise(formulation: Formulation) -> float:
    """The rise in percentage points to one decimal, rounded here once so the table and the detail show the same
    figure (never -0.0, which one of them would print as −0.0 and the other as +0.0). Shares of documents are
    small, so points say what a difference of fractions (+0.00) hid."""
    return round(float(formulation.rise) * 100, 1) + 0.0


def rise_label(formulation: Formulation) -> str:
    """'+2.5 pt', '−0.4 pt', '+0.0 pt': as the table prints it, with a true minus sign."""
    return f"{rise(formulation):+.1f} pt".replace("-", "−")


def rise_help(rise_since: str | None) -> str:
    """What rise means for this mining, with its cut-off date."""
    if not rise_since:
        return "Rise needs dated documents: there are too few here, so it is 0."
    return (f"Share of the documents dated from {rise_since} on (the latest quarter of the mined documents, by date) "
            "that use it, minus its share of the earlier documents, in percentage points")


def chart_rows(formulation: Formulation, period_totals: PeriodTotals, by: str) -> list[dict]:
    """Per period of the mined corpus: documents and passages using the formulation, and the period's documents."""
    counts = formulation.counts(by)
    totals = period_totals.per(by)
    rows = []
    for period in periods(period_totals, by):
        c = counts.get(period)
        rows.append({
            "period": period,
            "start": period + ("-01-01" if by == "year" else "-01"),
            "documents": c.documents if c else 0,
            "passages": c.passages if c else 0,
            "total": totals.get(period, 0),
            "share": c.share if c else 0.0,
        })
    return rows


def uncharted_documents(formulation: Formulation, by: str) -> int:
    """Documents using the formulation whose date is not precise enough for the chart (undated, or year-only
    in a monthly chart): counted, never guessed into a period."""
    width = 4 if by == "year" else 7
    placed = {m.doc_id for m in formulation.members if m.date and len(m.date) >= width}
    return formulation.n_documents - len(placed)


def variant_rows(formulation: Formulation) -> list[dict]:
    return [
        {"wording": v.text, "passages": v.passages, "documents": v.documents,
         "first_seen": v.first_seen or "", "last_seen": v.last_seen or "", "similarity": v.similarity}
        for v in formulation.variants
    ]


def variant_note(formulation: Formulation) -> str:
    """How the variant rows add up to the formulation's counts, said where they are shown."""
    f = formulation
    passages = sum(v.passages for v in f.variants)
    documents = sum(v.documents for v in f.variants)
    level_rule = ", under the longest variant its sentence holds" if f.level == "phrase" else ""
    text = (f"Each passage is counted once{level_rule}, so the Passages column adds up to {passages:,} "
            f"(the formulation's {f.n_passages:,}).")
    if f.multi_variant_documents:
        several = f.multi_variant_documents
        text += (f" {several:,} of its {f.n_documents:,} documents use{'s' if several == 1 else ''} more than one "
                 f"variant and count{'s' if several == 1 else ''} under each, so the Docs column adds up to "
                 f"{documents:,}.")
    return text


def shared_rows(formulation: Formulation, by_id: dict[str, Formulation]) -> list[dict]:
    """The wording it shares with distinct lines, and which formulations hold it (their labels where known)."""
    rows = []
    for shared in formulation.shared:
        others = [x for x in shared.formulations if x != formulation.id]
        rows.append({"wording": shared.text,
                     "also_in": [clip(by_id[x].label, 60) if x in by_id else x for x in others]})
    return rows


def hidden_note(hidden: int, shown: bool) -> str:
    """'titles, names and stock phrases: 12 hidden' (or included), for the list's header."""
    if not hidden:
        return ""
    return f"titles, names and stock phrases: {hidden:,} {'included' if shown else 'hidden'}"


def centre_passage(formulation: Formulation) -> str | None:
    """The first passage (by date) whose text is the centre's: what "Compare with centre" compares against."""
    centre = formulation.centre.text_hash
    return next((m.passage_id for m in formulation.members if m.text_hash == centre), None)


def shown_members(formulation: Formulation, show_all: bool, limit: int = MEMBER_LIMIT) -> list[Member]:
    """The members to draw as cards, in date order (as mined): the first `limit` unless show_all."""
    members = formulation.members
    return list(members) if show_all else list(members[:limit])


def option_label(formulation: Formulation, width: int = 110) -> str:
    text = clip(formulation.label, width)
    docs = formulation.n_documents
    return f"{docs} document{'s' if docs != 1 else ''} · {text}"


def describe_params(params: MiningParams) -> str:
    """'sentences, similarity ≥ 0.80 to the centre, in ≥ 3 documents' (+ the mined date range and metadata)."""
    text = (f"{params.level}s, similarity ≥ {params.threshold:.2f} to the centre, "
            f"in ≥ {params.min_docs} documents")
    if params.date_from or params.date_to:
        text += f", documents dated {params.date_from or '…'} to {params.date_to or '…'}"
    for name, values in sorted(params.meta):
        text += f", {name} = {' or '.join(values)}"
    return text


def selection(sort: str, since: str | None, until: str | None, contains: str, furniture: bool = False) -> dict:
    """The ranking and filters applied to a result, as recorded in an export."""
    return {"sort": sort, "since": since, "until": until, "contains": contains or None, "furniture": furniture}


def too_large_note(params: MiningParams, size: int) -> str:
    """Why a stored result is not opened here, and what to do instead (it is whole and usable outside)."""
    return (f"The stored {params.level}-level result for these settings is {size / 2**30:.1f} GB: too large to read "
            f"into the explorer (that would take minutes and several times its size in memory). Mine fewer "
            "documents (narrow the dates or the metadata filters in the sidebar), raise “In at least … documents”, "
            f"or take it whole from the command line: `refrain recurring INDEX --level {params.level} --csv FILE`.")
