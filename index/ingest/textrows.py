"""Rows of the text formats: a JSON list, JSON Lines and CSV, each row with where it is in the file.

Each parser yields (locator, row) where row is a dict, or (locator, reason) when that row cannot be read,
and goes on with the next row: one bad row never costs the others.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from typing import Iterator

_CSV_FIELD_LIMIT = 256 * 1024 * 1024


def json_rows(text: str) -> Iterator[tuple[str, object]]:
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
        yield "", f"expected a JSON list of records, found {json_type(data)}"
        return
    for i, row in enumerate(data, start=1):
        yield f"record {i}", row if isinstance(row, dict) else f"not an object but {json_type(row)}"


_JSONL_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # never U+2028 and the like: JSON strings may hold them raw


def jsonl_rows(text: str) -> Iterator[tuple[str, object]]:
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
        yield f"line {i}", row if isinstance(row, dict) else f"not an object but {json_type(row)}"


def csv_rows(text: str) -> Iterator[tuple[str, object]]:
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


def json_type(value: object) -> str:
    """A value's kind in words, for messages; Parquet and Arrow values (bytes, dates) are named by type."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return kinds.get(type(value), f"a {type(value).__name__} value")
