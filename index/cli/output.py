"""What the mining commands share when they print: a progress bar on a terminal, and CSV to a file or stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from index.errors import RefrainError
from index.export import rows_to_csv


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


def write_csv(target: str, rows: list[dict], fields) -> None:
    """The same CSV the explorer exports (formulas defused), to a file or '-' for standard output."""
    text = rows_to_csv(rows, fields)
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        Path(target).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise RefrainError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(f"wrote {len(rows)} rows to {target}", file=sys.stderr)
