"""Timeline: for the current query and minimum score, how many documents per month or year say it."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from index.errors import RefrainError
from explorer.logic.highlight import escape_html, escape_markdown
from index.search import MAX_K, MAX_MATCHES
from explorer.logic.timeline import GRANULARITIES, count_by_period, in_period

from .. import cards, state
from ..context import Context

CHART = "timeline-chart"
_LAST_PICK = "_timeline_last_pick"


def render(ctx: Context) -> None:
    s = ctx.state
    source = None
    if s.like:
        try:
            source = ctx.searcher.passage(s.like)
        except RefrainError:
            source = None
    query = source.text if source is not None else s.query.strip()
    if not query:
        st.html('<div class="rf-empty">Type a formulation on the <b>Search</b> view (or choose <b>More like this</b> on '
                'a passage): this view then shows in which months or years it was said, and how often.</div>')
        return

    with st.container(horizontal=True, vertical_alignment="center"):
        if source is not None:
            label = f"Passages like: “{source.text[:140]}{'…' if len(source.text) > 140 else ''}”"
        elif s.exact:
            label = f"Exact phrase: “{query}”"
        else:
            label = f"“{query}”"
        st.html(f'<div class="rf-doc-title" style="font-size:1.1rem">{escape_html(label)}</div>', width="stretch")
        st.segmented_control("Per", list(GRANULARITIES), key=state.BY, required=True, persist_state="session",
                             format_func=lambda v: f"Per {v}", label_visibility="collapsed")
        st.toggle("Share of documents", key=state.NORM, persist_state="session",
                  help="Divide by the number of documents in each period, so busy months do not look like trends")
    exact = s.exact and source is None  # a phrase query; a chosen passage always goes by meaning
    try:
        if exact:
            hits = ctx.searcher.phrase(query, k=MAX_K, level=s.level, filters=ctx.filters)
        else:
            hits = ctx.searcher.matching(query, s.min_score, level=s.level, filters=ctx.filters)
        population = ctx.searcher.documents(ctx.filters)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    timeline = count_by_period([(h.doc_id, h.date) for h in hits], [(d["doc_id"], d["date"]) for d in population], s.by)
    matched_docs = len({h.doc_id for h in hits})
    threshold = "containing the phrase" if exact else f"scoring at least {s.min_score:.2f}"
    capped = len(hits) >= (MAX_K if exact else MAX_MATCHES)
    st.caption(f"{len(hits):,} {s.level}s {threshold} in {matched_docs:,} of {len(population):,} documents"
               + (" (the first ones only: raise the minimum score)" if capped else "")
               + (f" · {timeline.unplaced_matched} matching documents have no {s.by} and are not charted"
                  if timeline.unplaced_matched else ""))
    if not hits:
        st.info("Nothing matches. Lower the minimum score in the sidebar, or widen the filters.",
                icon=":material/search_off:")
        return
    if not timeline.periods:
        st.info("The matching documents carry no dates, so there is nothing to chart.")
        return

    picked = _chart(timeline, s.norm, st.session_state.get(state.PERIOD))
    if picked != st.session_state.get(_LAST_PICK):
        st.session_state[_LAST_PICK] = picked
        if picked:  # a bar was clicked: show its period, with the bar marked and the URL updated, in a clean run
            st.session_state[state.PERIOD] = picked
            st.rerun()
    counts = {p.period: p for p in timeline.nonempty()}
    if st.session_state.get(state.PERIOD) not in counts:
        st.session_state[state.PERIOD] = None
    with st.container(horizontal=True, vertical_alignment="center"):
        st.selectbox("Period", list(counts), index=None, key=state.PERIOD, persist_state="session", placeholder="Click a bar, or choose a period",
                     format_func=lambda p: f"{p} · {counts[p].count.documents} of {counts[p].total} documents",
                     label_visibility="collapsed", width=360)
        period = st.session_state.get(state.PERIOD)
        if period:
            behind = in_period(hits, period, s.by)
            cards.export_buttons(behind, "timeline", period, query[:60])
    if not period:
        st.caption("Click a bar (or choose a period) to list the passages behind it.")
        return
    shown = sorted(behind, key=lambda h: (h.date or "", -(h.score or 0)))
    st.caption(cards.summary(shown, s.level))
    for hit in shown:
        cards.hit_card(ctx, hit, "timeline", query=None if exact else query, phrase=query if exact else None,
                       reference=source.passage_id if source is not None else None)


def _chart(timeline, norm: bool, period: str | None) -> str | None:
    frame = pd.DataFrame([{
        "period": p.period, "start": pd.Timestamp(p.start), "matched": p.count.documents, "documents": p.total,
        "share": p.count.share, "passages": p.count.passages,
    } for p in timeline.periods])
    unit = "yearmonth" if timeline.by == "month" else "year"
    value = "share" if norm else "matched"
    pick = alt.selection_point(name="pick", fields=["period"], on="click", clear="dblclick")
    chart = (
        alt.Chart(frame)
        .mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=(alt.X("yearmonth(start):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True))
               if unit == "yearmonth" else alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))),
            y=alt.Y(f"{value}:Q", title="share of documents" if norm else "documents",
                    axis=alt.Axis(format="%") if norm else alt.Axis(format="d", tickMinStep=1)),
            color=(alt.condition(alt.datum.period == period, alt.value("#0f766e"), alt.value("#8fd3cb")) if period
                   else alt.value("#0f766e")),
            tooltip=[alt.Tooltip("period:N", title="period"), alt.Tooltip("matched:Q", title="matching documents"),
                     alt.Tooltip("documents:Q", title="documents in period"),
                     alt.Tooltip("share:Q", title="share", format=".0%"),
                     alt.Tooltip("passages:Q", title="matching passages")],
        )
        .add_params(pick)
        .properties(height=260)
    )
    event = st.altair_chart(chart, key=CHART, on_select="rerun", selection_mode="pick", width="stretch")
    try:
        points = event["selection"]["pick"]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        return points[0].get("period")
    if isinstance(points, dict):
        values = points.get("period")
        return values[0] if isinstance(values, list) and values else values
    return None
