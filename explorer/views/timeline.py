"""Timeline: when were these formulations said? Several overlaid on one chart, as in the Ngram Viewer.

Each formulation matches by exact phrase (the default: it charts the wording) or by meaning above the
Timeline's own minimum score; documents per month or year, or their share of the period's documents,
optionally smoothed. Periods resting on few documents are drawn hollow and kept off the scale. Clicking a
point lists the passages behind that period. The chart exports as PNG and SVG, its figures as CSV.
"""

from __future__ import annotations

from dataclasses import asdict

import altair as alt
import pandas as pd
import streamlit as st

from explorer.logic.highlight import escape_html, escape_markdown
from explorer.logic.series import Series, find_series
from explorer.logic.timeline import (EXPORT_FIELDS, GRANULARITIES, MODES, SMALL_PERIOD, SMOOTHING, chart_points,
                                     export_rows, in_period, scale_top)
from explorer.logic.viewstate import MAX_LINE_CHARS, MAX_LINES, timeline_lines
from index.errors import RefrainError
from index.export import file_name, rows_to_csv

from .. import cards, state
from ..context import Context

CHART = "timeline-chart"
_LAST_PICK = "_timeline_last_pick"
PALETTE = ("#0f766e", "#c2410c", "#1d4ed8", "#a21caf", "#4d7c0f", "#b45309")  # one colour per formulation
MODE_LABELS = {"phrase": "Exact phrase", "meaning": "By meaning"}
LISTED_PER_SERIES = 40  # passages listed per formulation for a period (the CSV next to them has all)


def render(ctx: Context) -> None:
    s = ctx.state
    _controls(ctx)
    if not s.lines:
        st.html('<div class="rf-empty">Type a formulation above and press Enter (add several to compare them, as in '
                'the Ngram Viewer): the chart shows in which months or years each was said. <b>Exact phrase</b> counts '
                'the documents that use the words; <b>By meaning</b> those with a passage close to it.</div>')
        return
    try:
        population = [(d["doc_id"], d["date"]) for d in ctx.searcher.documents(ctx.filters)]
        series = [find_series(ctx.searcher, text, s.tmode, s.level, ctx.filters, s.tmin, population, s.by)
                  for text in s.lines]
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    st.html("".join(_legend_line(i, one, s, len(population)) for i, one in enumerate(series)))
    if not any(one.hits for one in series):
        hint = "Check the spelling or try fewer words" if s.tmode == "phrase" else "Lower the minimum score"
        st.info(f"Nothing matches. {hint}, or widen the filters.", icon=":material/search_off:")
        return
    points = [p for one in series for p in chart_points(one.text, one.timeline, s.norm, s.smooth)]
    if not points:
        st.info("The matching documents carry no dates, so there is nothing to chart.")
        return
    chart = _chart(points, s, st.session_state.get(state.PERIOD))
    picked = _pick(st.altair_chart(chart, key=CHART, on_select="rerun", selection_mode="pick", width="stretch"))
    if picked != st.session_state.get(_LAST_PICK):
        st.session_state[_LAST_PICK] = picked
        if picked:  # a point was clicked: show its period, marked on the chart and in the URL, in a clean run
            st.session_state[state.PERIOD] = picked
            st.rerun()
    _notes(points, series, s)
    _period(ctx, series, lambda: _exports(_chart(points, s, None, legend=True), points, s))


def _controls(ctx: Context) -> None:
    s = ctx.state
    ss = st.session_state
    chosen = list(ss.get(state.LINES) or [])
    options = list(dict.fromkeys([*chosen, *timeline_lines([s.query])]))
    st.multiselect("Formulations", options, key=state.LINES, accept_new_options=True, max_selections=MAX_LINES,
                   placeholder="Type a formulation and press Enter; add more to compare them", persist_state="session",
                   label_visibility="collapsed")
    dropped = [t for t in chosen if t.strip() and " ".join(t.split()) not in s.lines]
    if dropped:
        st.warning(f"Not charted: formulations of more than {MAX_LINE_CHARS} characters, and repeats.",
                   icon=":material/warning:")
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.segmented_control("Match", MODES, key=state.TMODE, required=True, persist_state="session",
                             format_func=MODE_LABELS.get, label_visibility="collapsed",
                             help="Exact phrase: passages with these words in this order. By meaning: passages "
                                  "scoring at least the minimum score against it (it may chart a topic)")
        if s.tmode == "meaning":
            st.slider("Minimum score", 0.3, 1.0, step=0.01, key=state.TMIN, persist_state="session", width=220,
                      label_visibility="collapsed", format="min %.2f",
                      help="The Timeline's own minimum score: about 0.5 shares a topic, 0.6-0.7 a wording")
        st.space("stretch")
        st.segmented_control("Per", list(GRANULARITIES), key=state.BY, required=True, persist_state="session",
                             format_func=lambda v: f"Per {v}", label_visibility="collapsed")
        st.selectbox("Smoothing", SMOOTHING, key=state.SMOOTH, persist_state="session", label_visibility="collapsed",
                     width=200, format_func=lambda h: "No smoothing" if not h else f"Smoothed over {2 * h + 1} {s.by}s")
        st.toggle("Share of documents", key=state.NORM, persist_state="session",
                  help="Divide by the documents of each period, so busy months do not look like trends")


def _legend_line(i: int, one: Series, s, population: int) -> str:
    passages = f"{len(one.hits):,} {s.level}{'s' if len(one.hits) != 1 else ''}"
    if one.mode == "phrase":
        found = f"{passages} containing the phrase in {one.documents:,} of {population:,} documents"
    else:
        found = (f"{passages} scoring at least {s.tmin:.2f} in {one.documents:,} of "
                 f"{population:,} documents, {one.exact_documents:,} of which hold the exact words")
    if one.capped:
        found += " (more match than one query returns: a lower bound)"
    if one.timeline.unplaced_matched:
        found += f" · {one.timeline.unplaced_matched} matching documents have no {one.timeline.by} and are not charted"
    swatch = f'<span class="rf-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
    return (f'<div class="rf-series">{swatch}<b>“{escape_html(one.text)}”</b> '
            f'<span class="rf-muted">{escape_html(found)}</span></div>')


_PICK = alt.selection_point(name="pick", fields=["period"], on="click", clear="dblclick")


def _chart(points, s, period: str | None, legend: bool = False) -> alt.LayerChart:
    """Lines with a point per period: hollow where the period holds fewer than SMALL_PERIOD documents, a
    triangle at the top where a small period's share runs above the scale."""
    top = scale_top(points) if s.norm else max((p.value or 0) for p in points)
    top = max(top or 0, 1e-9 if s.norm else 1)
    rows = []
    for p in points:
        row = asdict(p)
        row["start"] = pd.Timestamp(p.start)
        row["shown"] = None if p.value is None else min(p.value, top)
        row["clipped"] = p.value is not None and p.value > top
        rows.append(row)
    frame = pd.DataFrame(rows)
    lines = list(dict.fromkeys(p.series for p in points))
    colour = alt.Color("series:N", scale=alt.Scale(domain=lines, range=list(PALETTE[:len(lines)])),
                       legend=alt.Legend(orient="top", title=None, labelLimit=420, symbolType="stroke") if legend else None)
    monthly = s.by == "month"
    # padding (px): the first and last periods' points, and those at zero, are drawn whole, not cut by the frame
    x = alt.X("start:T", timeUnit="yearmonth" if monthly else "year", title=None, scale=alt.Scale(padding=12),
              axis=alt.Axis(format="%b %Y" if monthly else "%Y", labelAngle=0, labelOverlap=True))
    what = "share of documents" if s.norm else "documents"
    if s.smooth:
        what += f" ({2 * s.smooth + 1}-{s.by} window)"
    y = alt.Y("shown:Q", title=what, scale=alt.Scale(domain=[0, top * 1.08], nice=False, padding=8),
              axis=alt.Axis(format="%" if s.norm else "~r", tickMinStep=0.0 if s.norm else 1))
    tooltip = [alt.Tooltip("series:N", title="formulation"), alt.Tooltip("period:N"),
               alt.Tooltip("matched:Q", title="matching documents"), alt.Tooltip("documents:Q", title="documents in period"),
               alt.Tooltip("share:Q", title="share", format=".1%"), alt.Tooltip("passages:Q", title="matching passages")]
    if s.smooth:
        tooltip.append(alt.Tooltip("value:Q", title="charted (smoothed)", format=".1%" if s.norm else ".2f"))
    base = alt.Chart(frame).encode(x=x, y=y, color=colour)
    line = base.mark_line(strokeWidth=2.2, clip=True)
    dots = base.mark_point(size=70, strokeWidth=2, opacity=1, clip=True).encode(
        fill=alt.condition("datum.small", alt.value("white"), colour),
        shape=alt.condition("datum.clipped", alt.value("triangle-up"), alt.value("circle")),
        tooltip=tooltip).add_params(_PICK)
    layers = [line, dots]
    if period:
        marked = frame[frame["period"] == period][["start"]].drop_duplicates()
        layers.insert(0, alt.Chart(marked).mark_rule(color="#94a3b8", strokeDash=[4, 3], strokeWidth=1.5).encode(x=x))
    return alt.layer(*layers).properties(height=320)


def _pick(event) -> str | None:
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


def _notes(points, series: list[Series], s) -> None:
    notes = []
    small = {p.period for p in points if p.small}
    periods = {p.period for p in points}
    if small:
        window = f"{s.by}s" if not s.smooth else f"{2 * s.smooth + 1}-{s.by} windows"
        notes.append(f"Hollow points: {window} with fewer than {SMALL_PERIOD} documents ({len(small)} of "
                     f"{len(periods)}); a share there rests on too few documents"
                     + (", so the scale is set by the others (▲: above the scale)." if small != periods else "."))
        if s.by == "month" and len(small) > len(periods) / 2:
            notes.append("Most months hold few documents here: per year reads better.")
    if s.tmode == "meaning":
        notes.append("By meaning counts passages close to the formulation, whatever their words; compare with the "
                     "documents that hold the exact words (above).")
    if notes:
        st.caption(" ".join(notes))


def _exports(chart: alt.LayerChart, points, s) -> None:
    parts = ("timeline", *(line[:40] for line in s.lines[:2]))
    rows = export_rows(points, s.tmode, s.tmin, s.level, s.by, s.smooth)
    titled = chart.properties(width=900, title=_title(s))  # drawn only when a download is clicked
    with st.container(horizontal=True, gap="small", key="timeline-export"):
        st.download_button("CSV", rows_to_csv(rows, EXPORT_FIELDS), file_name=file_name(*parts, ext="csv"), mime="text/csv",
                           key="timeline-csv", icon=":material/download:", on_click="ignore")
        st.download_button("PNG", lambda: _render_png(titled), file_name=file_name(*parts, ext="png"), mime="image/png",
                           key="timeline-png", icon=":material/image:", on_click="ignore")
        st.download_button("SVG", lambda: _render_svg(titled), file_name=file_name(*parts, ext="svg"), mime="image/svg+xml",
                           key="timeline-svg", icon=":material/image:", on_click="ignore")


def _title(s) -> dict:
    how = "exact phrase" if s.tmode == "phrase" else f"by meaning, score ≥ {s.tmin:.2f}"
    what = "Share of documents" if s.norm else "Documents"
    return {"text": f"{what} per {s.by} ({how}, {s.level}s)", "anchor": "start", "fontSize": 14}


def _render_png(chart: alt.LayerChart) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_dict(), scale=2)


def _render_svg(chart: alt.LayerChart) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())


def _period(ctx: Context, series: list[Series], exports) -> None:
    s = ctx.state
    totals = {p.period: p.total for one in series for p in one.timeline.periods}
    matched = {}
    for one in series:
        for p in one.timeline.nonempty():
            matched[p.period] = matched.get(p.period, 0) + p.count.documents
    if st.session_state.get(state.PERIOD) not in matched:
        st.session_state[state.PERIOD] = None
    with st.container(horizontal=True, vertical_alignment="center"):
        st.selectbox("Period", sorted(matched), index=None, key=state.PERIOD, persist_state="session",
                     placeholder="Click a point, or choose a period", label_visibility="collapsed", width=360,
                     format_func=lambda p: f"{p} · {totals.get(p, 0)} documents in the period")
        st.space("stretch")
        exports()
    period = st.session_state.get(state.PERIOD)
    if not period:
        st.caption("Click a point (or choose a period) to list the passages behind it.")
        return
    for i, one in enumerate(series):
        behind = in_period(one.hits, period, s.by)
        if not behind:
            continue
        scope = f"timeline{i + 1}"
        with st.container(horizontal=True, vertical_alignment="center"):
            st.html(f'<div class="rf-series"><span class="rf-swatch" style="background:{PALETTE[i % len(PALETTE)]}">'
                    f'</span><b>“{escape_html(one.text)}”</b> <span class="rf-muted">{escape_html(period)}: '
                    f'{escape_html(cards.summary(behind, s.level))}</span></div>', width="stretch")
            cards.export_buttons(behind, scope, period, one.text[:60])
        shown = sorted(behind, key=lambda h: (h.date or "", -(h.score or 0)))
        for hit in shown[:LISTED_PER_SERIES]:
            cards.hit_card(ctx, hit, scope, query=one.text if one.mode == "meaning" else None,
                           phrase=one.text if one.mode == "phrase" else None)
        if len(shown) > LISTED_PER_SERIES:
            st.caption(f"{len(shown) - LISTED_PER_SERIES} more in the CSV.")
