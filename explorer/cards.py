"""Result cards and export buttons, shared by every view. All corpus text goes through index.highlight."""

from __future__ import annotations

import streamlit as st

from index.errors import RefrainError
from index.export import export_rows, file_name, to_csv, to_json
from explorer.logic.highlight import escape_html, highlight_html
from index.search import Hit

from . import state
from .context import Context


def head_html(hit: Hit, with_title: bool = True, with_score: bool = True) -> str:
    """Score bar, date and metadata tags on one line, the title below; all escaped."""
    parts = []
    if not with_score:
        pass
    elif hit.score is None:
        parts.append('<span class="rf-exact">exact phrase</span>')
    else:
        width = max(0.0, min(1.0, hit.score)) * 100
        parts.append(f'<span class="rf-score" title="cosine similarity"><span class="rf-bar"><span style="width:{width:.0f}%">'
                     f'</span></span>{hit.score:.2f}</span>')
    if with_score and hit.match in MATCH_LABELS:
        label, tip = MATCH_LABELS[hit.match]
        parts.append(f'<span class="rf-match rf-match-{hit.match}" title="{tip}">{label}</span>')
    parts.append(f'<span class="rf-date">{escape_html(hit.date or "undated")}</span>')
    for values in (hit.meta or {}).values():
        parts += [f'<span class="rf-tag">{escape_html(v)}</span>' for v in values[:3]]
    title = f'<div class="rf-title" title="{escape_html(hit.title)}">{escape_html(hit.title)}</div>' if with_title else ""
    return f'<div class="rf-head">{"".join(parts)}</div>{title}'


MATCH_LABELS = {  # why a search hit matched (index.retrieval.fusion): badge and tooltip
    "verbatim": ("verbatim", "Contains the formulation word for word"),
    "words": ("shared words", "Found by the words it shares with the formulation"),
    "meaning": ("meaning", "Found by its meaning (the score is the cosine similarity)"),
}

LABELS = {"more": "More like this", "open": "Open document", "compare": "Compare"}
SHORT_LABELS = {"more": "Similar", "open": "Open", "compare": "Compare"}


def hit_card(ctx: Context, hit: Hit, scope: str, *, query: str | None = None, phrase: str | None = None,
             reference: str | None = None, actions: tuple[str, ...] = ("more", "open", "compare", "context"),
             compact: bool = False, labels: dict[str, str] | None = None, on_open=None) -> None:
    """One hit: header, the passage with shared words marked, optional context, and its actions.

    `reference` is the passage the hit was found from (More like this, a chosen paragraph): Compare then
    compares the two at once. `compact` shortens the action labels for narrow columns; `labels` renames
    actions ({"compare": "Compare with centre"}). `on_open(doc_id, passage_id)` replaces Open's callback.
    """
    labels = {**(SHORT_LABELS if compact else LABELS), **(labels or {})}
    pid = hit.passage_id
    context_key = f"{scope}-ctx-{pid}"
    with st.container(border=True, key=f"card-{scope}-{pid}", gap="xsmall"):
        body = f'<div class="rf-text">{highlight_html(hit.text, query=query, phrase=phrase)}</div>'
        if st.session_state.get(context_key):
            body = _with_context(ctx, hit, body)
        st.html(head_html(hit) + body)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if "more" in actions:
                st.button(labels["more"], key=f"{scope}-more-{pid}", icon=":material/manage_search:", type="tertiary",
                          on_click=state.more_like, args=(pid,))
            if "open" in actions:
                st.button(labels["open"], key=f"{scope}-open-{pid}", icon=":material/article:", type="tertiary",
                          on_click=on_open or state.open_document, args=(hit.doc_id, pid))
            if "compare" in actions:
                if reference and reference != pid:
                    on_click, args = state.compare, (reference, pid)
                    tip = labels.get("compare_help", "Compare side by side with the source passage")
                else:
                    on_click, args, tip = state.add_to_compare, (pid,), "Pick this passage for the Compare view"
                st.button(labels["compare"], key=f"{scope}-cmp-{pid}", icon=":material/compare_arrows:", type="tertiary",
                          on_click=on_click, args=args, help=tip)
            if "context" in actions:
                st.toggle("Context", key=context_key)


def _with_context(ctx: Context, hit: Hit, body: str) -> str:
    try:
        before, _, after = ctx.searcher.context(hit.passage_id, before=1, after=1)
    except RefrainError:
        return body
    above = "".join(f'<div class="rf-ctx">{escape_html(h.text)}</div>' for h in before)
    below = "".join(f'<div class="rf-ctx">{escape_html(h.text)}</div>' for h in after)
    if not before:
        above = '<div class="rf-ctx rf-muted">(start of the document)</div>'
    if not after:
        below = '<div class="rf-ctx rf-muted">(end of the document)</div>'
    return above + body + below


def source_card(hit: Hit, label: str, with_title: bool = True) -> None:
    """The passage a list was found from (More like this, a chosen paragraph), set apart in colour."""
    st.html(f'<div class="rf-source"><div class="rf-label">{escape_html(label)}</div>{head_html(hit, with_title, with_score=False)}'
            f'<div class="rf-text">{escape_html(hit.text)}</div></div>')


def export_buttons(hits: list[Hit], scope: str, *name_parts: str) -> None:
    """CSV and JSON downloads of the hits shown (passage id, document, title, date, score, text, ...)."""
    rows = export_rows(hits)
    st.download_button("CSV", to_csv(rows), file_name=file_name(scope, *name_parts, ext="csv"), mime="text/csv",
                       key=f"{scope}-csv", icon=":material/download:", on_click="ignore", disabled=not rows)
    st.download_button("JSON", to_json(rows), file_name=file_name(scope, *name_parts, ext="json"), mime="application/json",
                       key=f"{scope}-json", icon=":material/download:", on_click="ignore", disabled=not rows)


def export_menu(hits: list[Hit], scope: str, *name_parts: str) -> None:
    """The export buttons folded into one small menu, for narrow places."""
    with st.popover("Export", icon=":material/download:", type="tertiary", key=f"{scope}-export"):
        st.caption(f"{len(hits)} rows: passage id, document, title, date, score, text")
        export_buttons(hits, scope, *name_parts)


def search_summary(result, level: str) -> str:
    """'17 shown · 13 more below 0.40 · 13 of 13 verbatim passages shown', then where and how close, as HTML."""
    return f'{escape_html(result.summary())}<span class="rf-muted"> · {summary(result.hits, level)}</span>'


def summary(hits: list[Hit], level: str) -> str:
    scored = [h.score for h in hits if h.score is not None]
    docs = len({h.doc_id for h in hits})
    text = f"{len(hits)} {level}{'s' if len(hits) != 1 else ''} in {docs} document{'s' if docs != 1 else ''}"
    if scored:
        text += f" · scores {min(scored):.2f}–{max(scored):.2f}"
    return text
