"""Recurring: formulations said again and again across documents, ranked, with trends, variants and members.

The sidebar's date and metadata filters choose the documents that are mined; the controls here choose the
level, the similarity threshold and the minimum number of documents (the mining), then how the list is
ranked and filtered. Every figure shown is read from the mined result (index.mining), where it is
computed from the member passages listed below it; explorer/logic/recurring_rows.py shapes it for drawing.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from explorer.logic import recurring_rows as rv
from index.errors import RefrainError
from index.export import (MEMBER_FIELDS, file_name, formulation_fields, formulation_rows, member_rows, recurring_json,
                          rows_to_csv)
from explorer.logic.highlight import escape_html, escape_markdown
from index.mining.params import DEFAULT_THRESHOLDS, MINING_LEVELS, SORTS, MiningParams
from index.mining.recurring import is_mined, stored_bytes
from index.mining.select import hidden, select
from index.mining.types import Formulation, MiningResult, PeriodTotals
from index.search import Hit
from explorer.logic.timeline import GRANULARITIES
from explorer.logic.viewstate import MIN_DOCS_MAX, MIN_DOCS_MIN, THRESHOLD_MAX, THRESHOLD_MIN

from .. import cards, resources, state
from . import recurring_panels as panels
from ..context import Context

TABLE, CHART, SHOW_ALL = "rec-table", "rec-chart", "rec-all"


def render(ctx: Context) -> None:
    s = ctx.state
    _controls(ctx)
    try:
        params = rv.mining_params(s)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    result = _mine(ctx, params)
    if result is None:
        return
    stats, totals = result.stats, result.period_totals
    if stats.documents == 0:
        st.info("No document passes the sidebar's filters, so there is nothing to mine. Widen the dates or the "
                "metadata filters.", icon=":material/filter_alt_off:")
        return
    try:
        chosen = select(result.formulations, s.rsort, s.since, s.until, text=s.contains, furniture=s.furniture)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    by = _granularity(totals)
    _list_header(result, chosen, s, by)
    if not result.formulations:
        st.info(f"No {params.level} recurs in {params.min_docs} or more documents at similarity "
                f"{params.threshold:.2f}. Lower the threshold or the minimum number of documents, or widen the "
                "filters.", icon=":material/search_off:")
        return
    if not chosen:
        furniture = "" if s.furniture or not hidden(result.formulations) else (
            " Titles, names and stock phrases are hidden: the “Titles & stock phrases” switch lists them.")
        st.info(f"None of the {len(result.formulations)} formulations matches “new since”, “not seen since” or "
                f"“contains”. Clear or change those filters.{furniture}", icon=":material/search_off:")
        return
    ids = [f.id for f in chosen]
    if st.session_state.get(state.FORMULATION) not in ids:
        st.session_state[state.FORMULATION] = None
    _table(chosen, totals, by, s.norm, ids, s.furniture, result.rise_since)
    panels.compare_panel(ctx, result, by, ids)
    by_id = {f.id: f for f in chosen}
    st.selectbox("Formulation", ids, index=None, key=state.FORMULATION, persist_state="session",
                 format_func=lambda fid: rv.option_label(by_id[fid]), label_visibility="collapsed",
                 placeholder="Click a row in the table, or choose a formulation here, to see its variants, "
                             "timeline and passages")
    picked = st.session_state.get(state.FORMULATION)
    if picked:
        _detail(ctx, result, by_id[picked], by, s.norm, ids)


# ---------------------------------------------------------------- controls and mining


def _controls(ctx: Context) -> None:
    span = ctx.corpus.days
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key="rec-mining"):
        st.segmented_control("Level", MINING_LEVELS, key=state.MINE, required=True, persist_state="session",
                             format_func=str.capitalize, on_change=state.mining_level_changed,
                             help="What recurs: whole sentences, whole paragraphs, or phrases of 3-8 words "
                                  "(grouped by meaning)")
        st.slider("Similarity to the centre", THRESHOLD_MIN, THRESHOLD_MAX, step=0.01, key=state.THRESHOLD,
                  persist_state="session", width=260,
                  help="Every passage of a formulation is at least this similar (cosine) to its centre. Defaults: "
                       + ", ".join(f"{k} {v:.2f}" for k, v in DEFAULT_THRESHOLDS.items())
                       + ". Higher: near-verbatim only; lower: looser paraphrases.")
        st.number_input("In at least … documents", MIN_DOCS_MIN, MIN_DOCS_MAX, step=1, key=state.MIN_DOCS,
                        persist_state="session", width=170)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key="rec-ranking"):
        st.selectbox("Order", SORTS, key=state.RSORT, persist_state="session", format_func=rv.SORT_LABELS.get,
                     width=170, help="Most documents; newest first appearance; longest unseen (earliest last "
                                     "appearance); rising (share of the latest quarter of the mined documents, by "
                                     "date, minus the share before; the table's Rise column)")
        if span:
            low, high = span
            st.date_input("New since", value=None, min_value=low, max_value=high, key=state.SINCE,
                          persist_state="session", format="YYYY-MM-DD", width=145,
                          help="Only formulations first seen on or after this day")
            st.date_input("Not seen since", value=None, min_value=low, max_value=high, key=state.UNTIL,
                          persist_state="session", format="YYYY-MM-DD", width=145,
                          help="Only formulations last seen on or before this day")
        st.text_input("Contains", key=state.CONTAINS, persist_state="session", max_chars=200,
                      placeholder="words in any variant", icon=":material/search:", width="stretch")
        st.toggle("Titles & stock phrases", key=state.FURNITURE, persist_state="session",
                  help="Also list titles, honorifics and names (“respected Chairman …”, “president of …”) and stock "
                       "phrases (headers, “The message said:”), which are hidden by default. “Formulations first” "
                       "lists them after the slogans and policy wording.")


def _mine(ctx: Context, params: MiningParams) -> MiningResult | None:
    """The mined result: at once from memory, quickly from DIR/derived, else mined now with a progress bar."""
    found = resources.mined_in_memory(ctx.searcher, params)
    if found is not None:
        return found
    if is_mined(ctx.searcher, params):  # quick to read: no progress to draw
        size = stored_bytes(ctx.searcher, params)
        if size > rv.OPEN_LIMIT_BYTES:
            st.warning(rv.too_large_note(params, size), icon=":material/data_alert:")  # no corpus text in it
            return None
        with st.spinner("Reading the stored formulations…"):
            return resources.mined(ctx.searcher, params)
    slot = st.empty()
    with slot.container():
        with st.status(f"Mining recurring {params.level}s…", expanded=True) as status:
            st.caption("Once for these settings: the result is stored with the index and opens at once next time."
                       + (" The phrase level embeds every recurring phrase first, which can take a minute or two "
                          "on a large corpus." if params.level == "phrase" else ""))
            bar = st.progress(0.0, text="Starting…")

            def on_progress(fraction: float, message: str) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0), text=message[:1].upper() + message[1:])

            try:
                result = resources.mined(ctx.searcher, params, on_progress)
            except RefrainError as exc:
                status.update(label="Mining failed", state="error")
                st.error(escape_markdown(str(exc)), icon=":material/error:")
                return None
    slot.empty()
    return result


def _granularity(totals: PeriodTotals) -> str:
    """Per year or month, for the trends and the chart: the user's choice, else what suits the corpus's span."""
    ss = st.session_state
    auto = rv.auto_granularity(totals)
    ss[state.RBY_AUTO] = auto
    if ss.get(state.RBY) not in GRANULARITIES:
        ss[state.RBY] = auto
    return ss[state.RBY]


# ---------------------------------------------------------------- the list


def _list_header(result: MiningResult, chosen: list[Formulation], s, by: str) -> None:
    stats, params = result.stats, result.params
    total = len(result.formulations)
    shown = f" · {len(chosen):,} shown" if len(chosen) != total else ""
    furniture = rv.hidden_note(hidden(result.formulations), bool(s.furniture))
    shown += f" · {furniture}" if furniture else ""
    with st.container(horizontal=True, vertical_alignment="center", key="rec-head"):
        st.html(f'<div class="rf-summary"><b>{total:,}</b> formulation{"s" if total != 1 else ""} in '
                f'{stats.documents:,} documents{shown}<br><span class="rf-muted">'
                f'{escape_html(rv.describe_params(params))}'
                + (f'; rise: from {escape_html(result.rise_since)} on vs before' if result.rise_since else "")
                + '</span></div>', width="stretch")
        st.segmented_control("Per", ["year", "month"], key=state.RBY, required=True, persist_state="session",
                             format_func=lambda v: f"Per {v}", label_visibility="collapsed",
                             help="Trends and the chart per year or per month")
        st.toggle("Share", key=state.NORM, persist_state="session",
                  help="Trends and the chart as the share of each period's documents, so busy periods do not "
                       "look like trends")
        _export_menu(result, chosen, s, by)


def _export_menu(result: MiningResult, chosen: list[Formulation], s, by: str) -> None:
    totals = result.period_totals
    selection = rv.selection(s.rsort, s.since, s.until, s.contains, bool(s.furniture))
    level = result.params.level
    with st.popover("Export", icon=":material/download:", type="tertiary", key="rec-export", disabled=not chosen):
        st.caption(f"The {len(chosen)} formulations listed, in this order. CSV: one row each, with its documents per "
                   f"{by}. JSON: everything, with every variant and member passage.")
        with st.container(horizontal=True):
            st.download_button("CSV", lambda: rows_to_csv(formulation_rows(chosen, totals, by), formulation_fields(totals, by)),
                               file_name=file_name("recurring", level, ext="csv"), mime="text/csv", key="rec-csv",
                               icon=":material/download:", on_click="ignore", disabled=not chosen)
            st.download_button("JSON", lambda: recurring_json(result, chosen, selection),
                               file_name=file_name("recurring", level, ext="json"), mime="application/json",
                               key="rec-json", icon=":material/download:", on_click="ignore", disabled=not chosen)


def _table(chosen: list[Formulation], totals: PeriodTotals, by: str, share: bool, ids: list[str],
           furniture: bool, rise_since: str | None) -> None:
    frame = pd.DataFrame(rv.table_rows(chosen, totals, by, share))
    _sync_selection(ids, st.session_state.get(state.FORMULATION))
    spans = rv.periods(totals, by)
    span_text = f"{spans[0]}–{spans[-1]}" if spans else ""
    st.dataframe(
        frame, key=TABLE, on_select=partial(_table_pick, ids), selection_mode="single-row", hide_index=True,
        row_height=rv.TABLE_ROW_HEIGHT,
        column_order=["formulation", *(["category"] if furniture else []), "documents", "passages", "variants",
                      "first_seen", "last_seen", "rise", "trend"],
        column_config={
            "formulation": st.column_config.TextColumn("Formulation", width=280,
                                                       help="Its most used wording (the variant most of its passages "
                                                            "use); the centre every member is similar to is shown "
                                                            "when you choose it"),
            "category": st.column_config.TextColumn("Kind", width=90,
                                                    help="formulation (slogan or policy wording), title or name, or "
                                                         "stock phrase, read from its wording"),
            "documents": st.column_config.NumberColumn("Docs", width=48, help="Documents using it"),
            "passages": st.column_config.NumberColumn("Passages", width=64),
            "variants": st.column_config.NumberColumn("Variants", width=60, help="Distinct wordings"),
            "first_seen": st.column_config.TextColumn("First seen", width=86),
            "last_seen": st.column_config.TextColumn("Last seen", width=86),
            "rise": st.column_config.NumberColumn("Rise", format="%+.1f pt", width=64, help=rv.rise_help(rise_since)),
            "trend": st.column_config.BarChartColumn(
                "Trend", width=110, y_min=0,
                help=f"{'Share of documents' if share else 'Documents'} per {by}, {span_text}"),
        })


def _sync_selection(ids: list[str], picked: str | None) -> None:
    """Keep the table's selected row on the chosen formulation (chosen by the list, a link or a filter change)."""
    wanted = [ids.index(picked)] if picked in ids else []
    current = (st.session_state.get(TABLE) or {}).get("selection", {}).get("rows", [])
    if list(current) != wanted:
        st.session_state[TABLE] = {"selection": {"rows": wanted, "columns": []}}


def _table_pick(ids: list[str]) -> None:
    rows = (st.session_state.get(TABLE) or {}).get("selection", {}).get("rows", [])
    st.session_state[state.FORMULATION] = ids[rows[0]] if rows and 0 <= rows[0] < len(ids) else None


# ---------------------------------------------------------------- one formulation


def _detail(ctx: Context, result: MiningResult, f: Formulation, by: str, share: bool, listed: list[str]) -> None:
    level = f.level
    passage_level = "paragraph" if level == "paragraph" else "sentence"
    open_at = partial(state.open_passage, level=passage_level)
    with st.container(border=True, key="rec-detail", gap="small"):
        core = f.core if f.core and f.core != f.label else ""
        centre = (f'<div class="rf-core"><span class="rf-muted">Centre (every member is similar to it):</span> '
                  f'{escape_html(f.centre.text)}</div>' if f.centre.text != f.label else "")
        kind = rv.CATEGORY_LABELS[f.category]
        st.html(f'<div class="rf-label">{escape_html(kind.capitalize())} · {escape_html(level)} · {escape_html(f.id)}'
                f'</div><div class="rf-centre">{escape_html(f.label)}</div>' + centre
                + (f'<div class="rf-core"><span class="rf-muted">Core wording of its variants:</span> '
                   f'{escape_html(core)}</div>' if core else ""))
        rise = rv.rise_label(f)
        st.html(f'<div class="rf-metrics"><span><b>{f.n_documents:,}</b>documents</span>'
                f'<span><b>{f.n_passages:,}</b>passages</span><span><b>{f.n_variants:,}</b>'
                f'variant{"s" if f.n_variants != 1 else ""}</span>'
                f'<span title="{escape_html(rv.rise_help(result.rise_since))}">'
                f'<b>{rise}</b>rise</span></div>')
        for column, (label, key, seen) in zip(st.columns(2, gap="medium"), (
                ("First seen", "first", f.first_seen), ("Last seen", "last", f.last_seen))):
            with column, st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=False,
                                      key=f"rec-{key}-seen"):
                if seen is None:
                    st.html(f'<div class="rf-seen"><span class="rf-label">{label}</span> undated</div>')
                    continue
                st.html(f'<div class="rf-seen"><span class="rf-label">{label}</span> '
                        f'<span class="rf-date">{escape_html(seen.date)}</span> '
                        f'<span class="rf-seen-title" title="{escape_html(seen.title)}">'
                        f'{escape_html(seen.title)}</span></div>', width="stretch")
                st.button("Open", key=f"rec-{key}-open", icon=":material/article:", type="tertiary",
                          on_click=open_at, args=(seen.doc_id, seen.passage_id),
                          help="Open this document with the passage chosen")
        _chart(f, result.period_totals, by, share)

    panels.variants(f)
    st.caption(rv.variant_note(f))
    _shared(f, {x.id: x for x in result.formulations})
    panels.lineage_panel(ctx, result, f, by, listed)
    panels.adopters_panel(ctx, result, f)
    _members(ctx, f, open_at, passage_level)


def _shared(f: Formulation, by_id: dict[str, Formulation]) -> None:
    """Wording this line shares with distinct lines: reported here, never a reason to join them."""
    rows = rv.shared_rows(f, by_id)
    if not rows:
        return
    st.html('<div class="rf-section">Shared wording <span class="rf-muted">(with distinct lines, which it never '
            'joins)</span></div>')
    for row in rows:
        st.html(f'<div class="rf-core">“{escape_html(row["wording"])}” <span class="rf-muted">also in</span> '
                + "; ".join(escape_html(x) for x in row["also_in"]) + "</div>")


def _chart(f: Formulation, totals: PeriodTotals, by: str, share: bool) -> None:
    rows = rv.chart_rows(f, totals, by)
    if not rows:
        st.caption("Its documents carry no dates, so there is nothing to chart.")
        return
    frame = pd.DataFrame(rows)
    frame["start"] = pd.to_datetime(frame["start"])
    value = "share" if share else "documents"
    chart = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2, color="#0f766e")
        .encode(
            x=(alt.X("yearmonth(start):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True))
               if by == "month" else alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))),
            y=alt.Y(f"{value}:Q", title="share of documents" if share else "documents",
                    axis=alt.Axis(format="%") if share else alt.Axis(format="d", tickMinStep=1)),
            tooltip=[alt.Tooltip("period:N", title=by), alt.Tooltip("documents:Q", title="documents using it"),
                     alt.Tooltip("total:Q", title=f"documents in the {by}"),
                     alt.Tooltip("share:Q", title="share", format=".0%"),
                     alt.Tooltip("passages:Q", title="passages")],
        )
        .properties(height=190)
    )
    st.altair_chart(chart, key=CHART, width="stretch")
    undated = rv.uncharted_documents(f, by)
    if undated:
        st.caption(f"{undated} of its documents have no {by} and are not charted.")


def _members(ctx: Context, f: Formulation, open_at, passage_level: str) -> None:
    members = f.members
    shown = rv.shown_members(f, bool(st.session_state.get(SHOW_ALL)))
    with st.container(horizontal=True, vertical_alignment="center", key="rec-members-head"):
        st.html(f'<div class="rf-section">Passages <span class="rf-muted">({len(members)} in '
                f'{f.n_documents} documents, by date)</span></div>', width="stretch")
        if len(members) > rv.MEMBER_LIMIT:
            st.toggle(f"Show all {len(members)}", key=SHOW_ALL)
        st.download_button("Passages CSV", lambda: rows_to_csv(member_rows([f]), MEMBER_FIELDS),
                           file_name=file_name("recurring", f.id, f.label[:50], ext="csv"),
                           mime="text/csv", key="rec-members-csv", icon=":material/download:", on_click="ignore",
                           help="Every passage of this formulation: id, document, title, date, similarity, variant, text")
    if len(shown) < len(members):
        st.caption(f"The first {len(shown)} of {len(members)} are shown; the CSV holds them all.")
    centre = rv.centre_passage(f)
    try:
        found = {h.passage_id: h for h in ctx.searcher.passages([m.passage_id for m in shown])}
    except RefrainError:
        found = {}
    phrase_level = f.level == "phrase"
    for m in shown:
        hit = found.get(m.passage_id)
        hit = (replace(hit, score=m.similarity) if hit is not None else
               Hit(m.passage_id, m.doc_id, m.title, m.date, {}, passage_level, 0, m.similarity, m.text, 0, 0))
        variant = f.variant_of(m)
        is_centre = m.passage_id == centre
        cards.hit_card(ctx, hit, "rec", query=None if phrase_level else f.centre.text,
                       phrase=variant if phrase_level else None, reference=centre,
                       actions=("open", "context") if is_centre else ("open", "compare", "context"),
                       labels={"compare": "Compare with centre",
                               "compare_help": "Compare side by side with the centre passage"}, on_open=open_at)
