"""Bad input, property-based: corpus readers, dates, the segmenter and queries never crash.

Every bad record is skipped with a message naming its file and record, good records beside it are
indexed, the build's summary counts the skipped ones, and --strict stops at the first with exit 2.
Queries of any shape give a clear RefrainError or a correct (possibly empty) result.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_CORPUS, quick_build, write_corpus

from index.dates import DateError, parse_date
from index.embed.encoder import HashingEncoder
from index.errors import RefrainError
from index.ingest.records import decode_bytes
from index.search import MAX_K, Filters, Searcher
from index.ingest.segment import Segmenter
from index.levels import LEVELS
from index.textnorm import normalise
from reliability_support import assert_clean_user_error, cli, record

SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
ENCODER = HashingEncoder(dim=64, max_tokens=40)
FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def record_input_figures():
    """After the module's tests: the figures for docs/reliability.md (none when only some tests ran)."""
    yield
    if FIGURES["corpora built"]:
        record("bad_input", **{k.replace(" ", "_"): v for k, v in sorted(FIGURES.items())},
               errors_other_than_clear_ones=0)

# ------------------------------------------------------------------ generators

LATIN = "harvest people union steel grain river bridge school railway congress victory peace".split()
OTHER_SCRIPTS = ["народ", "урожай", "人民", "丰收。", "الشعب", "σιτάρι", "חקלאות", "ক্ষেত", "🚜", "Ünïcødé", "naïve", "ǅungla"]
NEWLINES = ["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\r\r", "\u2028"]


@st.composite
def good_text(draw, n: int) -> str:
    """A paragraph-structured text with a unique token uniqN somewhere in its body."""
    words = draw(st.lists(st.sampled_from(LATIN + OTHER_SCRIPTS), min_size=3, max_size=30))
    if draw(st.booleans()):
        words.append(draw(st.sampled_from(["x" * 3000, "Донецкаяобласть" * 200, "-" * 500])))  # very long "words"
    words.insert(draw(st.integers(0, len(words))), f"uniq{n}")
    out = []
    for i, word in enumerate(words):
        out.append(word)
        if i < len(words) - 1:
            out.append(draw(st.sampled_from([" ", " ", " ", "  ", "\t", *NEWLINES])))
    return "".join(out)


GOOD_DATES = ["2020-01-02", "2021", "2022-05", 1704153600000, "10 September 2024", None, "", "2019-07-01T10:00:00+09:00"]
BAD_DATES = ["2023-02-30", "2024-13", "not a date", "June 5", True, {"y": 2024}, [2024], 10**400, -1e300, "0001-01-01T00:00",
             "x" * 1000, float("inf")]


@st.composite
def corpus(draw):
    """Files of every supported kind, mixing good and bad records, with what a build must make of them.

    Returns (files: name -> bytes, good: set of uniq numbers, skipped: Counter of (file, locator), warned: {file}).
    A CSV's skipped rows are counted under (file, "csv"): their line numbers depend on quoted newlines.
    """
    files: dict[str, bytes] = {}
    good: set[int] = set()
    skipped: Counter = Counter()
    warned: set[str] = set()
    counter = iter(range(10**6))

    for f in range(draw(st.integers(0, 4))):  # .txt / .md files, one record each
        name = f"t{f}.{draw(st.sampled_from(['txt', 'md']))}"
        kind = draw(st.sampled_from(["plain", "bom", "utf16", "invalid", "nul", "empty", "blank", "binary", "not-utf8", "controls"]))
        if kind in ("plain", "bom", "utf16", "invalid", "nul"):
            n = next(counter)
            text = f"Title of speech {n}" + draw(st.sampled_from(NEWLINES)) + draw(good_text(n))
            data = text.encode("utf-8")
            if kind == "bom":
                data = b"\xef\xbb\xbf" + data
            elif kind == "utf16":
                data = text.encode("utf-16")  # with its BOM
            elif kind == "invalid":
                data = data.replace(b" ", b" \xff\xfe ", 1) if b" " in data else data + b" \xff"
                warned.add(name)
            elif kind == "nul":
                data = data.replace(b" ", b" \x00 ", 1) if b" " in data else data
            good.add(n)
        else:
            data = {"empty": b"", "blank": draw(st.sampled_from([b" ", b"\n\n", b" \t\r\n \r ", "\u3000\u00a0\n".encode()])),
                    "binary": bytes(draw(st.lists(st.integers(0, 255), min_size=64, max_size=400))) + b"\x00" * 64,
                    "not-utf8": bytes(draw(st.lists(st.integers(0x80, 0xFF), min_size=20, max_size=200))),
                    "controls": b"\x01\x02\x03\x04\x05\x06\x07\x08" * draw(st.integers(1, 20))}[kind]
            skipped[(name, "")] += 1
        files[name] = data

    for f in range(draw(st.integers(0, 2))):  # JSON lists
        name = f"j{f}.json"
        shape = draw(st.sampled_from(["list", "list", "list", "object", "broken", "scalar", "deep"]))
        if shape != "list":
            files[name] = {"object": b'{"text": "a record, but not in a list"}', "broken": b'[{"text": "unterminated',
                           "scalar": b"42", "deep": b"[" * 50_000 + b"]" * 50_000}[shape]
            skipped[(name, "")] += 1
            continue
        items = []
        for i in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["good", "good", "good", "no-text", "number-text", "list-text", "null-text",
                                         "empty-text", "bad-date", "not-object"]))
            if kind == "good":
                n = next(counter)
                item = {"text": draw(good_text(n)), "date": draw(st.sampled_from(GOOD_DATES)),
                        "title": draw(st.sampled_from(["A title", 7, None, {"odd": 1}, "", "Ünïcødé title"]))}
                good.add(n)
            else:
                item = {"no-text": {"title": "no text here"}, "number-text": {"text": 12345}, "list-text": {"text": ["a", "b"]},
                        "null-text": {"text": None}, "empty-text": {"text": " \n\t "},
                        "bad-date": {"text": "valid text with an invalid date", "date": draw(st.sampled_from(BAD_DATES))},
                        "not-object": draw(st.sampled_from([7, "string", None, [1, 2], True]))}[kind]
                skipped[(name, f"record {i + 1}")] += 1
            items.append(item)
        files[name] = _json_dumps(items).encode("utf-8")

    for f in range(draw(st.integers(0, 2))):  # JSONL, one record a line, mixed line ends
        name = f"l{f}.jsonl"
        lines = []
        for i in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["good", "good", "blank", "broken", "array", "number-text", "bad-date"]))
            if kind == "good":
                n = next(counter)
                lines.append(_json_dumps({"text": draw(good_text(n)), "date": draw(st.sampled_from(GOOD_DATES))}))
                good.add(n)
            else:
                lines.append({"blank": "   ", "broken": '{"text": "half a rec', "array": "[1, 2, 3]",
                              "number-text": '{"text": 3.5}',
                              "bad-date": _json_dumps({"text": "ok text, bad date", "date": draw(st.sampled_from(BAD_DATES))})}[kind])
                if kind != "blank":
                    skipped[(name, f"line {i + 1}")] += 1
        out = ""
        for i, line in enumerate(lines):
            out += line + (draw(st.sampled_from(["\n", "\r\n", "\r"])) if i < len(lines) - 1 or draw(st.booleans()) else "")
        files[name] = out.encode("utf-8")

    for f in range(draw(st.integers(0, 2))):  # CSV with missing and extra columns
        name = f"c{f}.csv"
        buf = io.StringIO()
        ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        # csv quotes a field holding a character of its line ending; only "\r\n" covers both \r and \n
        writer = csv.writer(buf, lineterminator=ending, quoting=csv.QUOTE_MINIMAL if ending == "\r\n" else csv.QUOTE_ALL)
        writer.writerow(["text", "date", "title"])
        for i in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["good", "good", "missing", "extra", "bad-date", "empty-text"]))
            if kind == "good":
                n = next(counter)
                writer.writerow([draw(good_text(n)), draw(st.sampled_from(["2020-01-02", "2021", "", "March 2022"])), "T"])
                good.add(n)
            elif kind == "missing":
                writer.writerow(["only text, no other columns"])
            elif kind == "extra":
                writer.writerow(["text", "2020", "title", "one column too many"])
            elif kind == "bad-date":
                writer.writerow(["text with a bad date", draw(st.sampled_from(["2023-02-30", "soon", "13/13/2013"])), "T"])
            else:
                writer.writerow([" ", "2020", "T"])
            if kind != "good":
                skipped[(name, "csv")] += 1
        files[name] = buf.getvalue().encode("utf-8")
    return files, good, skipped, warned


def _json_dumps(value) -> str:
    def default(o):
        return str(o)
    return json.dumps(value, ensure_ascii=False, default=default, allow_nan=True)


def _uniq_numbers(text: str) -> list[int]:
    return [int(m) for m in re.findall(r"uniq(\d+)", text)]


# ------------------------------------------------------------------ readers and the build

@settings(max_examples=45, phases=NO_SHRINK, **SETTINGS)  # each example is a build: shrinking would take minutes
@given(corpus())
def test_bad_records_are_skipped_named_and_counted_and_good_ones_indexed(case):
    files, good, skipped, warned = case
    FIGURES["corpora built"] += 1
    FIGURES["files"] += len(files)
    FIGURES["good records"] += len(good)
    FIGURES["bad records"] += sum(skipped.values())
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_corpus(Path(tmp) / "corpus", files)
        out = Path(tmp) / "index"
        if not good:
            with pytest.raises(RefrainError, match="no readable documents"):
                quick_build([folder], out, ENCODER)
            FIGURES["bad records in corpora refused whole (no good record)"] += sum(skipped.values())
            return
        report = quick_build([folder], out, ENCODER)
        # every bad record: skipped, named by file and record
        got = Counter()
        for p in report.skipped:
            name = Path(p.source).name
            assert p.reason and len(p.reason) < 400, p
            if name.endswith(".csv"):
                assert re.fullmatch(r"line \d+", p.locator), p
                got[(name, "csv")] += 1
            else:
                got[(name, p.locator)] += 1
        assert got == skipped, (got, skipped)
        assert {Path(p.source).name for p in report.warnings if "UTF-8" in p.reason} == warned
        # every good record: one document holding its text, and searchable
        assert report.documents == len(good)
        searcher = Searcher(out)
        found = Counter(n for (text,) in searcher.db.query("SELECT text FROM documents") for n in _uniq_numbers(text))
        assert set(found) == good and all(v == 1 for v in found.values()), found
        for n in sorted(good):
            hits = searcher.phrase(f"uniq{n}", k=5)
            assert hits and all(f"uniq{n}" in h.text for h in hits), n
        counts = searcher.manifest["counts"]
        assert counts["records_skipped"] == len(report.skipped) == sum(skipped.values())
        FIGURES["bad records skipped and named"] += len(report.skipped)
        FIGURES["good records indexed"] += len(good)


def test_cli_build_reports_skips_and_strict_stops_at_the_first(tmp_path):
    folder = write_corpus(tmp_path / "corpus", {
        "a-good.txt": "A good speech\n\nThe harvest was gathered by the people of the union.\r\nAnd the river rose.",
        "b-binary.txt": bytes(range(256)) * 4,
        "c-empty.md": b"",
        "d.json": json.dumps([{"text": "Steel and grain for the union and its workers."}, {"text": 5},
                              {"text": "A good record with a bad date here.", "date": "2023-02-30"}]),
        "e.jsonl": '{"text": "The bridge over the river was opened today."}\n{"text": \n',
        "f.csv": "text,date\n\"Schools and railways for all the children.\",2020\nonly one column, and, too many\n",
    })
    out = tmp_path / "index"
    result = cli("build", folder, "--out", out, "--model", "builtin:hashing", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "4 documents from 4 records" in result.stdout and "6 records skipped" in result.stdout, result.stdout
    for named in ("b-binary.txt", "c-empty.md", "d.json record 2", "d.json record 3", "e.jsonl line 2", "f.csv line 3"):
        assert named in result.stdout, (named, result.stdout)
    info = cli("info", out, "--json")
    problems = json.loads(info.stdout)["problems"]
    assert len([p for p in problems if p["skipped"]]) == 6

    strict = cli("build", folder, "--out", tmp_path / "strict", "--model", "builtin:hashing", "--quiet", "--strict")
    assert_clean_user_error(strict, "--strict", "b-binary.txt", "binary")
    assert not (tmp_path / "strict" / "CURRENT").exists()
    # --strict over good input builds normally
    only_good = write_corpus(tmp_path / "good", {"a.txt": "Title\n\nThe harvest was gathered by the people."})
    assert cli("build", only_good, "--out", tmp_path / "strict2", "--model", "builtin:hashing", "--quiet", "--strict").returncode == 0
    # nothing readable at all: a clear error, not an empty index
    nothing = write_corpus(tmp_path / "bad", {"x.txt": b"", "y.json": b"{}"})
    assert_clean_user_error(cli("build", nothing, "--out", tmp_path / "none", "--model", "builtin:hashing", "--quiet"),
                            "no readable documents")
    assert not (tmp_path / "none" / "CURRENT").exists()
    FIGURES["cli builds"] += 4


def test_file_names_that_are_not_utf8_and_special_files(tmp_path):
    import os

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text("Title\n\nA perfectly good speech about the harvest.", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9-2020-01-02.txt"), "wb") as fh:  # Latin-1 name
        fh.write(b"Title\n\nA speech whose file name is Latin-1, not UTF-8.")
    os.mkfifo(folder / "pipe.txt")  # would block a reader forever
    (folder / "dangling.txt").symlink_to(folder / "missing-target.txt")
    report = quick_build([folder], tmp_path / "index", ENCODER)
    assert report.documents == 2
    titles = {d["title"] for d in Searcher(tmp_path / "index").documents()}
    assert titles == {"Title"}
    dates = {d["date"] for d in Searcher(tmp_path / "index").documents()}
    assert "2020-01-02" in dates
    reasons = {Path(p.source).name: p.reason for p in report.skipped}
    assert set(reasons) == {"pipe.txt", "dangling.txt"} and all("regular file" in r for r in reasons.values())
    FIGURES["special files"] += 4


def test_a_single_5mb_line_builds_in_bounded_time(tmp_path):
    """A scraper's whole page on one line: 5 MB without a newline, of very long words, beside a normal file."""
    big = " ".join(["Q" * 100_000 + str(i) for i in range(50)])  # 5 MB, 50 'words'
    folder = write_corpus(tmp_path / "corpus", {"big.txt": "Title\n" + big, "small.txt": "Title\n\nThe harvest was good this year."})
    started = time.perf_counter()
    report = quick_build([folder], tmp_path / "index", ENCODER)
    seconds = time.perf_counter() - started
    assert report.documents == 2 and not report.skipped
    searcher = Searcher(tmp_path / "index")
    assert searcher.phrase("harvest was good")
    doc = next(d for d in searcher.documents() if d["title"] == "Title" and len(searcher.document(d["doc_id"]).text) > 1e6)
    covered = "".join(h.text for h in searcher.document(doc["doc_id"]).passages["paragraph"])
    assert covered.replace(" ", "") == big.replace(" ", "")  # nothing lost, nothing invented
    assert seconds < 60, seconds
    FIGURES["5 MB line build seconds"] = round(seconds, 1)


def test_segmenter_on_a_5mb_line_of_prose_is_bounded():
    """pysbd needs minutes for 5 MB; paragraphs over segment.PYSBD_MAX_CHARS use a plain punctuation rule."""
    base = " ".join(p.read_text(encoding="utf-8").replace("\n", " ") for p in sorted(SAMPLE_CORPUS.glob("*.txt")))
    text = normalise((base + " ") * (5_000_000 // len(base) + 1))[:5_000_000].strip()
    segmenter = Segmenter(ENCODER.token_spans, ENCODER.max_tokens)
    started = time.perf_counter()
    spans = segmenter.segment(text)
    seconds = time.perf_counter() - started
    _check_spans(text, spans)
    assert len(spans["sentence"]) > 10_000
    assert seconds < 90, seconds
    FIGURES["5 MB prose segmentation seconds"] = round(seconds, 1)


# ------------------------------------------------------------------ decoding, dates, segmentation

@settings(max_examples=300, **SETTINGS)
@given(st.one_of(st.binary(max_size=3000),
                 st.lists(st.sampled_from([b"ok ", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r\n", b"\r", "ж".encode(), b"\x1b"]),
                          max_size=200).map(b"".join)))
def test_decode_bytes_never_raises(data):
    FIGURES["byte strings decoded"] += 1
    text, note = decode_bytes(data)
    if text is None:
        assert note and ("binary" in note or "UTF-8" in note)
    else:
        assert isinstance(text, str) and (note is None or "UTF-8" in note)


@settings(max_examples=400, **SETTINGS)
@given(st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**500, max_value=10**500), st.floats(allow_nan=True),
                 st.text(max_size=200), st.from_regex(r"\d{4}(-\d{1,2}(-\d{1,2})?)?", fullmatch=True),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
def test_parse_date_returns_an_iso_date_or_raises_date_error(value):
    FIGURES["dates parsed"] += 1
    try:
        out = parse_date(value)
    except DateError as exc:
        assert len(str(exc)) < 200
        return
    if out is not None:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", out), out
        assert 1000 <= int(out[:4]) <= 2999


def _check_spans(text: str, spans: dict) -> None:
    """Passages lie inside the text, in order, without overlap, and cover every non-space character."""
    for level in LEVELS:
        covered = bytearray(len(text))
        previous_end = 0
        for a, b in spans[level]:
            assert 0 <= a < b <= len(text), (level, a, b)
            assert a >= previous_end, (level, a, previous_end)
            assert not text[a].isspace() and not text[b - 1].isspace(), (level, text[a:b][:40])
            covered[a:b] = b"\x01" * (b - a)
            previous_end = b
        lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
        assert not lost, (level, text[lost[0]: lost[0] + 40])


TEXT = st.one_of(
    st.text(max_size=1500),
    st.lists(st.one_of(st.sampled_from(LATIN + OTHER_SCRIPTS + NEWLINES + [" ", ". ", "! ", "?", "\x00", "\ufeff", "\u200b",
                                                                           "Mr. ", "e.g. ", "1.5", "...", "\u3002"]),
                       st.text(min_size=1, max_size=8), st.integers(1, 4000).map(lambda n: "w" * n)),
             max_size=120).map("".join),
)


@settings(max_examples=250, **SETTINGS)
@given(TEXT)
def test_segmenter_keeps_every_character_of_any_text(raw):
    FIGURES["texts segmented"] += 1
    text = normalise(raw)
    spans = Segmenter(ENCODER.token_spans, ENCODER.max_tokens).segment(text)
    _check_spans(text, spans)
    if text:
        assert spans["paragraph"] and spans["sentence"]


# ------------------------------------------------------------------ queries

@pytest.fixture(scope="module")
def sample(sample_hashing_index):
    return Searcher(sample_hashing_index, encoder=ENCODER)


QUERY = st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "\t\n\r", "\x00\x01\x1b[31m", "\u200b\ufeff", "🚜" * 50,
                                                          "x" * 20_001, "harvest\x00festival"]))


@settings(max_examples=150, **SETTINGS)
@given(QUERY, st.sampled_from(LEVELS))
def test_any_query_text_gives_results_or_a_clear_error(sample, query, level):
    FIGURES["queries"] += 3
    for run in (lambda: sample.search(query, k=7, level=level), lambda: sample.phrase(query, k=7, level=level),
                lambda: sample.search(query, k=3, level=level, filters=Filters.make(date_from="2020", date_to="2022-06"))):
        try:
            hits = run()
        except RefrainError as exc:
            FIGURES["query errors (clear)"] += 1
            assert str(exc) and "\n" not in str(exc)
            assert not normalise(query) or len(normalise(query)) > 20_000 or query == ""
            continue
        assert len(hits) <= 7
        verbatim = [h.match == "verbatim" for h in hits]
        assert verbatim == sorted(verbatim, reverse=True)  # every verbatim hit (and every phrase hit) comes first


def test_a_1mb_query_and_other_edge_queries(sample):
    with pytest.raises(RefrainError, match="too long"):
        sample.search("harvest " * 131_072)  # 1 MiB
    with pytest.raises(RefrainError, match="too long"):
        sample.phrase("harvest " * 131_072)
    for empty in ("", "   ", "\x00\x01\x02", "\u200b\n\t"):
        with pytest.raises(RefrainError, match="empty query"):
            sample.search(empty)
    assert sample.phrase("...!!!") == []  # no words: nothing can match
    assert sample.search("harvest\x00 fest\x1bival", k=3) == sample.search("harvest festival", k=3)
    FIGURES["queries"] += 8


@pytest.mark.parametrize("k", [0, -1, -10**9, 10**9, MAX_K + 1, 1.5, "3", None, True, float("nan")])
def test_bad_k_is_a_clear_error(sample, k):
    FIGURES["queries"] += 3
    for run in (lambda: sample.search("harvest", k=k), lambda: sample.phrase("harvest", k=k),
                lambda: sample.similar(sample.search("harvest", k=1)[0].passage_id, k=k)):
        with pytest.raises(RefrainError, match="k must be"):
            run()


@pytest.mark.parametrize("score", [-1.0001, 1.0001, 2, -5, float("nan"), float("inf"), float("-inf"), "high", [0.5]])
def test_min_score_outside_minus_one_to_one_is_a_clear_error(sample, score):
    FIGURES["queries"] += 1
    with pytest.raises(RefrainError, match="minimum score"):
        sample.search("harvest", min_score=score)


def test_edge_values_that_are_valid(sample):
    assert len(sample.search("harvest", k=MAX_K)) == min(MAX_K, sample.manifest["levels"]["paragraph"]["rows"])
    assert all(h.match == "verbatim" or h.score >= 1.0 for h in sample.search("harvest", k=1, min_score=1.0))
    assert sample.search("harvest", k=1, min_score=1.0, mode="semantic") == []
    assert len(sample.search("harvest", k=5, min_score=-1.0)) == 5
    assert sample.search("harvest", k=5, filters=Filters.make(doc_ids=["no-such-document"])) == []
    for bad in (dict(date_from="not a date"), dict(date_to="2023-02-30"), dict(meta={"no-such-field": ["x"]})):
        with pytest.raises(RefrainError):
            sample.search("harvest", filters=Filters.make(**bad))
    for bad_id in ("", "nope", "'; DROP TABLE passages; --", "\x00"):
        with pytest.raises(RefrainError):
            sample.similar(bad_id)
        with pytest.raises(RefrainError):
            sample.document(bad_id)
    with pytest.raises(RefrainError, match="level"):
        sample.search("harvest", level="chapter")
    FIGURES["queries"] += 14


def test_cli_rejects_bad_queries_with_exit_2(sample):
    root = sample.root
    cases = [(["search", root, "   \t"], "empty query"), (["search", root, "harvest", "-k", "-3"], "k must be"),
             (["search", root, "harvest", "--min-score", "nan"], "minimum score"),
             (["search", root, "harvest", "--from", "yesterday-ish"], "bad date"),
             (["search", root, "x" * 100_000], "too long"), (["similar", root, "no-such-passage"], "no passage")]
    for args, needle in cases:
        assert_clean_user_error(cli(*args), needle)
    ok = cli("phrase", root, '"harvest" AND NOT ^festival* NEAR(x y) col:umn -z (', "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == [], ok.stderr
    FIGURES["cli queries"] += len(cases) + 1


# ------------------------------------------------------------------ phrase search takes every character literally

OPERATORS = ['"', '""', "*", "NEAR(", "NEAR", ")", "(", "AND", "OR", "NOT", "^", ":", "-", "+", "'", "{", "}", "[", "]", ",", "\\"]


def _tokens(text: str) -> list[str]:
    """FTS5's unicode61 tokenizer (remove_diacritics 2), for the words our corpora use."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", stripped.casefold())


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


@st.composite
def literal_phrase(draw, passages):
    """Words taken from a real passage, with FTS5 syntax and unbalanced quotes sprinkled between them."""
    text = draw(st.sampled_from(passages))
    words = text.split()
    start = draw(st.integers(0, max(0, len(words) - 1)))
    chosen = words[start:start + draw(st.integers(1, 4))]
    out = []
    for word in chosen:
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(OPERATORS)))
        out.append(word)
    if draw(st.booleans()):
        out.append(draw(st.sampled_from(OPERATORS)))
    joiner = draw(st.sampled_from([" ", "  ", " ", ""]))
    return joiner.join(out) if joiner else " ".join(out)


def test_phrase_search_treats_fts5_syntax_as_literal_text(sample):
    level = "paragraph"
    rows = sample.db.query("SELECT p.passage_id, p.text FROM passages p JOIN documents d USING (doc_id) "
                           "WHERE p.level = ? ORDER BY d.ord, p.ordinal", (level,))
    tokenised = [(pid, _tokens(text)) for pid, text in rows]
    passages = [text for _, text in rows]
    checked = Counter()

    @settings(max_examples=200, **SETTINGS)
    @given(literal_phrase(passages))
    def check(phrase):
        needle = _tokens(normalise(phrase))
        hits = sample.phrase(phrase, k=MAX_K, level=level)
        expected = [pid for pid, toks in tokenised if needle and _contains(toks, needle)][:MAX_K]
        assert [h.passage_id for h in hits] == expected, (phrase, needle)
        checked["phrases"] += 1
        checked["with matches"] += bool(expected)

    check()
    fixed = ['"', '""', '"""', "'", "*", "NEAR(", "AND", "OR", "NOT", "^", ":", "-", "(", ")", "harvest*", '"the', 'people"',
             "the AND people", "NOT the", "the OR", "^the", "text:the", "-the", "NEAR(the people, 2)", "the\"people"]
    for phrase in fixed:
        needle = _tokens(phrase)
        expected = [pid for pid, toks in tokenised if needle and _contains(toks, needle)][:MAX_K]
        assert [h.passage_id for h in sample.phrase(phrase, k=MAX_K, level=level)] == expected, phrase
    assert checked["with matches"] > 50  # the generator mostly finds real phrases
    FIGURES["phrase queries checked against an oracle"] += checked["phrases"] + len(fixed)


def test_index_folders_named_with_uri_characters(tmp_path):
    """SQLite opens the database through a file: URI; '#', '?' and '%' in a folder name must stay literal."""
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Title\n\nThe harvest was gathered by the people."})
    for name in ("draft #2", "what?mode=rw", "100% done", "a%20b"):
        out = tmp_path / name / "index"
        quick_build([corpus], out, ENCODER)
        assert Searcher(out).phrase("harvest was gathered")
        FIGURES["odd index folder names"] += 1
