"""Corpus readers: folders of .txt/.md files, JSON lists, JSONL and CSV, mapped onto one Record shape.

Readers never raise for a bad record: they yield a Problem naming the file and the record, and go on.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from index.dates import DateError, from_parts, iso_date_in, parse_date
from index.errors import RefrainError
from index.ingest import reflow
from index.store.layout import is_index_folder
from index.textnorm import normalise, normalise_line, word_count

TEXT_EXTENSIONS = {".txt": "txt", ".md": "txt"}
RECORD_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
FORMATS = ("auto", "txt", "json", "jsonl", "csv")
TITLE_SOURCES = ("first-line", "filename")  # where a .txt/.md document's title comes from
TITLE_MAX_WORDS = 30  # a longer first line is speech, not a title
_CSV_FIELD_LIMIT = 256 * 1024 * 1024


@dataclass
class Record:
    """One document as read, before deduplication."""

    source: str  # the file, as the user named it
    locator: str  # where in the file ("record 17", "line 4", "row 9"); empty for one-document files
    key: str  # identity used for the document id: path within the source, an id field, or the text hash
    text: str  # normalised
    title: str
    date: str | None
    meta: dict[str, list[str]] = field(default_factory=dict)
    title_in_text: bool = False  # the first line of text is the title, not speech

    @property
    def where(self) -> str:
        return f"{self.source} {self.locator}".strip()


@dataclass
class Problem:
    """A record that was skipped (or kept with a warning), with the reason in words."""

    source: str
    locator: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.source} {self.locator}".strip()
        return f"{where}: {self.reason}" + ("" if self.skipped else " (kept)")


@dataclass
class ReadOptions:
    format: str = "auto"
    text_field: str = "text"
    title_field: str = "title"
    date_field: str = "date"
    id_field: str | None = None
    meta_fields: tuple[str, ...] = ()
    title_from: str = "first-line"  # or "filename"
    date_pattern: str | None = None
    meta_pattern: str | None = None

    def compiled(self) -> tuple[re.Pattern | None, re.Pattern | None]:
        try:
            date_re = re.compile(self.date_pattern) if self.date_pattern else None
            meta_re = re.compile(self.meta_pattern) if self.meta_pattern else None
        except re.error as exc:
            raise RefrainError(f"invalid --date-pattern or --meta-pattern: {exc}") from None
        if date_re is not None and not set(date_re.groupindex) & {"date", "year"}:
            raise RefrainError("--date-pattern needs a named group 'date' or 'year' (with optional 'month', 'day')")
        if meta_re is not None and not meta_re.groupindex:
            raise RefrainError("--meta-pattern needs named groups, e.g. '^(?P<country>[A-Z]{3})_'")
        return date_re, meta_re


def read_sources(sources: list[str], options: ReadOptions) -> Iterator[Record | Problem]:
    """Yield every record (or problem) from the given files and folders, in a stable order."""
    if options.format not in FORMATS:
        raise RefrainError(f"unknown --format {options.format!r}; choose one of {', '.join(FORMATS)}")
    patterns = options.compiled()
    for source in sources:
        root = Path(source)
        if not root.exists():
            raise RefrainError(f"source not found: {source}")
        for path, fmt in _files_of(root, options.format):
            key_prefix = root.name if root.is_dir() else ""
            rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
            key = _printable(f"{key_prefix}/{rel}" if key_prefix else rel)
            display = _printable(str(path))
            if not path.is_file():  # a FIFO would block the build, a broken link cannot be read
                yield Problem(display, "", "not a regular file")
                continue
            try:
                if fmt == "txt":
                    yield from _read_text_file(path, display, key, options, patterns)
                else:
                    yield from _read_record_file(path, display, fmt, options)
            except OSError as exc:
                yield Problem(display, "", f"cannot read file: {exc.strerror or exc}")


def _printable(name: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (a scraper's Latin-1 names) become \\xNN escapes.

    Python hands such names over as lone surrogates, which cannot be hashed, stored or printed.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _files_of(root: Path, fmt: str) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, _format_of(root, fmt, explicit_file=True)
        return
    known = {**TEXT_EXTENSIONS, **RECORD_EXTENSIONS}
    for dirpath, dirnames, filenames in os.walk(root):
        if is_index_folder(Path(dirpath)):  # an index built inside its own corpus folder is not corpus
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            ext = Path(name).suffix.lower()
            if ext not in known:
                continue
            kind = known[ext]
            if fmt != "auto" and kind != fmt:
                continue
            yield Path(dirpath) / name, kind


def _format_of(path: Path, fmt: str, explicit_file: bool) -> str:
    if fmt != "auto":
        return fmt
    ext = path.suffix.lower()
    kind = {**TEXT_EXTENSIONS, **RECORD_EXTENSIONS}.get(ext)
    if kind is None:
        raise RefrainError(f"cannot tell the format of {path} from its extension; pass --format txt|json|jsonl|csv")
    return kind


BINARY_SHARE = 0.10  # more control bytes (NUL included) than this in the first 64 KiB: a binary file
NOT_UTF8_SHARE = 0.30  # more invalid UTF-8 than this: a binary file or another encoding


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """Decode UTF-8 (BOM allowed). Returns (text, warning) or (None, reason) for binary data.

    A few stray NUL or control bytes and a few invalid sequences are tolerated (they are dropped or
    replaced with U+FFFD and reported); a file made largely of them is not text and is skipped.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), None
    sample = data[:65536]
    if sample and _control_share(sample) > BINARY_SHARE:
        return None, "looks like a binary file, not text"
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
    if bad > 0 and bad > NOT_UTF8_SHARE * max(1, len(text) - text.count(" ")):
        return None, f"not UTF-8 text ({bad} invalid byte sequences): a binary file or another encoding; convert it to UTF-8"
    if bad > 0:
        return text, f"invalid UTF-8: {bad} byte sequence(s) replaced with U+FFFD"
    return text, None


def _control_share(sample: bytes) -> float:
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample)


def _read_file_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The file's text with a kept-with-warning Problem if it was not clean UTF-8; or no text and the
    skipping Problem if it is not text at all."""
    text, note = decode_bytes(path.read_bytes())
    if text is None:
        return None, [Problem(display, "", note)]
    return text, [Problem(display, "", note, skipped=False)] if note else []


def _read_text_file(path, display, key, options, patterns) -> Iterator[Record | Problem]:
    date_re, meta_re = patterns
    text, problems = _read_file_text(path, display)
    yield from problems
    if text is None:
        return
    text = normalise(text)
    if not text:
        yield Problem(display, "", "empty document (no text after normalisation)")
        return
    try:
        date = _date_from_name(_printable(path.name), date_re)
    except DateError as exc:
        yield Problem(display, "", f"file name gives a bad date: {exc}")
        return
    meta = _meta_from_name(_printable(path.name), meta_re)
    title, title_in_text = _title_of(text, path, options.title_from)
    yield Record(display, "", key, text, title, date, meta, title_in_text)


def _title_of(text: str, path: Path, title_from: str) -> tuple[str, bool]:
    """The first non-empty line is the title unless it is the whole text or too long to be one."""
    stem = _printable(path.stem)
    if title_from == "filename":
        return stem, False
    first, _, rest = text.partition("\n")
    if rest.strip() and word_count(first) <= TITLE_MAX_WORDS and not _first_printed_line(text, rest):
        return first, True
    return stem, False


def _first_printed_line(text: str, rest: str) -> bool:
    """In a hard-wrapped document the first line is the start of the speech unless a blank line sets it apart."""
    return not rest.startswith("\n") and reflow.detect(text) is not None


def _date_from_name(name: str, date_re: re.Pattern | None) -> str | None:
    if date_re is not None and (m := date_re.search(name)):
        groups = {k: v for k, v in m.groupdict().items() if v}
        if "date" in groups:
            return parse_date(groups["date"])
        if "year" in groups:
            return from_parts(groups["year"], groups.get("month"), groups.get("day"))
    return iso_date_in(name)


def _meta_from_name(name: str, meta_re: re.Pattern | None) -> dict[str, list[str]]:
    if meta_re is None or not (m := meta_re.search(name)):
        return {}
    return {k: [v] for k, v in m.groupdict().items() if v}


def _read_record_file(path: Path, display: str, fmt: str, options: ReadOptions) -> Iterator[Record | Problem]:
    text, problems = _read_file_text(path, display)
    yield from problems
    if text is None:
        return
    if fmt == "json":
        rows = _json_rows(text, display)
    elif fmt == "jsonl":
        rows = _jsonl_rows(text)
    else:
        rows = _csv_rows(text)
    for locator, row in rows:
        if isinstance(row, str):  # a reason: the row could not be parsed
            yield Problem(display, locator, row)
            continue
        yield _record_from_mapping(row, display, locator, options)


def _json_rows(text: str, display: str) -> Iterator[tuple[str, object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        return
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        yield "", f"invalid JSON: {str(exc)[:120]}"
        return
    except RecursionError:
        yield "", "invalid JSON: nested too deeply"
        return
    if not isinstance(data, list):
        yield "", f"expected a JSON list of records, found {_json_type(data)}"
        return
    for i, row in enumerate(data, start=1):
        yield f"record {i}", row if isinstance(row, dict) else f"not an object but {_json_type(row)}"


_JSONL_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # never U+2028 and the like: JSON strings may hold them raw


def _jsonl_rows(text: str) -> Iterator[tuple[str, object]]:
    for i, line in enumerate(_JSONL_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {i}", f"invalid JSON: {exc.msg} at column {exc.colno}"
            continue
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            yield f"line {i}", f"invalid JSON: {str(exc)[:120]}"
            continue
        except RecursionError:
            yield f"line {i}", "invalid JSON: nested too deeply"
            continue
        yield f"line {i}", row if isinstance(row, dict) else f"not an object but {_json_type(row)}"


def _csv_rows(text: str) -> Iterator[tuple[str, object]]:
    csv.field_size_limit(min(sys.maxsize, _CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))  # \r, \n and \r\n end rows; U+2028 and \f do not
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield "line 1", f"unreadable CSV header: {exc}"
        return
    if not header:
        yield "", "empty CSV file (no header row)"
        return
    header = [h.strip() for h in header]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"line {reader.line_num}", f"unreadable CSV: {exc}; the rest of the file is skipped"
            return
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {reader.line_num}"
        if len(row) != len(header):
            yield where, f"has {len(row)} fields but the header has {len(header)}"
            continue
        yield where, dict(zip(header, row))


def _json_type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _record_from_mapping(row: dict, display: str, locator: str, options: ReadOptions) -> Record | Problem:
    raw_text = row.get(options.text_field)
    if options.text_field not in row:
        fields = ", ".join(sorted(map(str, row))[:12]) or "none"
        return Problem(display, locator, f"no {options.text_field!r} field (fields: {fields}); set --text-field")
    if raw_text is None or not isinstance(raw_text, str):
        return Problem(display, locator, f"field {options.text_field!r} is {_json_type(raw_text)}, not text")
    text = normalise(raw_text)
    if not text:
        return Problem(display, locator, "empty text")
    try:
        date = parse_date(row.get(options.date_field))
    except DateError as exc:
        return Problem(display, locator, f"field {options.date_field!r}: {exc}")
    raw_title = row.get(options.title_field)
    title = normalise_line(str(raw_title)) if isinstance(raw_title, (str, int, float)) and str(raw_title).strip() else ""
    meta = {}
    for name in options.meta_fields:
        values = _meta_values(row.get(name))
        if values:
            meta[name] = values
    ident = row.get(options.id_field) if options.id_field else None
    if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident).strip():
        key = f"id:{str(ident).strip()}"
    else:
        key = ""  # the build falls back on the text's hash
    if not title:
        first = text.split("\n", 1)[0]
        title = first if word_count(first) <= 12 else " ".join(first.split()[:12]) + " …"
    return Record(display, locator, key, text, title, date, meta)


def _meta_values(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item is None:
            continue
        text = normalise_line(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
        if text:
            out.append(text)
    return out
