"""The CLI as a user runs it: subprocesses, exit codes, tables and JSON, one-line errors."""

import json

import pytest

from reliability_support import assert_clean_user_error, cli as run_cli
from tests.conftest import write_corpus


def cli(*args, check=None):
    proc = run_cli(*args, timeout=300)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    corpus = write_corpus(tmp_path_factory.mktemp("c") / "speeches", {
        "2020-01-01_a.txt": "Address A\n\nThe people-first principle guides every decision of the state.\n\nRivers and dams.",
        "2021-01-01_b.txt": "Address B\n\nOur people-first principle guides every decision we make.\n\nSchools and teachers.",
        "2022-01-01_c.txt": "Address C\n\nThe people-first principle guides each decision of the Party.\n\nRailways and ports.",
    })
    out = tmp_path_factory.mktemp("i") / "index"
    cli("build", corpus, "--out", out, "--model", "builtin:hashing", "--quiet", check=0)
    return out


def test_build_prints_a_summary(tmp_path):
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Title\n\nSome words here in a paragraph.", "b.txt": "\x00\x01\x02" * 400})
    proc = cli("build", corpus, "--out", tmp_path / "i", "--model", "builtin:hashing", "--quiet", check=0)
    assert "Indexed 1 documents from 1 records" in proc.stdout
    assert "1 records skipped" in proc.stdout and "binary" in proc.stdout
    strict = cli("build", corpus, "--out", tmp_path / "j", "--model", "builtin:hashing", "--strict", "--quiet", check=2)
    assert strict.stderr.startswith("error: --strict:") and "Traceback" not in strict.stderr
    assert not (tmp_path / "j" / "CURRENT").exists()


def test_info_search_similar_phrase_document(index_dir):
    info = cli("info", index_dir, check=0).stdout
    assert "documents: 3 from 3 records" in info and "builtin:hashing-256" in info and "paragraphs: 3" in info  # "Rivers and dams." is a fragment: it joins its neighbour
    hits = json.loads(cli("search", index_dir, "people-first principle decision", "-k", "2", "--json", check=0).stdout)
    assert len(hits) == 2 and all("people-first" in h["text"] for h in hits)
    assert set(hits[0]) >= {"passage_id", "doc_id", "title", "date", "meta", "level", "ordinal", "score", "text", "start", "end"}
    table = cli("search", index_dir, "people-first principle", "-k", "1", check=0).stdout
    assert "1 shown · 1 of 3 verbatim passages shown" in table and hits[0]["passage_id"] in table
    similar = json.loads(cli("similar", index_dir, hits[0]["passage_id"], "--json", check=0).stdout)
    assert similar and all(h["doc_id"] != hits[0]["doc_id"] for h in similar)
    phrase = json.loads(cli("phrase", index_dir, "guides every decision", "--json", check=0).stdout)
    assert [h["date"] for h in phrase] == ["2020-01-01", "2021-01-01"]
    doc = json.loads(cli("document", index_dir, hits[0]["doc_id"], "--json", check=0).stdout)
    assert doc["doc_id"] == hits[0]["doc_id"] and doc["passages"]["paragraph"]
    dated = json.loads(cli("search", index_dir, "decision", "--from", "2021", "--to", "2021-12", "--json", check=0).stdout)
    assert {h["date"] for h in dated} == {"2021-01-01"}


def test_no_results_is_success(index_dir):
    proc = cli("phrase", index_dir, "no such words anywhere", check=0)
    assert "no results" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["search", "{idx}", "   "], "empty query"),
    (["search", "{idx}", "x", "-k", "0"], "k must be between"),
    (["search", "{idx}", "x", "--min-score", "1.5"], "minimum score"),
    (["search", "{idx}", "x", "--meta", "novalue"], "FIELD=VALUE"),
    (["search", "{idx}", "x", "--model", "other-model"], "was built with model"),
    (["similar", "{idx}", "deadbeef"], "no passage"),
    (["search", "/nonexistent/index", "x"], "no index in"),
    (["build", "/nonexistent/corpus", "--out", "/tmp/never"], "source not found"),
    (["recurring", "{idx}", "--threshold", "2"], "threshold"),
])
def test_user_errors_exit_2_with_one_line(index_dir, args, message):
    proc = cli(*[a.replace("{idx}", str(index_dir)) for a in args])
    assert_clean_user_error(proc)
    assert message in proc.stderr


def test_every_command_has_help():
    for command in ["build", "info", "search", "similar", "phrase", "document", "recurring", "phrases"]:
        assert "usage:" in cli(command, "--help", check=0).stdout


def test_search_modes_one_per_document_phrase_totals_and_pages(index_dir):
    table = cli("search", index_dir, "people-first principle", "-k", "3", "--min-score", "0.99", check=0).stdout
    assert table.startswith("search 'people-first principle' (hybrid): 3 shown · 3 of 3 verbatim passages shown")
    assert table.count("  verbatim  ") == 3  # each hit says why it matched
    semantic = json.loads(cli("search", index_dir, "schools", "--mode", "semantic", "--json", check=0).stdout)
    assert {h["match"] for h in semantic} <= {"meaning", "verbatim"} and len(semantic) == 3  # every paragraph
    lexical = json.loads(cli("search", index_dir, "schools", "--mode", "lexical", "--json", check=0).stdout)
    assert [h["match"] for h in lexical] == ["verbatim"] * len(lexical) and all("Schools" in h["text"] for h in lexical)
    one = json.loads(cli("search", index_dir, "decision", "--one-per-document", "--json", check=0).stdout)
    assert len(one) == 3 and len({h["doc_id"] for h in one}) == 3
    bad = cli("search", index_dir, "x", "--mode", "fuzzy", check=2)
    assert "invalid choice" in bad.stderr and "Traceback" not in bad.stderr

    page = cli("phrase", index_dir, "principle guides", "-k", "2", "--sort", "newest", check=0).stdout
    assert page.startswith("phrase 'principle guides': 3 paragraphs in 3 documents · 1–2 shown, newest first")
    assert page.index("2022-01-01") < page.index("2021-01-01")
    rest = cli("phrase", index_dir, "principle guides", "-k", "2", "--sort", "newest", "--offset", "2", check=0).stdout
    assert "3–3 shown" in rest and "  3.   -    verbatim  2020-01-01" in rest
    info = cli("info", index_dir, check=0).stdout
    assert "query embedding: builtin (the hashing stand-in has no model to export)" in info
