"""What the mining commands share when they print: a progress bar on a terminal, and CSV to a file or stdout."""

from __future__ import annotations

import sys
from typing import Iterable

from index.errors import RefrainError
from index.export import write_csv_rows


def progress_bar(enabled: bool):
    """(update(fraction, message), close()) drawing a mining progress bar on stderr, or doing nothing."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=100, desc="mining", unit="%", file=sys.stderr, leave=False)

    def update(fraction: float, message: str) -> None:
        bar.set_description(message[:40])
        bar.n = int(fraction * 100)
        bar.refresh()

    return update, bar.close


def write_csv(target: str, rows: Iterable[dict], fields) -> None:
    """The same CSV the explorer exports (formulas defused), to a file or '-' for standard output, a row at a time."""
    if target == "-":
        write_csv_rows(sys.stdout, rows, fields)
        return
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            written = write_csv_rows(out, rows, fields)
    except OSError as exc:
        raise RefrainError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(f"wrote {written} rows to {target}", file=sys.stderr)
