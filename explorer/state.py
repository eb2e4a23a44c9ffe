"""Session state <-> ViewState <-> URL. Widgets keep their values under the keys below; the URL mirrors them.

The rules (validation, defaults, what goes in the URL) are in index.viewstate; this module only moves
values between Streamlit's session state and that dataclass.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from explorer.logic import viewstate
from index.mining.recurring import DEFAULT_THRESHOLDS
from explorer.logic.viewstate import ViewState

from .context import Corpus

VIEW, QUERY, EXACT, LIKE, LEVEL, K, MIN_SCORE = "view", "q", "exact", "like", "level", "k", "min_score"
DATES, DOCS, READ, PASSAGE, A, B = "dates", "docs", "read", "passage", "a", "b"
BY, NORM, PERIOD, SORT = "by", "norm", "period", "sort"
MINE, THRESHOLD, MIN_DOCS, RSORT, SINCE, UNTIL = "rlevel", "thr", "mindocs", "rsort", "since", "until"
CONTAINS, FORMULATION, RBY, FURNITURE = "has", "f", "rby", "furniture"
MODE, ONE_PER_DOC, PSORT, PAGE = "mode", "onedoc", "psort", "page"
LINES, TMODE, TMIN, SMOOTH, BACK, MCOLOR = "t", "tmode", "tmin", "smooth", "back", "mcol"
WRITTEN = "_refrain_url_written"  # the query parameters this session last put in the URL
RBY_AUTO = "_refrain_rby_auto"  # the granularity the Recurring view chose for this corpus (not put in the URL)
SEEDED = "_refrain_seeded_generation"
SPAN = "_refrain_date_span"  # the corpus span the date picker was seeded with (a rebuild may widen it)


def meta_key(field: str) -> str:
    return f"meta.{field}"


def url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def seed(state: ViewState, corpus: Corpus) -> None:
    """Write a state into every widget's session-state key (before the widgets are drawn)."""
    ss = st.session_state
    ss[VIEW], ss[QUERY], ss[EXACT], ss[LIKE] = state.view, state.query, state.exact, state.like
    ss[LEVEL], ss[K], ss[MIN_SCORE] = state.level, state.k, state.min_score
    ss[MODE], ss[ONE_PER_DOC], ss[PSORT], ss[PAGE] = state.mode, state.one_per_doc, state.psort, state.page
    span = corpus.span
    ss[SPAN] = span
    if span:
        ss[DATES] = viewstate.date_range(state, *span)
    chosen = state.meta_dict()
    for field in corpus.facets.get("meta", {}):
        ss[meta_key(field)] = chosen.get(field, [])
    ss[DOCS] = list(state.docs)
    ss[READ], ss[PASSAGE], ss[A], ss[B] = state.read, state.passage, state.a, state.b
    ss[BY], ss[NORM], ss[PERIOD], ss[SORT] = state.by, state.norm, state.period, state.sort
    ss[MINE], ss[MIN_DOCS], ss[RSORT], ss[FURNITURE] = state.mine, state.min_docs, state.rsort, state.furniture
    ss[THRESHOLD] = state.threshold if state.threshold is not None else DEFAULT_THRESHOLDS[state.mine]
    ss[SINCE] = viewstate.bound_day(state.since, *span, end=False) if span else None
    ss[UNTIL] = viewstate.bound_day(state.until, *span, end=True) if span else None
    ss[CONTAINS], ss[FORMULATION], ss[RBY] = state.contains, state.formulation, state.rby
    ss[LINES], ss[TMODE], ss[TMIN], ss[SMOOTH] = list(state.lines), state.tmode, state.tmin, state.smooth
    ss[BACK], ss[MCOLOR] = state.back, state.mcolor


def current(corpus: Corpus, views: tuple[str, ...]) -> ViewState:
    """The state the widgets hold now."""
    ss = st.session_state
    date_from = date_to = None
    span = ss.get(SPAN, corpus.span)
    if span:
        date_from, date_to = viewstate.dates_from_range(ss.get(DATES), *span)
    meta = tuple(sorted(
        (field, tuple(sorted(ss.get(meta_key(field)) or ())))
        for field in corpus.facets.get("meta", {})
        if ss.get(meta_key(field))
    ))
    base = ViewState(views=views)
    mine = ss.get(MINE) or base.mine
    return replace(
        base,
        view=ss.get(VIEW) if ss.get(VIEW) in views else views[0],
        query=ss.get(QUERY) or "",
        exact=bool(ss.get(EXACT)),
        mode=ss.get(MODE) or base.mode,
        one_per_doc=bool(ss.get(ONE_PER_DOC)),
        psort=ss.get(PSORT) or base.psort,
        page=int(ss.get(PAGE) or base.page),
        like=ss.get(LIKE),
        level=ss.get(LEVEL) or base.level,
        k=int(ss.get(K) or base.k),
        min_score=round(float(ss.get(MIN_SCORE) if ss.get(MIN_SCORE) is not None else base.min_score), 3),
        date_from=date_from,
        date_to=date_to,
        meta=meta,
        docs=tuple(sorted(ss.get(DOCS) or ())),
        read=ss.get(READ),
        passage=ss.get(PASSAGE),
        a=ss.get(A),
        b=ss.get(B),
        by=ss.get(BY) or base.by,
        norm=bool(ss.get(NORM)),
        period=ss.get(PERIOD),
        sort=ss.get(SORT) or base.sort,
        mine=mine,
        threshold=viewstate.threshold_value(ss.get(THRESHOLD), mine),
        min_docs=int(ss.get(MIN_DOCS) or base.min_docs),
        rsort=ss.get(RSORT) or base.rsort,
        furniture=bool(ss.get(FURNITURE)),
        since=_day(ss.get(SINCE)),
        until=_day(ss.get(UNTIL)),
        contains=(ss.get(CONTAINS) or "").strip()[:viewstate.MAX_CONTAINS_CHARS],
        formulation=ss.get(FORMULATION),
        rby=ss.get(RBY) if ss.get(RBY) != ss.get(RBY_AUTO) else None,
        lines=viewstate.timeline_lines(ss.get(LINES) or ()),
        tmode=ss.get(TMODE) or base.tmode,
        tmin=round(float(ss.get(TMIN) if ss.get(TMIN) is not None else base.tmin), 3),
        smooth=int(ss.get(SMOOTH) or 0),
        back=ss.get(BACK) if ss.get(VIEW) == "document" else None,
        mcolor=ss.get(MCOLOR) or base.mcolor,
    )


def _day(value) -> str | None:
    return value.isoformat() if value else None


def write_url(state: ViewState) -> None:
    """Mirror the state into the URL (only when it changed: each change is one step in the browser's history)."""
    wanted = {k: (v if isinstance(v, list) else [v]) for k, v in viewstate.to_params(state).items()}
    if wanted != url_params():
        st.query_params.from_dict(wanted)
    st.session_state[WRITTEN] = wanted


def url_moved() -> bool:
    """True when the URL is not the one this session last wrote: the browser went Back or Forward (Streamlit
    reruns with that page's URL), so the URL's state should be shown."""
    written = st.session_state.get(WRITTEN)
    return written is not None and written != url_params()


# ---------------------------------------------------------------- actions (used as widget callbacks)

def show(view: str, **values) -> None:
    """Switch to a view, setting any state keys on the way (a button callback)."""
    ss = st.session_state
    came_from = ss.get(VIEW)
    for key, value in values.items():
        ss[key] = value
    ss[VIEW] = view
    _arrived(view, came_from)


def view_changed() -> None:
    """The view switcher's callback."""
    _arrived(st.session_state.get(VIEW), None)


def _arrived(view: str | None, came_from: str | None) -> None:
    """A document remembers the view it was opened from (its "Back to results"); the Timeline starts from the
    Search query when it charts nothing yet."""
    ss = st.session_state
    if view == "document":
        if came_from and came_from != "document":
            ss[BACK] = came_from
    else:
        ss[BACK] = None
    if view == "timeline" and not ss.get(LINES):
        ss[LINES] = list(viewstate.timeline_lines([ss.get(QUERY) or ""]))


def more_like(passage_id: str) -> None:
    show("search", **{LIKE: passage_id, PERIOD: None})


def open_document(doc_id: str, passage_id: str | None = None) -> None:
    show("document", **{READ: doc_id, PASSAGE: passage_id})


def back_to_results() -> None:
    show(st.session_state.get(BACK) or "search")


def clear_filters(corpus: Corpus) -> None:
    """Dates back to the corpus's span, no metadata values, no documents."""
    ss = st.session_state
    if corpus.days:
        ss[DATES] = corpus.days
    for field in corpus.facets.get("meta", {}):
        ss[meta_key(field)] = []
    ss[DOCS] = []


def compare(a: str, b: str) -> None:
    show("compare", **{A: a, B: b})


def add_to_compare(passage_id: str) -> None:
    """Without a reference passage: the first pick becomes A, the next B (then Compare opens)."""
    ss = st.session_state
    if not ss.get(A) or ss.get(A) == passage_id or ss.get(B):
        ss[A], ss[B] = passage_id, None
        st.toast("Passage A chosen. Now choose Compare on a second passage.", icon=":material/compare_arrows:")
    else:
        compare(ss[A], passage_id)


def open_passage(doc_id: str, passage_id: str, level: str) -> None:
    """Open a document with a passage of the given level chosen (the reader shows that level)."""
    show("document", **{READ: doc_id, PASSAGE: passage_id, LEVEL: level})


def open_formulation(formulation_id: str) -> None:
    """Show a formulation in the Recurring view (the Map's click)."""
    show("recurring", **{FORMULATION: formulation_id})


def mining_level_changed() -> None:
    """A new mining level starts at its own default threshold; the chosen formulation belonged to the old one."""
    ss = st.session_state
    ss[THRESHOLD] = DEFAULT_THRESHOLDS.get(ss.get(MINE), DEFAULT_THRESHOLDS["sentence"])
    ss[FORMULATION] = None


def query_changed() -> None:
    st.session_state[LIKE] = None
    st.session_state[PERIOD] = None
    st.session_state[PAGE] = 1


def first_page() -> None:
    """A new phrase order or page size starts again at the first page."""
    st.session_state[PAGE] = 1


def turn_page(step: int) -> None:
    st.session_state[PAGE] = max(1, int(st.session_state.get(PAGE) or 1) + step)
