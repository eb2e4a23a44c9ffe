import json

import pytest

from index.errors import RefrainError
from index.ingest.records import Problem, ReadOptions, Record, read_sources
from tests.conftest import write_corpus


def read(paths, **options):
    items = list(read_sources([str(p) for p in paths], ReadOptions(**options)))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def test_text_folder_titles_dates_and_recursion(tmp_path):
    folder = write_corpus(tmp_path / "speeches", {
        "2021-03-04_opening.txt": "Opening of the Dam\n\nWe open the dam today.\n\nWater for all.",
        "nested/notes.md": "Notes on the harvest\nThe harvest was good this year.",
        "ignored.pdf": "not read",
        ".hidden.txt": "not read either",
    })
    records, problems = read([folder])
    assert problems == []
    by_key = {r.key: r for r in records}
    assert set(by_key) == {"speeches/2021-03-04_opening.txt", "speeches/nested/notes.md"}
    opening = by_key["speeches/2021-03-04_opening.txt"]
    assert (opening.title, opening.date, opening.title_in_text) == ("Opening of the Dam", "2021-03-04", True)
    assert by_key["speeches/nested/notes.md"].date is None


def test_title_from_filename_and_single_line_documents_keep_their_text(tmp_path):
    long_line = "It is my profound honour to address the Assembly " * 10
    folder = write_corpus(tmp_path / "un", {"USA_75_2020.txt": long_line, "FRA_75_2020.txt": "Title\nBody text here."})
    records, _ = read([folder])
    usa = next(r for r in records if r.key.endswith("USA_75_2020.txt"))
    assert usa.title == "USA_75_2020" and not usa.title_in_text  # one line: it is speech, not a title
    records, _ = read([folder], title_from="filename")
    assert {r.title for r in records} == {"USA_75_2020", "FRA_75_2020"}


def test_date_and_meta_patterns_on_file_names(tmp_path):
    folder = write_corpus(tmp_path / "un", {"USA_75_2020.txt": "x\ny", "KOR_78_2023.txt": "x\nz"})
    records, _ = read([folder], date_pattern=r"_(?P<year>\d{4})\.txt$",
                      meta_pattern=r"^(?P<country>[A-Z]{3})_(?P<session>\d+)_")
    got = {r.meta["country"][0]: (r.date, r.meta["session"][0]) for r in records}
    assert got == {"USA": ("2020", "75"), "KOR": ("2023", "78")}


def test_bad_patterns_are_user_errors(tmp_path):
    folder = write_corpus(tmp_path / "c", {"a.txt": "x"})
    with pytest.raises(RefrainError, match="named group"):
        read([folder], date_pattern=r"\d{4}")
    with pytest.raises(RefrainError, match="invalid"):
        read([folder], meta_pattern=r"(unclosed")
    with pytest.raises(RefrainError, match="source not found"):
        read([tmp_path / "missing"])


def test_json_records_with_field_mapping_and_problems(tmp_path):
    data = [
        {"story": "First story text.", "head": "One", "when": 1704153600000, "topic": "Home"},
        {"story": "", "head": "Empty"},
        {"story": 42, "head": "Number"},
        {"head": "No text"},
        "not an object",
        {"story": "Dated badly.", "when": "2023-02-30"},
        {"story": "Second story.", "head": "Two", "when": "2024-05", "topic": ["A", "B"], "uid": 7},
    ]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    records, problems = read([path], text_field="story", title_field="head", date_field="when",
                             meta_fields=("topic",), id_field="uid")
    assert [(r.title, r.date, r.meta, r.key) for r in records] == [
        ("One", "2024-01-02", {"topic": ["Home"]}, ""),
        ("Two", "2024-05", {"topic": ["A", "B"]}, "id:7"),
    ]
    reasons = {p.locator: p.reason for p in problems}
    assert reasons["record 2"] == "empty text"
    assert "a number, not text" in reasons["record 3"]
    assert "no 'story' field" in reasons["record 4"] and "head" in reasons["record 4"]
    assert "not an object" in reasons["record 5"]
    assert "impossible date" in reasons["record 6"]
    assert all(str(path) in str(p) for p in problems)


def test_json_that_is_not_a_list_or_not_json(tmp_path):
    (tmp_path / "obj.json").write_text('{"text": "x"}', encoding="utf-8")
    (tmp_path / "bad.json").write_text('[{"text": "x"', encoding="utf-8")
    records, problems = read([tmp_path / "obj.json", tmp_path / "bad.json"])
    assert records == []
    assert "expected a JSON list" in problems[0].reason
    assert "invalid JSON at line 1" in problems[1].reason


def test_jsonl_skips_broken_lines_and_keeps_good_ones(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "good one"}\n{broken\n\n[1, 2]\n{"text": "good two", "date": "2020"}\n', encoding="utf-8")
    records, problems = read([path])
    assert [r.text for r in records] == ["good one", "good two"]
    assert [(p.locator, p.reason.split(":")[0]) for p in problems] == [("line 2", "invalid JSON"), ("line 4", "not an object but a list")]


def test_csv_with_missing_and_extra_columns(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("text,title,date\n\"Hello, world\",Greeting,2021-01-01\nshort row\nA,B,2020,extra\nLast,Row,\n", encoding="utf-8")
    records, problems = read([path])
    assert [(r.text, r.title, r.date) for r in records] == [("Hello, world", "Greeting", "2021-01-01"), ("Last", "Row", None)]
    assert [(p.locator, p.reason) for p in problems] == [
        ("line 3", "has 1 fields but the header has 3"), ("line 4", "has 4 fields but the header has 3")]


def test_encodings_bom_invalid_utf8_and_binary(tmp_path):
    folder = write_corpus(tmp_path / "c", {
        "bom.txt": "\ufeffTitle\nBody with BOM.".encode("utf-8"),
        "latin1.txt": "Title\nCaf\xe9 au lait.".encode("latin-1"),
        "binary.txt": bytes(range(256)) * 20,
        "utf16.txt": "Title\nSixteen bits.".encode("utf-16"),
    })
    records, problems = read([folder])
    by_name = {r.key.split("/")[-1]: r for r in records}
    assert by_name["bom.txt"].title == "Title"
    assert by_name["latin1.txt"].text == "Title\nCaf\ufffd au lait."
    assert by_name["utf16.txt"].text == "Title\nSixteen bits."
    reasons = {p.source.split("/")[-1]: p for p in problems}
    assert reasons["latin1.txt"].skipped is False and "invalid UTF-8" in reasons["latin1.txt"].reason
    assert reasons["binary.txt"].skipped and "binary" in reasons["binary.txt"].reason
