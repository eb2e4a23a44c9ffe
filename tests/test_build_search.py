"""Build and search end to end with the stand-in hashing encoder (fast; the real model runs elsewhere)."""

import json

import pytest

from index.store import layout
from index.errors import BuildLocked, IndexUnavailable, RefrainError
from index.ingest.records import ReadOptions
from index.search import Filters, Searcher
from tests.conftest import quick_build, write_corpus

SPEECHES = {
    "2019-05-01_dam.txt": "Opening of the Northern Dam\n\nThe northern dam will bring water to every village in the valley.\n\n"
                          "Our engineers worked through the winter to finish the spillway.\n\nBack to top button",
    "2020-06-12_harvest.txt": "Harvest Festival Address\n\nThe harvest this year broke every record of the past decade.\n\n"
                              "Water from the northern dam reached the fields of every village in the valley.\n\nBack to top button",
    "2021-09-30_rail.txt": "The New Railway\n\nThe railway to the coast opens today after four years of work.\n\n"
                           "Engineers laid the rails through the winter snow.\n\nBack to top button",
    "2022-03-03_school.txt": "A New School\n\nThe new school has room for six hundred children from the valley.\n\nBack to top button",
    "2023-01-01_new-year.txt": "New Year Address\n\nThe new year begins with water in every village and rails to the coast.\n\nBack to top button",
}


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "speeches", SPEECHES)


@pytest.fixture
def built(tmp_path, corpus, hashing):
    out = tmp_path / "index"
    report = quick_build([corpus], out, hashing)
    return out, report


def test_build_reports_documents_passages_and_boilerplate(built):
    out, report = built
    assert report.documents == 5 and report.records == 5 and report.duplicate_records == 0
    assert report.boilerplate == [("Back to top button", 5)]
    searcher = Searcher(out)
    texts = [h.text for d in searcher.documents() for h in searcher.document(d["doc_id"]).passages["paragraph"]]
    assert "Back to top button" not in " ".join(texts)
    assert all("Opening of the Northern Dam" != t for t in texts)  # the title line is not a passage
    assert report.passages["paragraph"] == 8
    assert report.embedded == report.distinct_texts and report.cached == 0


def test_hits_carry_everything_needed_to_show_them_in_context(built):
    out, _ = built
    searcher = Searcher(out)
    hits = searcher.search("water for the villages from the dam", k=3)
    assert len(hits) == 3
    top = hits[0]
    assert "dam" in top.text.lower()
    doc = searcher.document(top.doc_id)
    assert doc.text[top.start:top.end] == top.text
    assert top.title == doc.title and top.date == doc.date and top.level == "paragraph"
    semantic = searcher.search("water for the villages from the dam", k=3, mode="semantic")
    assert semantic == sorted(semantic, key=lambda h: -h.score) and {h.match for h in semantic} == {"meaning"}


def test_filters_return_full_results_and_only_matching_documents(built):
    out, _ = built
    searcher = Searcher(out)
    filtered = searcher.search("water village", k=3, filters=Filters.make(date_from="2020", date_to="2022-12-31"))
    assert len(filtered) == 3
    assert all("2020" <= h.date <= "2022-12-31" for h in filtered)
    one_doc = searcher.documents()[0]["doc_id"]
    hits = searcher.search("water", k=10, filters=Filters.make(doc_ids=[one_doc]))
    assert {h.doc_id for h in hits} == {one_doc} and len(hits) == 2  # both paragraphs, no -1 padding
    scores = [h.score for h in searcher.search("water village", k=8, level="sentence")]
    cut = scores[2]
    kept = searcher.search("water village", k=8, level="sentence", min_score=cut)
    assert [h.score for h in kept] == [s for s in scores if s >= cut] and len(kept) >= 3


def test_similar_excludes_the_same_document_unless_asked(built):
    out, _ = built
    searcher = Searcher(out)
    source = searcher.search("northern dam water village valley", k=1)[0]
    others = searcher.similar(source.passage_id, k=10)
    assert others and all(h.doc_id != source.doc_id for h in others)
    assert "water" in others[0].text.lower() and "village" in others[0].text.lower()
    with_same = searcher.similar(source.passage_id, k=10, include_same_doc=True)
    assert source.passage_id not in {h.passage_id for h in with_same}
    assert any(h.doc_id == source.doc_id for h in with_same)
    sentences = searcher.similar(source.passage_id, k=3, level="sentence")
    assert all(h.level == "sentence" for h in sentences)


def test_phrase_search_is_literal_and_chronological(built):
    out, _ = built
    searcher = Searcher(out)
    hits = searcher.phrase("every village")
    assert [h.date for h in hits] == sorted(h.date for h in hits) and len(hits) == 3
    assert all("every village" in h.text.lower() for h in hits)
    for weird in ['"', 'water" OR "rails', "NEAR(water rails)", "wat*", "-dam", "^water", "text:water", "a AND", "((("]:
        for hit in searcher.phrase(weird):
            assert hit.text  # no crash; anything returned is a real passage
    assert searcher.phrase('water" OR "rails') == []  # quotes and operators are words, not syntax
    assert searcher.phrase("!!!") == []


def test_bad_queries_are_clear_errors(built):
    out, _ = built
    searcher = Searcher(out)
    for call, message in [
        (lambda: searcher.search("   "), "empty query"),
        (lambda: searcher.search("x" * 30_000), "too long"),
        (lambda: searcher.search("water", k=0), "between 1 and"),
        (lambda: searcher.search("water", k=10**9), "between 1 and"),
        (lambda: searcher.search("water", min_score=2), "between -1 and 1"),
        (lambda: searcher.search("water", level="word"), "unknown level"),
        (lambda: searcher.similar("nope"), "no passage"),
        (lambda: searcher.search("water", filters=Filters.make(meta={"colour": ["red"]})), "unknown metadata field"),
        (lambda: searcher.search("water", filters=Filters.make(date_from="soon")), "bad date"),
    ]:
        with pytest.raises(RefrainError, match=message):
            call()


def test_rebuild_keeps_ids_and_embeds_only_new_text(tmp_path, corpus, hashing, built):
    out, first = built
    before = Searcher(out)
    ids_before = {h.passage_id: h.text for d in before.documents() for h in before.document(d["doc_id"]).passages["paragraph"]}
    again = quick_build([corpus], out, hashing)
    assert again.embedded == 0 and again.cached == first.distinct_texts
    assert again.content_hash == first.content_hash
    edited = corpus / "2021-09-30_rail.txt"
    edited.write_text(edited.read_text().replace("four years of work", "five years of hard work"), encoding="utf-8")
    third = quick_build([corpus], out, hashing)
    assert third.embedded == 1  # the changed paragraph is one sentence: one text at both levels, embedded once
    after = Searcher(out)
    ids_after = {h.passage_id: h.text for d in after.documents() for h in after.document(d["doc_id"]).passages["paragraph"]}
    unchanged = {pid for pid, text in ids_before.items() if "four years" not in text}
    assert unchanged <= set(ids_after)  # every unchanged passage keeps its id, in the edited document too
    assert len(set(ids_after) - set(ids_before)) == 1


def test_identical_documents_are_stored_once_with_every_copys_metadata(tmp_path, hashing):
    rows = [
        {"text": "The same article.\nSecond paragraph of it.", "title": "Same", "date": "2024-01-02", "topic": "Home"},
        {"text": "The same article.\nSecond paragraph of it.", "title": "Same", "date": "2024-01-02", "topic": "Latest"},
        {"text": "A different article entirely.", "title": "Other", "date": "2024-01-03", "topic": "Home"},
    ]
    src = tmp_path / "feed.json"
    src.write_text(json.dumps(rows), encoding="utf-8")
    report = quick_build([src], tmp_path / "index", hashing, ReadOptions(meta_fields=("topic",)))
    assert (report.records, report.documents, report.duplicate_records) == (3, 2, 1)
    searcher = Searcher(tmp_path / "index")
    same = next(d for d in searcher.documents() if d["title"] == "Same")
    assert same["meta"] == {"topic": ["Home", "Latest"]} and same["copies"] == 2
    assert len(searcher.document(same["doc_id"]).copies) == 2
    latest = searcher.search("article", k=5, filters=Filters.make(meta={"topic": ["Latest"]}))
    assert {h.title for h in latest} == {"Same"}
    assert searcher.facets()["meta"]["topic"] == {"Home": 2, "Latest": 1}


def test_a_failed_build_leaves_the_previous_index_untouched(tmp_path, built, hashing):
    out, _ = built
    before = [h.passage_id for h in Searcher(out).search("railway", k=3)]
    empty = write_corpus(tmp_path / "empty", {"a.txt": "   \n  "})
    with pytest.raises(RefrainError, match="no readable documents"):
        quick_build([empty], out, hashing)
    assert [h.passage_id for h in Searcher(out).search("railway", k=3)] == before


def test_one_build_at_a_time(tmp_path, built, corpus, hashing):
    out, _ = built
    with layout.BuildLock(out):
        with pytest.raises(BuildLocked, match="another build is running"):
            quick_build([corpus], out, hashing)
    assert quick_build([corpus], out, hashing).embedded == 0


def test_refuses_to_build_into_a_foreign_folder_or_query_with_another_model(tmp_path, corpus, hashing, built):
    foreign = write_corpus(tmp_path / "mydocs", {"thesis.txt": "precious"})
    with pytest.raises(RefrainError, match="not a Refrain index folder"):
        quick_build([corpus], foreign, hashing)
    assert (foreign / "thesis.txt").read_text() == "precious"
    out, _ = built
    with pytest.raises(IndexUnavailable, match="was built with model"):
        Searcher(out, model="some-other-model")
    with pytest.raises(IndexUnavailable, match="no index in"):
        Searcher(tmp_path / "nothing-here")


def test_staleness_is_seen_after_a_rebuild(tmp_path, built, corpus, hashing):
    out, _ = built
    searcher = Searcher(out)
    assert not searcher.is_stale()
    (corpus / "2024-02-02_more.txt").write_text("More\n\nA brand new speech about bridges and rivers.", encoding="utf-8")
    quick_build([corpus], out, hashing)
    assert searcher.is_stale()
    assert searcher.search("bridges rivers", k=1)[0].text != "A brand new speech about bridges and rivers."  # old view
    assert Searcher(out).search("bridges rivers", k=1)[0].text == "A brand new speech about bridges and rivers."


def test_an_index_inside_its_own_corpus_folder_is_not_read_as_corpus(tmp_path, corpus, hashing):
    out = corpus / "my-index"
    first = quick_build([corpus], out, hashing)
    second = quick_build([corpus], out, hashing)
    assert first.problems == second.problems == [] and second.records == len(SPEECHES)


def test_a_full_disk_while_writing_leaves_the_previous_index(tmp_path, built, corpus, hashing, monkeypatch):
    out, _ = built
    before = [h.passage_id for h in Searcher(out).search("railway", k=3)]
    generations = sorted(p.name for p in out.iterdir() if p.name.startswith("gen-"))

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("index.store.writer.np.save", no_space)
    with pytest.raises(RefrainError, match="No space left on device; the previous index is unchanged"):
        quick_build([corpus], out, hashing)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("gen-")) == generations  # nothing half-written left
    assert [h.passage_id for h in Searcher(out).search("railway", k=3)] == before
