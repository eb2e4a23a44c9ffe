"""Quality of recurring formulations with the real model: the sample corpus's planted formulations, and
the people-first formulations of KCNA 2024. Matching rules: index/mining/groundtruth.py."""

import json
import re

import pytest

from index.mining.groundtruth import load_clusters, score
from index.mining.recurring import MiningParams, recurring
from index.search import Searcher
from tests.conftest import GROUND_TRUTH, KCNA_JSON, KCNA_OPTIONS, quick_build

pytestmark = pytest.mark.model


def doc_names(searcher):
    return {doc_id: key.split("/")[-1] for doc_id, key in searcher.db.query("SELECT doc_id, key FROM documents")}


@pytest.mark.parametrize("level", ["sentence", "paragraph"])
def test_planted_formulations_are_recovered_with_exact_dates(sample_index, level):
    out, _ = sample_index
    searcher = Searcher(out)
    result = recurring(searcher, MiningParams(level=level))
    clusters = load_clusters(GROUND_TRUTH, level)
    # A paragraph built around a planted sentence is a correct paragraph-level formulation too.
    known = clusters + (load_clusters(GROUND_TRUTH, "sentence") if level == "paragraph" else [])
    outcome = score(result.formulations, known, doc_names(searcher), contains=level == "paragraph")
    recovered = [c for c in clusters if c.id not in outcome.missed]
    precision, recall = outcome.precision, len(recovered) / len(clusters)
    print(f"\n{level}: {len(result.formulations)} mined, {len(clusters)} planted, precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.9 and recall >= 0.9, (outcome.missed, [f.centre.text for f in outcome.false_positives])
    for cluster in recovered:
        f = outcome.matched[cluster.id]
        assert (f.first_seen.date, f.last_seen.date) == (cluster.first_seen, cluster.last_seen), cluster.id


def _words(text):
    return re.findall(r"\w+", text.lower())


def _contains(sentence_words, phrase_words):
    n = len(phrase_words)
    return any(sentence_words[i:i + n] == phrase_words for i in range(len(sentence_words) - n + 1))


def test_kcna_people_first_formulations_are_dated_by_their_earliest_document(kcna_index):
    out, _ = kcna_index
    searcher = Searcher(out)
    result = recurring(searcher, MiningParams(level="phrase"))
    sentences = searcher.db.query(
        "SELECT p.passage_id, p.text, d.date FROM passages p JOIN documents d USING (doc_id) WHERE p.level = 'sentence'")
    mentions = [(pid, date) for pid, text, date in sentences
                if _contains(_words(text), ["people", "first", "principle"]) or _contains(_words(text), ["people", "first", "politics"])]
    assert len(mentions) >= 15
    people_first = [f for f in result.formulations if any("people-first" in v.text.lower() for v in f.variants)]
    assert people_first
    members = {m.passage_id for f in people_first for m in f.members}
    covered = sum(pid in members for pid, _ in mentions) / len(mentions)
    assert covered >= 0.9, covered
    assert min(f.first_seen.date for f in people_first) == min(date for _, date in mentions)
    for f in people_first:
        # Exact traceability: the members are every sentence holding a variant, and first/last seen are theirs.
        variants = [_words(v.text) for v in f.variants]
        holding = {(pid, date) for pid, text, date in sentences if any(_contains(_words(text), v) for v in variants)}
        assert {m.passage_id for m in f.members} == {pid for pid, _ in holding}
        assert f.first_seen.date == min(d for _, d in holding) and f.last_seen.date == max(d for _, d in holding)
        assert f.n_documents == len({m.doc_id for m in f.members}) >= 3


def _signature(result):
    return sorted(
        (f.id, f.first_seen.date, f.last_seen.date, tuple(sorted(m.passage_id for m in f.members)),
         tuple(sorted(v.text for v in f.variants)))
        for f in result.formulations)


def test_kcna_reordered_records_give_the_same_formulations(kcna_index, tmp_path, model_cache, real_encoder):
    out, _ = kcna_index
    records = json.loads(KCNA_JSON.read_text(encoding="utf-8"))
    shuffled = tmp_path / "shuffled.json"
    shuffled.write_text(json.dumps(records[1::2][::-1] + records[0::2]), encoding="utf-8")
    report = quick_build([shuffled], tmp_path / "index", real_encoder, KCNA_OPTIONS, cache_path=model_cache)
    assert report.embedded == 0
    original, reordered = Searcher(out), Searcher(tmp_path / "index")
    for level in ("sentence", "phrase"):
        a = recurring(original, MiningParams(level=level))
        b = recurring(reordered, MiningParams(level=level))
        assert a.formulations and _signature(a) == _signature(b), level
