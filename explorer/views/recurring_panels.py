"""The Recurring view's analysis panels: a formulation's variants marked against the shared wording, its lineage
(the formulations it took over from and those that took over from it, every curve on one chart), who uses it
by a metadata field, and the comparison of two periods over the whole list.

Drawing only: the rows come from explorer/logic/recurring_analysis.py, the figures from index.mining.
"""

from __future__ import annotations

import json
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from explorer.logic import recurring_analysis as ra
from explorer.logic.highlight import escape_html, escape_markdown
from index.errors import RefrainError
from index.ingest.language import language_of
from index.export import CHANGE_FIELDS, change_rows, file_name, rows_to_csv
from index.mining.adoption import FieldValues, adoption, field_values
from index.mining.lineage import ALPHA, FALL_RATIO, MAX_CORRELATION, MIN_SIDE_DOCUMENTS, lineage
from index.mining.periods_compare import ALPHA as CHANGE_ALPHA
from index.mining.periods_compare import compare_periods
from index.mining.types import Formulation, MiningResult
from index.search import Searcher

from .. import resources, state
from ..context import Context

BY_FIELD = "rec-by-field"
COMPARE_PANEL, COMPARE_FIRST, COMPARE_SECOND, COMPARE_TABLE = "rec-compare", "rec-cmp-first", "rec-cmp-second", "rec-cmp-table"


def _result_key(searcher: Searcher, result: MiningResult) -> tuple[str, str, str]:
    return str(searcher.root), searcher.generation, json.dumps(result.params.as_dict(), sort_keys=True)


@st.cache_resource(max_entries=16, show_spinner=False)
def _field_values(key: tuple, field: str, _searcher: Searcher, _result: MiningResult) -> FieldValues:
    return field_values(_searcher, _result, field)


def show_formulation(formulation_id: str, listed: list[str]) -> None:
    """Choose another formulation (a button callback); filters that hide it from the list are cleared."""
    ss = st.session_state
    if formulation_id not in listed:
        ss[state.CONTAINS], ss[state.SINCE], ss[state.UNTIL] = "", None, None
    ss[state.FORMULATION] = formulation_id


# ---------------------------------------------------------------- variants


def variants(f: Formulation) -> None:
    st.html(f'<div class="rf-section">Variants <span class="rf-muted">({f.n_variants})</span></div>')
    st.html(ra.variants_html(f))


# ---------------------------------------------------------------- lineage


def lineage_panel(ctx: Context, result: MiningResult, f: Formulation, by: str, listed: list[str]) -> None:
    try:
        found = lineage(result, resources.centre_vectors(ctx.searcher, result), f.id, by,
                        language=language_of(ctx.searcher.manifest))
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    st.html(f'<div class="rf-section">Lineage <span class="rf-muted">({len(found.links)})</span></div>')
    st.caption(f"Formulations close in meaning (centres at least {found.band[0]:.2f} alike) where the later one takes "
               f"over: starting with the first {by} in which it is used in more of the documents, the earlier one's share is at "
               f"most {FALL_RATIO:.0%} of its share before, the fall and the rise are beyond chance (p < {ALPHA:g}, in "
               f"at least {MIN_SIDE_DOCUMENTS} documents each), and their shares per {by} correlate at most "
               f"{MAX_CORRELATION:g}.")
    if not found.links:
        st.caption("No predecessor or successor found for this formulation.")
        return
    _lineage_chart(found, f, result)
    for row in ra.link_rows(found, f.id):
        with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"rec-link-{row.formulation_id}"):
            st.html(f'<div class="rf-link"><span class="rf-label">{escape_html(row.relation)}</span> '
                    f'<span class="rf-muted">{row.documents} documents, {escape_html(row.first_seen)} to '
                    f'{escape_html(row.last_seen)} · similarity {row.similarity:.2f} · r {row.correlation:+.2f}</span>'
                    f'<div>{escape_html(row.centre)}</div><div class="rf-muted">{escape_html(row.summary)}</div></div>',
                    width="stretch")
            st.button("Show", key=f"rec-link-show-{row.formulation_id}", icon=":material/arrow_forward:",
                      type="tertiary", on_click=show_formulation, args=(row.formulation_id, listed),
                      help="Show this formulation: its variants, timeline and passages")


def _lineage_chart(found, f: Formulation, result: MiningResult) -> None:
    frame = pd.DataFrame(ra.lineage_chart_rows(found, f, result.period_totals))
    frame["start"] = pd.to_datetime(frame["start"])
    x = (alt.X("yearmonth(start):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True))
         if found.by == "month" else alt.X("year(start):T", title=None, axis=alt.Axis(format="%Y", labelAngle=0)))
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("share:Q", title="share of documents", axis=alt.Axis(format="%")),
                color=alt.Color("formulation:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=480)),
                tooltip=[alt.Tooltip("period:N", title=found.by), alt.Tooltip("formulation:N"),
                         alt.Tooltip("documents:Q", title="documents using it"),
                         alt.Tooltip("total:Q", title=f"documents in the {found.by}"),
                         alt.Tooltip("share:Q", format=".1%")])
        .properties(height=210)
    )
    st.altair_chart(chart, key="rec-lineage-chart", width="stretch")


# ---------------------------------------------------------------- who uses it


def adopters_panel(ctx: Context, result: MiningResult, f: Formulation) -> None:
    fields = sorted(ctx.corpus.facets.get("meta", {}))
    st.html('<div class="rf-section">Who uses it</div>')
    if not fields:
        st.caption("This index has no metadata fields to count by (build it with --meta-field or --meta-pattern).")
        return
    if st.session_state.get(BY_FIELD) not in fields:
        st.session_state[BY_FIELD] = "country" if "country" in fields else fields[0]
    field = st.segmented_control("Count by", fields, key=BY_FIELD, required=True, label_visibility="collapsed")
    values = _field_values(_result_key(ctx.searcher, result), field, ctx.searcher, result)
    found = adoption(f, values)
    rows = ra.adopter_rows(found)
    without = f"; {found.without_value} of its documents have no {field}" if found.without_value else ""
    st.caption(f"Used by {len(rows)} of the {found.values_mined} values of {field} among the mined documents{without}. "
               "First adopters first; share = its documents using it / all its mined documents. A document "
               f"with several values of {field} counts for each.")
    if not rows:
        return
    frame = pd.DataFrame(rows)
    charted = frame.head(ra.ADOPTERS_CHARTED)
    chart = (
        alt.Chart(charted)
        .mark_bar(color="#0f766e")
        .encode(y=alt.Y("value:N", title=None, sort=alt.SortField("order"),
                        axis=alt.Axis(labelOverlap=False, labelLimit=220)),
                x=alt.X("documents:Q", title="documents using it", axis=alt.Axis(format="d", tickMinStep=1)),
                tooltip=[alt.Tooltip("value:N", title=field), alt.Tooltip("documents:Q"),
                         alt.Tooltip("total:Q", title=f"its mined documents"), alt.Tooltip("share:Q", format=".1%"),
                         alt.Tooltip("since:N", title="first use"), alt.Tooltip("last:N", title="last use")])
        .properties(height=min(24 * len(charted) + 20, 620))
    )
    st.altair_chart(chart, key="rec-adopters-chart", width="stretch")
    if len(frame) > ra.ADOPTERS_CHARTED:
        st.caption(f"The chart shows the first {ra.ADOPTERS_CHARTED} adopters; the table lists all {len(frame)}.")
    st.dataframe(frame, key="rec-adopters", hide_index=True,
                 column_order=["value", "since", "documents", "total", "share", "last", "first_title"],
                 column_config={
                     "value": st.column_config.TextColumn(field.capitalize(), width=110),
                     "since": st.column_config.TextColumn("Since", width=86, help="Its first use"),
                     "documents": st.column_config.NumberColumn("Docs", width=48, help="Its documents using it"),
                     "total": st.column_config.NumberColumn("Of", width=48, help="Its mined documents"),
                     "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0,
                                                              max_value=1.0, width=90),
                     "last": st.column_config.TextColumn("Last use", width=86),
                     "first_title": st.column_config.TextColumn("First used in", width=260),
                 })


# ---------------------------------------------------------------- compare periods


def compare_panel(ctx: Context, result: MiningResult, by: str, listed: list[str]) -> None:
    """New, vanished, rising and falling formulations between two date ranges of the mined documents."""
    panel = st.expander("Compare two periods", icon=":material/compare_arrows:", key=COMPARE_PANEL, on_change="rerun")
    with panel:
        if not panel.open:  # drawn only when opened: it compares every formulation (a second on a whole archive)
            return
        defaults = ra.default_periods(result.period_totals, by)
        span = ctx.corpus.days
        if defaults is None or span is None:
            st.caption("The mined documents cover a single period: there is nothing to compare.")
            return
        ss = st.session_state
        for key, (start, end) in ((COMPARE_FIRST, defaults[0]), (COMPARE_SECOND, defaults[1])):
            if not isinstance(ss.get(key), (tuple, list)):
                ss[key] = (max(start, span[0]), min(end, span[1]))  # whole periods, within the pickers' bounds
        with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
            first = st.date_input("First period", min_value=span[0], max_value=span[1], key=COMPARE_FIRST,
                                  format="YYYY-MM-DD", width=230)
            second = st.date_input("Second period", min_value=span[0], max_value=span[1], key=COMPARE_SECOND,
                                   format="YYYY-MM-DD", width=230)
        if len(first) != 2 or len(second) != 2:
            st.caption("Choose the first and the last day of each period.")
            return
        try:
            comparison = compare_periods(ctx.searcher, result, (first[0].isoformat(), first[1].isoformat()),
                                         (second[0].isoformat(), second[1].isoformat()))
        except RefrainError as exc:
            st.error(escape_markdown(str(exc)), icon=":material/error:")
            return
        counts = comparison.counts()
        unplaced = (f" {comparison.unplaced} documents dated across a period's edge (by year or month only) count "
                    "in neither." if comparison.unplaced else "")
        st.caption(f"{comparison.first.documents:,} documents in the first period, {comparison.second.documents:,} in "
                   f"the second.{unplaced} " + ", ".join(f"{n} {s}" for s, n in counts.items())
                   + f". Rising and falling: the share of documents changed beyond chance (p < {CHANGE_ALPHA:g}).")
        rows = ra.change_rows(comparison)
        if not rows:
            st.caption("No formulation is used in either period.")
            return
        ids = [r["id"] for r in rows]
        st.dataframe(
            pd.DataFrame(rows), key=COMPARE_TABLE, hide_index=True, on_select=partial(_compare_pick, ids, listed),
            selection_mode="single-row", row_height=56,
            column_order=["status", "formulation", "first_documents", "first_share", "second_documents",
                          "second_share", "change", "p_value"],
            column_config={
                "status": st.column_config.TextColumn("Status", width=70),
                "formulation": st.column_config.TextColumn("Formulation (centre)", width=320),
                "first_documents": st.column_config.NumberColumn("Docs 1", width=56),
                "first_share": st.column_config.NumberColumn("Share 1", format="%.1f%%", width=64),
                "second_documents": st.column_config.NumberColumn("Docs 2", width=56),
                "second_share": st.column_config.NumberColumn("Share 2", format="%.1f%%", width=64),
                "change": st.column_config.NumberColumn("Change", format="%+.1f pt", width=70,
                                                        help="Share in the second period minus the first, in "
                                                             "percentage points"),
                "p_value": st.column_config.NumberColumn("p", format="%.3f", width=56,
                                                         help="Fisher's exact test: documents using it or not"),
            })
        st.download_button("Comparison CSV", lambda: rows_to_csv(change_rows(comparison), CHANGE_FIELDS),
                           file_name=file_name("recurring", "compare", first[0].isoformat(), second[1].isoformat(),
                                               ext="csv"),
                           mime="text/csv", key="rec-compare-csv", icon=":material/download:", on_click="ignore",
                           help="Every formulation used in either period, with the passages counted in each")


def _compare_pick(ids: list[str], listed: list[str]) -> None:
    rows = (st.session_state.get(COMPARE_TABLE) or {}).get("selection", {}).get("rows", [])
    if rows and 0 <= rows[0] < len(ids):
        show_formulation(ids[rows[0]], listed)
