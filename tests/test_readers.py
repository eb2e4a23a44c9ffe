"""Readers added for issue #14: gzipped text formats, Parquet, Hugging Face datasets saved with save_to_disk,
and text in legacy charsets (EUC-KR / CP949) decoded and named in a kept-with-warning problem."""

import csv
import datetime as dt
import gzip
import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from index.errors import RefrainError
from index.ingest.decoding import decode_bytes
from index.ingest.records import FORMATS, Problem, ReadOptions, Record, read_sources
from index.search import Searcher
from tests.conftest import quick_build, write_corpus

DATA = Path(__file__).resolve().parent / "data"
KOREAN = "인민대중제일주의는 우리 공화국의 영원한 생명선이다. 온 나라가 하나의 대가정처럼 화목하게 살아간다."


def read(sources, **options):
    items = list(read_sources([str(s) for s in sources], ReadOptions(**options)))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def _gz(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"))


# ------------------------------------------------------------------ gzip


def test_gzipped_jsonl_csv_json_and_txt_read_like_their_plain_forms(tmp_path):
    rows = [{"text": "First speech on the harvest.", "date": "2024-07-14", "title": "One"},
            {"text": "Second speech on the railway.", "date": "2024년 7월", "title": "Two"}]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["text", "date", "title"])
    writer.writeheader()
    writer.writerows(rows)
    folder = write_corpus(tmp_path / "c", {
        "a.jsonl.gz": _gz("\n".join(json.dumps(r, ensure_ascii=False) for r in rows)),
        "b.csv.gz": _gz(buf.getvalue()),
        "c.json.gz": _gz(json.dumps(rows, ensure_ascii=False)),
        "2024-07-14_d.txt.gz": _gz("A title\n\nA speech in a gzipped text file."),
        "e.ndjson.gz": _gz(json.dumps(rows[0])),
    })
    records, problems = read([folder])
    assert problems == []
    by_file = {}
    for r in records:
        by_file.setdefault(Path(r.source).name, []).append((r.text, r.date, r.title))
    expected = [(r["text"], "2024-07-14" if r["title"] == "One" else "2024-07", r["title"]) for r in rows]
    assert by_file["a.jsonl.gz"] == by_file["b.csv.gz"] == by_file["c.json.gz"] == expected
    assert by_file["e.ndjson.gz"] == expected[:1]
    # a .txt.gz keeps the .txt rules: first line is the title, the ISO date in the name is the date
    assert by_file["2024-07-14_d.txt.gz"] == [("A title\n\nA speech in a gzipped text file.", "2024-07-14", "A title")]


def test_bad_records_in_a_gzipped_file_are_named_by_file_and_line(tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(_gz('{"text": "good one"}\n{broken\n{"text": "bad date", "date": "2023-02-30"}\n'))
    records, problems = read([path])
    assert [r.text for r in records] == ["good one"]
    assert [(Path(p.source).name, p.locator, p.reason.split(":")[0]) for p in problems] == [
        ("feed.jsonl.gz", "line 2", "invalid JSON"), ("feed.jsonl.gz", "line 3", "field 'date'")]


def test_a_damaged_gzip_file_is_skipped_with_the_reason(tmp_path):
    good = _gz('{"text": "a record that is cut off in the middle of the file"}\n' * 50)
    folder = write_corpus(tmp_path / "c", {"cut.jsonl.gz": good[: len(good) // 2],
                                            "fine.jsonl": '{"text": "fine"}\n'})
    records, problems = read([folder])
    assert [r.text for r in records] == ["fine"]
    assert len(problems) == 1 and problems[0].skipped and "damaged gzip file" in problems[0].reason
    assert Path(problems[0].source).name == "cut.jsonl.gz"


def test_a_gzipped_file_is_recognised_by_its_bytes_whatever_its_name(tmp_path):
    path = tmp_path / "really-gzip.jsonl"
    path.write_bytes(_gz('{"text": "compressed although the name does not say so"}'))
    records, problems = read([path])
    assert problems == [] and [r.text for r in records] == ["compressed although the name does not say so"]


# ------------------------------------------------------------------ Parquet


def _write_parquet(path: Path, table: pa.Table, **kwargs) -> Path:
    pq.write_table(table, path, **kwargs)
    return path


def test_parquet_rows_map_through_the_field_options(tmp_path):
    table = pa.table({
        "story": ["The harvest festival opened with music.", None, "  ", KOREAN, "Bridge opened.", "Bad date here."],
        "headline": ["Harvest", "No text", "Blank", "생명선", None, "Bad"],
        "published": pa.array([dt.date(2024, 7, 14), None, None, dt.date(2023, 4, 5), None, None], pa.date32()),
        "written": ["", "", "", "", "주체113(2024)년 7월", "2023-02-30"],
        "topic": [["culture", "farming"], [], [], ["politics"], None, []],
        "uid": [11, 12, 13, 14, 15, 16],
        "unused": [b"x"] * 6,
    })
    path = _write_parquet(tmp_path / "corpus.parquet", table, row_group_size=2)  # several row groups
    records, problems = read([path], text_field="story", title_field="headline", date_field="published",
                             id_field="uid", meta_fields=("topic",))
    assert [(r.locator, r.text, r.title, r.date, r.meta, r.key) for r in records] == [
        ("row 1", "The harvest festival opened with music.", "Harvest", "2024-07-14",
         {"topic": ["culture", "farming"]}, "id:11"),
        ("row 4", KOREAN, "생명선", "2023-04-05", {"topic": ["politics"]}, "id:14"),
        ("row 5", "Bridge opened.", "Bridge opened.", None, {}, "id:15"),
        ("row 6", "Bad date here.", "Bad", None, {}, "id:16"),
    ]
    assert [(p.locator, p.reason) for p in problems] == [("row 2", "field 'story' is null, not text"),
                                                         ("row 3", "empty text")]
    assert [r.locator for r in records] == ["row 1", "row 4", "row 5", "row 6"]
    # the written date column, parsed as text: a Juche-era month and an impossible day
    records, problems = read([path], text_field="story", date_field="written")
    assert {r.locator: r.date for r in records}["row 5"] == "2024-07"
    assert [(p.locator, p.reason.split(":")[0]) for p in problems if "written" in p.reason] == [("row 6", "field 'written'")]


def test_parquet_timestamps_are_days_and_the_text_column_must_exist(tmp_path):
    stamps = pa.array([dt.datetime(2024, 7, 14, 23, 59), dt.datetime(1999, 1, 2)], pa.timestamp("ms"))
    path = _write_parquet(tmp_path / "t.parquet", pa.table({"text": ["one speech", "two speech"], "date": stamps}))
    records, problems = read([path])
    assert problems == [] and [r.date for r in records] == ["2024-07-14", "1999-01-02"]
    records, problems = read([path], text_field="body")
    assert records == [] and [(p.locator, p.reason) for p in problems] == [
        ("", "no 'body' column (columns: text, date); set --text-field")]


def test_a_damaged_parquet_file_is_one_problem_beside_good_files(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    good = _write_parquet(folder / "good.parquet", pa.table({"text": ["fine speech"]}))
    (folder / "broken.parquet").write_bytes(good.read_bytes()[:40])
    (folder / "random.pq").write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")
    records, problems = read([folder])
    assert [r.text for r in records] == ["fine speech"]
    assert sorted((Path(p.source).name, p.skipped, p.reason.split(":")[0]) for p in problems) == [
        ("broken.parquet", True, "not a readable Parquet file"), ("random.pq", True, "not a readable Parquet file")]


# ------------------------------------------------------------------ Hugging Face datasets saved on disk


def test_a_dataset_saved_with_save_to_disk_is_read_with_pyarrow():
    records, problems = read([DATA / "saved-dataset"], text_field="body", title_field="headline",
                             date_field="published", id_field="doc_id", meta_fields=("topics",))
    # rows in the order save_to_disk wrote them (the dataset was shuffled first); row 2 has empty text
    assert [(r.locator, r.key, r.title, r.date, r.meta) for r in records] == [
        ("row 1", "id:hf-4", "Railway bridge", "2022-01-01", {"topics": ["transport"]}),
        ("row 3", "id:hf-2", "생명선", "2023-04-05", {"topics": ["politics"]}),
        ("row 4", "id:hf-1", "Harvest festival", "2024-07-14", {"topics": ["culture", "farming"]}),
    ]
    assert [(Path(p.source).name, p.locator, p.reason) for p in problems] == [("saved-dataset", "row 2", "empty text")]


def test_a_saved_dataset_dict_yields_each_split_and_its_json_files_are_not_documents(tmp_path):
    records, problems = read([DATA / "saved-datasetdict"], text_field="body", id_field="doc_id")
    assert [(Path(r.source).name, r.locator, r.key) for r in records] == [
        ("train", "row 1", "id:hf-4"), ("test", "row 1", "id:hf-2"), ("test", "row 2", "id:hf-1")]
    assert [(Path(p.source).name, p.locator) for p in problems] == [("train", "row 2")]
    # inside a corpus folder, beside other files, the dataset is found and its state.json is not read as JSON
    folder = write_corpus(tmp_path / "corpus", {"notes.txt": "Notes\n\nA plain text document beside the dataset."})
    shutil.copytree(DATA / "saved-dataset", folder / "hf")
    records, problems = read([folder], text_field="body")
    assert sorted(Path(r.source).name for r in records) == ["hf", "hf", "hf", "notes.txt"]
    assert [p.reason for p in problems] == ["empty text"]


def test_a_saved_dataset_without_the_text_column_or_with_a_bad_state_file_is_named(tmp_path):
    records, problems = read([DATA / "saved-dataset"])  # default --text-field text
    assert records == [] and [p.reason for p in problems] == [
        "no 'text' column (columns: doc_id, body, headline, published, topics); set --text-field"]
    copy = tmp_path / "ds"
    shutil.copytree(DATA / "saved-dataset", copy)
    (copy / "state.json").write_text('{"_data_files": [{"filename": "../../etc/passwd"}]}', encoding="utf-8")
    records, problems = read([copy], text_field="body")
    assert records == [] and "names files outside its folder" in problems[0].reason


def test_formats_table_is_offered_on_the_command_line():
    assert FORMATS == ("auto", "txt", "json", "jsonl", "csv", "parquet", "hf-dataset")
    with pytest.raises(RefrainError, match="pass --format"):
        list(read_sources([__file__], ReadOptions()))


def test_parquet_and_saved_dataset_build_end_to_end(tmp_path, hashing):
    source = tmp_path / "src"
    source.mkdir()
    _write_parquet(source / "c.parquet", pa.table({
        "body": ["The harvest festival opened with music and dancing in the square.",
                 "The railway bridge joins the two river towns at last."],
        "published": ["2024-07-14", "주체113년 7월"]}))
    shutil.copytree(DATA / "saved-dataset", source / "hf")
    report = quick_build([source], tmp_path / "index", hashing, ReadOptions(text_field="body", date_field="published"))
    assert report.documents == 5 and [p.reason for p in report.skipped] == ["empty text"]
    searcher = Searcher(tmp_path / "index")
    assert [d["date"] for d in searcher.documents()] == ["2022-01-01", "2023-04-05", "2024-07", "2024-07-14",
                                                         "2024-07-14"]


# ------------------------------------------------------------------ charsets


@pytest.mark.parametrize("encoding", ["euc-kr", "cp949"])
def test_a_korean_file_in_a_legacy_charset_is_read_and_the_charset_named(tmp_path, encoding):
    text = "제목\n\n" + KOREAN + "\n\n똠방각하 같은 확장 글자도 읽는다." * (encoding == "cp949")
    folder = write_corpus(tmp_path / "c", {"speech.txt": text.encode(encoding),
                                            "feed.csv": f"text,date\n\"{KOREAN}\",2024년 7월 14일\n".encode(encoding)})
    records, problems = read([folder])
    assert {Path(r.source).name: r.text for r in records} == {"feed.csv": KOREAN, "speech.txt": text}
    assert {Path(r.source).name: r.date for r in records}["feed.csv"] == "2024-07-14"
    assert sorted((Path(p.source).name, p.skipped, p.reason) for p in problems) == [
        (name, False, "not UTF-8: read as cp949 (detected); convert the file to UTF-8 if that is wrong")
        for name in ("feed.csv", "speech.txt")]


def test_the_detected_charset_shows_in_the_build_summary_and_info(tmp_path, hashing):
    from index.cli.build import format_build_report

    folder = write_corpus(tmp_path / "c", {"speech.txt": ("제목\n\n" + KOREAN).encode("euc-kr"),
                                            "other.txt": "Title\n\nAn English speech in UTF-8 about the harvest."})
    report = quick_build([folder], tmp_path / "index", hashing)
    assert report.documents == 2 and report.skipped == []
    assert [Path(p.source).name for p in report.warnings] == ["speech.txt"]
    assert "speech.txt: not UTF-8: read as cp949 (detected)" in format_build_report(report)
    info = Searcher(tmp_path / "index").info()
    assert [(Path(p["source"]).name, p["skipped"]) for p in info["problems"]] == [("speech.txt", 0)]


def test_legacy_charsets_never_take_over_good_utf8_or_random_bytes():
    # mostly good UTF-8 with a stray byte stays UTF-8, with the byte replaced and reported
    text, note = decode_bytes(KOREAN.encode("utf-8") + b" \xff " + "народ".encode("utf-8"))
    assert text.startswith(KOREAN) and "\ufffd" in text and note.startswith("invalid UTF-8")
    # random high bytes decode in single-byte charsets but are not text: refused
    text, note = decode_bytes(bytes(range(0x80, 0x100)) * 3)
    assert text is None and note.startswith("not UTF-8 text")
    # found by the reliability test: charset-normalizer read these as EBCDIC (cp037), which makes letters of them
    found = bytes.fromhex("a48c9ee9d281d880a4d3e9f3b5868583ac8cf085a080f2a1e09e9394868cb28df7c3c780c8b782a4e8f2e2")
    text, note = decode_bytes(found)
    assert text is None and note.startswith("not UTF-8 text")
    # a Cyrillic file in Windows-1251 is mostly broken as UTF-8: its charset is detected
    text, note = decode_bytes(("Народ и урожай. Мы идём вперёд вместе. " * 4).encode("cp1251"))
    assert text.startswith("Народ и урожай.") and "read as cp1251" in note
