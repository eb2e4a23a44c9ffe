"""The explorer's Search view says what k and the minimum score left out, why each hit matched, and gives exact
phrases with their total, order and pages (AppTest, hashing index)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from apptest_support import card_ids, fresh_caches, html, app, index_dir, run, searcher  # noqa: F401  (fixtures)

PHRASE = "one great river"


def test_counts_say_what_the_minimum_score_left_out_and_verbatim_hits_stay(app, searcher):
    verbatim = {h.passage_id for h in searcher.phrase(PHRASE, k=100)}
    at = app(params={"q": PHRASE, "min": "0.95", "k": "10"})
    shown = card_ids(at, "search")
    result = searcher.search_result(PHRASE, k=10, min_score=0.95)
    assert set(shown) == verbatim == {h.passage_id for h in result.hits} and result.below_min > 0
    body = html(at)
    assert f"{len(verbatim)} shown · {result.below_min} more below 0.95 · {len(verbatim)} of {len(verbatim)} verbatim" in body
    assert body.count('class="rf-match rf-match-verbatim"') == len(verbatim)


def test_mode_and_one_per_document_change_the_list_and_live_in_the_url(app, searcher):
    at = app(params={"q": "river", "min": "0"})
    assert card_ids(at, "search") == [h.passage_id for h in searcher.search("river", k=10, min_score=0.0)]
    at.segmented_control(key="mode").set_value("semantic")
    run(at)
    assert card_ids(at, "search") == [h.passage_id for h in searcher.search("river", k=10, min_score=0.0, mode="semantic")]
    assert at.query_params["mode"] == "semantic" and 'class="rf-match rf-match-words"' not in html(at)
    at.toggle(key="onedoc").set_value(True)
    run(at)
    ids = card_ids(at, "search")
    docs = [searcher.passage(p).doc_id for p in ids]
    assert ids and len(docs) == len(set(docs)) and at.query_params["onedoc"] == "1"


def test_exact_phrase_shows_the_total_sorts_and_pages(app, searcher):
    every = searcher.phrase("the", k=1000)
    documents = len({h.doc_id for h in every})
    at = app(params={"q": "the", "exact": "1", "k": "3"})
    assert f"{len(every)} paragraphs in {documents} documents · 1–3 shown, oldest first" in html(at)
    assert card_ids(at, "search") == [h.passage_id for h in every[:3]]
    at.button(key="phrase-next").click()
    run(at)
    assert card_ids(at, "search") == [h.passage_id for h in every[3:6]] and at.query_params["page"] == "2"
    at.segmented_control(key="psort").set_value("newest")
    run(at)
    newest = searcher.phrase("the", k=3, sort="newest")
    assert card_ids(at, "search") == [h.passage_id for h in newest]  # a new order starts at the first page
    assert at.query_params["psort"] == "newest" and "page" not in at.query_params
