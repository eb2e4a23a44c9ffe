"""Query commands: `search` (by meaning), `similar` (more like a passage), `phrase` (exact words), `document`."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap

from index.cli.args import add_filters, add_level, add_query_common, filters_of
from index.levels import DEFAULT_LEVEL
from index.textnorm import clip


def register(sub) -> None:
    s = sub.add_parser("search", help="passages closest in meaning to a query")
    s.add_argument("index", metavar="DIR")
    s.add_argument("query")
    add_query_common(s)
    s.add_argument("--min-score", type=float, default=None, help="drop hits scoring below this cosine similarity")
    s.add_argument("--model", default=None, help="refuse unless the index was built with this model")
    add_filters(s)
    s.set_defaults(run=cmd_search)

    m = sub.add_parser("similar", help="passages like a stored passage (more like this)")
    m.add_argument("index", metavar="DIR")
    m.add_argument("passage_id", metavar="PASSAGE_ID")
    add_query_common(m)
    m.add_argument("--min-score", type=float, default=None)
    m.add_argument("--include-same-doc", action="store_true", help="also return passages of the same document")
    add_filters(m)
    m.set_defaults(run=cmd_similar)

    ph = sub.add_parser("phrase", help="passages containing an exact phrase (oldest first)")
    ph.add_argument("index", metavar="DIR")
    ph.add_argument("text")
    add_query_common(ph, default_k=100)
    add_filters(ph)
    ph.set_defaults(run=cmd_phrase)

    d = sub.add_parser("document", help="show a document with its passage ids")
    d.add_argument("index", metavar="DIR")
    d.add_argument("doc_id", metavar="DOC_ID")
    add_level(d, DEFAULT_LEVEL)
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=cmd_document)


def _print_hits(hits, as_json: bool, header: str, parquet: str | None = None) -> None:
    if parquet:
        from index.frames import hits_frame, write_parquet

        write_parquet(hits_frame(hits), parquet)
        print(f"wrote {len(hits)} rows to {parquet}", file=sys.stderr)
        return
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
    from index.search import Searcher

    searcher = Searcher(args.index, model=args.model)
    hits = searcher.search(args.query, k=args.k, level=args.level or DEFAULT_LEVEL, filters=filters_of(args), min_score=args.min_score)
    _print_hits(hits, args.json, f"search {args.query!r}", args.parquet)
    return 0


def cmd_similar(args) -> int:
    from index.search import Searcher

    searcher = Searcher(args.index)
    hits = searcher.similar(args.passage_id, k=args.k, level=args.level, include_same_doc=args.include_same_doc,
                            filters=filters_of(args), min_score=args.min_score)
    _print_hits(hits, args.json, f"similar to {args.passage_id}", args.parquet)
    return 0


def cmd_phrase(args) -> int:
    from index.search import Searcher

    hits = Searcher(args.index).phrase(args.text, k=args.k, level=args.level or DEFAULT_LEVEL, filters=filters_of(args))
    _print_hits(hits, args.json, f"phrase {args.text!r}", args.parquet)
    return 0


def cmd_document(args) -> int:
    from dataclasses import asdict
    from index.search import Searcher

    doc = Searcher(args.index).document(args.doc_id)
    if args.json:
        print(json.dumps(asdict(doc), indent=2, ensure_ascii=False))
        return 0
    print(f"{doc.title}\n{doc.date or 'undated'}  [{doc.doc_id}]  " + "; ".join(f"{k}: {', '.join(v)}" for k, v in doc.meta.items()))
    for hit in doc.passages[args.level]:
        print(f"\n[{hit.passage_id}] ({hit.level} {hit.ordinal})")
        print(textwrap.fill(hit.text, 100))
    return 0
