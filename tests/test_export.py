"""Export rows, CSV and JSON (index/export.py), from real hits."""

from __future__ import annotations

import csv
import io
import json

import pytest

import explorer_corpus
from index.export import FIELDS, export_rows, file_name, to_csv, to_json
from index.search import Searcher


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    return Searcher(explorer_corpus.built(tmp_path_factory, "export"))


def test_rows_carry_id_document_title_date_score_and_text(searcher):
    hits = searcher.search("iron bridge", k=5, min_score=0.0)
    rows = export_rows(hits)
    assert [r["passage_id"] for r in rows] == [h.passage_id for h in hits]
    for row, hit in zip(rows, hits):
        assert (row["doc_id"], row["title"], row["date"], row["text"]) == (hit.doc_id, hit.title, hit.date, hit.text)
        assert row["score"] == round(hit.score, 4)
        assert row["meta"]["topic"] == hit.meta["topic"]


def test_csv_round_trips_and_defuses_formulas(searcher):
    hits = searcher.search("iron bridge", k=5, min_score=0.0)
    rows = export_rows(hits)
    rows.append({**rows[0], "text": "=HYPERLINK(\"http://x\")", "title": "-1+2", "score": None})
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(parsed[0]) == FIELDS
    assert [p["passage_id"] for p in parsed] == [r["passage_id"] for r in rows]
    assert parsed[0]["text"] == rows[0]["text"] and float(parsed[0]["score"]) == rows[0]["score"]
    assert parsed[0]["meta"] == "country=Kestria; topic=Economy"
    assert parsed[-1]["text"] == "'=HYPERLINK(\"http://x\")" and parsed[-1]["title"] == "'-1+2" and parsed[-1]["score"] == ""


def test_json_is_exact(searcher):
    hostile = [h for h in searcher.search("iron bridge", k=10, min_score=0.0) if "<script>" in h.text]
    assert hostile, "the hostile passage should match 'iron bridge'"
    back = json.loads(to_json(export_rows(hostile)))
    assert back[0]["text"] == hostile[0].text and back[0]["title"] == hostile[0].title


def test_file_names_are_safe():
    assert file_name("search", "people-first principle", ext="csv") == "refrain-search-people-first-principle.csv"
    name = file_name("similar", "../../etc/passwd <b>", ext="json")
    assert "/" not in name and "<" not in name and name.endswith(".json")
    assert len(file_name("x" * 500, ext="csv")) <= 84
