"""Map: the recurring formulations laid out so that those saying similar things sit together, coloured by when
they were first (or last) used, sized by how many documents use them; the Search query's hits are placed
among them. Hover shows the text; a click opens the formulation (Recurring) or the hit's document.

The mining is the Recurring view's (level, threshold, minimum documents, over the sidebar's dates and
metadata), and like its list the Map leaves titles, names and stock phrases out unless its switch (the same
setting) shows them; the layout is computed once per index and setting and stored in DIR/derived (index/mining/map.py).
"""

from __future__ import annotations

from dataclasses import asdict

import altair as alt
import pandas as pd
import streamlit as st

from explorer.logic import recurring_rows as rv
from explorer.logic.highlight import escape_markdown
from explorer.logic.map_rows import LABEL_GAP_PX, MAP_HEIGHT_PX, X_DOMAIN, Y_DOMAIN, formulation_points, hit_points
from explorer.logic.viewstate import MAP_COLOURS, MIN_DOCS_MAX, MIN_DOCS_MIN, THRESHOLD_MAX, THRESHOLD_MIN
from index.errors import RefrainError
from index.mining.map import MIN_FORMULATIONS, passage_vectors, place
from index.mining.params import MINING_LEVELS
from index.mining.select import FURNITURE, hidden

from .. import resources, state
from ..context import Context
from .recurring import _mine  # the Recurring view's mining with its progress bar: one mining, shared

CHART = "map-chart"
COLOUR_LABELS = {"first": "Colour: first use", "last": "Colour: last use"}


def render(ctx: Context) -> None:
    s = ctx.state
    _controls()
    try:
        params = rv.mining_params(s)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    result = _mine(ctx, params)
    if result is None:
        return
    if len(result.formulations) < MIN_FORMULATIONS:
        st.info(f"{len(result.formulations)} formulations recur with these settings: too few to map (at least "
                f"{MIN_FORMULATIONS}). Lower the threshold or the minimum number of documents, or widen the filters; "
                "the Recurring view lists them.", icon=":material/scatter_plot:")
        return
    with st.spinner("Laying out the formulations (once for these settings)…"):
        fmap = resources.mapped(ctx.searcher, result)
        centres = resources.centre_vectors(ctx.searcher, result)
    shown = [f for f in result.formulations if s.furniture or f.category not in FURNITURE]
    points = formulation_points(fmap, shown, s.mcolor)
    hits, hit_error = _hits(ctx)
    coords = place(centres, _coords(fmap), passage_vectors(ctx.searcher, [h.passage_id for h in hits], s.level)) \
        if hits else []
    placed = hit_points(hits, coords)
    furniture = rv.hidden_note(hidden(result.formulations), bool(s.furniture))
    st.caption(f"{len(points):,} formulations{f' ({furniture})' if furniture else ''}: "
               f"{rv.describe_params(result.params)}. Close together: similar in "
               "meaning (t-SNE of their centres); size: documents; colour: "
               f"{'first' if s.mcolor == 'first' else 'last'} use."
               + (f" ◆ {len(placed)} hits of the Search query, each placed among the formulations closest to it."
                  if placed else ""))
    if hit_error:
        st.warning(escape_markdown(hit_error), icon=":material/warning:")
    st.altair_chart(_chart(points, placed, s.mcolor), key=CHART, on_select=_clicked,
                    selection_mode=["fpick", "hpick"] if placed else ["fpick"], width="stretch")
    st.caption("Hover over a point to read it; click a formulation to open it in Recurring, a ◆ hit to read it in "
               "its document. Drag to pan, scroll to zoom, double-click to reset.")


def _controls() -> None:
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key="map-mining"):
        st.segmented_control("Level", MINING_LEVELS, key=state.MINE, required=True, persist_state="session",
                             format_func=str.capitalize, on_change=state.mining_level_changed,
                             help="What recurs: sentences, paragraphs, or phrases of 3-8 words (as in Recurring)")
        st.slider("Similarity to the centre", THRESHOLD_MIN, THRESHOLD_MAX, step=0.01, key=state.THRESHOLD,
                  persist_state="session", width=240)
        st.number_input("In at least … documents", MIN_DOCS_MIN, MIN_DOCS_MAX, step=1, key=state.MIN_DOCS,
                        persist_state="session", width=170)
        st.toggle("Titles & stock phrases", key=state.FURNITURE, persist_state="session",
                  help="Also map titles, names and stock phrases, which are hidden by default (as in Recurring)")
        st.space("stretch")
        st.segmented_control("Colour", MAP_COLOURS, key=state.MCOLOR, required=True, persist_state="session",
                             format_func=COLOUR_LABELS.get, label_visibility="collapsed")


def _hits(ctx: Context):
    """The Search query's hits (as the Search view finds them), or none; with a message when the search fails."""
    s = ctx.state
    query = s.query.strip()
    if not query:
        return [], None
    try:
        if s.exact:
            return ctx.searcher.phrase(query, k=s.k, level=s.level, filters=ctx.filters), None
        return ctx.searcher.search(query, k=s.k, level=s.level, filters=ctx.filters, min_score=s.min_score), None
    except RefrainError as exc:
        return [], f"The Search query's hits are not shown: {exc}"


def _coords(fmap):
    import numpy as np

    return np.array([[p.x, p.y] for p in fmap.points], dtype=np.float64)


def _chart(points, hits, colour_by: str) -> alt.LayerChart:
    frame = pd.DataFrame([asdict(p) for p in points])
    frame["when"] = pd.to_datetime(frame["when"])
    axis = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    x = alt.X("x:Q", axis=axis, scale=alt.Scale(domain=list(X_DOMAIN)))
    y = alt.Y("y:Q", axis=axis, scale=alt.Scale(domain=list(Y_DOMAIN)))
    zoom = alt.selection_interval(bind="scales", name="zoom")
    fpick = alt.selection_point(name="fpick", fields=["id"], on="click")
    dots = alt.Chart(frame).mark_circle(opacity=0.82, stroke="white", strokeWidth=0.6).encode(
        x=x, y=y,
        size=alt.Size("documents:Q", scale=alt.Scale(range=[30, 520]), legend=None),
        color=alt.Color("when:T", title=f"{'first' if colour_by == 'first' else 'last'} use",
                        scale=_date_colours(frame["when"]),
                        legend=alt.Legend(orient="top", format="%b %Y", gradientLength=320)),
        tooltip=[alt.Tooltip("text:N", title="formulation"), alt.Tooltip("documents:Q"),
                 alt.Tooltip("passages:Q"), alt.Tooltip("first:N", title="first use"),
                 alt.Tooltip("last:N", title="last use")],
    ).add_params(zoom, fpick)
    layers = [dots]
    for side, dy in (("above", -LABEL_GAP_PX), ("below", LABEL_GAP_PX)):
        layers.append(alt.Chart(frame[frame["label_at"] == side]).mark_text(dy=dy, fontSize=11, color="#334155")
                      .encode(x=x, y=y, text="label:N"))
    if hits:
        hframe = pd.DataFrame([asdict(h) for h in hits])
        hpick = alt.selection_point(name="hpick", fields=["passage_id", "doc_id"], on="click")
        layers.append(alt.Chart(hframe).mark_point(shape="diamond", filled=True, size=150, color="#dc2626",
                                                   stroke="white", strokeWidth=1.2, opacity=0.95).encode(
            x=x, y=y,
            tooltip=[alt.Tooltip("text:N", title="hit"), alt.Tooltip("title:N", title="document"),
                     alt.Tooltip("date:N"), alt.Tooltip("score:Q", format=".2f")],
        ).add_params(hpick))
    return alt.layer(*layers).properties(height=MAP_HEIGHT_PX)


OLD_MID_NEW = ["#3b0f70", "#21918c", "#e8a317"]  # deep purple, teal, amber: the oldest, the middle, the newest date


def _date_colours(when: pd.Series) -> alt.Scale:
    """Colours from the first to the last date drawn, through the middle one (Vega's own schemes would be
    stretched over whole years and leave most of their colours unused)."""
    dated = when.dropna()
    if not len(dated):
        return alt.Scale(range=OLD_MID_NEW[:1])
    first, last = dated.min(), dated.max()
    return alt.Scale(domain=[d.isoformat() for d in (first, first + (last - first) / 2, last)], range=OLD_MID_NEW,
                     nice=False, interpolate="hcl")


def _clicked() -> None:
    """A click on the map: open the formulation, or the hit's document."""
    event = st.session_state.get(CHART) or {}
    selection = event.get("selection", {}) if isinstance(event, dict) else {}
    formulation = _first(selection.get("fpick"), "id")
    if formulation:
        state.open_formulation(formulation)
        return
    hit = _first(selection.get("hpick"))
    if hit and hit.get("passage_id") and hit.get("doc_id"):
        state.open_document(hit["doc_id"], hit["passage_id"])  # hits are of the level the reader shows


def _first(points, field: str | None = None):
    if isinstance(points, list) and points and isinstance(points[0], dict):
        return points[0].get(field) if field else points[0]
    return None
