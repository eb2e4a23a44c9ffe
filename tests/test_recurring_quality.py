"""Quality of recurring formulations with the real model: the sample corpus's planted formulations (sentences,
paragraphs, and phrase lines: successions sharing a long prefix, renamings, a title, an honorific and a stock
header), and on KCNA 2024 the people-first formulations, their label and counts, and what the default order lists
first. Matching rules: index/mining/groundtruth.py."""

import json
import re

import pytest

from index.mining.groundtruth import load_clusters, score
from index.mining.recurring import MiningParams, recurring
from index.mining.select import select
from index.search import Searcher
from tests.conftest import GROUND_TRUTH, KCNA_JSON, KCNA_OPTIONS, quick_build
from tests.mining_checks import variant_counts_add_up

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


# ---------------------------------------------------------------- issue #11: lines, salience, labels and counts


def _phrase_outcome(searcher, result, categories=("formulation",)):
    clusters = [c for c in load_clusters(GROUND_TRUTH, "phrase") if c.category in categories]
    return clusters, score(result.formulations, clusters, doc_names(searcher), phrases=True)


def test_planted_successions_and_renamings_stay_apart_with_exact_dates(sample_index):
    out, _ = sample_index
    searcher = Searcher(out)
    result = recurring(searcher, MiningParams(level="phrase"))
    clusters, outcome = _phrase_outcome(searcher, result)
    print(f"\nphrase lines: {len(clusters)} planted, precision {outcome.precision:.2f}, recall {outcome.recall:.2f}")
    assert len(clusters) == 8 and outcome.precision >= 0.95 and outcome.recall >= 0.95, \
        (outcome.missed, [f.label for f in outcome.false_positives])
    by_id = {c.id: c for c in clusters}
    for cluster in clusters:
        f = outcome.matched[cluster.id]
        assert (f.first_seen.date, f.last_seen.date) == (cluster.first_seen, cluster.last_seen), cluster.id
        if cluster.replaces:  # the old line and its successor or renaming are two formulations
            assert outcome.matched[by_id[cluster.replaces].id].id != f.id
        if cluster.shares:  # the long prefix a succession shares is reported with both lines, joining neither
            partner = by_id[cluster.replaces] if cluster.replaces else next(c for c in clusters if c.replaces == cluster.id)
            shared = {w.text: w.formulations for w in f.shared}
            assert cluster.shares in shared and outcome.matched[partner.id].id in shared[cluster.shares]
            assert not any(v.text == cluster.shares for v in f.variants)


@pytest.mark.parametrize("level", ["sentence", "phrase"])
def test_planted_formulations_rank_above_planted_titles_and_stock_phrases(sample_index, level):
    out, _ = sample_index
    searcher = Searcher(out)
    result = recurring(searcher, MiningParams(level=level))
    clusters = load_clusters(GROUND_TRUTH, level)
    outcome = (_phrase_outcome(searcher, result, ("formulation", "title", "stock"))[1] if level == "phrase" else
               score(result.formulations, clusters, doc_names(searcher)))
    planted = {c.id: c for c in clusters}
    furniture = [f for cid, f in outcome.matched.items() if planted[cid].category != "formulation"]
    slogans = [f for cid, f in outcome.matched.items() if planted[cid].category == "formulation"]
    assert furniture and len(slogans) >= 8
    for cid, f in outcome.matched.items():
        assert f.category == planted[cid].category, (cid, f.label, f.salience)
    shown = [f.id for f in select(result.formulations)]
    assert not {f.id for f in furniture} & set(shown) and {f.id for f in slogans} <= set(shown)
    everything = [f.id for f in select(result.formulations, furniture=True)]
    assert max(everything.index(f.id) for f in slogans) < min(everything.index(f.id) for f in furniture)


@pytest.mark.parametrize("level", ["sentence", "paragraph", "phrase"])
def test_sample_variant_counts_add_up_under_the_most_used_label(sample_index, level):
    out, _ = sample_index
    for f in recurring(Searcher(out), MiningParams(level=level)).formulations:
        variant_counts_add_up(f)


def test_kcna_people_first_is_labelled_by_its_most_used_wording_and_its_counts_add_up(kcna_index):
    out, _ = kcna_index
    result = recurring(Searcher(out), MiningParams(level="phrase"))
    (f,) = [f for f in result.formulations if any(v.text.lower() == "people-first principle" for v in f.variants)]
    print(f"\npeople-first: label {f.label!r}, {f.n_passages} passages in {f.n_documents} documents; variants "
          + ", ".join(f"{v.text!r} {v.passages}/{v.documents}" for v in f.variants)
          + f"; documents using more than one: {f.multi_variant_documents}")
    assert f.label.lower() == "people-first principle"
    variant_counts_add_up(f)
    for other in result.formulations:
        variant_counts_add_up(other)


# An analyst's list of what counts as a title, honorific or name in KCNA, independent of index/mining/salience.py:
# a person's name or title, an honorific, a state or party organ's name, or two or more capitalised words.
KCNA_TITLES = ("kim jong un", "kim il sung", "kim jong il", "kim yo jong", "comrade", "respected", "peerless",
               "president", "chairman", "secretary", "premier", "minister", "marshal", "director", "general staff",
               "workers' party", "workers’ party", "people's army", "people’s army", "state affairs",
               "central committee", "supreme people's assembly", "yoon suk yeol", "choe son hui")


def _is_title_or_name(label: str) -> bool:
    capitalised = [w for w in re.findall(r"[\w'’]+", label)[1:] if w[0].isupper()]
    return any(t in label.lower() for t in KCNA_TITLES) or len(capitalised) >= 2


def test_kcna_default_order_puts_formulations_before_titles_names_and_stock_phrases(kcna_index):
    out, _ = kcna_index
    searcher = Searcher(out)
    phrases = recurring(searcher, MiningParams(level="phrase"))
    top = select(phrases.formulations)[:20]
    titles = [f.label for f in top if _is_title_or_name(f.label)]
    by_documents = select(phrases.formulations, "docs", furniture=True)[:20]
    print("\nKCNA phrase level, top 20 by default order:\n  " + "\n  ".join(
        f"{'T ' if _is_title_or_name(f.label) else '  '}{f.n_documents:>3} docs  {f.label}" for f in top))
    print(f"titles or names: {len(titles)} of 20 (by documents alone: "
          f"{sum(_is_title_or_name(f.label) for f in by_documents)} of 20)")
    assert len(titles) <= 3, titles
    sentences = recurring(searcher, MiningParams(level="sentence"))
    headers = [f for f in sentences.formulations
               if f.label.startswith("Following are major news items") or f.label == "The message said:"]
    assert len(headers) >= 2 and all(f.category == "stock" for f in headers)
    shown = {f.id for f in select(sentences.formulations)}
    assert not shown & {f.id for f in headers}
