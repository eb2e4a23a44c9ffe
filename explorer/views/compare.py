"""Compare: two passages side by side, the wording they share aligned and marked, the rest as differences."""

from __future__ import annotations

import streamlit as st

from explorer.logic.alignment import align, rows_html, side_html
from index.errors import RefrainError
from explorer.logic.highlight import escape_markdown
from index.textnorm import clip

from .. import cards, state
from ..context import Context

SIDES = {"a": state.A, "b": state.B}


def render(ctx: Context) -> None:
    chosen = {}
    columns = st.columns(2, gap="large")
    for (side, key), column in zip(SIDES.items(), columns):
        with column:
            chosen[side] = _picker(ctx, side, key)
    a, b = chosen["a"], chosen["b"]
    if not (a and b):
        st.html('<div class="rf-empty">Pick two passages above, or use <b>Compare</b> on any search hit or on a '
                'passage listed beside a document: the wording they share is aligned and marked, the rest shows as '
                'differences.</div>')
        return
    alignment = align(a.text, b.text)
    try:
        cosine = ctx.searcher.pair_score(a.passage_id, b.passage_id)
    except RefrainError:
        cosine = None
    metrics = [f"<span><b>{alignment.share:.0%}</b>of the wording shared</span>",
               f"<span><b>{alignment.a_shared}</b>of A's {alignment.a_words} words are in B</span>",
               f"<span><b>{alignment.b_shared}</b>of B's {alignment.b_words} words are in A</span>"]
    if cosine is not None:
        metrics.insert(0, f"<span><b>{cosine:.2f}</b>similarity in meaning</span>")
    st.divider()
    st.html(f'<div class="rf-metrics">{"".join(metrics)}</div>')
    with st.container(horizontal=True, vertical_alignment="center"):
        st.html('<div class="rf-legend"><mark class="same">shared, in place</mark><mark class="moved">shared, reordered'
                '</mark><span class="only-a">only in A</span><span class="only-b">only in B</span></div>', width="stretch")
        st.button("Swap A and B", key="cmp-swap", icon=":material/swap_horiz:", on_click=state.compare,
                  args=(b.passage_id, a.passage_id), type="tertiary")
    left, right = st.columns(2, gap="large")
    for side, hit, spans, column in (("a", a, alignment.a_spans, left), ("b", b, alignment.b_spans, right)):
        with column:
            st.html(cards.head_html(hit, with_score=False)
                    + f'<div class="rf-side" id="rf-side-{side}">{side_html(hit.text, spans, f"only-{side}")}</div>')
            st.button("Open document", key=f"cmp-open-{side}", icon=":material/article:", type="tertiary",
                      on_click=state.open_passage, args=(hit.doc_id, hit.passage_id, hit.level),
                      help=f"Read passage {side.upper()} in its document")
    with st.expander("Aligned, segment by segment"):
        st.html(rows_html(alignment.rows))


def _picker(ctx: Context, side: str, key: str):
    """Document and passage selectors for one side; they always show the passage held in state."""
    ss = st.session_state
    doc_key, passage_key = f"cmp-doc-{side}", f"cmp-pass-{side}"
    hit = None
    if ss.get(key):
        try:
            hit = ctx.searcher.passage(ss[key])
        except RefrainError as exc:
            st.error(escape_markdown(str(exc)))
    if hit is not None:
        ss[doc_key], ss[passage_key] = hit.doc_id, hit.passage_id
    st.markdown(f"**Passage {side.upper()}**")
    st.selectbox(f"Document {side.upper()}", [d["doc_id"] for d in ctx.corpus.documents], index=None, key=doc_key,
                 format_func=ctx.corpus.label, placeholder="Choose a document", label_visibility="collapsed",
                 on_change=_document_chosen, args=(ctx, side, key))
    doc_id = ss.get(doc_key)
    if not doc_id:
        return None
    try:
        doc = ctx.searcher.document(doc_id)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)))
        return None
    level = hit.level if hit is not None else ctx.state.level
    passages = doc.passages.get(level, [])
    labels = {p.passage_id: f"{p.ordinal + 1} · {clip(p.text, 80)}" for p in passages}
    st.selectbox(f"Passage {side.upper()}", list(labels), index=None, key=passage_key, format_func=labels.get,
                 placeholder=f"Choose a {level}", label_visibility="collapsed",
                 on_change=lambda: ss.__setitem__(key, ss.get(passage_key)))
    return hit if hit is not None and hit.doc_id == doc_id else None


def _document_chosen(ctx: Context, side: str, key: str) -> None:
    ss = st.session_state
    doc_id = ss.get(f"cmp-doc-{side}")
    ss[key] = None
    if doc_id:
        try:
            passages = ctx.searcher.document(doc_id).passages.get(ctx.state.level, [])
        except RefrainError:
            return
        if passages:
            ss[key] = passages[0].passage_id
