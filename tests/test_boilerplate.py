"""Boilerplate is page furniture, never text a reader would look for (index/ingest/boilerplate.py), and whatever
is left out of passages as boilerplate can still be found by exact phrase."""

from __future__ import annotations

from index.ingest.boilerplate import is_prose
from index.search import Filters, Searcher
from tests.conftest import quick_build, write_corpus

OPENING = "Mr. President, it is an honour to address this Assembly on behalf of my people."
BODIES = [
    "We call for an end to the war and for talks without conditions.",
    "Our harvest failed twice, and the debt of the poorest countries must be forgiven.",
    "The oceans are rising and our islands are disappearing one beach at a time.",
    "Education for every girl is the best investment a nation can make.",
    "Peacekeeping must be funded in full, not promised and forgotten.",
]


def test_prose_and_furniture_are_told_apart():
    assert is_prose(OPENING) and is_prose("Issued by the Kestrian State Press Bureau.")
    assert is_prose("a long line without an end mark that goes on for more than twelve words in all of it")
    assert not is_prose("Back to top button") and not is_prose("Share this article") and not is_prose("Home | News | Contact")
    assert not is_prose("Thank you.")  # a sentence, but too short to be told from furniture by its shape alone


def test_a_sentence_opening_several_speeches_stays_findable(tmp_path, hashing):
    files = {}
    for i, body in enumerate(BODIES):
        opening = f"{OPENING}\n\n" if i < 3 else ""
        files[f"2024-0{i + 1}-01_speech-{i}.txt"] = f"Speech {i}\n\n{opening}{body}\n\nBack to top button"
    corpus = write_corpus(tmp_path / "speeches", files)
    report = quick_build([corpus], tmp_path / "index", hashing)
    assert report.boilerplate == [("Back to top button", 5)]  # the furniture, not the opening sentence
    searcher = Searcher(tmp_path / "index")

    phrase = searcher.phrase_result("it is an honour to address this Assembly", k=10)
    assert phrase.total == 3 and phrase.documents == 3 and phrase.boilerplate == []
    assert all(OPENING in h.text for h in phrase.hits)
    found = searcher.search_result(OPENING, k=5)
    assert [h.match for h in found.hits[:3]] == ["verbatim"] * 3 and found.verbatim_total == 3

    # What is boilerplate is left out of passages, but the lookups still say where it is.
    furniture = searcher.phrase_result("back to top", k=10)
    assert furniture.total == 0 and len(furniture.boilerplate) == 1
    match = furniture.boilerplate[0]
    assert match.line == "Back to top button" and len(match.doc_ids) == 5
    assert all("Back to top button" in searcher.document(d).text for d in match.doc_ids)
    assert searcher.search_result("Back to top button", k=3).boilerplate == furniture.boilerplate
    first_two = Filters.make(date_to="2024-02-28")
    assert len(searcher.phrase_result("back to top", filters=first_two).boilerplate[0].doc_ids) == 2


def test_a_sign_off_under_every_document_is_still_boilerplate(tmp_path, hashing):
    sign_off = "Issued by the Press Office of the Ministry."
    files = {f"2024-0{i + 1}-01_release-{i}.txt": f"Release {i}\n\n{body}\n\n{sign_off}" for i, body in enumerate(BODIES)}
    files["2024-07-01_release-5.txt"] = f"Release 5\n\nA sixth release about the budget and the schools.\n\n{sign_off}"
    corpus = write_corpus(tmp_path / "releases", files)
    report = quick_build([corpus], tmp_path / "index", hashing)
    assert report.boilerplate == [(sign_off, 6)]
    searcher = Searcher(tmp_path / "index")
    result = searcher.phrase_result("Press Office of the Ministry")
    assert result.total == 0 and [len(m.doc_ids) for m in result.boilerplate] == [6]
