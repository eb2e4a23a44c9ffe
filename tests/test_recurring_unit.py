"""Recurring formulations on small corpora with the stand-in encoder: grouping rules, numbers, caching."""

import json
from dataclasses import replace

import numpy as np
import pytest

from index.store import layout
from index.errors import RefrainError
from index.mining.describe import core_wording
from index.mining.grouping import centre_groups
from index.mining.pairs import similar_pairs
from index.mining.params import PhraseParams
from index.mining.phrases import lexical_phrases
from index.mining.recurring import MiningParams, mine, recurring
from index.mining.select import select
from index.mining.types import Centre, Formulation, MiningResult, PhrasesResult, Salience, Seen, Variant
from index.search import Searcher
from tests.conftest import quick_build, write_corpus

SLOGAN = "Self-reliance is the lifeblood of our glorious Union."
VARIANT = "Self-reliance is still the lifeblood of our glorious Union."


def speech(i: int, *extra: str) -> str:
    things = ["bridge", "school", "clinic", "mine", "port", "farm"]
    opening = [f"The {things[(i + k) % 6]} in district {i * 10 + k} opened on day {i * 7 + k}." for k in range(3)]
    closing = [f"Unique closing remark number {i} about item {i * 13 + k} and {things[k]}s." for k in range(3)]
    return f"Speech {i}\n\n" + "\n\n".join([*opening, *extra, *closing])


@pytest.fixture
def mined(tmp_path, hashing):
    files = {
        "2019-03-01_a.txt": speech(1, SLOGAN),
        "2020-03-01_b.txt": speech(2, SLOGAN),
        "2021-06-01_c.txt": speech(3, VARIANT),
        "2022-06-01_d.txt": speech(4, SLOGAN, "The lonely refrain of the mountain. The lonely refrain of the mountain. The lonely refrain of the mountain."),
        "2023-06-01_e.txt": speech(5),
    }
    out = tmp_path / "index"
    quick_build([write_corpus(tmp_path / "c", files)], out, hashing)
    searcher = Searcher(out)
    return searcher, recurring(searcher, MiningParams(level="sentence", threshold=0.8, min_docs=3))


def test_a_recurring_sentence_and_its_variant_form_one_traceable_formulation(mined):
    searcher, result = mined
    assert len(result.formulations) == 1
    f = result.formulations[0]
    assert (f.n_documents, f.n_passages, f.n_variants) == (4, 4, 2)
    assert f.centre.text == SLOGAN
    assert [(v.text, v.passages, v.first_seen, v.last_seen) for v in f.variants] == [
        (SLOGAN, 3, "2019-03-01", "2022-06-01"), (VARIANT, 1, "2021-06-01", "2021-06-01")]
    assert f.first_seen.date == "2019-03-01" and f.last_seen.date == "2022-06-01"
    # every number is recomputed from the listed member passages
    members = searcher.passages([m.passage_id for m in f.members])
    assert [m.text for m in members] == [m.text for m in f.members]
    assert {m.doc_id for m in members} == {m.doc_id for m in f.members}
    per_year = {}
    for m in f.members:
        per_year[m.date[:4]] = per_year.get(m.date[:4], 0) + 1
    assert {y: c.documents for y, c in f.per_year.items()} == per_year
    assert f.per_year["2021"].share == 1.0 and f.per_month["2021-06"].documents == 1
    assert result.period_totals.years == {"2019": 1, "2020": 1, "2021": 1, "2022": 1, "2023": 1}
    # rise: the latest quarter of the documents starts 2022-06-01 (2022 and 2023: 1 of 2 use it),
    # minus the share before (3 of 3)
    assert result.rise_since == "2022-06-01" and f.rise == -0.5


def test_every_member_is_within_the_threshold_of_its_centre(mined):
    searcher, result = mined
    vectors = searcher.vectors("sentence")
    rows = dict(searcher.db.query("SELECT passage_id, row FROM passages WHERE level = 'sentence'"))
    for f in result.formulations:
        centre_row = next(rows[m.passage_id] for m in f.members if m.text == f.centre.text)
        for m in f.members:
            cosine = float(np.dot(vectors[rows[m.passage_id]], vectors[centre_row]))
            assert cosine >= 0.8 - 1e-5 and abs(cosine - m.similarity) < 1e-3


def test_repeats_inside_one_document_are_not_a_formulation(mined):
    _, result = mined
    assert not any("lonely refrain" in v.text for f in result.formulations for v in f.variants)


def test_results_are_stored_and_reused_until_the_index_changes(tmp_path, mined, hashing):
    searcher, first = mined
    files = list((searcher.root / layout.DERIVED).glob("recurring-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["computed_at"] == first.computed_at
    again = recurring(searcher, MiningParams(level="sentence", threshold=0.8, min_docs=3))
    assert again.computed_at == first.computed_at
    other = recurring(searcher, MiningParams(level="sentence", threshold=0.9, min_docs=3))
    assert other.params.threshold == 0.9 and len(list((searcher.root / layout.DERIVED).glob("*.json"))) == 2


def test_a_stored_result_reads_back_as_the_same_objects_and_json(mined):
    searcher, result = mined
    (path,) = (searcher.root / layout.DERIVED).glob("recurring-*.json")
    stored = json.loads(path.read_text())
    assert stored == result.to_dict() and list(stored) == list(result.to_dict())  # same keys, same order
    assert list(stored["formulations"][0]) == ["id", "level", "label", "salience", "centre", "core", "n_passages",
                                               "n_documents", "n_variants", "multi_variant_documents", "first_seen",
                                               "last_seen", "per_year", "per_month", "rise", "variants", "shared",
                                               "members"]
    params = MiningParams(level="sentence", threshold=0.8, min_docs=3)
    fresh = mine(searcher, params)
    assert MiningResult.from_dict(fresh.to_dict()) == fresh
    assert replace(fresh, computed_at=result.computed_at, seconds=result.seconds) == result


def test_a_damaged_stored_result_is_mined_again(mined):
    searcher, first = mined
    (path,) = (searcher.root / layout.DERIVED).glob("recurring-*.json")
    damaged = json.loads(path.read_text())
    del damaged["formulations"][0]["members"]
    path.write_text(json.dumps(damaged))
    again = recurring(searcher, MiningParams(level="sentence", threshold=0.8, min_docs=3))
    assert again.formulations[0].members == first.formulations[0].members
    assert MiningResult.from_dict(json.loads(path.read_text())) == again  # and stored whole again


def test_lexical_phrases_read_back_and_link_to_the_formulation(mined):
    searcher, result = mined
    phrases = lexical_phrases(searcher, PhraseParams(min_docs=3), result)
    assert PhrasesResult.from_dict(json.loads(json.dumps(phrases.to_dict()))) == phrases
    by_text = {p.phrase: p for p in phrases.phrases}
    slogan = by_text["lifeblood of our glorious Union"]  # the variant's document too: "is still the lifeblood…"
    assert slogan.n_documents == 4 and by_text["Self-reliance is the lifeblood of our glorious Union"].n_documents == 3
    assert slogan.formulations == (result.formulations[0].id,)
    assert slogan.first_seen.date == "2019-03-01" and slogan.first_seen.passage_id is None  # dated by document
    assert list(slogan.to_dict()["first_seen"]) == ["date", "doc_id", "title"]


def test_groups_cannot_drift_along_chains():
    # Four texts 30 degrees apart: A~B, B~C, C~D are above 0.8 (cos 30° = 0.87), A and D are unrelated (cos 90° = 0).
    angles = np.radians([0, 30, 60, 90])
    chain = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    first, second, score = similar_pairs(chain, 0.8)
    assert sorted(zip(first.tolist(), second.tolist())) == [(0, 1), (1, 2), (2, 3)]
    groups = centre_groups(4, first, second, score, np.array([3, 1, 1, 1]), ["a", "b", "c", "d"])
    for centre, members in groups:
        assert not {0, 3} <= set(members)
        assert all(float(chain[m] @ chain[centre]) >= 0.8 - 1e-6 for m in members)
    # B covers the most weight (A, B, C) and becomes the centre; D stands alone
    assert sorted(sorted(members) for _, members in groups) == [[0, 1, 2], [3]]


def test_similar_pairs_matches_brute_force_and_the_approximate_path_finds_nearly_all():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(60, 32)).astype(np.float32)
    points = np.repeat(centres, 8, axis=0) + 0.25 * rng.normal(size=(480, 32)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    sims = points @ points.T
    expected = {(i, j) for i, j in zip(*np.nonzero(np.triu(sims >= 0.8, k=1)))}
    exact = similar_pairs(points, 0.8, exact=True)
    assert set(zip(exact[0].tolist(), exact[1].tolist())) == expected
    approx = similar_pairs(points, 0.8, exact=False)
    found = set(zip(approx[0].tolist(), approx[1].tolist()))
    assert found <= expected and len(found) >= 0.95 * len(expected)


def test_core_wording_keeps_what_the_variants_share():
    assert core_wording("our state-first principle", ["our state-first principle", "the principle of our state first",
                                                       "our state-first idea"]) == "state-first"
    assert core_wording("Only one wording here.", ["Only one wording here."]) == "Only one wording here."


def test_select_sorts_and_filters_by_dates():
    def f(fid, docs, first, last, rise, category="formulation", score=1.0):
        salience = Salience(category, score, 0.5, 1.0, 0.0, 0.0, 0.0)
        return Formulation(fid, "sentence", fid, salience, Centre(fid, fid), fid, docs, docs, 1, 0,
                           Seen(first, "d", "t", "p"), Seen(last, "d", "t", "p"), {}, {}, rise,
                           (Variant(fid, fid, docs, docs, 1.0, first, last),), (), ())
    result = [f("a", 9, "2019-01-01", "2024-05-01", 0.1, score=2.0), f("b", 5, "2022-03-01", "2024-12-01", 0.5, score=3.0),
              f("c", 7, "2019-06-01", "2020-12-31", -0.3, score=1.0)]
    assert [x.id for x in select(result)] == ["b", "a", "c"]  # salience: the score within the category
    furniture = [f("t", 50, "2019-01-01", "2024-01-01", 0.0, "title", 9.0), f("s", 40, "2019-01-01", "2024-01-01", 0.0, "stock", 8.0)]
    assert [x.id for x in select(result + furniture)] == ["b", "a", "c"]  # titles and stock phrases hidden
    assert [x.id for x in select(result + furniture, furniture=True)] == ["b", "a", "c", "t", "s"]  # and listed last
    assert [x.id for x in select(result + furniture, "docs", furniture=True)] == ["t", "s", "a", "c", "b"]
    assert [x.id for x in select(result, "docs")] == ["a", "c", "b"]
    assert [x.id for x in select(result, "first")] == ["b", "c", "a"]
    assert [x.id for x in select(result, "last")] == ["c", "a", "b"]
    assert [x.id for x in select(result, "rising")] == ["b", "a", "c"]
    assert [x.id for x in select(result, since="2022")] == ["b"]
    assert [x.id for x in select(result, until="2021")] == ["c"]
    assert [x.id for x in select(result, min_docs=6, text="c")] == ["c"]
    with pytest.raises(RefrainError):
        select(result, "loudest")


def test_bad_parameters_are_user_errors(mined):
    searcher, _ = mined
    for params in [MiningParams(level="word"), MiningParams(threshold=1.5), MiningParams(min_docs=1)]:
        with pytest.raises(RefrainError):
            recurring(searcher, params)
