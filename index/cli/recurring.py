"""CLI commands for recurring formulations (`recurring`) and lexical phrases (`phrases`)."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from index.cli.args import meta_pairs
from index.cli.output import progress_bar, write_csv
from index.errors import RefrainError
from index.export import (MEMBER_FIELDS, PHRASE_FIELDS, formulation_fields, formulation_rows, member_rows, phrase_rows,
                     recurring_json, seen_date)

if TYPE_CHECKING:
    from index.mining.types import Formulation, MiningResult

PHRASE_SORTS = ("docs", "first", "last")


def register(sub) -> None:
    from index.mining.params import DEFAULT_MIN_DOCS, DEFAULT_THRESHOLDS, MINING_LEVELS, SORTS

    r = sub.add_parser(
        "recurring", help="formulations that recur across documents, with variants and dates",
        description="Group passages that say the same thing (verbatim or paraphrased) across at least --min-docs "
                    "documents. Results are kept in DIR/derived and recomputed only when the index or the parameters change.")
    r.add_argument("index", metavar="DIR")
    r.add_argument("--level", choices=MINING_LEVELS, default="sentence",
                   help="sentence (default), paragraph, or phrase (recurring word phrases grouped by meaning)")
    r.add_argument("--min-docs", type=int, default=DEFAULT_MIN_DOCS, help=f"at least this many documents (default {DEFAULT_MIN_DOCS})")
    r.add_argument("--threshold", type=float, default=None,
                   help="cosine similarity to the group's centre; default " + ", ".join(f"{k} {v}" for k, v in DEFAULT_THRESHOLDS.items()))
    r.add_argument("--since", metavar="DATE", help="only formulations first seen on or after DATE (new ones)")
    r.add_argument("--until", metavar="DATE", help="only formulations last seen on or before DATE (vanished since)")
    r.add_argument("--sort", choices=SORTS, default=SORTS[0],
                   help="salience (default: formulations before titles, names and stock phrases, each by documents x "
                        "distinctiveness), docs (most documents), first (newest first appearance), last (longest "
                        "vanished), rising (latest quarter's share vs before)")
    r.add_argument("--contains", metavar="TEXT", help="only formulations with a variant containing TEXT")
    r.add_argument("--furniture", action="store_true",
                   help="also list titles, honorifics, names and stock phrases (headers, 'The message said:'), "
                        "which are hidden by default")
    r.add_argument("--from", dest="date_from", metavar="DATE", help="mine only documents dated on or after DATE")
    r.add_argument("--to", dest="date_to", metavar="DATE", help="mine only documents dated on or before DATE")
    r.add_argument("--meta", action="append", default=[], metavar="FIELD=VALUE", help="mine only documents with this metadata (repeatable)")
    r.add_argument("--limit", type=int, default=25, help="rows in the table (default 25; --json and --csv get all)")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print everything as JSON, member passages included")
    out.add_argument("--csv", metavar="FILE", help="write one row per formulation to FILE ('-' for stdout)")
    out.add_argument("--parquet", metavar="FILE",
                     help="write one row per formulation to a Parquet file (columns of index.frames.formulations_frame)")
    r.add_argument("--members", action="store_true", help="with --csv or --parquet: one row per member passage instead")
    r.add_argument("--by", metavar="FIELD", help="who uses each formulation: its documents by this metadata field's "
                                                 "values (e.g. country, topic), first adopters first, with shares")
    r.add_argument("--values", type=int, default=10, help="with --by: values shown per formulation in the table (default 10)")
    r.add_argument("--no-cache", action="store_true", help="mine again even if a stored result exists, and keep the new result")
    r.set_defaults(run=cmd_recurring)

    p = sub.add_parser("phrases", help="recurring word phrases (3-8 words) by document frequency",
                       description="Word n-grams found in at least --min-docs documents, folded into the longest phrase "
                                   "with the same documents, with first and last dates and the sentence-level "
                                   "formulations whose passages contain them.")
    p.add_argument("index", metavar="DIR")
    p.add_argument("--min-docs", type=int, default=DEFAULT_MIN_DOCS)
    p.add_argument("--sort", choices=PHRASE_SORTS, default="docs")
    p.add_argument("--contains", metavar="TEXT", help="only phrases containing TEXT")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--meta", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--limit", type=int, default=40)
    pout = p.add_mutually_exclusive_group()
    pout.add_argument("--json", action="store_true")
    pout.add_argument("--csv", metavar="FILE")
    p.set_defaults(run=cmd_phrases)


def cmd_recurring(args) -> int:
    from index.mining.recurring import MiningParams, recurring
    from index.mining.select import select
    from index.search import Searcher

    if args.limit < 1:
        raise RefrainError("--limit must be at least 1")
    searcher = Searcher(args.index)
    params = MiningParams(args.level, args.threshold, args.min_docs, args.date_from, args.date_to, meta_pairs(args.meta)).check()
    update, close = progress_bar(sys.stderr.isatty() and not args.json)
    try:
        result = recurring(searcher, params, update, use_cache=not args.no_cache)
    finally:
        close()
    chosen = select(result.formulations, args.sort, args.since, args.until, text=args.contains, furniture=args.furniture)
    if args.by:
        from index.cli.analysis import print_adopters

        if args.members:
            raise RefrainError("--members lists passages; with --by the CSV has one row per formulation and value")
        print_adopters(searcher, result, chosen, args)
    elif args.json:
        print(recurring_json(result, chosen))
    elif args.parquet:
        _write_parquet(args.parquet, chosen, args.members)
    elif args.members and args.csv:
        write_csv(args.csv, member_rows(chosen), MEMBER_FIELDS)
    elif args.csv:
        write_csv(args.csv, formulation_rows(chosen, result.period_totals), formulation_fields(result.period_totals))
    else:
        _print_formulations(chosen[: args.limit], len(chosen), result, args.index, args.furniture)
    return 0


def _write_parquet(target: str, chosen: list[Formulation], members: bool) -> None:
    from index.frames import formulations_frame, members_frame, write_parquet

    frame = members_frame(chosen) if members else formulations_frame(chosen)
    write_parquet(frame, target)
    print(f"wrote {len(frame)} rows to {target}", file=sys.stderr)


def _print_formulations(shown: list[Formulation], total: int, result: MiningResult, root: str, furniture: bool) -> None:
    from index.mining.select import hidden

    p = result.params
    stats = result.stats
    print(f"Recurring formulations in {root}: {p.level} level, threshold {p.threshold}, at least {p.min_docs} documents")
    furniture_count = hidden(result.formulations)
    left_out = (f"; titles, names and stock phrases: {furniture_count:,} "
                f"{'included' if furniture else 'hidden (--furniture lists them)'}" if furniture_count else "")
    print(f"  {stats.formulations:,} found among {stats.distinct_texts:,} distinct texts of {stats.documents:,} documents"
          f"{left_out}; {total:,} match, showing {len(shown):,}")
    if not shown:
        return
    print(f"\n  {'#':>3} {'docs':>5} {'pass':>5} {'var':>4}  {'first seen':<10}  {'last seen':<10}  {'rise':>6}  formulation")
    for i, f in enumerate(shown, start=1):
        kind = f"  [{f.category}]" if f.category != "formulation" else ""
        print(f"  {i:>3} {f.n_documents:>5} {f.n_passages:>5} {f.n_variants:>4}  {seen_date(f.first_seen):<10}  "
              f"{seen_date(f.last_seen):<10}  {f.rise:>+6.2f}  {f.id}{kind}")
        print(f"{'':>8}{textwrap.shorten(f.label, 110, placeholder=' …')}")
        if f.n_variants > 1:
            print(f"{'':>8}{variant_summary(f)}")
        for line in shared_lines(f):
            print(f"{'':>8}{line}")
    print(f"\n  Details, variants and member passages: refrain recurring {root} --json (or --csv FILE)")


def shared_lines(f: Formulation, most: int = 2) -> list[str]:
    """The wording it shares with distinct lines, one line each (the first `most`; --json has them all)."""
    lines = []
    for shared in f.shared[:most]:
        others = [x for x in shared.formulations if x != f.id]
        named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        lines.append(f"shares “{textwrap.shorten(shared.text, 60, placeholder=' …')}” with {named}")
    if len(f.shared) > most:
        lines.append(f"and {len(f.shared) - most} more shared wording{'s' if len(f.shared) - most > 1 else ''} (--json)")
    return lines


def variant_summary(f: Formulation) -> str:
    """'3 variants, each passage counted once: 10 + 3 + 1 = 14 passages; 1 of 10 documents uses two or more'."""
    counts = " + ".join(str(v.passages) for v in f.variants[:6]) + (" + …" if f.n_variants > 6 else "")
    text = f"{f.n_variants} variants, each passage counted once: {counts} = {f.n_passages} passages"
    if f.multi_variant_documents:
        text += (f"; {f.multi_variant_documents} of {f.n_documents} documents use"
                 f"{'s' if f.multi_variant_documents == 1 else ''} more than one")
    return text


def cmd_phrases(args) -> int:
    from index.mining.params import PhraseParams
    from index.mining.phrases import lexical_phrases
    from index.mining.recurring import MiningParams, recurring
    from index.search import Searcher

    if args.limit < 1:
        raise RefrainError("--limit must be at least 1")
    searcher = Searcher(args.index)
    meta = meta_pairs(args.meta)
    formulations = recurring(searcher, MiningParams("sentence", None, args.min_docs, args.date_from, args.date_to, meta))
    result = lexical_phrases(searcher, PhraseParams(args.min_docs, args.date_from, args.date_to, meta), formulations)
    phrases = list(result.phrases)
    if args.contains:
        needle = args.contains.lower()
        phrases = [p for p in phrases if needle in p.phrase.lower()]
    if args.sort == "first":
        phrases.sort(key=lambda p: (p.first_seen is None, seen_date(p.first_seen), -p.n_documents), reverse=False)
        phrases.reverse()
    elif args.sort == "last":
        phrases.sort(key=lambda p: (seen_date(p.last_seen) or "9999", -p.n_documents))
    if args.json:
        print(json.dumps(replace(result, phrases=tuple(phrases)).to_dict(), ensure_ascii=False, indent=1))
        return 0
    if args.csv:
        write_csv(args.csv, phrase_rows(phrases), PHRASE_FIELDS)
        return 0
    print(f"Recurring phrases in {args.index} (at least {args.min_docs} documents): {len(phrases):,}, showing {min(len(phrases), args.limit):,}")
    print(f"\n  {'docs':>5} {'pass':>5}  {'first seen':<10}  {'last seen':<10}  phrase  [formulations]")
    for p in phrases[: args.limit]:
        links = f"  [{', '.join(p.formulations[:3])}{'…' if len(p.formulations) > 3 else ''}]" if p.formulations else ""
        print(f"  {p.n_documents:>5} {p.n_passages:>5}  {seen_date(p.first_seen):<10}  {seen_date(p.last_seen):<10}  {p.phrase}{links}")
    return 0
