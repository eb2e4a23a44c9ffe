"""Refrain explorer: `refrain explore [--index DIR]` (or `streamlit run explorer/app.py [-- --index DIR]`).

Opens the bundled sample corpus (building its index on first start) unless --index or REFRAIN_INDEX
names another index. This file only wires things together; each view draws in explorer/views/.
"""

from __future__ import annotations

import os
import sys

import streamlit as st

from explorer.logic import viewstate
from explorer.logic.config import resolve
from index.errors import RefrainError
from explorer.logic.highlight import escape_markdown
from explorer.logic.threads import use_single_query_threads
from explorer import filterbar, resources, sidebar, state, style
from explorer.context import Context
from explorer.views import BY_SLUG, VIEWS

SLUGS = tuple(view.slug for view in VIEWS)
QUERY_VIEWS = ("search", "timeline", "map")  # the views that use the Search query


def main() -> None:
    st.set_page_config(page_title="Refrain", page_icon="🔁", layout="wide",
                       initial_sidebar_state="expanded")
    style.inject()
    try:
        config = resolve(sys.argv[1:], os.environ)
        resources.ensure_sample(config)
        searcher, corpus = resources.open_searcher(config)
        use_single_query_threads()
    except RefrainError as exc:
        _unavailable(str(exc))
        return

    ss = st.session_state
    rebuilt = ss.get(state.SEEDED) != searcher.generation
    if rebuilt or state.url_moved():
        from_url = state.SEEDED not in ss or not rebuilt  # first run of a session, or Back/Forward
        wanted = viewstate.from_params(state.url_params(), SLUGS) if from_url else state.current(corpus, SLUGS)
        wanted = viewstate.with_timeline_default(wanted)
        kept = viewstate.restricted(wanted, set(corpus.by_id), corpus.facets.get("meta", {}), _passage_exists(searcher))
        state.seed(kept, corpus)
        if not from_url:
            st.toast("A new build of the index was loaded.", icon=":material/refresh:")
        elif kept != wanted:
            st.toast("Some passages or filters in this link are not in the open index and were left out.",
                     icon=":material/info:")
        ss[state.SEEDED] = searcher.generation

    before = state.current(corpus, SLUGS)
    sidebar.render(searcher, corpus, config.is_sample, before.filters())
    st.segmented_control("View", SLUGS, key=state.VIEW, required=True, persist_state="session",
                         format_func=lambda slug: f"{BY_SLUG[slug].icon} {BY_SLUG[slug].label}",
                         label_visibility="collapsed", on_change=state.view_changed)
    ctx = Context(config, searcher, corpus, state.current(corpus, SLUGS))
    filterbar.render(ctx)
    if ctx.state.query and not viewstate.query_fits_url(ctx.state.query) and ctx.state.view in QUERY_VIEWS:
        st.caption(f"This query ({len(ctx.state.query):,} characters) is too long for a link: a copied link opens "
                   "without it.")
    try:
        BY_SLUG[ctx.state.view].render(ctx)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
    state.write_url(state.current(corpus, SLUGS))


def _passage_exists(searcher):
    def exists(passage_id: str) -> bool:
        try:
            searcher.passage(passage_id)
            return True
        except RefrainError:
            return False
    return exists


def _unavailable(message: str) -> None:
    st.html('<p class="rf-brand">Re<span>frain</span></p>')
    st.error(escape_markdown(message), icon=":material/error:")
    st.caption("Fix the index (the message says how), then reload this page. To open another index: "
               "streamlit run explorer/app.py -- --index DIR, or set REFRAIN_INDEX.")
    st.button("Try again", key="retry", icon=":material/refresh:", on_click=resources.reload)


main()
