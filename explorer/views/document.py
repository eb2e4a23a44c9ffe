"""Document: read a speech passage by passage; choosing one lists where else (and when) it was said."""

from __future__ import annotations

import json
from functools import partial

import streamlit as st

from index.errors import RefrainError
from explorer.logic.highlight import escape_html, escape_markdown
from explorer.logic.reading import counterpart
from explorer.logic.viewstate import SORTS

from .. import cards, state
from ..context import Context

READER_HEIGHT = 540  # the panes' height before PANES_FILL_WINDOW (below) stretches them to the window
SHORT_DOCUMENT_CHARS = 1200  # shorter documents are shown whole, without a scrolling frame
VIEW_LABELS = {"search": "results", "timeline": "the timeline", "recurring": "the formulation", "map": "the map",
               "compare": "Compare"}


def render(ctx: Context) -> None:
    s = ctx.state
    documents = ctx.corpus.documents
    if not documents:
        st.info("This index holds no documents.")
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        if s.back:
            st.button(f"Back to {VIEW_LABELS.get(s.back, s.back)}", key="doc-back", icon=":material/arrow_back:",
                      on_click=state.back_to_results, type="secondary")
        st.selectbox("Document", [d["doc_id"] for d in documents], index=None, key=state.READ, persist_state="session",
                     format_func=ctx.corpus.label, placeholder="Choose a document: type part of its title or date",
                     label_visibility="collapsed", on_change=_document_changed, width="stretch")
    if not s.read:
        _browse(ctx)
        return
    try:
        doc = ctx.searcher.document(s.read)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    passages = doc.passages.get(s.level, [])
    chosen = _chosen_at_level(ctx, passages)
    tags = "".join(f'<span class="rf-tag">{escape_html(v)}</span>' for vs in doc.meta.values() for v in vs)
    copies = f" · {len(doc.copies)} copies merged" if len(doc.copies) > 1 else ""
    st.html(f'<div class="rf-doc-title">{escape_html(doc.title)}</div>'
            f'<div class="rf-head"><span class="rf-date">{escape_html(doc.date or "undated")}</span>'
            f'<span class="rf-muted">{len(passages)} {escape_html(s.level)}s{copies}</span>{tags}</div>')
    left, right = st.columns([11, 9], gap="large")
    short = sum(len(p.text) for p in passages) < SHORT_DOCUMENT_CHARS
    st.html(PANES_FILL_WINDOW if not short else SIMILAR_FILLS_WINDOW)
    with left:
        with st.container(height="content" if short else READER_HEIGHT, key="doc-reader", border=True):
            for hit in passages:
                _passage_row(hit, selected=hit.passage_id == chosen)
        if chosen:
            _scroll_to_chosen(chosen)
    with right:
        with st.container(height=READER_HEIGHT, key="doc-similar", border=False):
            _where_else(ctx, chosen)


# The panes take the window's height below the document's title (at least 420 px), not a fixed 540 px
# (Streamlit sets a fixed-height container's height on its wrapper).
_FILL = "{height: max(420px, calc(100vh - 280px)) !important;}"
SIMILAR_FILLS_WINDOW = f"<style>div:has(> .st-key-doc-similar), .st-key-doc-similar {_FILL}</style>"
PANES_FILL_WINDOW = (f"<style>div:has(> .st-key-doc-reader), .st-key-doc-reader, div:has(> .st-key-doc-similar), "
                     f".st-key-doc-similar {_FILL}</style>")


def _chosen_at_level(ctx: Context, passages) -> str | None:
    """The chosen passage at the level being read: after a switch of level, the sentence that opens the chosen
    paragraph, or the paragraph that holds the chosen sentence (never a choice the reader does not show)."""
    chosen = ctx.state.passage
    if not chosen or any(p.passage_id == chosen for p in passages):
        return chosen
    try:
        held = ctx.searcher.passage(chosen)
    except RefrainError:
        held = None
    found = counterpart(held, passages) if held is not None and held.doc_id == ctx.state.read else None
    st.session_state[state.PASSAGE] = found.passage_id if found else None
    return st.session_state[state.PASSAGE]


def _scroll_to_chosen(passage_id: str) -> None:
    """Bring the chosen passage into the reader's view, once per choice: the script's text changes only when
    the choice does, so Streamlit runs it again only then (the reader keeps where the user scrolled). It keeps
    the passage in view for a few seconds while the rows settle, unless the user scrolls first."""
    literal = json.dumps(passage_id).replace("<", "\\u003c")
    st.html(SCROLL_SCRIPT.replace('"PASSAGE_ID"', literal), unsafe_allow_javascript=True, width="content")


# The chosen row carries class st-key-para-<id>; the reader pane is, or holds, the element that scrolls.
SCROLL_SCRIPT = """<script>
(() => {
  const id = "PASSAGE_ID";
  const until = Date.now() + 4000;  // rows keep settling (fonts, widths) for a moment after they are drawn
  let placed = null;  // the scroll position this script set; another one means the user scrolled: leave it
  const place = () => {
    const row = document.querySelector(".st-key-para-" + CSS.escape(id));
    const pane = row && row.closest(".st-key-doc-reader");
    const scroller = pane && [pane, ...pane.querySelectorAll("*")].find(e => e.scrollHeight > e.clientHeight + 4
        && getComputedStyle(e).overflowY !== "visible");
    if (row && scroller) {
      if (placed !== null && Math.abs(scroller.scrollTop - placed) > 2) return;
      const top = row.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      if (top < 0 || top + row.offsetHeight > scroller.clientHeight) {
        scroller.scrollTop += top - Math.max(0, (scroller.clientHeight - row.offsetHeight) / 3);
      }
      placed = scroller.scrollTop;
    }
    if (Date.now() < until) setTimeout(place, 120);
  };
  setTimeout(place, 50);
})();
</script>"""


def _document_changed() -> None:
    st.session_state[state.PASSAGE] = None


def _browse(ctx: Context) -> None:
    st.caption("Or pick one from the list (newest first):")
    rows = [{"date": d["date"] or "", "title": d["title"],
             **{k: ", ".join(v) for k, v in d["meta"].items()}, "doc_id": d["doc_id"]}
            for d in reversed(ctx.corpus.documents)]
    ids = [row["doc_id"] for row in rows]
    st.dataframe(rows, key="doc-table", on_select=partial(_table_pick, ids), selection_mode="single-row", hide_index=True,
                 column_order=[c for c in rows[0] if c != "doc_id"], height=READER_HEIGHT)


def _table_pick(doc_ids: list[str]) -> None:
    picked = st.session_state.get("doc-table") or {}
    rows = picked.get("selection", {}).get("rows", [])
    if rows and 0 <= rows[0] < len(doc_ids):
        state.open_document(doc_ids[rows[0]])


def _passage_row(hit, selected: bool) -> None:
    cls = "rf-para rf-selected" if selected else "rf-para"
    with st.container(horizontal=True, vertical_alignment="top", gap="small", wrap=False, key=f"para-{hit.passage_id}"):
        st.html(f'<div class="{cls}"><span class="rf-num">{hit.ordinal + 1}</span>'
                f'<span>{escape_html(hit.text)}</span></div>', width="stretch")
        st.button("", key=f"doc-sel-{hit.passage_id}", icon=":material/travel_explore:",
                  type="primary" if selected else "tertiary", help="Where else was this said?",
                  on_click=_select, args=(hit.passage_id,))


def _select(passage_id: str) -> None:
    st.session_state[state.PASSAGE] = passage_id


def _where_else(ctx: Context, passage_id: str | None) -> None:
    s = ctx.state
    st.html('<div class="rf-section">Where else was this said?</div>')
    if not passage_id:
        st.html('<div class="rf-empty">Choose a passage with the <b>⌕</b> button beside it: the most similar passages in '
                '<i>other</i> documents appear here, by score or by date, so you see at once where else it was said '
                'and when.</div>')
        return
    try:
        source = ctx.searcher.passage(passage_id)
        hits = ctx.searcher.similar(passage_id, k=s.k, level=s.level, filters=ctx.filters, min_score=s.min_score)
    except RefrainError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    cards.source_card(source, f"Chosen {source.level} · {source.ordinal + 1}", with_title=False)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.segmented_control("Order", list(SORTS), key=state.SORT, required=True, persist_state="session",
                             format_func=lambda v: {"score": "By score", "date": "By date"}[v],
                             label_visibility="collapsed")
        st.space("stretch")
        cards.export_menu(hits, "document", "similar", source.title)
    if not hits:
        st.info("Nothing in other documents scores above the minimum score with these filters.",
                icon=":material/search_off:")
        return
    if s.sort == "date":
        hits = sorted(hits, key=lambda h: (h.date is None, h.date or "", -(h.score or 0)))
    st.caption(cards.summary(hits, s.level))
    for hit in hits:
        cards.hit_card(ctx, hit, "doc", query=source.text, reference=source.passage_id,
                       actions=("open", "compare", "more"), compact=True)
