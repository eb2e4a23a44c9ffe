"""Rows of the columnar formats, read with pyarrow: Parquet files and Hugging Face datasets saved with
`save_to_disk` (a folder of Arrow stream files listed in its state.json), so `datasets` is not needed.

Only the columns the read options name are read, a batch at a time, so memory follows the batch, not the
file. A file without the text column is one problem for the file, not one per row. Arrow's extension types
are never unpickled (pyarrow reads an unknown extension type as its storage type).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 1024
STATE_FILE = "state.json"  # what save_to_disk writes beside a Dataset's Arrow files
DICT_FILE = "dataset_dict.json"  # ...and beside a DatasetDict's split folders


class ColumnarError(Exception):
    """A file pyarrow cannot read as the format it claims to be; the message says why."""


def is_saved_dataset(folder: Path) -> bool:
    return (folder / STATE_FILE).is_file() and any(folder.glob("*.arrow"))


def saved_dataset_splits(folder: Path) -> list[Path] | None:
    """The split folders of a DatasetDict saved with save_to_disk, in its own order; None if it is not one."""
    try:
        splits = json.loads((folder / DICT_FILE).read_text(encoding="utf-8")).get("splits")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits):
        return None
    return [folder / s for s in splits if (folder / s).is_dir()]


def parquet_rows(path: Path, columns: list[str], text_column: str) -> Iterator[tuple[str, object]]:
    """(locator, row dict) for each row, or one ("", reason) if the file lacks the text column."""
    try:
        source = pq.ParquetFile(path)
        names = source.schema_arrow.names
    except (pa.ArrowException, ValueError) as exc:
        raise ColumnarError(f"not a readable Parquet file: {_first_line(exc)}") from None
    if text_column not in names:
        yield "", _missing(text_column, names)
        return
    wanted = [c for c in dict.fromkeys(columns) if c in names]
    yield from _numbered(_guarded(source.iter_batches(batch_size=BATCH_ROWS, columns=wanted), "Parquet"))


def saved_dataset_rows(folder: Path, columns: list[str], text_column: str) -> Iterator[tuple[str, object]]:
    """(locator, row dict) for each row of a saved Dataset, across its Arrow files in their saved order."""
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        names = [entry["filename"] for entry in state["_data_files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ColumnarError(f"not a saved Hugging Face dataset: bad {STATE_FILE} ({_first_line(exc)})") from None
    if not all(isinstance(n, str) and n == Path(n).name and not n.startswith(".") for n in names):
        raise ColumnarError(f"not a saved Hugging Face dataset: {STATE_FILE} names files outside its folder")
    files = [folder / name for name in names]
    schema = _open_arrow(files[0]).schema.names if files else []
    if text_column not in schema:
        yield "", _missing(text_column, schema)
        return
    yield from _numbered(_guarded(_dataset_batches(files, columns), "Arrow"))


def _dataset_batches(files: list[Path], columns: list[str]) -> Iterator[pa.RecordBatch]:
    for file in files:
        reader = _open_arrow(file)
        wanted = [c for c in dict.fromkeys(columns) if c in reader.schema.names]
        for batch in reader:
            yield batch.select(wanted)


def _open_arrow(file: Path):
    """datasets writes the Arrow stream format; the file format is accepted too."""
    try:
        try:
            return pa.ipc.open_stream(pa.memory_map(str(file)))
        except pa.ArrowInvalid:
            return pa.ipc.open_file(pa.memory_map(str(file)))
    except (pa.ArrowException, ValueError, OSError) as exc:
        raise ColumnarError(f"cannot read {file.name}: {_first_line(exc)}") from None


def _guarded(batches: Iterable[pa.RecordBatch], kind: str) -> Iterator[pa.RecordBatch]:
    """The batches, with a damaged file's error (mid-way) turned into a ColumnarError."""
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise ColumnarError(f"damaged {kind} data: {_first_line(exc)}") from None
        yield batch


def _numbered(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[str, object]]:
    row = 0
    for batch in batches:
        for values in batch.to_pylist():
            row += 1
            yield f"row {row}", values


def _missing(column: str, names: list[str]) -> str:
    shown = ", ".join(names[:12]) or "none"
    return f"no {column!r} column (columns: {shown}); set --text-field"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
