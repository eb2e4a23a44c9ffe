"""Searcher additions the explorer needs: every match above a score, pair scores, filtered document lists."""

from __future__ import annotations

import numpy as np
import pytest

import explorer_corpus
from index.errors import RefrainError
from index.search import Filters, Searcher


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    return Searcher(explorer_corpus.built(tmp_path_factory, "matching"))


def test_matching_returns_every_passage_above_the_score_best_first(searcher):
    query = "our people and our Party flow together like one great river"
    everything = searcher.search(query, k=1000, min_score=None)
    expected = {h.passage_id: h.score for h in everything if h.score >= 0.5}
    found = searcher.matching(query, 0.5)
    assert {h.passage_id: h.score for h in found} == expected and len(found) == 5
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
    assert searcher.matching(query, 0.5, limit=2) == found[:2]
    assert searcher.matching("zebra quantum", 0.2) == []


def test_matching_respects_level_and_filters(searcher):
    query = "our people and our Party flow together like one great river"
    kestria_2021 = Filters.make("2021", "2021", meta={"country": ["Kestria"]})
    found = searcher.matching(query, 0.5, level="sentence", filters=kestria_2021)
    assert found and all(h.level == "sentence" and h.date.startswith("2021") and h.meta["country"] == ["Kestria"] for h in found)
    with pytest.raises(RefrainError):
        searcher.matching(query, None)
    with pytest.raises(RefrainError):
        searcher.matching(query, 0.5, level="chapter")


def test_pair_score_is_the_cosine_of_the_stored_vectors(searcher):
    first = explorer_corpus.hit_ids(searcher, "bridge")
    founders = explorer_corpus.hit_ids(searcher, "founders")
    assert searcher.pair_score(first[1], founders[1]) == pytest.approx(1.0, abs=1e-5)  # the same sentence
    a, b = first[0], founders[2]
    rows = {h.passage_id: h for h in searcher.search("x iron bridge parade", k=100, min_score=None)}
    assert a in rows and b in rows
    va = searcher.vectors("paragraph")[searcher._row_of(a)]
    vb = searcher.vectors("paragraph")[searcher._row_of(b)]
    assert searcher.pair_score(a, b) == pytest.approx(float(np.dot(va, vb)), abs=1e-6) == searcher.pair_score(b, a)
    with pytest.raises(RefrainError):
        searcher.pair_score(a, "nope")


def test_documents_can_be_filtered(searcher):
    assert len(searcher.documents()) == 8
    science = searcher.documents(Filters.make(meta={"topic": ["Science"]}))
    assert {d["title"] for d in science} == {"Science congress", "Undated note on science"}
    dated_2022 = searcher.documents(Filters.make("2022-01-01", "2022-12-31"))
    assert {d["date"] for d in dated_2022} == {"2022", "2022-01-15", "2022-12-31"}
