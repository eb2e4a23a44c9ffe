"""The Korean sample corpus (explorer/sample/korean) built end to end with the hashing stand-in encoder: every
record read, every date as designed, sentences and paragraphs split as written, planted sentences whole in
exactly their documents, the planted multi-word phrases mined at phrase level whatever particles they carry,
and exact phrases found inside words (the trigram table)."""

import json
import subprocess
import sys

import pytest

from explorer.logic.sample import KOREAN_GROUND_TRUTH, KOREAN_SAMPLE
from index.ingest.records import ReadOptions
from index.mining.inclusion import includes
from index.mining.phrases import sentence_table
from index.mining.recurring import MiningParams, recurring
from index.search import Searcher
from reliability_support import cli
from tests.conftest import REPO, quick_build

TRUTH = json.loads(KOREAN_GROUND_TRUTH.read_text(encoding="utf-8"))
OPTIONS = ReadOptions(id_field="id", meta_fields=("topic",))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from index.embed.encoder import HashingEncoder

    out = tmp_path_factory.mktemp("korean") / "index"
    report = quick_build([KOREAN_SAMPLE], out, HashingEncoder(dim=64, max_tokens=40), OPTIONS)
    searcher = Searcher(out)
    by_id = {}
    for doc in searcher.documents():
        document = searcher.document(doc["doc_id"])
        (copy,) = document.copies
        by_id[_record_id(copy["locator"])] = document
    return report, searcher, by_id


def _record_id(locator: str) -> str:
    line = int(locator.split()[-1])
    return json.loads(KOREAN_SAMPLE.read_text(encoding="utf-8").splitlines()[line - 1])["id"]


def test_every_record_is_read_and_the_language_detected(built):
    report, searcher, by_id = built
    assert report.problems == [] and report.documents == TRUTH["n_documents"] == len(by_id)
    assert report.language["code"] == TRUTH["language"] and report.language["source"] == "detected"
    assert [line for line, _ in report.boilerplate] == TRUTH["boilerplate"]


def test_dates_in_every_korean_form_come_out_as_designed(built):
    _, _, by_id = built
    assert {doc_id: doc.date for doc_id, doc in by_id.items()} == {d["id"]: d["date"] for d in TRUTH["documents"]}
    forms = {d["date_as_written"] for d in TRUTH["documents"]}
    assert {"주체113(2024)년 7월 14일", "주체109년 3월 8일", "2019년 5월 20일", "2020년 8월", "2023년", "2019.10.3",
            "2021. 11. 25."} <= forms  # the forms the corpus exercises


def test_paragraphs_and_sentences_are_split_as_written(built):
    _, _, by_id = built
    for d in TRUTH["documents"]:
        passages = by_id[d["id"]].passages
        assert (len(passages["paragraph"]), len(passages["sentence"])) == (d["paragraphs"], d["sentences"]), d["id"]
        assert all(TRUTH["boilerplate"][0] not in p.text for p in passages["sentence"])
    sentences = {p.text for doc in by_id.values() for p in doc.passages["sentence"]}
    assert set(TRUTH["whole_sentences"]) <= sentences  # quotes, 《newspaper》, dotted and Juche dates kept whole


def test_planted_sentences_are_whole_sentences_in_exactly_their_documents(built):
    _, _, by_id = built
    for formulation in TRUTH["formulations"]:
        found = {doc_id for doc_id, doc in by_id.items() for p in doc.passages["sentence"]
                 if p.text in {v["text"] for v in formulation["variants"]}}
        assert found == set(formulation["documents"]), formulation["id"]
        for variant in formulation["variants"]:
            dates = [by_id[doc_id].date for doc_id, doc in by_id.items()
                     if variant["text"] in {p.text for p in doc.passages["sentence"]}]
            assert (len(dates), min(dates), max(dates)) == (variant["count"], variant["first_seen"], variant["last_seen"])


def test_the_word_with_particles_is_in_exactly_its_documents(built):
    _, searcher, by_id = built
    phrase = TRUTH["word_with_particles"]
    holders = {doc_id for doc_id, doc in by_id.items() for p in doc.passages["sentence"] if phrase["phrase"] in p.text}
    assert holders == set(phrase["documents"])
    for form, documents in phrase["forms"].items():
        assert {doc_id for doc_id, doc in by_id.items() if form in doc.text} == set(documents), form
    # an exact-phrase query for a whole word form finds its sentences
    hits = searcher.phrase("인민대중제일주의를", k=20, level="sentence")
    assert sorted({_record_id(searcher.document(h.doc_id).copies[0]["locator"]) for h in hits}) == \
        phrase["forms"]["인민대중제일주의를"]


def _holders(by_id: dict, level: str, text: str) -> tuple[set[str], int]:
    """The documents whose passages of the level hold the text (a plain substring test), and those passages."""
    passages = [(doc_id, p) for doc_id, doc in by_id.items() for p in doc.passages[level] if text in p.text]
    return {doc_id for doc_id, _ in passages}, len(passages)


@pytest.mark.parametrize("level", ["sentence", "paragraph"])
def test_the_bare_word_finds_every_form_with_its_particles(built, level):
    """The trigram table: '인민대중제일주의' matches inside '인민대중제일주의를/는/의/에/가', totals included."""
    _, searcher, by_id = built
    phrase = TRUTH["word_with_particles"]
    result = searcher.phrase_result(phrase["phrase"], k=100, level=level)
    found = {_record_id(searcher.document(h.doc_id).copies[0]["locator"]) for h in result.hits}
    assert found == set(phrase["documents"]) and len(phrase["documents"]) == 7
    assert (result.documents, result.total) == (7, _holders(by_id, level, phrase["phrase"])[1])
    hybrid = searcher.search_result(phrase["phrase"], k=20, level=level)  # the verbatim side of hybrid search
    assert (hybrid.verbatim_total, hybrid.verbatim_documents) == (result.total, 7)
    assert {h.passage_id for h in hybrid.hits if h.match == "verbatim"} == {h.passage_id for h in result.hits}


def test_a_phrase_of_two_characters_is_scanned_for(built):
    """Too short for trigrams: every passage holding it is still found, inside words and at any position."""
    _, searcher, by_id = built
    for text in ("주의", "토대", "들"):
        result = searcher.phrase_result(text, k=1000, level="sentence")
        documents, passages = _holders(by_id, "sentence", text)
        assert result.total == passages and result.documents == len(documents) > 0, text
        assert all(text in h.text for h in result.hits)
    newest = searcher.phrase_result("토대", k=1000, level="sentence", sort="newest").hits
    assert [h.date for h in newest] == sorted((h.date for h in newest), reverse=True)


def test_an_english_index_has_no_trigram_table(sample_hashing_index):
    searcher = Searcher(sample_hashing_index)
    assert not searcher.lexical.within_words
    assert not searcher.db.query("SELECT name FROM sqlite_master WHERE name LIKE '%trigram%'")


def test_a_korean_index_built_before_the_trigram_table_answers_as_before(built, tmp_path):
    """Dropping the table (as an older build has none) brings back whole-word matching, without errors."""
    import shutil
    import sqlite3

    _, searcher, _ = built
    copy = tmp_path / "index"
    shutil.copytree(searcher.root, copy)
    (database,) = copy.glob("gen-*/index.sqlite")
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TABLE passages_trigram")
    older = Searcher(copy)
    assert not older.lexical.within_words
    assert older.phrase_result("인민대중제일주의", level="sentence").total == 0  # whole words only, as before
    assert older.phrase_result("인민대중제일주의를", level="sentence").documents == 2


def test_the_ground_truth_is_what_the_generator_writes(tmp_path):
    """corpus.jsonl and ground_truth.json are regenerated byte for byte by make_corpus.py (no hand edits)."""
    script = REPO / "explorer" / "sample" / "korean" / "make_corpus.py"
    copy = tmp_path / "make_corpus.py"
    copy.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in ("corpus.jsonl", "ground_truth.json"):
        assert (tmp_path / name).read_bytes() == (KOREAN_SAMPLE.parent / name).read_bytes(), name


@pytest.fixture(scope="module")
def phrase_level(built):
    """Phrase-level formulations, each with the record ids of its member passages' documents."""
    _, searcher, by_id = built
    record_of = {doc.doc_id: record for record, doc in by_id.items()}
    result = recurring(searcher, MiningParams(level="phrase"), use_cache=False)
    wording = sentence_table(searcher).wording
    return [(f, {record_of[m.doc_id] for m in f.members}, {wording.words(v.text) for v in f.variants})
            for f in result.formulations], wording


def test_phrase_level_mining_finds_each_planted_phrase_in_exactly_its_documents(phrase_level):
    found, _ = phrase_level
    for planted in TRUTH["phrases"]:
        words = tuple(planted["words"].split())
        holding = [(f, d) for f, d, v in found if words in v]
        assert len(holding) == 1, planted["id"]
        (f, documents), expected = holding[0], set(planted["documents"])
        precision, recall = len(documents & expected) / len(documents), len(documents & expected) / len(expected)
        assert (precision, recall) == (1.0, 1.0), (planted["id"], sorted(documents))
        assert f.first_seen.date == planted["first_seen"] and f.last_seen.date == planted["last_seen"], planted["id"]
        assert f.n_documents == len(expected)


def test_every_phrase_level_formulation_is_planted_wording(phrase_level):
    """Precision over the whole mining: each formulation is a planted phrase or part of a planted sentence."""
    found, wording = phrase_level
    planted = [tuple(p["words"].split()) for p in TRUTH["phrases"]]
    sentences = [wording.words(v["text"]) for f in TRUTH["formulations"] for v in f["variants"]]
    for f, _, variants in found:
        for words in variants:
            assert any(includes(p, words) for p in planted + sentences), f.label


def test_two_lines_sharing_a_prefix_stay_apart(phrase_level):
    found, wording = phrase_level
    first, second = (next(f for f, _, v in found if tuple(p["words"].split()) in v)
                     for p in TRUTH["phrases"] if p["shares_prefix_with"])
    assert first.id != second.id
    assert not {m.passage_id for m in first.members} & {m.passage_id for m in second.members}
    shared = "자력갱생의 기치를 높이 들고"  # what the lines share: reported with both, never a formulation of its own
    assert [s.text for s in first.shared] == [s.text for s in second.shared] and shared in {s.text for s in first.shared}
    assert not any(includes(wording.words(shared), wording.words(f.label)) for f, _, _ in found)


def test_the_cli_mines_korean_phrases(tmp_path):
    out = tmp_path / "index"
    built = cli("build", KOREAN_SAMPLE, "--out", out, "--model", "builtin:hashing", "--id-field", "id", "--quiet")
    assert built.returncode == 0, built.stderr
    done = cli("recurring", out, "--level", "phrase", "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    labels = {f["label"] for f in json.loads(done.stdout)["formulations"]}
    assert {"과학기술 인재 육성", "지방 공업혁명", "청년들의 애국적 열정과 창조적 지혜"} <= labels
