"""Recurring formulations on small corpora with the stand-in encoder: grouping rules, numbers, caching."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.store import layout
from index.store.derived import result_path, store_streamed, stored
from index.store.vectorfile import write_vectors
from index.errors import RefrainError
from index.mining import corpus as corpus_module
from index.mining.describe import core_wording
from index.mining.grouping import centre_groups
from index.mining.inclusion import diverge, shared_stems, super_phrases
from index.mining.pairs import similar_pairs
from index.mining.params import PhraseParams
from index.mining.phrases import lexical_phrases
from index.mining.recurring import MiningParams, mine, recurring
from index.mining.salience import WordStats, assess
from index.mining.select import select
from index.mining.types import Centre, Formulation, MiningResult, PhrasesResult, Salience, Seen, Variant
from index.search import Searcher
from index.words import WORD
from tests.conftest import quick_build, write_corpus
from tests.mining_checks import variant_counts_add_up

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


def test_mining_again_without_the_cache_replaces_the_stored_result(mined):
    """`recurring --no-cache` mines afresh and keeps what it found: the explorer and the next `recurring` read it."""
    searcher, first = mined
    params = MiningParams(level="sentence", threshold=0.8, min_docs=3)
    (path,) = (searcher.root / layout.DERIVED).glob("recurring-*.json")
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "computed_at": "2000-01-01T00:00:00+00:00"}))  # marks the old result
    fresh = recurring(searcher, params, use_cache=False)
    assert fresh.computed_at != "2000-01-01T00:00:00+00:00" and fresh.formulations == first.formulations
    assert json.loads(path.read_text())["computed_at"] == fresh.computed_at
    assert recurring(searcher, params).computed_at == fresh.computed_at


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


def test_a_large_result_is_stored_an_item_at_a_time_and_reads_back_whole(tmp_path):
    """A phrase-level mining of an archive holds millions of members: stored item by item, read as one dict."""
    key = (tmp_path, "recurring", "c" * 16, {"level": "phrase"}, 7)
    head = {"kind": "recurring", "params": {"level": "phrase"}, "note": "Juche 주체 “quoted”"}
    items = [{"id": "f-1", "text": "ü"}, {"id": "f-2", "members": [1, 2]}]
    store_streamed(*key, head, "formulations", iter(items))
    text = result_path(*key).read_text(encoding="utf-8")
    assert json.loads(text) == {**head, "formulations": items, "version": 7} == stored(*key)
    assert list(json.loads(text)) == ["kind", "params", "note", "formulations", "version"]
    store_streamed(*key, head, "formulations", iter(()))
    assert stored(*key)["formulations"] == []


def test_a_store_that_fails_midway_leaves_the_earlier_result(tmp_path):
    key = (tmp_path, "recurring", "c" * 16, {"level": "phrase"}, 7)
    store_streamed(*key, {"kind": "recurring"}, "formulations", iter([{"id": "old"}]))

    def failing():
        yield {"id": "new"}
        raise OSError(28, "No space left on device")

    store_streamed(*key, {"kind": "recurring"}, "formulations", failing())
    assert stored(*key)["formulations"] == [{"id": "old"}]
    assert [p.name for p in result_path(*key).parent.iterdir()] == [result_path(*key).name]  # no scratch left


def test_a_full_disk_while_mining_phrases_is_one_clear_error(mined, monkeypatch):
    """The phrase level writes its vectors to a scratch file: a full disk there (a real ENOSPC from /dev/full) is
    one sentence naming the file and the way out, not a traceback."""
    searcher, _ = mined
    monkeypatch.setattr(corpus_module, "write_vectors",
                        lambda path, shape, blocks: write_vectors(Path("/dev/full"), shape, blocks))
    with pytest.raises(RefrainError, match=r"cannot write the [\d,]+ phrases' vectors to .*phrases\.npy .*the disk "
                                           r"is full .*TMPDIR"):
        mine(searcher, MiningParams(level="phrase", min_docs=2))


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
    # the 8-bit codes only find candidates: every score is the exact inner product
    np.testing.assert_allclose(approx[2], sims[approx[0], approx[1]], rtol=0, atol=1e-6)


def test_the_self_join_reads_a_levels_vectors_from_disk_and_finds_the_same_pairs(sample_hashing_index):
    """Mining a level joins its distinct texts' vectors read from the vectors file a batch at a time
    (corpus.NodeVectors): the same pairs and exact scores as the same vectors held in memory."""
    from index.mining.corpus import NodeVectors

    searcher = Searcher(sample_hashing_index)
    level = searcher.levels["sentence"]
    nodes = np.arange(0, len(level.doc_rows), 2)  # every other row, ascending, as a corpus's first occurrences are
    on_disk = NodeVectors(level, nodes)
    held = np.asarray(level.vectors[nodes])
    assert on_disk.shape == held.shape and np.array_equal(on_disk[5:300], held[5:300])
    assert np.array_equal(on_disk[np.array([0, 7, 8, 40])], held[[0, 7, 8, 40]])
    from_disk, in_memory = similar_pairs(on_disk, 0.8, exact=False), similar_pairs(held, 0.8, exact=False)
    assert len(in_memory[0]) > 0
    for a, b in zip(from_disk, in_memory):
        assert np.array_equal(a, b)
    np.testing.assert_allclose(from_disk[2], np.einsum("ij,ij->i", held[from_disk[0]], held[from_disk[1]]), atol=1e-6)


def test_phrases_counted_as_arrays_agree_with_a_direct_count(sample_hashing_index):
    """find_phrases counts n-grams as arrays of word numbers: each phrase's passages, documents and surface text
    agree with a plain scan of the sentences' words."""
    from index.mining.phrases import find_phrases, sentence_table

    table = sentence_table(Searcher(sample_hashing_index))
    found = find_phrases(table, min_docs=3)
    assert len(found) > 50 and any(len(p.words) > 8 for p in found)  # windows joined into longer phrases too
    words = [table.wording.words(text) for text in table.texts]
    for phrase in found[:150] + found[-50:] + [p for p in found if len(p.words) > 8]:
        n = len(phrase.words)
        holding = [i for i, seq in enumerate(words) if any(seq[k:k + n] == phrase.words for k in range(len(seq) - n + 1))]
        assert phrase.passages == holding, phrase.key
        assert phrase.documents == len({int(table.doc_ords[i]) for i in holding}) >= 3, phrase.key
        assert table.wording.words(phrase.text) == phrase.words and phrase.text in table.texts[holding[0]]


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


# ---------------------------------------------------------------- distinct lines, salience, labels and counts


def _w(text):
    return [w.lower() for w in WORD.findall(text)]


def test_lines_that_branch_off_a_shared_run_diverge():
    apart = [("simultaneously pushing forward economic construction and defence upbuilding",
              "simultaneously pushing forward economic construction and building nuclear armed forces"),
             ("labour-first spirit", "science-first spirit"),
             ("hold high the banner of self-reliance", "carry forward the torch of self-reliance"),
             ("officials of the Party and the government", "officials of the Party and working people")]
    one_line = [("the great people-first politics", "people-first politics of our Party"),  # context on either side
                ("our state-first principle", "the principle of our state first"),  # reordered
                ("people-first principle", "based on the people-first principle"),  # included
                ("hold high the banner of self-reliance", "holding high the banner of self-reliance"),  # word forms
                ("simultaneously pushing forward economic construction and defence",
                 "simultaneously advancing economic construction and defence"),  # a changed word inside: a variant
                ("flood-hit area", "flood-stricken area")]  # too little shared to say
    for a, b in apart:
        assert diverge(_w(a), _w(b)) and diverge(_w(b), _w(a)), (a, b)
    for a, b in one_line:
        assert not diverge(_w(a), _w(b)), (a, b)


def test_a_stem_inside_two_diverging_lines_is_shared_not_a_bridge():
    keys = [_w(t) for t in ("pushing forward economic construction", "pushing forward economic construction and coastal defence",
                            "pushing forward economic construction and rocket forces", "people-first principle",
                            "based on the people-first principle")]
    supers = super_phrases(keys)
    assert supers == [[1, 2], [], [], [4], []]
    assert shared_stems(keys, supers) == {0: [1, 2]}  # "people-first principle" is inside one line only


def test_grouping_never_puts_two_conflicting_texts_in_one_group():
    # Node 0 is close to 1 and 2; 1 and 2 conflict (two lines), so the centre takes the closer one only.
    first, second, score = np.array([0, 0]), np.array([1, 2]), np.array([0.9, 0.8], dtype=np.float32)
    weight = np.array([5, 3, 3])
    plain = centre_groups(3, first, second, score, weight, ["a", "b", "c"])
    assert [sorted(m) for _, m in plain] == [[0, 1, 2]]
    apart = centre_groups(3, first, second, score, weight, ["a", "b", "c"], conflict=lambda u, v: {u, v} == {1, 2})
    assert sorted(sorted(m) for _, m in apart) == [[0, 1], [2]]


def test_salience_puts_titles_names_and_stock_phrases_in_their_category():
    stats = WordStats.of(["The respected Chairman Tamsin opened the plenum.", "The message said:",
                          "Arvo Tamsin, president of the State Council, spoke.", "We follow the people-first principle.",
                          "Our people and our Party are one.", "The people of the valley met the Party secretary."] * 3)
    def category(label, members=()):
        return assess(label, members or [label], 3, stats).category
    assert category("respected Chairman Tamsin") == "title"  # an honorific
    assert category("president of the State Council") == "title"  # a title word and a name
    assert category("Arvo Tamsin, president") == "title"
    assert category("message said", ["The message said:"] * 3) == "stock"  # a header
    assert category("received a message") == "stock"  # reporting words
    assert category("people-first principle") == "formulation"
    assert category("people and our Party") == "formulation"  # half names is not enough
    common, rare = assess("people and our Party", [], 3, stats), assess("people-first principle", [], 3, stats)
    assert rare.distinctiveness > common.distinctiveness and rare.score > common.score


def test_salience_reads_korean_words_without_their_particles():
    """Korean has no capitals: titles come from its title words and honorifics, stock phrases from its reporting
    words, each counted without the particle attached ('위원장께서' is '위원장')."""
    from index.mining.wording import Wording

    texts = ["경애하는 위원장께서 현지를 지도하시였다.", "새별중앙통신은 다음과 같은 보도를 발표하였다.",
             "우리는 자력갱생의 기치를 높이 들고 경제강국 건설을 다그친다.", "자력갱생의 기치를 높이 든다."] * 3
    stats = WordStats.of(texts, Wording.of("ko", texts))
    def category(label):
        return assess(label, [label], 3, stats).category
    assert category("경애하는 위원장께서") == "title"  # an honorific
    assert category("위원장 동지") == "title"  # title words only
    assert category("보도를 발표하였다") == "stock"  # reporting words
    assert category("자력갱생의 기치를 높이 들고 경제강국 건설") == "formulation"
    assert stats.holding["자력갱생"] == 6  # '자력갱생의' counted as its stem
    assert assess("자력갱생의 기치", [], 3, stats).name_share == 0.0  # no word is a name by its letters


def test_phrase_variant_counts_add_up_and_lines_report_the_wording_they_share(tmp_path, hashing):
    stem = "simultaneously pushing forward economic construction"
    lines = {"old": f"{stem} and coastal fortification", "new": f"{stem} and building the strategic rocket forces"}
    frames = {"old": ["The Party keeps {} in every district.", "Farmers of Ossel endorsed {} yesterday.",
                      "Our miners said that {} remains the course."],
              "alone": ["Speakers praised {} at the meeting.", "Nobody doubts {} now.", "Teachers explained {} to pupils."],
              "new": ["The congress adopted {} on Monday.", "Engineers welcomed {} warmly.", "Since spring {} has guided us."]}
    files = {}
    for i in range(3):
        files[f"2019-0{i + 1}-01_old{i}.txt"] = speech(i, frames["old"][i].format(lines["old"]))
        files[f"2022-0{i + 1}-01_new{i}.txt"] = speech(10 + i, frames["new"][i].format(lines["new"]))
        files[f"2020-0{i + 1}-01_alone{i}.txt"] = speech(20 + i, frames["alone"][i].format(stem))
    out = tmp_path / "index"
    quick_build([write_corpus(tmp_path / "c", files)], out, hashing)
    result = recurring(Searcher(out), MiningParams(level="phrase", threshold=0.5))
    for f in result.formulations:
        variant_counts_add_up(f)
    old = next(f for f in result.formulations if f.label == lines["old"])
    new = next(f for f in result.formulations if f.label == lines["new"])
    alone = next(f for f in result.formulations if f.label == stem)  # used on its own in three documents
    assert (old.first_seen.date, old.last_seen.date) == ("2019-01-01", "2019-03-01")
    assert (new.first_seen.date, new.last_seen.date) == ("2022-01-01", "2022-03-01")
    assert alone.n_documents == 9 and alone.first_seen.date == "2019-01-01"  # every sentence holding the stem
    for f in (old, new, alone):
        (shared,) = f.shared
        assert shared.text == stem and set(shared.formulations) == {old.id, new.id, alone.id}
