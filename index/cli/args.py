"""Argument parsing shared by every command: one parser class, the filter options, --meta."""

from __future__ import annotations

import argparse

from index.errors import RefrainError
from index.levels import DEFAULT_LEVEL, LEVELS


class Parser(argparse.ArgumentParser):
    """Usage errors print one line and exit 2, like every other user error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--from", dest="date_from", metavar="DATE", help="only documents dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    g.add_argument("--to", dest="date_to", metavar="DATE", help="only documents dated on or before DATE")
    g.add_argument("--doc", dest="doc_ids", action="append", default=[], metavar="DOC_ID", help="only this document (repeatable)")
    g.add_argument("--meta", action="append", default=[], metavar="FIELD=VALUE",
                   help="only documents whose metadata FIELD has VALUE (repeatable; values of one field are alternatives)")


def add_level(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument("--level", choices=LEVELS, default=default, help=f"{' or '.join(LEVELS)} (default {DEFAULT_LEVEL})")


def add_query_common(p: argparse.ArgumentParser, default_k: int = 10) -> None:
    p.add_argument("-k", type=int, default=default_k, help=f"number of results (default {default_k})")
    add_level(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--parquet", metavar="FILE", help="write the hits to a Parquet file instead of printing them "
                                                     "(the columns of index.frames.hits_frame)")


def parse_meta(items: list[str]) -> dict[str, list[str]]:
    """Repeated --meta FIELD=VALUE options as {field: [values]}."""
    meta: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise RefrainError(f"--meta takes FIELD=VALUE, got {item!r}")
        meta.setdefault(name.strip(), []).append(value.strip())
    return meta


def meta_pairs(items: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """--meta as the hashable, sorted (field, values) pairs that Filters and mining parameters hold."""
    return tuple(sorted((k, tuple(sorted(v))) for k, v in parse_meta(items).items()))


def filters_of(args):
    """The Filters a query command's filter options ask for."""
    from index.search import Filters

    return Filters.make(args.date_from, args.date_to, args.doc_ids, parse_meta(args.meta))


def add_mining_options(p: argparse.ArgumentParser) -> None:
    """What a command that reads mined formulations mines: the options of `recurring` with the same defaults, so
    both read the same stored result."""
    from index.mining.params import DEFAULT_MIN_DOCS, DEFAULT_THRESHOLDS, MINING_LEVELS

    g = p.add_argument_group("mining (as in `recurring`; the result stored in DIR/derived is reused)")
    g.add_argument("--level", choices=MINING_LEVELS, default="sentence", help="sentence (default), paragraph or phrase")
    g.add_argument("--min-docs", type=int, default=DEFAULT_MIN_DOCS, help=f"at least this many documents (default {DEFAULT_MIN_DOCS})")
    g.add_argument("--threshold", type=float, default=None,
                   help="cosine similarity to the group's centre; default " + ", ".join(f"{k} {v}" for k, v in DEFAULT_THRESHOLDS.items()))
    g.add_argument("--from", dest="date_from", metavar="DATE", help="mine only documents dated on or after DATE")
    g.add_argument("--to", dest="date_to", metavar="DATE", help="mine only documents dated on or before DATE")
    g.add_argument("--meta", action="append", default=[], metavar="FIELD=VALUE", help="mine only documents with this metadata (repeatable)")
    g.add_argument("--no-cache", action="store_true", help="mine again even if a stored result exists, and keep the new result")


def mining_params_of(args):
    """The MiningParams that add_mining_options' options ask for."""
    from index.mining.params import MiningParams

    return MiningParams(args.level, args.threshold, args.min_docs, args.date_from, args.date_to, meta_pairs(args.meta)).check()
