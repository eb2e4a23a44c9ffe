"""The active filters in one line above every view's results, with how many documents they leave and a Clear."""

from __future__ import annotations

import streamlit as st

from explorer.logic.facets import summarise
from explorer.logic.highlight import escape_html
from index.search import Filters

from . import state
from .context import Context
from .sidebar import MINING_VIEWS


def render(ctx: Context) -> None:
    filters = ctx.filters
    if filters.empty:
        return
    note = ""
    if ctx.state.view in MINING_VIEWS and filters.doc_ids:  # mining looks across documents
        filters, note = Filters(filters.date_from, filters.date_to, (), filters.meta), " · the document filter does not apply here"
    passing = int(ctx.searcher.document_mask(filters).sum()) if not filters.empty else len(ctx.corpus.documents)
    summary = summarise(filters, passing, len(ctx.corpus.documents))
    chips = "".join(f'<span class="rf-chip">{escape_html(part)}</span>' for part in summary.parts)
    scope = note
    with st.container(horizontal=True, vertical_alignment="center", key="filterbar", gap="small"):
        st.html(f'<div class="rf-filterbar"><span class="rf-label">Filtered</span>{chips}'
                f'<span class="rf-muted">{summary.documents:,} of {summary.total:,} documents{escape_html(scope)}</span></div>',
                width="stretch")
        st.button("Clear filters", key="filterbar-clear", icon=":material/filter_alt_off:", type="tertiary",
                  on_click=state.clear_filters, args=(ctx.corpus,))
