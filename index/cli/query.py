"""Query commands: `search` (verbatim, words and meaning), `similar` (more like a passage), `phrase` (exact words),
`document`."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap

from index.cli.args import add_filters, add_level, add_query_common, filters_of
from index.levels import DEFAULT_LEVEL
from index.retrieval import DEFAULT_MODE, MODES, ORDERS
from index.textnorm import clip


def register(sub) -> None:
    s = sub.add_parser("search", help="passages that say what the query says: verbatim first, then by words and meaning",
                       description="Hybrid (default): every passage containing the query verbatim first, then passages "
                                   "found by shared words (bm25) and by meaning (cosine), fused. Each hit says why it "
                                   "matched: verbatim, words or meaning. Scores are cosine similarities.")
    s.add_argument("index", metavar="DIR")
    s.add_argument("query")
    add_query_common(s)
    s.add_argument("--mode", choices=MODES, default=DEFAULT_MODE,
                   help="hybrid (default): verbatim, words and meaning; semantic: meaning only; lexical: words only")
    s.add_argument("--min-score", type=float, default=None,
                   help="drop hits whose cosine similarity is below this (never a verbatim hit)")
    s.add_argument("--one-per-document", action="store_true", help="only the best hit of each document (k documents)")
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

    ph = sub.add_parser("phrase", help="passages containing an exact phrase, with the total (oldest first by default)")
    ph.add_argument("index", metavar="DIR")
    ph.add_argument("text")
    add_query_common(ph, default_k=100)
    ph.add_argument("--sort", choices=ORDERS, default="oldest", help="oldest (default), newest or relevance (bm25) first")
    ph.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N passages (the next page)")
    add_filters(ph)
    ph.set_defaults(run=cmd_phrase)

    d = sub.add_parser("document", help="show a document with its passage ids")
    d.add_argument("index", metavar="DIR")
    d.add_argument("doc_id", metavar="DOC_ID")
    add_level(d, DEFAULT_LEVEL)
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=cmd_document)


def _print_hits(hits, as_json: bool, header: str, summary: str | None = None, notes: list[str] = (), first: int = 1,
                parquet: str | None = None) -> None:
    if parquet:
        from index.frames import hits_frame, write_parquet

        write_parquet(hits_frame(hits), parquet)
        print(f"wrote {len(hits)} rows to {parquet}", file=sys.stderr)
        return
    if as_json:
        print(json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        print(f"{header}: no results" + (f" ({summary})" if summary else ""))
        for note in notes:
            print(note)
        return
    width = max(60, min(shutil.get_terminal_size((100, 20)).columns, 120))
    print(f"{header}: {summary or f'{len(hits)} result' + ('s' if len(hits) != 1 else '')}")
    reasons = any(h.match for h in hits)
    for rank, hit in enumerate(hits, start=first):
        score = f"{hit.score:.3f}" if hit.score is not None else "  -  "
        why = f"{hit.match or '':<8}  " if reasons else ""
        print(f"{rank:>3}. {score}  {why}{hit.date or 'undated':<10}  {clip(hit.title, width - 48 - len(why))}  [{hit.passage_id}]")
        for line in textwrap.wrap(hit.text, width - 6)[:6]:
            print(f"      {line}")
    for note in notes:
        print(note)
    print()


def _boilerplate_notes(matches) -> list[str]:
    """Lines left out of passages as boilerplate that hold the text: found, and said where."""
    return [f"also in a boilerplate line left out of passages, in {len(m.doc_ids)} document{'s' if len(m.doc_ids) != 1 else ''}: "
            f"{clip(m.line, 80)!r} ({', '.join(m.doc_ids[:3])}{', …' if len(m.doc_ids) > 3 else ''})" for m in matches]


def cmd_search(args) -> int:
    from index.search import Searcher

    searcher = Searcher(args.index, model=args.model)
    result = searcher.search_result(args.query, k=args.k, level=args.level or DEFAULT_LEVEL, filters=filters_of(args),
                                    min_score=args.min_score, mode=args.mode, per_document=args.one_per_document)
    _print_hits(result.hits, args.json, f"search {args.query!r} ({args.mode})", result.summary(),
                _boilerplate_notes(result.boilerplate), parquet=args.parquet)
    return 0


def cmd_similar(args) -> int:
    from index.search import Searcher

    searcher = Searcher(args.index)
    hits = searcher.similar(args.passage_id, k=args.k, level=args.level, include_same_doc=args.include_same_doc,
                            filters=filters_of(args), min_score=args.min_score)
    _print_hits(hits, args.json, f"similar to {args.passage_id}", parquet=args.parquet)
    return 0


def cmd_phrase(args) -> int:
    from index.search import Searcher

    level = args.level or DEFAULT_LEVEL
    result = Searcher(args.index).phrase_result(args.text, k=args.k, level=level, filters=filters_of(args), sort=args.sort,
                                                offset=args.offset)
    _print_hits(result.hits, args.json, f"phrase {args.text!r}", result.summary(level), _boilerplate_notes(result.boilerplate),
                first=args.offset + 1, parquet=args.parquet)
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
