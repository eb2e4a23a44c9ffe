"""`python -m index recurring` and `phrases` as a user runs them (stand-in encoder, small corpus)."""

import csv
import json
from functools import partial

import pytest

from index.mining.phrases import SentenceTable, find_phrases
from reliability_support import cli as run_cli
from tests.conftest import write_corpus

SLOGAN = "Self-reliance is the lifeblood of our glorious Union and its people."
cli = partial(run_cli, timeout=300)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    files = {}
    for i, year in enumerate([2019, 2020, 2021, 2022, 2023]):
        body = [f"Opening remark {i} about the {w} of district {i}." for w in ("bridge", "school", "clinic")]
        if year >= 2020:
            body.insert(2, SLOGAN)
        files[f"{year}-05-0{i + 1}_speech.txt"] = f"Speech {year}\n\n" + "\n\n".join(body + [f"Closing words {i} on the harbour."])
    corpus = write_corpus(tmp_path_factory.mktemp("c") / "speeches", files)
    out = tmp_path_factory.mktemp("i") / "index"
    assert cli("build", corpus, "--out", out, "--model", "builtin:hashing", "--quiet").returncode == 0
    return out


def test_recurring_table_json_and_csv(index_dir, tmp_path):
    table = cli("recurring", index_dir)
    assert table.returncode == 0 and "1 found" in table.stdout and "2020-05-02" in table.stdout and SLOGAN[:40] in table.stdout
    data = json.loads(cli("recurring", index_dir, "--json").stdout)
    (f,) = data["formulations"]
    assert f["n_documents"] == 4 and [m["date"] for m in f["members"]] == ["2020-05-02", "2021-05-03", "2022-05-04", "2023-05-05"]
    assert data["params"] == {"level": "sentence", "threshold": 0.8, "min_docs": 3, "date_from": None, "date_to": None, "meta": {}}
    out = tmp_path / "f.csv"
    assert cli("recurring", index_dir, "--csv", out).returncode == 0
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["documents"] == "4" and rows[0]["docs_2019"] == "0" and rows[0]["docs_2021"] == "1"
    members = tmp_path / "m.csv"
    assert cli("recurring", index_dir, "--csv", members, "--members").returncode == 0
    assert [r["text"] for r in csv.DictReader(members.open())] == [SLOGAN] * 4
    assert json.loads(cli("recurring", index_dir, "--json", "--since", "2021").stdout)["formulations"] == []
    assert len(json.loads(cli("recurring", index_dir, "--json", "--until", "2023").stdout)["formulations"]) == 1
    assert json.loads(cli("recurring", index_dir, "--json", "--min-docs", "5").stdout)["formulations"] == []
    mined_later = json.loads(cli("recurring", index_dir, "--json", "--from", "2022").stdout)
    assert mined_later["formulations"] == [] and mined_later["stats"]["documents"] == 2  # only 2 documents mined


def test_phrases_link_to_formulations(index_dir):
    data = json.loads(cli("phrases", index_dir, "--json").stdout)
    by_text = {p["phrase"]: p for p in data["phrases"]}
    slogan = by_text[SLOGAN.rstrip(".")]  # eleven words: overlapping 8-word windows joined back into one phrase
    assert slogan["n_documents"] == 4 and slogan["first_seen"]["date"] == "2020-05-02" and slogan["last_seen"]["date"] == "2023-05-05"
    formulation = json.loads(cli("recurring", index_dir, "--json").stdout)["formulations"][0]["id"]
    assert slogan["formulations"] == [formulation]
    assert all(not p["words"].split()[0] in {"the", "of", "and"} for p in data["phrases"])
    table = cli("phrases", index_dir, "--contains", "lifeblood")
    assert table.returncode == 0 and "lifeblood" in table.stdout


def test_phrase_folding_and_document_frequency():
    texts = ["we build the great northern dam today", "the great northern dam is finished", "a great northern dam for all",
             "great northern dam again here", "nothing in common at all"]
    table = SentenceTable(rows=None, passage_ids=[f"p{i}" for i in range(5)], texts=texts,
                          doc_ords=__import__("numpy").array([0, 1, 2, 2, 3]))
    phrases = {p.key: p for p in find_phrases(table, min_docs=3)}
    assert "great northern dam" in phrases and phrases["great northern dam"].documents == 3
    assert phrases["great northern dam"].passages == [0, 1, 2, 3]
    assert "the great northern" not in phrases  # starts with a stop word
