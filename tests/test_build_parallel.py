"""Reading and segmenting in worker processes (--workers) changes nothing: a 1-worker and a 2-worker build hold the
same documents, passages, ids, rows, vectors and FAISS indexes; and the faster pysbd call cuts exactly the
sentences pysbd's own Segmenter.segment cuts, on every paragraph of real speeches."""

from __future__ import annotations

import shutil

import pysbd
import pytest

from conftest import KCNA_JSON, KCNA_OPTIONS, SAMPLE_CORPUS, UN_DIR, quick_build, require, write_corpus
from index_compare import assert_same_index
from index.embed.encoder import HashingEncoder
from index.ingest.language import sentence_segmenter
from index.ingest.records import ReadOptions, read_sources
from index.ingest.segment import paragraph_spans
from index.workers import Workers, worker_count

UN_OPTIONS = ReadOptions(title_from="filename", date_pattern=r"_(?P<year>\d{4})\.txt$",
                         meta_pattern=r"^(?P<country>[A-Z]{3})_(?P<session>\d+)_")


def _both(tmp_path, corpus, options=None, **settings):
    """The same corpus built with one worker and with two."""
    encoder = HashingEncoder(64, max_tokens=40)  # short windows: long paragraphs are cut on sentences
    one = quick_build([corpus], tmp_path / "one", encoder, options, workers=1, **settings)
    two = quick_build([corpus], tmp_path / "two", encoder, options, workers=2, **settings)
    return one, two


def test_sample_corpus_with_bad_files_one_worker_and_two_build_the_same_index(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    write_corpus(corpus, {"zz-binary.txt": bytes(range(256)) * 8, "zz-empty.txt": "  \n ",
                          "copy-of-first.txt": sorted(SAMPLE_CORPUS.glob("*.txt"))[0].read_text(encoding="utf-8")})
    one, two = _both(tmp_path, corpus)
    assert_same_index(tmp_path / "one", tmp_path / "two")
    assert one.problems == two.problems and len(one.skipped) == 2  # the binary and the empty file, named alike
    assert one.duplicate_records == two.duplicate_records == 1
    assert (one.passages, one.distinct_texts, one.embedded) == (two.passages, two.distinct_texts, two.embedded)
    assert one.boilerplate == two.boilerplate and one.boilerplate  # the sample's press-bureau line


def test_fifty_un_speeches_one_worker_and_two_build_the_same_index(tmp_path):
    source = require(UN_DIR)
    corpus = tmp_path / "un50"
    corpus.mkdir()
    for path in sorted(source.glob("*.txt"))[:50]:
        (corpus / path.name).symlink_to(path)
    one, two = _both(tmp_path, corpus, UN_OPTIONS)
    assert one.documents == 50 and one.passages["sentence"] > 2000
    assert_same_index(tmp_path / "one", tmp_path / "two")


def test_kcna_one_worker_and_two_build_the_same_index(tmp_path):
    """One JSON file: reading is one task, segmenting its 1,059 stories runs in two workers."""
    require(KCNA_JSON)
    _both(tmp_path, KCNA_JSON, KCNA_OPTIONS)
    assert_same_index(tmp_path / "one", tmp_path / "two")


def test_worker_counts():
    assert worker_count(3) == Workers(3, True)
    assert worker_count(None).count >= 1 and not worker_count(None).asked
    auto, asked = Workers(4, False), Workers(4, True)
    assert auto.for_work(tasks=10, size=10, worth=100) == 1  # too little work to start processes for
    assert auto.for_work(tasks=10, size=1000, worth=100) == 4
    assert asked.for_work(tasks=10, size=10, worth=100) == 4  # asked for: used
    assert asked.for_work(tasks=3, size=10, worth=100) == 3 and asked.for_work(tasks=1, size=10**9, worth=1) == 1
    from index.errors import RefrainError

    with pytest.raises(RefrainError, match="--workers must be at least 1"):
        worker_count(0)


def _paragraphs(texts):
    for text in texts:
        for a, b in paragraph_spans(text):
            yield text[a:b][:10_000]  # the splitter's chunk size (segment._PYSBD_CHUNK)


@pytest.mark.parametrize("corpus", ["un", "kcna"])
def test_the_faster_pysbd_call_cuts_the_same_sentences(corpus):
    """Every paragraph of a spread of real speeches (a sixth of UN 2020-2024, every third KCNA story: pysbd's own
    call is slow; all of both matched when this was written)."""
    if corpus == "un":
        records = read_sources([str(require(UN_DIR))], UN_OPTIONS)
        step = 6
    else:
        records = read_sources([str(require(KCNA_JSON))], KCNA_OPTIONS)
        step = 3
    texts = [r.text for r in records if hasattr(r, "text")][::step]
    ours, _ = sentence_segmenter("en")
    theirs = pysbd.Segmenter(language="en", clean=False)
    paragraphs = list(_paragraphs(texts))
    assert len(paragraphs) > 3000
    differing = [p for p in paragraphs if ours(p) != theirs.segment(p)]
    assert differing == []


def test_the_faster_pysbd_call_on_repeats_and_odd_spacing():
    ours, _ = sentence_segmenter("en")
    theirs = pysbd.Segmenter(language="en", clean=False)
    for text in ["Thank you. Thank you. Thank you.", "Yes.  Yes.\n\nYes.", "Mr. President.  Mr. President.",
                 "", "   ", "No full stop", "A. B. C. A. B.", "It is 3 p.m. Now. It is 3 p.m. now.",
                 "Item 1. Item 1. Item 1.\u3000Item 1.", "(a) first; (b) second. (a) first; (b) second."]:
        assert ours(text) == theirs.segment(text), text
