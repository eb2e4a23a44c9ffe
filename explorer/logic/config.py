"""Where the explorer finds its index, and which model it insists on: command line, then environment.

    refrain explore --index DIR [--model NAME]   (or: streamlit run explorer/app.py -- --index DIR)
    REFRAIN_INDEX=DIR             the same, for deployments
    REFRAIN_MODEL=NAME            refuse an index built with another model
    REFRAIN_SAMPLE_INDEX=DIR      where the sample index is built on first start (default ~/.cache/refrain/sample-index)
    REFRAIN_CACHE=FILE            embedding cache for that first-start build (share it between checkouts)

Without --index or REFRAIN_INDEX the explorer opens the bundled sample, building it when missing. The
location never comes from URL parameters: a shared link must not point a server at another folder.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from index.errors import RefrainError
from explorer.logic.sample import DEFAULT_SAMPLE_INDEX


@dataclass(frozen=True)
class AppConfig:
    index: Path
    is_sample: bool  # the bundled sample: built on first start when missing
    model: str | None = None
    cache: str | None = None


USAGE = "refrain explore [--index DIR] [--model NAME]"


def resolve(argv: Sequence[str], environ: Mapping[str, str]) -> AppConfig:
    """The explorer's configuration from its arguments (after `--`) and environment; unknown arguments are ignored."""
    parser = argparse.ArgumentParser(prog="explorer", add_help=False, exit_on_error=False)
    parser.add_argument("--index", metavar="DIR")
    parser.add_argument("--model", metavar="NAME")
    try:
        args, _unknown = parser.parse_known_args(list(argv))
    except argparse.ArgumentError as exc:
        raise RefrainError(f"explorer arguments: {exc} (usage: {USAGE})") from None
    model = args.model or environ.get("REFRAIN_MODEL") or None
    cache = environ.get("REFRAIN_CACHE") or None
    chosen = args.index or environ.get("REFRAIN_INDEX")
    if chosen is not None and not str(chosen).strip():
        raise RefrainError("--index needs a folder")
    if chosen:
        return AppConfig(Path(chosen).expanduser().resolve(), False, model, cache)
    sample = environ.get("REFRAIN_SAMPLE_INDEX") or DEFAULT_SAMPLE_INDEX
    return AppConfig(Path(sample).expanduser().resolve(), True, model, cache)
