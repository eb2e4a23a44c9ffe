"""`build` (read, segment, embed, publish an index) and `info` (what an index holds)."""

from __future__ import annotations

import json
from collections import Counter

from index.embed.embedding import CHUNK as EMBED_CHUNK
from index.embed.encoder import BATCH_SIZES, DEVICES
from index.embed.engines import ENGINES
from index.errors import RefrainError
from index.ingest.boilerplate import DEFAULT_MIN_DOCS, DEFAULT_SHARE
from index.ingest.records import FORMATS, TITLE_SOURCES
from index.store.ann import INDEX_KINDS
from index.textnorm import clip


def register(sub) -> None:
    b = sub.add_parser("build", help="build or rebuild an index from corpus files and folders",
                       description="Read SOURCEs, segment into paragraphs and sentences, embed (cached), and publish "
                                   "the index atomically into --out. Rebuilding embeds only text never seen before.")
    b.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="files or folders (.txt/.md, .json, .jsonl, .csv, each also .gz; .parquet; a saved Hugging Face dataset)")
    b.add_argument("--out", required=True, metavar="DIR", help="index directory (created if missing)")
    b.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: by extension)")
    b.add_argument("--text-field", default="text", help="record field holding the text (default: text)")
    b.add_argument("--title-field", default="title", help="record field holding the title (default: title)")
    b.add_argument("--date-field", default="date", help="record field holding the date (default: date)")
    b.add_argument("--id-field", default=None, help="record field with a stable id (keeps ids stable when texts are edited)")
    b.add_argument("--meta-field", action="append", default=[], metavar="NAME", help="record field kept as metadata (repeatable)")
    b.add_argument("--title-from", default=TITLE_SOURCES[0], choices=TITLE_SOURCES, help="title of .txt/.md documents")
    b.add_argument("--date-pattern", metavar="REGEX", help="regex on file names with a named group 'date' or 'year' (+'month', 'day')")
    b.add_argument("--meta-pattern", metavar="REGEX", help="regex on file names whose named groups become metadata")
    b.add_argument("--language", default=None, metavar="CODE",
                   help="the corpus language (en, ko, or another pysbd language such as de, fr, ru, zh): chooses the "
                        "sentence splitter and stop words (default: detected from the documents)")
    b.add_argument("--model", default=None,
                   help="sentence-transformers model: a local folder, a Hugging Face name ORG/NAME[@REVISION] from the "
                        "local cache, or builtin:hashing (default: the bundled all-MiniLM-L6-v2)")
    b.add_argument("--allow-download", action="store_true",
                   help="let --model download a Hugging Face model missing from the local cache (configs, tokenizer and "
                        "safetensors weights only; never the model's own code); without it nothing is downloaded")
    b.add_argument("--batch-size", type=int, default=None,
                   help="embedding batch size (default: " + ", ".join(f"{n} on {d}" for d, n in BATCH_SIZES.items()) + ")")
    b.add_argument("--device", default="auto", choices=DEVICES,
                   help="where the model runs: auto takes CUDA when torch sees it, then MPS, else the CPU (default auto); "
                        "fp16 on a GPU, on a CPU bf16 with AMX, else fp32")
    b.add_argument("--engine", default="local", choices=ENGINES,
                   help="local: embed in this process; ray: on a Ray cluster, one model per worker (docs/scale.md)")
    b.add_argument("--ray-address", metavar="ADDR",
                   help="the Ray cluster to join with --engine ray (default: RAY_ADDRESS, a cluster started on this "
                        "machine, else a new local one)")
    b.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes that read files and segment documents (default: one per CPU, for a corpus large "
                        "enough to gain from them); the index is the same for any number")
    b.add_argument("--embed-chunk", type=int, default=EMBED_CHUNK, metavar="N",
                   help=f"commit new vectors to the embedding cache every N texts (default {EMBED_CHUNK}): "
                        "an interrupted build loses at most N texts' embedding work")
    b.add_argument("--boilerplate-share", type=float, default=DEFAULT_SHARE,
                   help=f"a line in at least this share of documents is boilerplate (default {DEFAULT_SHARE})")
    b.add_argument("--boilerplate-min-docs", type=int, default=DEFAULT_MIN_DOCS, help=f"...and in at least this many documents (default {DEFAULT_MIN_DOCS})")
    b.add_argument("--dateline-pattern", default=None, metavar="REGEX",
                   help="a dateline opening a document ('Pyongyang, July 14 (KCNA) --') is left out of passages; "
                        "this regex replaces the built-in news-dateline pattern ('' turns it off)")
    b.add_argument("--index-kind", default="auto", choices=INDEX_KINDS, help="FAISS index (default: exact below the size threshold)")
    b.add_argument("--cache", metavar="PATH", help="embedding cache file (default: DIR/cache.sqlite); share it between indexes")
    b.add_argument("--strict", action="store_true", help="stop at the first unreadable record (exit 2) instead of skipping it")
    b.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another build of DIR to finish")
    b.add_argument("--full", action="store_true",
                   help="rebuild every row even when the corpus only grew: by default, when DIR's documents are all "
                        "read again unchanged and the new ones come after them by date, only the new ones are "
                        "segmented, embedded and added")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--json", action="store_true", help="print the build report as JSON")
    b.set_defaults(run=cmd_build)

    i = sub.add_parser("info", help="show what an index holds", description="Counts per level, model, size on disk, boilerplate and skipped records.")
    i.add_argument("index", metavar="DIR")
    i.add_argument("--json", action="store_true")
    i.set_defaults(run=cmd_info)


def cmd_build(args) -> int:
    from index.progress import ProgressBars

    bars = None if args.quiet or args.json else ProgressBars()
    try:
        report = run_build(args, bars)
    finally:
        if bars is not None:
            bars.close()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return 0
    print(format_build_report(report))
    return 0


def run_build(args, on_progress=None):
    """The build that `build`'s arguments ask for, reporting to on_progress (index/progress.py)."""
    from index.build import BuildSettings, build_index
    from index.embed.encoder import DEFAULT_MODEL
    from index.ingest.records import ReadOptions
    from index.ingest.segment import DEFAULT_DATELINE

    if args.batch_size is not None and args.batch_size < 1:
        raise RefrainError("--batch-size must be at least 1")
    if args.embed_chunk < 1:
        raise RefrainError("--embed-chunk must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise RefrainError("--workers must be at least 1")
    if args.ray_address and args.engine != "ray":
        raise RefrainError("--ray-address needs --engine ray")
    if not 0 < args.boilerplate_share <= 1:
        raise RefrainError("--boilerplate-share must be in (0, 1]")
    options = ReadOptions(args.format, args.text_field, args.title_field, args.date_field, args.id_field,
                          tuple(args.meta_field), args.title_from, args.date_pattern, args.meta_pattern)
    settings = BuildSettings(model=args.model or DEFAULT_MODEL, batch_size=args.batch_size, embed_chunk=args.embed_chunk,
                             device=args.device, engine=args.engine, ray_address=args.ray_address,
                             boilerplate_share=args.boilerplate_share, boilerplate_min_docs=args.boilerplate_min_docs,
                             index_kind=args.index_kind, cache_path=args.cache,
                             dateline_pattern=DEFAULT_DATELINE if args.dateline_pattern is None else args.dateline_pattern,
                             strict=args.strict, wait=args.wait, language=args.language,
                             allow_download=args.allow_download, workers=args.workers, full=args.full)
    return build_index(args.sources, args.out, options, settings, on_progress=on_progress)


def format_build_report(report) -> str:
    from index.growth import NO_INDEX_YET

    lines = [
        f"Indexed {report.documents:,} documents from {report.records:,} records "
        f"({report.duplicate_records:,} duplicate copies merged, {len(report.skipped):,} records skipped, "
        f"{len(report.warnings):,} warnings) into {report.out}",
        f"  passages: {report.passages['paragraph']:,} paragraphs, {report.passages['sentence']:,} sentences; "
        f"{report.distinct_texts:,} distinct texts{' in the new documents' if report.grown_from else ''}: "
        f"{report.embedded:,} embedded"
        + (f" at {report.embed_rate:,.0f}/s" if report.embedded else "") + f", {report.cached:,} from cache",
        f"  model: {report.model} ({embedding_place(report.embedding)})",
    ]
    if report.grown_from:
        lines.insert(1, f"  grown: {report.growth}; only they were segmented, embedded and added")
    elif report.growth and report.growth != NO_INDEX_YET:
        lines.insert(1, f"  full build: {report.growth}")
    if report.language:
        lines.append(f"  language: {_language_line(report.language)}")
    if report.boilerplate:
        lines.append(f"  boilerplate lines left out: {len(report.boilerplate)}")
        lines += [f"    {n:>5} documents: {clip(line, 90)}" for line, n in report.boilerplate[:10]]
    if report.problems:
        reasons = Counter(_reason_kind(p.reason) for p in report.problems)
        lines.append("  problems: " + "; ".join(f"{n:,} × {r}" for r, n in reasons.most_common(6)))
        lines += [f"    {p}" for p in report.problems[:8]]
        if len(report.problems) > 8:
            lines.append(f"    … and {len(report.problems) - 8:,} more: refrain info {report.out}")
    lines.append("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()))
    return "\n".join(lines)


def _language_line(entry: dict) -> str:
    return f"{entry['code']} ({entry['source']}: {entry['evidence']})"


def embedding_place(model: dict) -> str:
    """'fp32 on cpu', 'fp16 on cuda, 4 Ray workers': how and where an index's vectors were made (older
    manifests name only the precision)."""
    text = model.get("precision", "fp32")
    if model.get("device"):
        text += f" on {model['device']}"
    if model.get("engine") == "ray":
        workers = model.get("workers", "?")
        text += f", {workers} Ray worker{'' if workers == 1 else 's'}"
    return text


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split("(")[0].strip()[:60]


def cmd_info(args) -> int:
    from index.search import Searcher

    searcher = Searcher(args.index)
    info = searcher.info()
    try:
        backend = searcher.query_backend  # which engine embeds queries (ONNX once checked against torch) and why
        info["query_embedding"] = backend.as_dict()
        query_line = backend.describe()
    except RefrainError as exc:
        info["query_embedding"] = {"backend": None, "reason": str(exc)}
        query_line = f"unavailable ({exc})"
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return 0
    m = info["manifest"]
    c = m["counts"]
    lines = [
        f"Index {info['root']} ({info['generation']}, built {m['created_at']})",
        f"  model: {m['model']['name']} ({m['model']['dimension']}-d, {embedding_place(m['model'])}, "
        f"reads {m['model']['max_tokens']} tokens)",
        f"  documents: {c['documents']:,} from {c['records']:,} records ({c['duplicate_records']:,} duplicates merged, "
        f"{c['records_skipped']:,} skipped, {c['warnings']:,} warnings)",
    ]
    prompts = m["model"].get("prompts") or {}
    if prompts.get("query") or prompts.get("passage"):
        lines.append(f"  prompts ({prompts.get('source')}): query {prompts.get('query', '')!r}, "
                     f"passage {prompts.get('passage', '')!r}")
    lines.append(f"  query embedding: {query_line}")
    for level, spec in m["levels"].items():
        lines.append(f"  {level}s: {spec['rows']:,} ({spec['faiss']['kind']} FAISS index)")
    if m.get("language"):
        lines.append(f"  language: {_language_line(m['language'])}")
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
