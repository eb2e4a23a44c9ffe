"""Search: a formulation in, every passage that says the same thing out; or passages like a chosen one."""

from __future__ import annotations

import streamlit as st

from index.errors import RefrainError
from explorer.logic.highlight import escape_markdown
from explorer.logic.sample import SAMPLE_QUERIES

from .. import cards, state
from ..context import Context


def render(ctx: Context) -> None:
    s = ctx.state
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input("Formulation", key=state.QUERY, on_change=state.query_changed, persist_state="session",
                      placeholder="Type a formulation, e.g. “people-first principle”, and press Enter",
                      label_visibility="collapsed", icon=":material/search:", width="stretch")
        st.toggle("Exact phrase", key=state.EXACT, persist_state="session",
                  help="Find the words in this order (full-text phrase search) instead of by meaning")

    if s.like:
        _more_like_this(ctx)
        return
    query = s.query.strip()
    if not query:
        _empty_state(ctx)
        return
    try:
        if s.exact:
            hits = ctx.searcher.phrase(query, k=s.k, level=s.level, filters=ctx.filters)
        else:
            hits = ctx.searcher.search(query, k=s.k, level=s.level, filters=ctx.filters, min_score=s.min_score)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    if not hits:
        _no_results(s.exact)
        return
    _results_header(hits, s.level, "search", query)
    for hit in hits:
        cards.hit_card(ctx, hit, "search", query=None if s.exact else query, phrase=query if s.exact else None)


def _more_like_this(ctx: Context) -> None:
    s = ctx.state
    try:
        source = ctx.searcher.passage(s.like)
        hits = ctx.searcher.similar(s.like, k=s.k, level=s.level, filters=ctx.filters, min_score=s.min_score)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        st.button("Back to the query", key="search-back", on_click=state.more_like, args=(None,))
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown("**More like this passage** · other documents only")
        st.button("Back to the query", key="search-back", icon=":material/arrow_back:", on_click=state.more_like,
                  args=(None,), type="tertiary")
    cards.source_card(source, "Source passage")
    if not hits:
        _no_results(False)
        return
    _results_header(hits, s.level, "similar", source.title)
    for hit in hits:
        cards.hit_card(ctx, hit, "search", query=source.text, reference=source.passage_id)


def _results_header(hits, level: str, scope: str, label: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.html(f'<div class="rf-summary">{cards.summary(hits, level)}</div>', width="stretch")
        cards.export_buttons(hits, "search", scope, label)


def _no_results(exact: bool) -> None:
    if exact:
        st.info("No passage contains that phrase. Check the spelling, try fewer words, or turn off Exact phrase "
                "to search by meaning.", icon=":material/search_off:")
    else:
        st.info("No passage scores above the minimum score with these filters. Lower the minimum score in the "
                "sidebar, or widen the filters.", icon=":material/search_off:")


def _empty_state(ctx: Context) -> None:
    st.html('<div class="rf-empty">Type a formulation above to see every passage across the speeches that says the '
            'same thing, with dates and the shared wording marked. Or open a document and pick a paragraph you are '
            'reading.</div>')
    if ctx.is_sample:
        st.caption("Try one of these on the sample corpus:")
        with st.container(horizontal=True, gap="small"):
            for i, example in enumerate(SAMPLE_QUERIES):
                st.button(example, key=f"search-example-{i}", on_click=_use_example, args=(example,))


def _use_example(example: str) -> None:
    state.query_changed()
    st.session_state[state.QUERY] = example
