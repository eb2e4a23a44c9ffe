"""The explorer's shareable view state and its URL form (query parameters), validated both ways.

A copied URL must reopen the same view: query, level, k, minimum score, filters and the selected
passages all live in the query string. Anything read back from a URL is untrusted: a bad value
becomes its default (never an error), and `restricted` drops ids the open index does not know.
The index location is deliberately not part of this state: it never comes from a URL.

    ?view=search&q=people-first+principle&level=sentence&k=30&min=0.5&from=2024-01&to=2024-06
     &meta.topic=Politics&meta.topic=Economy&doc=<doc_id>&like=<passage_id>&read=<doc_id>&p=<passage_id>
     &a=<passage_id>&b=<passage_id>&by=year&norm=1&period=2024&sort=date&exact=1
     &mode=semantic&onedoc=1&psort=newest&page=2

The Recurring view adds its own (mining over the same from/to/meta filters); the Map uses the same mining:

    ?view=recurring&rlevel=phrase&thr=0.7&mindocs=4&rsort=rising&since=2024-06-01&until=2024-09-30
     &has=people-first&f=f-0123456789ab&rby=year&furniture=1

The Timeline charts formulations (one `t` each), by exact phrase or by meaning above its own minimum score,
optionally smoothed; `back` is the view a document was opened from (its "Back to results"):

    ?view=timeline&t=nuclear+war+deterrent&t=nuclear+force&tmode=meaning&tmin=0.65&smooth=1&back=search

A query is carried whole or not at all: one longer than a link can hold (URL_QUERY_BUDGET, counted
percent-encoded) is left out of the URL, never cut, so a copied link cannot run another query.
(Just over 400 lines: one field list read and written both ways; splitting it would put the two directions of
one mapping in different files.)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from index.dates import DateError, normalise_bound, parse_date
from index.mining.recurring import DEFAULT_MIN_DOCS, DEFAULT_THRESHOLDS, MINING_LEVELS
from index.mining.recurring import SORTS as RECURRING_SORTS
from index.levels import LEVELS
from explorer.logic.timeline import GRANULARITIES, MODES as TIMELINE_MODES, SMOOTHING
from index.retrieval import DEFAULT_MODE, MODES, ORDERS
from index.search import MAX_QUERY_CHARS

VIEWS = ("search", "document", "compare", "timeline", "recurring", "map")  # a new view adds its slug here and a module in explorer/views
SORTS = ("score", "date")
MAP_COLOURS = ("first", "last")
THRESHOLD_MIN, THRESHOLD_MAX = 0.5, 1.0  # below 0.5 a mining joins unrelated passages (and slowly)
MIN_DOCS_MIN, MIN_DOCS_MAX = 2, 1000
MAX_CONTAINS_CHARS = 200
_FORMULATION = re.compile(r"^f-[0-9a-f]{12}$")
K_MIN, K_MAX = 1, 100
PAGE_MAX = 10_000
# Percent-encoded characters of a query a link carries: the server takes a request line of 64 KiB (Tornado, in
# Streamlit before 1.5x) or about 128 KiB (uvicorn, measured with 1.67); the rest is left for the other parameters.
# Any English query the Searcher takes (20,000 characters) fits; Korean, 9 characters each, up to about 5,000.
URL_QUERY_BUDGET = 48_000
MAX_LINES, MAX_LINE_CHARS = 6, 300  # timeline formulations: how many, and how long each
TIMELINE_MIN_SCORE = 0.6  # meaning mode's default: 0.4 charts a topic (see explorer/logic/timeline.py)
META_PREFIX = "meta."
_ID = re.compile(r"^[\w.:\-]{1,80}$")
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_FIELD = re.compile(r"^[\w\-. ]{1,60}$")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class ViewState:
    view: str = "search"
    query: str = ""
    exact: bool = False  # exact-phrase (FTS5) search instead of semantic
    mode: str = DEFAULT_MODE  # search ranking: hybrid (verbatim, words and meaning), semantic or lexical
    one_per_doc: bool = False  # only the best hit of each document
    psort: str = ORDERS[0]  # exact-phrase order: oldest, newest or relevance
    page: int = 1  # exact-phrase page (k hits a page)
    like: str | None = None  # "more like this": the source passage
    level: str = "paragraph"
    k: int = 10
    min_score: float = 0.4
    date_from: str | None = None
    date_to: str | None = None
    meta: tuple[tuple[str, tuple[str, ...]], ...] = ()
    docs: tuple[str, ...] = ()
    read: str | None = None  # the document open in the Document view
    passage: str | None = None  # the passage chosen in it
    a: str | None = None  # the two passages in Compare
    b: str | None = None
    by: str = "month"
    norm: bool = False
    period: str | None = None  # the timeline period whose hits are listed
    sort: str = "score"  # order of "where else" hits in the Document view
    # Recurring view: what is mined (level, threshold, min_docs; the date and metadata filters above say
    # which documents), how the list is ranked and filtered, and the formulation chosen.
    mine: str = "sentence"
    threshold: float | None = None  # None: the mining level's default
    min_docs: int = DEFAULT_MIN_DOCS
    rsort: str = RECURRING_SORTS[0]
    furniture: bool = False  # list titles, names and stock phrases too (index/mining/salience.py)
    since: str | None = None  # first seen on or after
    until: str | None = None  # last seen on or before
    contains: str = ""  # a variant contains this text
    formulation: str | None = None
    rby: str | None = None  # trend and chart per year or month; None: chosen from the mined corpus's span
    # Timeline: the formulations charted, how they match (exact phrase or meaning), meaning's own minimum
    # score, and the smoothing (a centred window of 2 * smooth + 1 periods).
    lines: tuple[str, ...] = ()
    tmode: str = "phrase"
    tmin: float = TIMELINE_MIN_SCORE
    smooth: int = 0
    back: str | None = None  # the view the open document was reached from ("Back to results")
    mcolor: str = "first"  # the Map colours formulations by their first or last use
    views: tuple[str, ...] = field(default=VIEWS, compare=False, repr=False)

    def meta_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.meta}

    def filters(self):
        from index.search import Filters

        return Filters.make(self.date_from, self.date_to, self.docs, self.meta_dict())


DEFAULT = ViewState()


def _last(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else None


def _all(params: Mapping[str, Sequence[str] | str], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _choice(value: str | None, options: Sequence[str], default: str) -> str:
    return value if value in options else default


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    low = value.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else default


def _int(value: str | None, low: int, high: int, default: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


def _float(value: str | float | None, low: float, high: float, digits: int, default: float | None = None) -> float | None:
    """A finite number clamped to [low, high] and rounded; `default` when the value is not one."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return default
    if not math.isfinite(number):
        return default
    return round(min(max(number, low), high), digits)


def _score(value: str | None, default: float) -> float:
    return _float(value, 0.0, 1.0, 3, default)


def threshold_value(value: str | float | None, level: str) -> float | None:
    """A mining threshold in [THRESHOLD_MIN, 1], to two decimals, from a URL or a slider; None for the level's
    default or a bad value."""
    number = _float(value, THRESHOLD_MIN, THRESHOLD_MAX, 2)
    return None if number is None or number == DEFAULT_THRESHOLDS.get(level) else number


def _id(value: str | None) -> str | None:
    return value if value and _ID.match(value) else None


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_date(value)
    except DateError:
        return None


def from_params(params: Mapping[str, Sequence[str] | str], views: Sequence[str] = VIEWS) -> ViewState:
    """Read a state from query parameters (key -> value or list of values); bad values become defaults."""
    views = tuple(views) or VIEWS
    query = _last(params, "q") or ""
    if len(query) > MAX_QUERY_CHARS:  # longer than any search takes: not a query this explorer wrote
        query = ""
    meta: dict[str, set[str]] = {}
    for key in params:
        if key.startswith(META_PREFIX) and _FIELD.match(key[len(META_PREFIX):]):
            values = {v for v in _all(params, key) if v and len(v) <= 200}
            if values:
                meta.setdefault(key[len(META_PREFIX):], set()).update(values)
    date_from, date_to = _date(_last(params, "from")), _date(_last(params, "to"))
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    period = _last(params, "period")
    mine = _choice(_last(params, "rlevel"), MINING_LEVELS, DEFAULT.mine)
    formulation = _last(params, "f")
    return ViewState(
        view=_choice(_last(params, "view"), views, views[0]),
        query=query,
        exact=_bool(_last(params, "exact"), DEFAULT.exact),
        mode=_choice(_last(params, "mode"), MODES, DEFAULT.mode),
        one_per_doc=_bool(_last(params, "onedoc"), DEFAULT.one_per_doc),
        psort=_choice(_last(params, "psort"), ORDERS, DEFAULT.psort),
        page=_int(_last(params, "page"), 1, PAGE_MAX, DEFAULT.page),
        like=_id(_last(params, "like")),
        level=_choice(_last(params, "level"), LEVELS, DEFAULT.level),
        k=_int(_last(params, "k"), K_MIN, K_MAX, DEFAULT.k),
        min_score=_score(_last(params, "min"), DEFAULT.min_score),
        date_from=date_from,
        date_to=date_to,
        meta=tuple(sorted((name, tuple(sorted(values))) for name, values in meta.items())),
        docs=tuple(sorted({d for d in map(_id, _all(params, "doc")) if d})),
        read=_id(_last(params, "read")),
        passage=_id(_last(params, "p")),
        a=_id(_last(params, "a")),
        b=_id(_last(params, "b")),
        by=_choice(_last(params, "by"), GRANULARITIES, DEFAULT.by),
        norm=_bool(_last(params, "norm"), DEFAULT.norm),
        period=period if period and _PERIOD.match(period) else None,
        sort=_choice(_last(params, "sort"), SORTS, DEFAULT.sort),
        mine=mine,
        threshold=threshold_value(_last(params, "thr"), mine),
        min_docs=_int(_last(params, "mindocs"), MIN_DOCS_MIN, MIN_DOCS_MAX, DEFAULT.min_docs),
        rsort=_choice(_last(params, "rsort"), RECURRING_SORTS, DEFAULT.rsort),
        furniture=_bool(_last(params, "furniture"), DEFAULT.furniture),
        since=_date(_last(params, "since")),
        until=_date(_last(params, "until")),
        contains=(_last(params, "has") or "").strip()[:MAX_CONTAINS_CHARS],
        formulation=formulation if formulation and _FORMULATION.match(formulation) else None,
        rby=_choice(_last(params, "rby"), GRANULARITIES, None),
        lines=timeline_lines(_all(params, "t")),
        tmode=_choice(_last(params, "tmode"), TIMELINE_MODES, DEFAULT.tmode),
        tmin=_score(_last(params, "tmin"), DEFAULT.tmin),
        smooth=int(_choice(_last(params, "smooth"), [str(n) for n in SMOOTHING], str(DEFAULT.smooth))),
        back=_choice(_last(params, "back"), [v for v in views if v != "document"], None),
        mcolor=_choice(_last(params, "mcol"), MAP_COLOURS, DEFAULT.mcolor),
        views=views,
    )


def timeline_lines(values) -> tuple[str, ...]:
    """The Timeline's formulations: stripped, non-empty, each once (case aside), at most MAX_LINES; one longer
    than MAX_LINE_CHARS is dropped (never cut: a cut phrase charts other passages)."""
    out: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if text and len(text) <= MAX_LINE_CHARS and text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return tuple(out[:MAX_LINES])


def with_timeline_default(state: ViewState) -> ViewState:
    """A Timeline that charts nothing yet starts from the Search query (a link ?view=timeline&q=...)."""
    if state.view == "timeline" and not state.lines and state.query:
        return replace(state, lines=timeline_lines([state.query]))
    return state


def query_fits_url(query: str) -> bool:
    """Whether a link can carry this query whole (see URL_QUERY_BUDGET)."""
    return len(query) <= MAX_QUERY_CHARS and len(urllib.parse.quote_plus(query)) <= URL_QUERY_BUDGET


def to_params(state: ViewState) -> dict[str, str | list[str]]:
    """The query parameters for a state, leaving out every value that equals its default."""
    out: dict[str, str | list[str]] = {}
    if state.view != state.views[0]:
        out["view"] = state.view
    if state.query and query_fits_url(state.query):
        out["q"] = state.query
    if state.exact:
        out["exact"] = "1"
    if state.mode != DEFAULT.mode:
        out["mode"] = state.mode
    if state.one_per_doc:
        out["onedoc"] = "1"
    if state.psort != DEFAULT.psort:
        out["psort"] = state.psort
    if state.page != DEFAULT.page:
        out["page"] = str(state.page)
    for key, value in (("like", state.like), ("read", state.read), ("p", state.passage), ("a", state.a), ("b", state.b),
                       ("from", state.date_from), ("to", state.date_to), ("period", state.period)):
        if value:
            out[key] = value
    if state.level != DEFAULT.level:
        out["level"] = state.level
    if state.k != DEFAULT.k:
        out["k"] = str(state.k)
    if state.min_score != DEFAULT.min_score:
        out["min"] = f"{state.min_score:g}"
    for name, values in state.meta:
        if values:
            out[META_PREFIX + name] = list(values)
    if state.docs:
        out["doc"] = list(state.docs)
    if state.by != DEFAULT.by:
        out["by"] = state.by
    if state.norm:
        out["norm"] = "1"
    if state.sort != DEFAULT.sort:
        out["sort"] = state.sort
    if state.mine != DEFAULT.mine:
        out["rlevel"] = state.mine
    if state.threshold is not None:
        out["thr"] = f"{state.threshold:g}"
    if state.min_docs != DEFAULT.min_docs:
        out["mindocs"] = str(state.min_docs)
    if state.rsort != DEFAULT.rsort:
        out["rsort"] = state.rsort
    if state.furniture:
        out["furniture"] = "1"
    for key, value in (("since", state.since), ("until", state.until), ("has", state.contains),
                       ("f", state.formulation), ("rby", state.rby)):
        if value:
            out[key] = value
    if state.lines:
        out["t"] = list(state.lines)
    if state.tmode != DEFAULT.tmode:
        out["tmode"] = state.tmode
    if state.tmin != DEFAULT.tmin:
        out["tmin"] = f"{state.tmin:g}"
    if state.smooth != DEFAULT.smooth:
        out["smooth"] = str(state.smooth)
    if state.back:
        out["back"] = state.back
    if state.mcolor != DEFAULT.mcolor:
        out["mcol"] = state.mcolor
    return out


def restricted(
    state: ViewState,
    doc_ids: set[str],
    meta_values: Mapping[str, Mapping[str, int] | set[str]],
    passage_exists: Callable[[str], bool],
) -> ViewState:
    """The state with documents, metadata and passages unknown to the open index dropped."""

    def known(pid: str | None) -> str | None:
        return pid if pid and passage_exists(pid) else None

    meta = tuple(
        (name, tuple(v for v in values if v in meta_values[name]))
        for name, values in state.meta
        if name in meta_values
    )
    return replace(
        state,
        meta=tuple((name, values) for name, values in meta if values),
        docs=tuple(d for d in state.docs if d in doc_ids),
        read=state.read if state.read in doc_ids else None,
        like=known(state.like),
        passage=known(state.passage),
        a=known(state.a),
        b=known(state.b),
    )


def date_range(state: ViewState, first: str, last: str) -> tuple[dt.date, dt.date]:
    """The date picker's value: the state's bounds as days, clipped to the corpus's span [first, last]."""
    low, high = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    start_day = bound_day(state.date_from, first, last, end=False) or low
    end_day = bound_day(state.date_to, first, last, end=True) or high
    return (start_day, end_day) if start_day <= end_day else (low, high)


def bound_day(value: str | None, first: str, last: str, *, end: bool) -> dt.date | None:
    """A date picker's value for one bound ('YYYY', 'YYYY-MM' or a day): its first (or last) day, clipped to
    the corpus's span [first, last]; None when there is no bound."""
    day = normalise_bound(value, end=end) if value else None
    if not day:
        return None
    low, high = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return min(max(dt.date.fromisoformat(day), low), high)


def dates_from_range(value: Sequence[dt.date] | dt.date | None, first: str, last: str) -> tuple[str | None, str | None]:
    """State bounds from the date picker: a bound equal to the corpus's own first or last day means no bound.

    The picker returns one date while the user is choosing the second; that is a lower bound only.
    """
    if value is None:
        return None, None
    days = [value] if isinstance(value, dt.date) else [d for d in value if d is not None]
    if not days:
        return None, None
    start = days[0].isoformat()
    end = days[1].isoformat() if len(days) > 1 else None
    return (None if start <= first else start), (None if end is None or end >= last else end)
