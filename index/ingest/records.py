"""Corpus readers: every input format mapped onto one Record shape.

FORMAT_TABLE below is the one list of formats: a name (for --format), the file endings it claims, and its
reader. Text formats are decoded by index.ingest.decoding (UTF-8, or a detected legacy charset such as
EUC-KR, named in a warning) after gunzipping when the bytes are gzip; their rows come from
index.ingest.textrows. Parquet files and Hugging Face datasets saved with save_to_disk are read with
pyarrow by index.ingest.columnar. Every record format maps its rows through the same field options.

Readers never raise for a bad record: they yield a Problem naming the file and the record, and go on.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from index.dates import DateError, from_parts, iso_date_in, parse_date
from index.errors import RefrainError
from index.ingest import reflow
from index.ingest.columnar import ColumnarError, is_saved_dataset, parquet_rows, saved_dataset_rows, saved_dataset_splits
from index.ingest.decoding import decode_bytes
from index.ingest.textrows import csv_rows, json_rows, json_type, jsonl_rows
from index.store.layout import is_index_folder
from index.textnorm import normalise, normalise_line, word_count

TITLE_SOURCES = ("first-line", "filename")  # where a .txt/.md document's title comes from
TITLE_MAX_WORDS = 30  # a longer first line is speech, not a title
GZIP_MAGIC = b"\x1f\x8b"
GZIP_ENDING = ".gz"  # any text format may be gzipped: .jsonl.gz, .csv.gz, .json.gz, .txt.gz
MAX_GUNZIPPED_BYTES = 4 << 30  # a gzip file that inflates beyond this is refused, not read into memory
_GUNZIP_CHUNK = 1 << 20


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
    date_language: str | None = None  # dates written in words in this language (the build's --language)

    @property
    def columns(self) -> list[str]:
        """The record fields the options read (columnar formats read only these columns)."""
        fields = [self.text_field, self.title_field, self.date_field, self.id_field, *self.meta_fields]
        return [f for f in fields if f]

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


@dataclass(frozen=True)
class InputFile:
    """One file (or saved-dataset folder) to read, with how it is named in problems and identified."""

    path: Path
    display: str  # the path as the user gave it, printable
    key: str  # path within the source folder: the identity of a one-document file


Reader = Callable[[InputFile, ReadOptions, tuple], Iterable["Record | Problem"]]


@dataclass(frozen=True)
class InputFormat:
    name: str
    endings: tuple[str, ...]  # lower-case file name endings it claims (text formats also with .gz); none for folders
    read: Reader
    gzip_allowed: bool = True


def read_sources(sources: list[str], options: ReadOptions) -> Iterator[Record | Problem]:
    """Yield every record (or problem) from the given files and folders, in a stable order."""
    for file, fmt in input_files(sources, options):
        yield from read_input(file, fmt, options)


def input_files(sources: list[str], options: ReadOptions) -> Iterator[tuple[InputFile, str]]:
    """Every file (or saved dataset) the sources name, in a stable order, with its format's name: a build reads
    them in worker processes with read_input (index/ingest/reading.py)."""
    if options.format not in FORMATS:
        raise RefrainError(f"unknown --format {options.format!r}; choose one of {', '.join(FORMATS)}")
    options.compiled()  # a bad pattern stops the build before any file is read
    for source in sources:
        root = Path(source)
        if not root.exists():
            raise RefrainError(f"source not found: {source}")
        for path, fmt in _files_of(root, options.format):
            key_prefix = root.name if root.is_dir() else ""
            rel = path.relative_to(root).as_posix() if root.is_dir() else path.name
            key = _printable(f"{key_prefix}/{rel}" if key_prefix else rel)
            yield InputFile(path, _printable(str(path)), key), fmt.name


def read_input(file: InputFile, fmt: str, options: ReadOptions) -> Iterator[Record | Problem]:
    """The records (or problems) of one file that input_files named."""
    kind = _BY_NAME[fmt]
    if kind.name == "hf-dataset" and not file.path.is_dir():
        yield Problem(file.display, "", "not a folder written by the datasets library's save_to_disk")
        return
    if kind.name != "hf-dataset" and not file.path.is_file():  # a FIFO would block the build
        yield Problem(file.display, "", "not a regular file")
        return
    try:
        yield from kind.read(file, options, options.compiled())
    except OSError as exc:
        yield Problem(file.display, "", f"cannot read file: {exc.strerror or exc}")


def _printable(name: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (a scraper's Latin-1 names) become \\xNN escapes.

    Python hands such names over as lone surrogates, which cannot be hashed, stored or printed.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _files_of(root: Path, fmt: str) -> Iterator[tuple[Path, InputFormat]]:
    if root.is_file():
        yield root, _format_of(root, fmt)
        return
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        if is_index_folder(folder):  # an index built inside its own corpus folder is not corpus
            dirnames[:] = []
            continue
        datasets = _saved_datasets(folder)
        if datasets is not None:  # its .json and .arrow files are the dataset's, not documents
            dirnames[:] = []
            if fmt in ("auto", "hf-dataset"):
                yield from ((d, _BY_NAME["hf-dataset"]) for d in datasets)
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            kind = None if name.startswith(".") else _format_of_name(name)
            if kind is not None and fmt in ("auto", kind.name):
                yield folder / name, kind


def _saved_datasets(folder: Path) -> list[Path] | None:
    """The saved Dataset folders a folder is or holds (itself, or a DatasetDict's splits); None for others."""
    if is_saved_dataset(folder):
        return [folder]
    splits = saved_dataset_splits(folder)
    return [s for s in splits if is_saved_dataset(s)] if splits is not None else None


def _format_of_name(name: str) -> InputFormat | None:
    lower = name.lower()
    gzipped = lower.endswith(GZIP_ENDING)
    if gzipped:
        lower = lower[: -len(GZIP_ENDING)]
    for kind in FORMAT_TABLE:
        if kind.endings and lower.endswith(kind.endings) and (kind.gzip_allowed or not gzipped):
            return kind
    return None


def _format_of(path: Path, fmt: str) -> InputFormat:
    if fmt != "auto":
        return _BY_NAME[fmt]
    kind = _format_of_name(path.name)
    if kind is None:
        endings = ", ".join(e for k in FORMAT_TABLE for e in k.endings)
        raise RefrainError(f"cannot tell the format of {path} from its name ({endings}, each text format also "
                           f"{GZIP_ENDING}); pass --format {'|'.join(FORMATS[1:])}")
    return kind


def _file_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they are gzip (whatever the name). Raises ValueError with a reason."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(GZIP_MAGIC):
        return data
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(_GUNZIP_CHUNK):
                out += chunk
                if len(out) > MAX_GUNZIPPED_BYTES:
                    raise ValueError(f"gzip file inflates to more than {MAX_GUNZIPPED_BYTES >> 30} GiB; split it")
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"damaged gzip file: {exc}") from None
    return bytes(out)


def _read_file_text(file: InputFile) -> tuple[str | None, list[Problem]]:
    """The file's text with a kept-with-warning Problem if it was not clean UTF-8; or no text and the
    skipping Problem if it is not text at all."""
    try:
        data = _file_bytes(file.path)
    except ValueError as exc:
        return None, [Problem(file.display, "", str(exc))]
    text, note = decode_bytes(data)
    if text is None:
        return None, [Problem(file.display, "", note)]
    return text, [Problem(file.display, "", note, skipped=False)] if note else []


def _read_text_file(file: InputFile, options: ReadOptions, patterns: tuple) -> Iterator[Record | Problem]:
    date_re, meta_re = patterns
    text, problems = _read_file_text(file)
    yield from problems
    if text is None:
        return
    text = normalise(text)
    if not text:
        yield Problem(file.display, "", "empty document (no text after normalisation)")
        return
    name = _printable(file.path.name)
    try:
        date = _date_from_name(name, date_re)
    except DateError as exc:
        yield Problem(file.display, "", f"file name gives a bad date: {exc}")
        return
    meta = _meta_from_name(name, meta_re)
    title, title_in_text = _title_of(text, file.path, options.title_from)
    yield Record(file.display, "", file.key, text, title, date, meta, title_in_text)


def _title_of(text: str, path: Path, title_from: str) -> tuple[str, bool]:
    """The first non-empty line is the title unless it is the whole text or too long to be one."""
    stem = _printable(Path(path.name.removesuffix(GZIP_ENDING)).stem)
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


def _text_rows_reader(parse: Callable[[str], Iterator[tuple[str, object]]]) -> Reader:
    """A reader for a text format whose rows `parse` finds (JSON list, JSONL, CSV)."""
    def read(file: InputFile, options: ReadOptions, patterns: tuple) -> Iterator[Record | Problem]:
        text, problems = _read_file_text(file)
        yield from problems
        if text is not None:
            yield from _records(parse(text), file, options)
    return read


def _read_parquet(file: InputFile, options: ReadOptions, patterns: tuple) -> Iterator[Record | Problem]:
    yield from _records(parquet_rows(file.path, options.columns, options.text_field), file, options)


def _read_saved_dataset(file: InputFile, options: ReadOptions, patterns: tuple) -> Iterator[Record | Problem]:
    yield from _records(saved_dataset_rows(file.path, options.columns, options.text_field), file, options)


def _records(rows: Iterator[tuple[str, object]], file: InputFile, options: ReadOptions) -> Iterator[Record | Problem]:
    """Each row as a Record, or a Problem naming the file and the row; a damaged columnar file ends its rows."""
    try:
        for locator, row in rows:
            if isinstance(row, str):  # a reason: the row could not be parsed
                yield Problem(file.display, locator, row)
                continue
            yield _record_from_mapping(row, file.display, locator, options)
    except ColumnarError as exc:
        yield Problem(file.display, "", str(exc))


def _record_from_mapping(row: dict, display: str, locator: str, options: ReadOptions) -> Record | Problem:
    raw_text = row.get(options.text_field)
    if options.text_field not in row:
        fields = ", ".join(sorted(map(str, row))[:12]) or "none"
        return Problem(display, locator, f"no {options.text_field!r} field (fields: {fields}); set --text-field")
    if raw_text is None or not isinstance(raw_text, str):
        return Problem(display, locator, f"field {options.text_field!r} is {json_type(raw_text)}, not text")
    text = normalise(raw_text)
    if not text:
        return Problem(display, locator, "empty text")
    try:
        date = parse_date(row.get(options.date_field), options.date_language)
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
        text = normalise_line(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, default=str))
        if text:
            out.append(text)
    return out


FORMAT_TABLE = (
    InputFormat("txt", (".txt", ".md"), _read_text_file),  # one document per file
    InputFormat("json", (".json",), _text_rows_reader(json_rows)),  # a list of records
    InputFormat("jsonl", (".jsonl", ".ndjson"), _text_rows_reader(jsonl_rows)),  # a record a line
    InputFormat("csv", (".csv",), _text_rows_reader(csv_rows)),  # a record a row, under a header
    InputFormat("parquet", (".parquet", ".pq"), _read_parquet, gzip_allowed=False),  # a record a row
    InputFormat("hf-dataset", (), _read_saved_dataset, gzip_allowed=False),  # a folder from datasets' save_to_disk
)
_BY_NAME = {kind.name: kind for kind in FORMAT_TABLE}
FORMATS = ("auto", *_BY_NAME)
