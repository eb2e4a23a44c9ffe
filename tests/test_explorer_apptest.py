"""The explorer's main flows, driven through Streamlit's AppTest (widgets found by key).

Most tests open a small index built with the hashing encoder (tests/explorer_corpus.py); one builds
the bundled sample on "first start" with the real model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import explorer_corpus
from apptest_support import (APP, card_ids, fresh_caches, html, index_dir, plain, run,  # noqa: F401  (fixtures)
                             searcher, texts)
from index.store import layout
from index.search import Searcher

RIVER_QUERY = "our people and our Party flow together like one great river"


@pytest.fixture
def app(monkeypatch, index_dir):
    def make(index: Path | None = None, params: dict | None = None, **env) -> AppTest:
        monkeypatch.setenv("REFRAIN_INDEX", str(index or index_dir))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params.update(params or {})
        return run(at)
    return make


# ---------------------------------------------------------------- Search


def test_search_shows_cards_with_shared_words_marked(app, searcher):
    at = app(params={"min": "0.1"})
    assert "Type a formulation above" in html(at)
    at.text_input(key="q").input("iron bridge")
    run(at)
    ids = card_ids(at, "search")
    bridge = set(explorer_corpus.hit_ids(searcher, "bridge"))
    assert ids[:2] and set(ids[:2]) <= bridge
    body = html(at)
    assert '<mark class="hl">iron bridge</mark>' in body and "Iron bridge opens at Tarsk" in body
    assert at.query_params["q"] == "iron bridge" and at.query_params["min"] == "0.1"
    assert at.download_button(key="search-csv") and at.download_button(key="search-json")

    at.segmented_control(key="level").set_value("sentence")
    at.number_input(key="k").set_value(2)
    run(at)
    assert len(card_ids(at, "search")) == 2
    assert all(searcher.passage(pid).level == "sentence" for pid in card_ids(at, "search"))
    assert at.query_params["level"] == "sentence" and at.query_params["k"] == "2"


def test_minimum_score_and_empty_results_give_a_message(app):
    at = app(params={"q": "zebra quantum", "min": "0.3"})
    assert card_ids(at, "search") == []
    assert "No passage scores above the minimum score" in texts(at)
    at.text_input(key="q").input("   ")
    run(at)
    assert "Type a formulation above" in html(at) and not at.error


def test_exact_phrase_mode_uses_full_text_search(app, searcher):
    at = app(params={"q": "one great river"})
    at.toggle(key="exact").set_value(True)
    run(at)
    ids = card_ids(at, "search")
    assert len(ids) == 4
    for pid in ids:
        assert "one great river" in searcher.passage(pid).text.lower()
    assert html(at).count("exact phrase") == 4 and '<mark class="hl">one great river</mark>' in html(at)
    assert at.query_params["exact"] == "1"


def test_more_like_this_replaces_the_results_and_can_go_back(app, searcher):
    river = explorer_corpus.hit_ids(searcher, "founders")[1]
    at = app(params={"q": RIVER_QUERY, "min": "0.1"})
    before = card_ids(at, "search")
    assert river in before
    at.button(key=f"search-more-{river}").click()
    run(at)
    assert at.session_state["like"] == river and at.query_params["like"] == river
    after = card_ids(at, "search")
    assert after and after != before and river not in after
    founders_doc = searcher.passage(river).doc_id
    assert all(searcher.passage(pid).doc_id != founders_doc for pid in after)
    assert "Source passage" in html(at)
    at.button(key="search-back").click()
    run(at)
    assert at.session_state["like"] is None and "like" not in at.query_params


def test_filters_restrict_results_and_live_in_the_url(app, searcher):
    at = app(params={"q": RIVER_QUERY, "min": "0.1"})
    assert {searcher.passage(p).meta["country"][0] for p in card_ids(at, "search")} >= {"Kestria"}
    at.multiselect(key="meta.topic").set_value(["Politics"])
    run(at)
    ids = card_ids(at, "search")
    assert ids and all(searcher.passage(p).meta["topic"] == ["Politics"] for p in ids)
    assert at.query_params["meta.topic"] == "Politics"
    import datetime as dt

    at.date_input(key="dates").set_value((dt.date(2022, 1, 1), dt.date(2022, 12, 31)))
    run(at)
    ids = card_ids(at, "search")
    assert ids and all(searcher.passage(p).date.startswith("2022") for p in ids)
    assert (at.query_params["from"], at.query_params["to"]) == ("2022-01-01", "2022-12-31")
    at.button(key="clear-filters").click()
    run(at)
    assert "meta.topic" not in at.query_params and "from" not in at.query_params


def test_hostile_markup_is_escaped_everywhere(app, searcher):
    hostile = explorer_corpus.hit_ids(searcher, "hostile")[0]
    at = app(params={"q": "iron bridge", "min": "0", "k": "20"})
    assert hostile in card_ids(at, "search")
    body = html(at)
    assert "<script" not in body and "<img" not in body and "<b>markup" not in body
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body
    assert "[click](javascript:alert(1))" in body and "&lt;b&gt;markup&lt;/b&gt;" in body
    for element in [*at.markdown, *at.caption]:
        assert "javascript:" not in element.value or "\\(" in element.value
    at = app(params={"view": "document", "read": searcher.passage(hostile).doc_id, "p": hostile})
    scripts = [h.value for h in at.html if "<script" in h.value]  # the reader's own scroll script, and nothing else
    assert len(scripts) == 1 and "scrollTop" in scripts[0] and "__pwned" not in scripts[0]
    assert "&lt;script&gt;" in html(at)


# ---------------------------------------------------------------- Document


def test_document_view_reads_a_document_and_lists_where_else(app, searcher):
    at = app(params={"view": "document", "min": "0.3"})
    assert at.selectbox(key="read").value is None
    founders = explorer_corpus.doc_id(searcher, "founders")
    at.selectbox(key="read").set_value(founders)
    run(at)
    paragraphs = explorer_corpus.hit_ids(searcher, "founders")
    assert all(at.button(key=f"doc-sel-{pid}") for pid in paragraphs)
    assert "Founders day" in html(at) and at.query_params["read"] == founders
    at.button(key=f"doc-sel-{paragraphs[1]}").click()
    run(at)
    assert at.query_params["p"] == paragraphs[1]
    found = card_ids(at, "doc")
    assert len(found) == 4 and all(searcher.passage(p).doc_id != founders for p in found)
    by_score = [searcher.pair_score(paragraphs[1], p) for p in found]
    assert by_score == sorted(by_score, reverse=True)
    at.segmented_control(key="sort").set_value("date")
    run(at)
    dates = [searcher.passage(p).date for p in card_ids(at, "doc")]
    assert dates == sorted(dates) and at.query_params["sort"] == "date"


def test_open_document_from_a_hit(app, searcher):
    at = app(params={"q": "iron bridge", "min": "0.1"})
    pid = card_ids(at, "search")[0]
    at.button(key=f"search-open-{pid}").click()
    run(at)
    assert at.session_state["view"] == "document" and at.session_state["read"] == searcher.passage(pid).doc_id
    assert at.query_params["view"] == "document" and at.query_params["p"] == pid
    assert "rf-selected" in html(at)


# ---------------------------------------------------------------- Compare


def test_compare_two_hits_side_by_side(app, searcher):
    at = app(params={"q": RIVER_QUERY, "min": "0.5"})
    first, second = explorer_corpus.hit_ids(searcher, "bridge")[1], explorer_corpus.hit_ids(searcher, "yearonly")[1]
    at.button(key=f"search-cmp-{first}").click()
    run(at)
    assert at.session_state["a"] == first and at.session_state["view"] == "search"
    at.button(key=f"search-cmp-{second}").click()
    run(at)
    assert at.session_state["view"] == "compare" and (at.query_params["a"], at.query_params["b"]) == (first, second)
    body = html(at)
    assert '<mark class="same">Our people and our Party flow together</mark>' in body
    assert '<mark class="moved">Like one great river</mark>' in body
    assert "similarity in meaning" in body
    at.button(key="cmp-swap").click()
    run(at)
    assert (at.query_params["a"], at.query_params["b"]) == (second, first)


def test_compare_pickers_choose_passages(app, searcher):
    at = app(params={"view": "compare"})
    assert "Pick two passages" in html(at)
    harvest, science = explorer_corpus.doc_id(searcher, "harvest"), explorer_corpus.doc_id(searcher, "science")
    at.selectbox(key="cmp-doc-a").set_value(harvest)
    run(at)
    at.selectbox(key="cmp-doc-b").set_value(science)
    run(at)
    assert at.session_state["a"] == explorer_corpus.hit_ids(searcher, "harvest")[0]
    wanted = explorer_corpus.hit_ids(searcher, "science")[1]
    at.selectbox(key="cmp-pass-b").set_value(wanted)
    run(at)
    assert at.query_params["b"] == wanted and 'id="rf-side-b"' in html(at)


# ---------------------------------------------------------------- Timeline and Map: tests/test_explorer_timeline_map.py


# ---------------------------------------------------------------- URL state


def test_a_copied_url_reopens_the_same_view(app, searcher):
    founders = explorer_corpus.doc_id(searcher, "founders")
    passage = [h.passage_id for h in searcher.document(founders).passages["sentence"]][1]
    params = {"view": "document", "q": "iron bridge", "level": "sentence", "k": "7", "min": "0.35",
              "meta.country": "Kestria", "read": founders, "p": passage, "sort": "date"}
    at = app(params=params)
    ss = at.session_state
    assert (ss["view"], ss["q"], ss["k"], ss["min_score"], ss["read"], ss["passage"], ss["sort"]) == \
        ("document", "iron bridge", 7, 0.35, founders, passage, "date")
    assert ss["meta.country"] == ["Kestria"]
    found = card_ids(at, "doc")
    assert found and all(searcher.passage(p).meta["country"] == ["Kestria"] for p in found)
    assert at.query_params == params


def test_bad_url_values_fall_back_without_errors(app):
    at = app(params={"view": "nope", "k": "lots", "min": "inf", "level": "chapter", "read": "missing",
                     "p": "gone", "like": "<script>", "from": "yesterday", "meta.topic": "Nonexistent",
                     "meta.<x>": "y", "doc": "zzz", "index": "/etc"})
    ss = at.session_state
    assert (ss["view"], ss["k"], ss["min_score"], ss["level"], ss["read"], ss["like"]) == \
        ("search", 10, 0.4, "paragraph", None, None)
    assert ss["meta.topic"] == [] and ss["docs"] == []
    assert not at.error and dict(at.query_params) == {}


# ---------------------------------------------------------------- index problems


def test_missing_index_is_a_message(app, tmp_path):
    at = app(index=tmp_path / "nothing-here")
    assert at.error and "no index in" in at.error[0].value and "refrain build" in plain(at.error[0].value)
    assert not at.text_input


def test_incompatible_index_is_a_message(app, tmp_path, index_dir):
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    generation = layout.current_generation(copy)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["format_version"] = 99
    (generation / "manifest.json").write_text(json.dumps(manifest))
    at = app(index=copy)
    assert at.error and "newer than this Refrain reads" in at.error[0].value


def test_index_built_with_another_model_is_a_message(app, tmp_path, index_dir):
    at = app(REFRAIN_MODEL="builtin:hashing-32")
    assert at.error and "was built with model 'builtin:hashing-256'" in plain(at.error[0].value)
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    generation = layout.current_generation(copy)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["model"]["name"] = str(tmp_path / "no-such-model")
    (generation / "manifest.json").write_text(json.dumps(manifest))
    at = app(index=copy, REFRAIN_MODEL="")
    assert at.error and "cannot load model" in at.error[0].value


def test_a_rebuilt_index_is_picked_up_without_restart(app, tmp_path):
    out = tmp_path / "index"
    explorer_corpus.build(out)
    at = app(index=out, params={"q": "laboratories in Varnholm", "min": "0.2"})
    assert len(card_ids(at, "search")) == 1
    folder = tmp_path / "corpus2"
    explorer_corpus.write(folder)
    extra = folder / "more.jsonl"
    extra.write_text(json.dumps({"id": "lab2", "title": "Second laboratory", "date": "2023-09-01", "topic": "Science",
                                 "country": "Kestria", "text": "The new laboratories in Varnholm open next spring."}) + "\n")
    explorer_corpus.build(out, folder, (extra,))
    run(at)
    assert len(card_ids(at, "search")) == 2
    assert any("new build" in t.value for t in at.toast)
    at.button(key="reload").click()
    run(at)
    assert len(card_ids(at, "search")) == 2


# ---------------------------------------------------------------- first start (real model)


@pytest.mark.model
def test_first_start_builds_the_sample_and_searches_it(monkeypatch, tmp_path, sample_index, model_cache):
    """With the embeddings cached by the sample_index fixture, this is the real first-start path in seconds."""
    out = tmp_path / "sample"
    monkeypatch.delenv("REFRAIN_INDEX", raising=False)
    monkeypatch.setenv("REFRAIN_SAMPLE_INDEX", str(out))
    monkeypatch.setenv("REFRAIN_CACHE", model_cache)
    at = run(AppTest.from_file(str(APP), default_timeout=300))
    assert layout.current_generation(out) is not None
    assert at.get("progress") and at.get("progress")[0].value == 100
    assert at.status[0].label.startswith("Sample index ready: 48 speeches")
    at.button(key="search-example-0").click()
    run(at)
    found = [Searcher(out).passage(p).text for p in card_ids(at, "search")]
    assert len(found) >= 5 and all("flow together" in t for t in found[:5])
    at = run(AppTest.from_file(str(APP), default_timeout=60))  # a second start opens it, no build
    assert not at.status and at.text_input(key="q")
