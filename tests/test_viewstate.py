"""The explorer's shareable state and its URL form (index/viewstate.py)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.logic.viewstate import DEFAULT, ViewState, date_range, dates_from_range, from_params, restricted, to_params


def test_defaults_make_an_empty_url():
    assert to_params(DEFAULT) == {}
    assert from_params({}) == DEFAULT


def test_round_trip_of_a_full_state():
    state = ViewState(view="timeline", query="people-first principle", exact=True, like="abc123", level="sentence", k=35,
                      min_score=0.55, date_from="2024-01", date_to="2024-06-30",
                      meta=(("topic", ("Economy", "Politics")),), docs=("d1", "d2"), read="d9", passage="p1",
                      a="pa", b="pb", by="year", norm=True, period="2024", sort="date")
    params = to_params(state)
    assert params["meta.topic"] == ["Economy", "Politics"] and params["doc"] == ["d1", "d2"] and params["min"] == "0.55"
    assert from_params(params) == state


def test_bad_values_fall_back_to_defaults():
    state = from_params({
        "view": "<script>", "k": "many", "min": "nan", "level": "chapter", "exact": "perhaps", "from": "not a date",
        "to": "2024-02-30", "by": "week", "norm": "2", "period": "2024-13", "sort": "random", "like": "../../etc",
        "read": "x" * 300, "doc": ["ok-id", "bad id!"], "meta.topic": ["", "Economy"], "meta.<b>": ["x"],
    })
    assert state.view == "search" and state.k == DEFAULT.k and state.min_score == DEFAULT.min_score
    assert state.level == "paragraph" and state.exact is False and state.date_from is None and state.date_to is None
    assert state.by == "month" and state.norm is False and state.period is None and state.sort == "score"
    assert state.like is None and state.read is None and state.docs == ("ok-id",)
    assert state.meta == (("topic", ("Economy",)),)


def test_numbers_are_clamped_and_dates_ordered():
    state = from_params({"k": "5000", "min": "-3", "from": "2024-05", "to": "2023"})
    assert state.k == 100 and state.min_score == 0.0
    assert (state.date_from, state.date_to) == ("2023", "2024-05")
    assert from_params({"k": "0", "min": "7"}).k == 1 and from_params({"min": "7"}).min_score == 1.0


def test_views_are_validated_against_the_registered_ones():
    assert from_params({"view": "recurring"}).view == "recurring"
    assert from_params({"view": "recurring"}, views=("search", "timeline")).view == "search"
    assert from_params({"view": "timeline"}, views=("search", "timeline")).view == "timeline"


def test_restricted_drops_what_the_index_does_not_know():
    state = ViewState(meta=(("topic", ("Economy", "Gone")), ("nope", ("x",))), docs=("d1", "d404"), read="d404",
                      like="p1", passage="p404", a="p1", b="p404")
    kept = restricted(state, {"d1"}, {"topic": {"Economy": 3}}, lambda pid: pid == "p1")
    assert kept.meta == (("topic", ("Economy",)),) and kept.docs == ("d1",) and kept.read is None
    assert (kept.like, kept.passage, kept.a, kept.b) == ("p1", None, "p1", None)


def test_date_picker_conversion():
    state = ViewState(date_from="2024-02", date_to="2024-03")
    assert date_range(state, "2024-01-05", "2024-11-10") == (dt.date(2024, 2, 1), dt.date(2024, 3, 31))
    assert date_range(ViewState(date_from="2020"), "2024-01-05", "2024-11-10") == (dt.date(2024, 1, 5), dt.date(2024, 11, 10))
    assert dates_from_range((dt.date(2024, 1, 5), dt.date(2024, 11, 10)), "2024-01-05", "2024-11-10") == (None, None)
    assert dates_from_range((dt.date(2024, 2, 1), dt.date(2024, 3, 31)), "2024-01-05", "2024-11-10") == ("2024-02-01", "2024-03-31")
    assert dates_from_range((dt.date(2024, 2, 1),), "2024-01-05", "2024-11-10") == ("2024-02-01", None)
    assert dates_from_range(None, "2024-01-05", "2024-11-10") == (None, None)


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["view", "q", "k", "min", "level", "from", "to", "like", "doc", "meta.topic", "by",
                                        "norm", "period", "sort", "exact", "a", "b", "p", "read", "other",
                                        "rlevel", "thr", "mindocs", "rsort", "since", "until", "has", "f", "rby"]),
                       st.one_of(_text, st.lists(_text, max_size=3))))
def test_any_url_parses_and_reserialises_stably(params):
    state = from_params(params)
    again = from_params(to_params(state))
    assert again == state
