"""Search: a formulation in, every passage that says the same thing out; or passages like a chosen one."""

from __future__ import annotations

import streamlit as st

from index.errors import RefrainError
from index.retrieval import MODES, ORDERS
from explorer.logic.highlight import escape_html, escape_markdown
from explorer.logic.sample import SAMPLE_QUERIES

from .. import cards, state
from ..context import Context

MODE_LABELS = {"hybrid": "Hybrid", "semantic": "Meaning", "lexical": "Words"}
MODE_HELP = ("Hybrid: every passage containing the formulation word for word first, then passages found by their "
             "words and by their meaning. Meaning: by meaning only. Words: by shared words only.")
ORDER_LABELS = {"oldest": "Oldest first", "newest": "Newest first", "relevance": "Best match first"}


def render(ctx: Context) -> None:
    s = ctx.state
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input("Formulation", key=state.QUERY, on_change=state.query_changed, persist_state="session",
                      placeholder="Type a formulation, e.g. “people-first principle”, and press Enter",
                      label_visibility="collapsed", icon=":material/search:", width="stretch")
        st.toggle("Exact phrase", key=state.EXACT, persist_state="session", on_change=state.first_page,
                  help="Find the words in this order (full-text phrase search) instead of by meaning")

    if s.like:
        _more_like_this(ctx)
        return
    query = s.query.strip()
    if not query:
        _empty_state(ctx)
        return
    if s.exact:
        _exact_phrase(ctx, query)
    else:
        _search(ctx, query)


def _search(ctx: Context, query: str) -> None:
    s = ctx.state
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.segmented_control("Match", list(MODES), key=state.MODE, required=True, persist_state="session",
                             format_func=MODE_LABELS.get, help=MODE_HELP, label_visibility="collapsed")
        st.toggle("One per document", key=state.ONE_PER_DOC, persist_state="session",
                  help="Only the best passage of each document, so one long speech does not fill the page")
    try:
        result = ctx.searcher.search_result(query, k=s.k, level=s.level, filters=ctx.filters, min_score=s.min_score,
                                            mode=s.mode, per_document=s.one_per_doc)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    _boilerplate_note(result.boilerplate)
    if not result.hits:
        left_out = f" ({result.below_min} of the top {s.k} score below {s.min_score:.2f})" if result.below_min else ""
        st.info(f"No passage scores above the minimum score with these filters{left_out}. Lower the minimum score in "
                "the sidebar, or widen the filters.", icon=":material/search_off:")
        return
    _results_header(result.hits, cards.search_summary(result, s.level), "search", query)
    for hit in result.hits:
        verbatim = hit.match == "verbatim"
        cards.hit_card(ctx, hit, "search", query=None if verbatim else query, phrase=query if verbatim else None)


def _exact_phrase(ctx: Context, query: str) -> None:
    s = ctx.state
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.segmented_control("Order", list(ORDERS), key=state.PSORT, required=True, persist_state="session",
                             format_func=ORDER_LABELS.get, on_change=state.first_page, label_visibility="collapsed")
    try:
        first = ctx.searcher.phrase_result(query, k=s.k, level=s.level, filters=ctx.filters, sort=s.psort,
                                           offset=(s.page - 1) * s.k)
        pages = max(1, -(-first.total // s.k))
        result = first if s.page <= pages else ctx.searcher.phrase_result(
            query, k=s.k, level=s.level, filters=ctx.filters, sort=s.psort, offset=(pages - 1) * s.k)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    _boilerplate_note(result.boilerplate)
    if not result.hits:
        _no_phrase()
        return
    _results_header(result.hits, escape_html(result.summary(s.level)), "search", query)
    for hit in result.hits:
        cards.hit_card(ctx, hit, "search", phrase=query)
    if pages > 1:
        page = result.offset // s.k + 1
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.button("Previous", key="phrase-prev", icon=":material/chevron_left:", disabled=page <= 1,
                      on_click=state.turn_page, args=(-1,))
            st.caption(f"Page {page} of {pages}")
            st.button("Next", key="phrase-next", icon=":material/chevron_right:", disabled=page >= pages,
                      on_click=state.turn_page, args=(1,))


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
        st.info("No passage scores above the minimum score with these filters. Lower the minimum score in the "
                "sidebar, or widen the filters.", icon=":material/search_off:")
        return
    _results_header(hits, cards.summary(hits, s.level), "similar", source.title)
    for hit in hits:
        cards.hit_card(ctx, hit, "search", query=source.text, reference=source.passage_id)


def _results_header(hits, summary_html: str, scope: str, label: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.html(f'<div class="rf-summary">{summary_html}</div>', width="stretch")
        cards.export_buttons(hits, "search", scope, label)


def _boilerplate_note(matches) -> None:
    """The text is also in lines the build left out of passages as boilerplate: say so, and where."""
    for i, m in enumerate(matches):
        docs = len(m.doc_ids)
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(f"Also in a line left out of passages as boilerplate, in {docs} document{'s' if docs != 1 else ''}: "
                       f"“{escape_markdown(m.line)}”.")
            st.button("Open the first", key=f"search-boilerplate-{i}", icon=":material/article:", type="tertiary",
                      on_click=state.open_document, args=(m.doc_ids[0], None))


def _no_phrase() -> None:
    st.info("No passage contains that phrase. Check the spelling, try fewer words, or turn off Exact phrase "
            "to search by meaning.", icon=":material/search_off:")


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
