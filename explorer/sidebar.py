"""The sidebar: what index is open (and a reload), how to search (level, k, minimum score), and filters."""

from __future__ import annotations

import streamlit as st

from explorer.logic.facets import facet_counts
from explorer.logic.highlight import escape_html
from index.search import Filters, Searcher
from index.levels import LEVELS
from explorer.logic.viewstate import K_MAX, K_MIN

from . import resources, state
from .context import Corpus


MINING_VIEWS = ("recurring", "map")  # they mine: their own level and threshold, no document filter


def render(searcher: Searcher, corpus: Corpus, is_sample: bool, filters: Filters) -> None:
    with st.sidebar:
        st.html('<p class="rf-brand">Re<span>frain</span></p>'
                '<p class="rf-sub">Where else was this said, and when?</p>')
        _index_card(searcher, corpus, is_sample)
        st.button("Reload index", key="reload", icon=":material/refresh:", type="tertiary", on_click=resources.reload,
                  help="Reopen the index from disk (a new build is also picked up automatically)")
        view = st.session_state.get(state.VIEW)
        mining = view in MINING_VIEWS
        if not mining:  # Recurring and Map have their own level and threshold; these keep their values meanwhile
            st.segmented_control("Level", list(LEVELS), key=state.LEVEL, required=True,
                                 persist_state="session", format_func=str.capitalize, width="stretch")
        if not mining and view != "timeline":  # the Timeline counts every match, with its own minimum score
            st.number_input("Results (k)", min_value=K_MIN, max_value=K_MAX, step=5, key=state.K, persist_state="session")
            st.slider("Minimum score", 0.0, 1.0, step=0.01, key=state.MIN_SCORE, persist_state="session",
                      help="Cosine similarity between the query and a passage: about 0.5 shares the topic, 0.7 and "
                           "above says the same thing. It never hides a passage that contains the query word for word.")
        _filters(searcher, corpus, filters, mining)


def _index_card(searcher: Searcher, corpus: Corpus, is_sample: bool) -> None:
    manifest = searcher.manifest
    counts = manifest["counts"]
    span = f" · {escape_html(corpus.span[0][:4])}–{escape_html(corpus.span[1][:4])}" if corpus.span else ""
    name = "Sample corpus (invented speeches)" if is_sample else escape_html(searcher.root.name)
    st.html(f'<div class="rf-index"><b>{name}</b><br>{counts["documents"]:,} documents{span}<br>'
            f'{counts["paragraph"]:,} paragraphs · {counts["sentence"]:,} sentences<br>'
            f'<span class="rf-muted">model {escape_html(searcher.model_name)}</span><br>'
            f'<span class="rf-path" title="{escape_html(str(searcher.root))}">{escape_html(_short_path(searcher.root))}<br>'
            f'built {escape_html(manifest.get("created_at", "")[:16].replace("T", " "))} UTC</span>'
            f'</div>')


def _short_path(path) -> str:
    parts = path.parts
    return str(path) if len(parts) <= 3 else "…/" + "/".join(parts[-2:])


def _filters(searcher: Searcher, corpus: Corpus, filters: Filters, mining: bool = False) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown("**Filters**", width="stretch")
        st.button("Clear", key="clear-filters", type="tertiary", on_click=state.clear_filters, args=(corpus,))
    if mining:
        st.caption("Dates and metadata choose the documents that are mined.")
    if corpus.days:
        low, high = corpus.days
        st.date_input("Dates", min_value=low, max_value=high, key=state.DATES, persist_state="session",
                      format="YYYY-MM-DD")
    if mining:  # mining looks across documents: the document filter does not apply to it
        filters = Filters(filters.date_from, filters.date_to, (), filters.meta)
    counts = facet_counts(corpus.documents, corpus.facets.get("meta", {}), filters, searcher.document_mask)
    for field, values in counts.items():
        st.multiselect(field.replace("_", " ").capitalize(), list(values), key=state.meta_key(field),
                       persist_state="session", format_func=lambda v, c=values: f"{v} ({c[v]:,})",
                       placeholder="Any", help="Counts are of the documents the other filters allow")
    if mining:  # mining looks across documents: a document filter does not apply
        return
    st.multiselect("Documents", [d["doc_id"] for d in corpus.documents], key=state.DOCS, persist_state="session",
                   format_func=corpus.label, placeholder="Any document")

