"""Getting around the explorer (issue #13, items 1, 2, 7 and 8): the browser's Back and Forward, "Back to
results", the chosen passage kept in view and across levels, the filters summarised above the results,
picker counts that follow the other filters, Compare's "Open document", and queries too long for a link.
Driven through Streamlit's AppTest on the explorer's small test corpus (hashing encoder).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote_plus

import pytest
from streamlit.testing.v1 import AppTest

import explorer_corpus
from apptest_support import card_ids, fresh_caches, html, app, index_dir, run, searcher, texts  # noqa: F401  (fixtures)
from explorer.logic.viewstate import URL_QUERY_BUDGET, from_params, to_params

RIVER_QUERY = "our people and our Party flow together like one great river"


def go_to(at: AppTest, params: dict) -> AppTest:
    """What the browser's Back or Forward does: Streamlit reruns the page with that history entry's URL."""
    at.query_params.clear()
    at.query_params.update(params)
    return run(at)


# ---------------------------------------------------------------- 2. Back, Forward, "Back to results"


def test_browser_back_and_forward_show_the_page_of_that_url(app, searcher):
    at = app({"q": "iron bridge", "min": "0.1"})
    results = card_ids(at, "search")
    search_url = dict(at.query_params)
    at.button(key=f"search-open-{results[0]}").click()
    run(at)
    assert at.session_state["view"] == "document" and "rf-selected" in html(at)
    document_url = dict(at.query_params)

    go_to(at, search_url)  # Back
    assert at.session_state["view"] == "search" and card_ids(at, "search") == results
    assert dict(at.query_params) == search_url  # nothing pushed on top of the entry we went back to
    go_to(at, document_url)  # Forward
    assert at.session_state["view"] == "document" and at.session_state["passage"] == results[0]
    assert dict(at.query_params) == document_url


def test_back_to_results_from_an_opened_document(app, searcher):
    at = app({"q": "iron bridge", "min": "0.1", "meta.topic": "Economy"})
    results = card_ids(at, "search")
    at.button(key=f"search-open-{results[0]}").click()
    run(at)
    assert at.query_params["back"] == "search"
    at.button(key="doc-back").click()
    run(at)
    assert at.session_state["view"] == "search" and card_ids(at, "search") == results
    assert "back" not in at.query_params and at.query_params["meta.topic"] == "Economy"
    at = app({"view": "document", "read": explorer_corpus.doc_id(searcher, "founders")})  # not reached from results
    assert "doc-back" not in [b.key for b in at.button]


# ---------------------------------------------------------------- 1 and 7. The chosen passage in the reader


def test_the_reader_is_brought_to_the_chosen_passage_once_per_choice(app, searcher):
    founders = explorer_corpus.doc_id(searcher, "founders")
    river = explorer_corpus.hit_ids(searcher, "founders")[1]
    at = app({"view": "document", "read": founders})
    assert "scrollTop" not in html(at)  # nothing chosen: the reader starts at the top
    at.button(key=f"doc-sel-{river}").click()
    run(at)
    scripts = [h.value for h in at.html if "scrollTop" in h.value]
    assert len(scripts) == 1 and f'"{river}"' in scripts[0]


def test_switching_level_keeps_the_choice_at_the_new_level(app, searcher):
    founders = explorer_corpus.doc_id(searcher, "founders")
    paragraph = explorer_corpus.hit_ids(searcher, "founders")[1]
    sentences = searcher.document(founders).passages["sentence"]
    at = app({"view": "document", "read": founders, "p": paragraph, "min": "0.3"})
    assert "Chosen paragraph · 2" in html(at)
    at.segmented_control(key="level").set_value("sentence")
    run(at)
    held = next(s for s in sentences if s.start == searcher.passage(paragraph).start)
    assert at.session_state["passage"] == held.passage_id and at.query_params["p"] == held.passage_id
    assert f"Chosen sentence · {held.ordinal + 1}" in html(at) and "Chosen paragraph" not in html(at)
    assert all(searcher.passage(p).level == "sentence" for p in card_ids(at, "doc"))
    at.segmented_control(key="level").set_value("paragraph")
    run(at)
    assert at.session_state["passage"] == paragraph


# ---------------------------------------------------------------- 8. Filters, counts, Compare, long queries


def test_active_filters_are_summarised_above_the_results(app, searcher):
    at = app({"q": "iron bridge", "min": "0.1"})
    assert 'class="rf-filterbar"' not in html(at)
    at = app({"q": "iron bridge", "min": "0.1", "meta.topic": "Politics", "from": "2022-01-01"})
    bar = next(h.value for h in at.html if 'class="rf-filterbar"' in h.value)
    assert "2022-01-01 – end" in bar and "Topic: Politics" in bar and "4 of 8 documents" in bar
    at.button(key="filterbar-clear").click()
    run(at)
    assert 'class="rf-filterbar"' not in html(at) and "meta.topic" not in at.query_params and "from" not in at.query_params


def test_metadata_counts_follow_the_other_filters(app):
    at = app()
    assert at.multiselect(key="meta.topic").options == ["Agriculture (1)", "Economy (1)", "Politics (4)", "Science (2)"]
    at.date_input(key="dates").set_value((dt.date(2022, 1, 1), dt.date(2022, 12, 31)))
    at.multiselect(key="meta.country").set_value(["Kestria"])
    run(at)
    # 2022 and Kestria: the year-only remarks and the new year address (the hostile one is Mavorian)
    assert at.multiselect(key="meta.topic").options == ["Agriculture (0)", "Economy (0)", "Politics (2)", "Science (0)"]
    # a field's own choice does not narrow its counts: Mavoria still shows what choosing it would give
    assert at.multiselect(key="meta.country").options == ["Kestria (2)", "Mavoria (1)"]


def test_compare_opens_either_side_in_its_document(app, searcher):
    a, b = explorer_corpus.hit_ids(searcher, "bridge")[1], explorer_corpus.hit_ids(searcher, "yearonly")[1]
    at = app({"view": "compare", "a": a, "b": b})
    at.button(key="cmp-open-b").click()
    run(at)
    assert at.session_state["view"] == "document" and at.query_params["read"] == searcher.passage(b).doc_id
    assert at.query_params["p"] == b and at.query_params["back"] == "compare"
    at.button(key="doc-back").click()
    run(at)
    assert at.session_state["view"] == "compare" and (at.query_params["a"], at.query_params["b"]) == (a, b)


def test_a_long_query_is_carried_whole_by_the_link(app):
    query = " ".join(["the iron bridge over the Ossel river opens for trucks and trains"] * 80)[:5000]
    at = app({"min": "0.1"})
    at.text_input(key="q").input(query)
    run(at)
    assert at.query_params["q"] == query and len(query) == 5000
    reopened = app(dict(at.query_params))
    assert reopened.session_state["q"] == query
    assert card_ids(reopened, "search") == card_ids(at, "search")


LONG_IN_A_LINK = "우리 인민과 당은 하나의 큰 강처럼 흐른다 "  # Hangul: 9 characters each once percent-encoded


def too_long_for_a_link() -> str:
    query = (LONG_IN_A_LINK * (URL_QUERY_BUDGET // len(quote_plus(LONG_IN_A_LINK)) + 2)).strip()
    assert len(query) < 20_000 < len(quote_plus(query))
    return query


def test_a_query_too_long_for_a_link_is_left_out_and_said_so():
    query = too_long_for_a_link()
    assert "q" not in to_params(from_params({"q": query}))
    assert from_params({"q": query}).query == query  # read whole (the Searcher takes 20,000 characters)
    assert from_params({"q": "x" * 20_001}).query == ""  # never cut to another query


def test_the_page_says_when_a_query_is_too_long_for_a_link(app):
    query = too_long_for_a_link()
    at = app({"min": "0.1"})
    at.text_input(key="q").input(query)
    run(at)
    assert "q" not in at.query_params and "too long for a link" in texts(at)
