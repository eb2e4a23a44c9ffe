"""`python -m index ...`: build, inspect and query a Refrain index from the shell.

Exit codes: 0 success (no results included), 2 user error (one line, no traceback), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections import Counter

from .errors import RefrainError
from .textnorm import clip

LEVEL_CHOICES = ("paragraph", "sentence")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, like every other user error
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--from", dest="date_from", metavar="DATE", help="only documents dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)")
    g.add_argument("--to", dest="date_to", metavar="DATE", help="only documents dated on or before DATE")
    g.add_argument("--doc", dest="doc_ids", action="append", default=[], metavar="DOC_ID", help="only this document (repeatable)")
    g.add_argument("--meta", action="append", default=[], metavar="FIELD=VALUE",
                   help="only documents whose metadata FIELD has VALUE (repeatable; values of one field are alternatives)")


def _add_query_common(p: argparse.ArgumentParser, default_k: int = 10) -> None:
    p.add_argument("-k", type=int, default=default_k, help=f"number of results (default {default_k})")
    p.add_argument("--level", choices=LEVEL_CHOICES, default=None, help="paragraph (default) or sentence")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m index", description="Refrain: build and query a semantic index of speeches.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", help="build or rebuild an index from corpus files and folders",
                       description="Read SOURCEs, segment into paragraphs and sentences, embed (cached), and publish "
                                   "the index atomically into --out. Rebuilding embeds only text never seen before.")
    b.add_argument("sources", nargs="+", metavar="SOURCE", help="files or folders (.txt/.md, .json, .jsonl, .csv)")
    b.add_argument("--out", required=True, metavar="DIR", help="index directory (created if missing)")
    b.add_argument("--format", default="auto", choices=("auto", "txt", "json", "jsonl", "csv"), help="input format (default: by extension)")
    b.add_argument("--text-field", default="text", help="record field holding the text (default: text)")
    b.add_argument("--title-field", default="title", help="record field holding the title (default: title)")
    b.add_argument("--date-field", default="date", help="record field holding the date (default: date)")
    b.add_argument("--id-field", default=None, help="record field with a stable id (keeps ids stable when texts are edited)")
    b.add_argument("--meta-field", action="append", default=[], metavar="NAME", help="record field kept as metadata (repeatable)")
    b.add_argument("--title-from", default="first-line", choices=("first-line", "filename"), help="title of .txt/.md documents")
    b.add_argument("--date-pattern", metavar="REGEX", help="regex on file names with a named group 'date' or 'year' (+'month', 'day')")
    b.add_argument("--meta-pattern", metavar="REGEX", help="regex on file names whose named groups become metadata")
    b.add_argument("--model", default=None, help="sentence-transformers model: a local path, an installed name, or builtin:hashing")
    b.add_argument("--batch-size", type=int, default=32, help="embedding batch size (default 32)")
    b.add_argument("--boilerplate-share", type=float, default=0.2, help="a line in at least this share of documents is boilerplate (default 0.2)")
    b.add_argument("--boilerplate-min-docs", type=int, default=3, help="...and in at least this many documents (default 3)")
    b.add_argument("--dateline-pattern", default=None, metavar="REGEX",
                   help="a dateline opening a document ('Pyongyang, July 14 (KCNA) --') is left out of passages; "
                        "this regex replaces the built-in news-dateline pattern ('' turns it off)")
    b.add_argument("--index-kind", default="auto", choices=("auto", "flat", "ivf", "ivf-sq8", "hnsw"), help="FAISS index (default: exact below the size threshold)")
    b.add_argument("--cache", metavar="PATH", help="embedding cache file (default: DIR/cache.sqlite); share it between indexes")
    b.add_argument("--strict", action="store_true", help="stop at the first unreadable record (exit 2) instead of skipping it")
    b.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another build of DIR to finish")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--json", action="store_true", help="print the build report as JSON")

    i = sub.add_parser("info", help="show what an index holds", description="Counts per level, model, size on disk, boilerplate and skipped records.")
    i.add_argument("index", metavar="DIR")
    i.add_argument("--json", action="store_true")

    s = sub.add_parser("search", help="passages closest in meaning to a query")
    s.add_argument("index", metavar="DIR")
    s.add_argument("query")
    _add_query_common(s)
    s.add_argument("--min-score", type=float, default=None, help="drop hits scoring below this cosine similarity")
    s.add_argument("--model", default=None, help="refuse unless the index was built with this model")
    _add_filters(s)

    m = sub.add_parser("similar", help="passages like a stored passage (more like this)")
    m.add_argument("index", metavar="DIR")
    m.add_argument("passage_id", metavar="PASSAGE_ID")
    _add_query_common(m)
    m.add_argument("--min-score", type=float, default=None)
    m.add_argument("--include-same-doc", action="store_true", help="also return passages of the same document")
    _add_filters(m)

    ph = sub.add_parser("phrase", help="passages containing an exact phrase (oldest first)")
    ph.add_argument("index", metavar="DIR")
    ph.add_argument("text")
    _add_query_common(ph, default_k=100)
    _add_filters(ph)

    d = sub.add_parser("document", help="show a document with its passage ids")
    d.add_argument("index", metavar="DIR")
    d.add_argument("doc_id", metavar="DOC_ID")
    d.add_argument("--level", choices=LEVEL_CHOICES, default="paragraph")
    d.add_argument("--json", action="store_true")

    from . import cli_recurring

    cli_recurring.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except RefrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def parse_meta(items: list[str]) -> dict[str, list[str]]:
    """Repeated --meta FIELD=VALUE options as {field: [values]}."""
    meta: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise RefrainError(f"--meta takes FIELD=VALUE, got {item!r}")
        meta.setdefault(name.strip(), []).append(value.strip())
    return meta


def _filters(args):
    from .search import Filters

    return Filters.make(args.date_from, args.date_to, args.doc_ids, parse_meta(args.meta))


def cmd_build(args) -> int:
    from .build import BuildSettings, build_index
    from .encoder import DEFAULT_MODEL
    from .records import ReadOptions
    from .segment import DEFAULT_DATELINE

    if args.batch_size < 1:
        raise RefrainError("--batch-size must be at least 1")
    if not 0 < args.boilerplate_share <= 1:
        raise RefrainError("--boilerplate-share must be in (0, 1]")
    options = ReadOptions(args.format, args.text_field, args.title_field, args.date_field, args.id_field,
                          tuple(args.meta_field), args.title_from, args.date_pattern, args.meta_pattern)
    settings = BuildSettings(model=args.model or DEFAULT_MODEL, batch_size=args.batch_size,
                             boilerplate_share=args.boilerplate_share, boilerplate_min_docs=args.boilerplate_min_docs,
                             index_kind=args.index_kind, cache_path=args.cache,
                             dateline_pattern=DEFAULT_DATELINE if args.dateline_pattern is None else args.dateline_pattern,
                             strict=args.strict, wait=args.wait,
                             progress=not args.quiet and not args.json)
    report = build_index(args.sources, args.out, options, settings)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return 0
    print(format_build_report(report))
    return 0


def format_build_report(report) -> str:
    lines = [
        f"Indexed {report.documents:,} documents from {report.records:,} records "
        f"({report.duplicate_records:,} duplicate copies merged, {len(report.skipped):,} records skipped, "
        f"{len(report.warnings):,} warnings) into {report.out}",
        f"  passages: {report.passages['paragraph']:,} paragraphs, {report.passages['sentence']:,} sentences; "
        f"{report.distinct_texts:,} distinct texts: {report.embedded:,} embedded"
        + (f" at {report.embed_rate:,.0f}/s" if report.embedded else "") + f", {report.cached:,} from cache",
        f"  model: {report.model}",
    ]
    if report.boilerplate:
        lines.append(f"  boilerplate lines left out: {len(report.boilerplate)}")
        lines += [f"    {n:>5} documents: {clip(line, 90)}" for line, n in report.boilerplate[:10]]
    if report.problems:
        reasons = Counter(_reason_kind(p.reason) for p in report.problems)
        lines.append("  problems: " + "; ".join(f"{n:,} × {r}" for r, n in reasons.most_common(6)))
        lines += [f"    {p}" for p in report.problems[:8]]
        if len(report.problems) > 8:
            lines.append(f"    … and {len(report.problems) - 8:,} more: python -m index info {report.out}")
    lines.append("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()))
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split("(")[0].strip()[:60]


def cmd_info(args) -> int:
    from .search import Searcher

    info = Searcher(args.index).info()
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return 0
    m = info["manifest"]
    c = m["counts"]
    lines = [
        f"Index {info['root']} ({info['generation']}, built {m['created_at']})",
        f"  model: {m['model']['name']} ({m['model']['dimension']}-d, {m['model']['precision']}, reads {m['model']['max_tokens']} tokens)",
        f"  documents: {c['documents']:,} from {c['records']:,} records ({c['duplicate_records']:,} duplicates merged, "
        f"{c['records_skipped']:,} skipped, {c['warnings']:,} warnings)",
    ]
    for level, spec in m["levels"].items():
        lines.append(f"  {level}s: {spec['rows']:,} ({spec['faiss']['kind']} FAISS index)")
    lines.append(f"  size on disk: {info['size_bytes'] / 1e6:,.1f} MB")
    lines.append(f"  sources: {', '.join(m['sources'])}")
    build = m.get("build")
    if build:
        lines.append(f"  last build: {build['embedded']:,} embedded, {build['cached']:,} from cache; seconds "
                     + ", ".join(f"{k} {v:.1f}" for k, v in build["seconds"].items()))
    lines.append(f"  boilerplate lines left out: {len(info['boilerplate'])}")
    lines += [f"    {n:>5} documents: {clip(line, 90)}" for line, n in info["boilerplate"]]
    problems = info["problems"]
    lines.append(f"  problems: {len(problems)}")
    lines += [f"    {p['source']} {p['locator']}: {p['reason']}{'' if p['skipped'] else ' (kept)'}" for p in problems]
    print("\n".join(lines))
    return 0


def _print_hits(hits, as_json: bool, header: str) -> None:
    if as_json:
        print(json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        print(f"{header}: no results")
        return
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 120))
    print(f"{header}: {len(hits)} result{'s' if len(hits) != 1 else ''}")
    for rank, hit in enumerate(hits, start=1):
        score = f"{hit.score:.3f}" if hit.score is not None else "  -  "
        print(f"{rank:>3}. {score}  {hit.date or 'undated':<10}  {clip(hit.title, width - 48)}  [{hit.passage_id}]")
        for line in textwrap.wrap(hit.text, width - 6)[:6]:
            print(f"      {line}")
    print()


def cmd_search(args) -> int:
    from .search import Searcher

    searcher = Searcher(args.index, model=args.model)
    hits = searcher.search(args.query, k=args.k, level=args.level or "paragraph", filters=_filters(args), min_score=args.min_score)
    _print_hits(hits, args.json, f"search {args.query!r}")
    return 0


def cmd_similar(args) -> int:
    from .search import Searcher

    searcher = Searcher(args.index)
    hits = searcher.similar(args.passage_id, k=args.k, level=args.level, include_same_doc=args.include_same_doc,
                            filters=_filters(args), min_score=args.min_score)
    _print_hits(hits, args.json, f"similar to {args.passage_id}")
    return 0


def cmd_phrase(args) -> int:
    from .search import Searcher

    hits = Searcher(args.index).phrase(args.text, k=args.k, level=args.level or "paragraph", filters=_filters(args))
    _print_hits(hits, args.json, f"phrase {args.text!r}")
    return 0


def cmd_document(args) -> int:
    from dataclasses import asdict

    from .search import Searcher

    doc = Searcher(args.index).document(args.doc_id)
    if args.json:
        print(json.dumps(asdict(doc), indent=2, ensure_ascii=False))
        return 0
    print(f"{doc.title}\n{doc.date or 'undated'}  [{doc.doc_id}]  " + "; ".join(f"{k}: {', '.join(v)}" for k, v in doc.meta.items()))
    for hit in doc.passages[args.level]:
        print(f"\n[{hit.passage_id}] ({hit.level} {hit.ordinal})")
        print(textwrap.fill(hit.text, 100))
    return 0


def _lazy(name: str):
    def run(args):
        from . import cli_recurring

        return getattr(cli_recurring, name)(args)

    return run


COMMANDS = {
    "build": cmd_build,
    "info": cmd_info,
    "search": cmd_search,
    "similar": cmd_similar,
    "phrase": cmd_phrase,
    "document": cmd_document,
    "recurring": _lazy("cmd_recurring"),
    "phrases": _lazy("cmd_phrases"),
}
