"""CLI commands that read mined formulations: `lineage` (what a formulation took over from, and what took over
from it), `compare-periods` (new, vanished, rising and falling formulations between two date ranges), and the
adopters table that `recurring --by FIELD` prints (who uses each formulation, and since when).

Each mines like `recurring` with the same options, so a stored result in DIR/derived is reused.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TYPE_CHECKING

from index.cli.args import add_mining_options, mining_params_of
from index.cli.output import progress_bar, write_csv
from index.errors import RefrainError
from index.ingest.language import language_of
from index.export import ADOPTER_FIELDS, CHANGE_FIELDS, adopter_rows, change_rows, seen_date

if TYPE_CHECKING:
    from index.mining.lineage import Lineage, Link
    from index.mining.periods_compare import PeriodComparison
    from index.mining.types import Formulation, MiningResult
    from index.search import Searcher


def register(sub) -> None:
    from index.mining.lineage import ALPHA, FALL_RATIO, LINEAGE_MIN_SIMILARITY, MAX_CORRELATION, MIN_SIDE_DOCUMENTS
    from index.mining.periods_compare import ALPHA as CHANGE_ALPHA
    from index.mining.periods_compare import STATUSES

    g = sub.add_parser(
        "lineage", help="formulations a formulation took over from, and those that took over from it",
        description="Predecessors and successors: formulations close in meaning (centre similarity at least "
                    f"--min-similarity, default {LINEAGE_MIN_SIMILARITY}) where the later one takes over: starting with the first "
                    "period in which it is used in more of the documents, the earlier one's share of documents is at "
                    f"most {FALL_RATIO:g} of its share before, its fall and the later one's rise are each beyond chance "
                    f"(Fisher's exact test, p < {ALPHA:g}, in at least {MIN_SIDE_DOCUMENTS} documents), and their shares "
                    f"per period correlate at most {MAX_CORRELATION:g}. Without FORMULATION_ID, every link in the mining.")
    g.add_argument("index", metavar="DIR")
    g.add_argument("formulation", metavar="FORMULATION_ID", nargs="?", help="an id from `recurring` (f-…)")
    add_mining_options(g)
    g.add_argument("--by", choices=("year", "month"), default=None,
                   help="periods compared (default: years when the mined documents span at least 4 years, else months)")
    g.add_argument("--min-similarity", type=float, default=LINEAGE_MIN_SIMILARITY, metavar="S",
                   help=f"lowest centre similarity of a link (default {LINEAGE_MIN_SIMILARITY})")
    g.add_argument("--limit", type=int, default=25, help="links in the table (default 25; --json gets all)")
    g.add_argument("--json", action="store_true", help="print the links with both formulations' counts per period")
    g.set_defaults(run=cmd_lineage)

    c = sub.add_parser(
        "compare-periods", help="new, vanished, rising and falling formulations between two date ranges",
        description="Every formulation used in either period, with its documents, passages and share of the "
                    "period's documents in each: new (not in the first), vanished (not in the second), rising or "
                    f"falling (Fisher's exact test, p < {CHANGE_ALPHA:g}) or steady. A document counts in a period "
                    "when its whole date lies inside it.")
    c.add_argument("index", metavar="DIR")
    c.add_argument("--first", nargs=2, metavar=("FROM", "TO"), required=True, help="the first period (any precision)")
    c.add_argument("--second", nargs=2, metavar=("FROM", "TO"), required=True, help="the second period")
    add_mining_options(c)
    c.add_argument("--status", choices=STATUSES, action="append", default=[], help="only this status (repeatable)")
    c.add_argument("--limit", type=int, default=15, help="rows per status in the table (default 15; --json/--csv get all)")
    out = c.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="everything, with the passages counted in each period")
    out.add_argument("--csv", metavar="FILE", help="one row per formulation to FILE ('-' for stdout)")
    c.set_defaults(run=cmd_compare_periods)


def mined(args, quiet: bool) -> tuple[Searcher, MiningResult]:
    from index.mining.recurring import recurring
    from index.search import Searcher

    if args.limit < 1:
        raise RefrainError("--limit must be at least 1")
    searcher = Searcher(args.index)
    params = mining_params_of(args)
    update, close = progress_bar(sys.stderr.isatty() and not quiet)
    try:
        return searcher, recurring(searcher, params, update, use_cache=not args.no_cache)
    finally:
        close()


# ---------------------------------------------------------------- lineage


def cmd_lineage(args) -> int:
    from index.mining.centres import centre_vectors
    from index.mining.lineage import lineage

    searcher, result = mined(args, args.json)
    found = lineage(result, centre_vectors(searcher, result), args.formulation, args.by, args.min_similarity,
                    language_of(searcher.manifest))
    if args.json:
        data = {"params": result.params.as_dict(), "index": result.index.to_dict(), **found.to_dict()}
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    by_id = {f.id: f for f in result.formulations}
    p = result.params
    print(f"Lineage in {args.index}: {p.level} level, threshold {p.threshold}, at least {p.min_docs} documents; "
          f"per {found.by}, centres at least {found.band[0]:.2f} alike")
    if args.formulation:
        _print_one(by_id[args.formulation], found)
    else:
        print(f"  {len(found.links):,} links among {len(result.formulations):,} formulations, showing "
              f"{min(len(found.links), args.limit):,}")
        for link in found.links[: args.limit]:
            _print_link(link, by_id)
    return 0


def _print_one(f: Formulation, found: Lineage) -> None:
    print(f"\n  {f.id}  {f.n_documents} documents, {seen_date(f.first_seen)} to {seen_date(f.last_seen)}")
    print(f"{'':>4}{_short(f.centre.text, 110)}")
    for relation, title in (("predecessor", "Predecessors"), ("successor", "Successors")):
        links = [k for k in found.links if k.relation_to(f.id) == relation]
        print(f"\n  {title} ({len(links)})")
        for link in links:
            other = link.other(f.id)
            print(f"    {other.formulation_id}  similarity {link.similarity:.2f}  r {link.correlation:+.2f}  "
                  f"{other.n_documents} documents, {other.first_seen} to {other.last_seen}")
            print(f"{'':>6}{_short(other.centre, 106)}")
            print(f"{'':>6}{_handover(link)}")
            _print_curves(link)


def _print_link(link: Link, by_id: dict) -> None:
    earlier, later = by_id[link.earlier], by_id[link.later]
    print(f"\n  {link.earlier} → {link.later}  similarity {link.similarity:.2f}  r {link.correlation:+.2f}")
    print(f"    {seen_date(earlier.first_seen)} to {seen_date(earlier.last_seen)}  {_short(earlier.centre.text, 96)}")
    print(f"    {seen_date(later.first_seen)} to {seen_date(later.last_seen)}  {_short(later.centre.text, 96)}")
    print(f"    {_handover(link)}")
    _print_curves(link)


def _handover(link: Link) -> str:
    return (f"the later one took over in {link.handover}; the earlier one's share of documents: "
            f"{link.share_before:.1%} before {link.handover}, {link.share_after:.1%} from then on")


def _print_curves(link: Link) -> None:
    """Documents per period of both formulations, over the window: what the figures are computed from."""
    width = max(len(p) for p in link.periods)
    print(f"{'':>6}{'':<14}" + " ".join(f"{p:>{width}}" for p in link.periods))
    for curve in (link.earlier_curve, link.later_curve):
        print(f"{'':>6}{curve.formulation_id:<14}" + " ".join(f"{d:>{width}}" for d in curve.documents))


def _short(text: str, width: int) -> str:
    return textwrap.shorten(text, width, placeholder=" …")


# ---------------------------------------------------------------- compare periods


def cmd_compare_periods(args) -> int:
    from dataclasses import replace

    from index.mining.periods_compare import compare_periods

    searcher, result = mined(args, args.json or bool(args.csv))
    comparison = compare_periods(searcher, result, tuple(args.first), tuple(args.second))
    if args.status:
        comparison = replace(comparison, changes=tuple(c for c in comparison.changes if c.status in args.status))
    if args.json:
        data = {"params": result.params.as_dict(), "index": result.index.to_dict(), **comparison.to_dict()}
        print(json.dumps(data, ensure_ascii=False, indent=1))
    elif args.csv:
        write_csv(args.csv, change_rows(comparison), CHANGE_FIELDS)
    else:
        _print_comparison(comparison, result, args.limit)
    return 0


def _print_comparison(comparison: PeriodComparison, result: MiningResult, limit: int) -> None:
    a, b = comparison.first, comparison.second
    p = result.params
    print(f"Formulations ({p.level} level, threshold {p.threshold}, at least {p.min_docs} documents) in "
          f"{a.label} ({a.documents:,} documents) vs {b.label} ({b.documents:,} documents)")
    if comparison.unplaced:
        print(f"  {comparison.unplaced:,} documents dated across a period's edge (e.g. by year only) count in neither")
    counts = comparison.counts()
    print("  " + ", ".join(f"{n:,} {s}" for s, n in counts.items()))
    for status in counts:
        rows = [c for c in comparison.changes if c.status == status]
        if not rows:
            continue
        print(f"\n  {status} ({len(rows):,}){', showing ' + str(limit) if len(rows) > limit else ''}")
        print(f"    {'first':>12}  {'second':>12}  {'change':>7}  {'p':>6}  formulation")
        for c in rows[:limit]:
            print(f"    {c.first.documents:>4} {c.first.share:>7.1%}  {c.second.documents:>4} {c.second.share:>7.1%}  "
                  f"{c.change * 100:>+6.1f}pt {c.p_value:>6.3f}  {c.formulation_id}")
            print(f"{'':>8}{_short(c.centre, 106)}")


# ---------------------------------------------------------------- recurring --by FIELD


def print_adopters(searcher: Searcher, result: MiningResult, chosen: list[Formulation], args) -> None:
    """`recurring --by FIELD`: for each formulation, the values of FIELD that use it, first adopters first."""
    from index.mining.adoption import adoption, field_values

    values = field_values(searcher, result, args.by)
    if args.json:
        data = {"params": result.params.as_dict(), "index": result.index.to_dict(), "field": args.by,
                "values_mined": len(values.totals),
                "formulations": [{"id": f.id, "centre": f.centre.text, "n_documents": f.n_documents,
                                  "adoption": adoption(f, values).to_dict()} for f in chosen]}
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if args.csv:
        write_csv(args.csv, adopter_rows((f, adoption(f, values)) for f in chosen), ADOPTER_FIELDS)
        return
    p = result.params
    shown = chosen[: args.limit]
    print(f"Who uses each formulation, by {args.by} ({len(values.totals):,} values among {result.stats.documents:,} "
          f"mined documents): {p.level} level, threshold {p.threshold}, at least {p.min_docs} documents; "
          f"showing {len(shown):,} of {len(chosen):,}")
    for f in shown:
        found = adoption(f, values)
        print(f"\n  {f.id}  {f.n_documents} documents, {seen_date(f.first_seen)} to {seen_date(f.last_seen)}")
        print(f"{'':>4}{_short(f.centre.text, 110)}")
        extra = f"; {found.without_value} of its documents have no {args.by}" if found.without_value else ""
        print(f"{'':>4}used by {len(found.adopters):,} of {found.values_mined:,} values{extra}; first adopters first:")
        for u in found.adopters[: args.values]:
            print(f"{'':>6}{u.value:<16} {u.documents:>4} of {u.total:<5} {u.share:>7.1%}  "
                  f"since {seen_date(u.first_seen) or 'undated':<10}  last {seen_date(u.last_seen) or '-':<10}  "
                  f"{_short(u.first_seen.title, 50) if u.first_seen else ''}")
        if len(found.adopters) > args.values:
            print(f"{'':>6}… and {len(found.adopters) - args.values:,} more (--values N, or --json / --csv for all)")
