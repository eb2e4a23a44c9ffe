"""The build: read, deduplicate, drop boilerplate, segment, embed (cache first), write, publish.

Nothing touches the live index until the new generation is complete on disk; then one rename
publishes it. A failed or killed build leaves the previous index exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from index import FORMAT_VERSION
from index.store import ann, database, derived, layout
from index import testhook
from index.ingest.boilerplate import DEFAULT_MIN_DOCS, DEFAULT_SHARE, find_boilerplate
from index.embed.cache import EmbeddingCache
from index.ingest.documents import Document, merge_duplicates
from index.embed.embedding import embed_distinct, model_dimension
from index.embed.encoder import DEFAULT_BATCH_SIZE, DEFAULT_MODEL, Encoder, load_encoder
from index.errors import IndexUnavailable, RefrainError
from index.ingest.records import Problem, ReadOptions, Record, read_sources
from index.ingest.segment import DEFAULT_DATELINE, Passage, Segmenter, SentenceSplitter, passages_of
from index.levels import LEVELS
from index.textnorm import short_id, text_hash


SEGMENT_COMMIT = 200  # documents segmented between commits to the cache


@dataclass
class BuildSettings:
    model: str = DEFAULT_MODEL
    batch_size: int = DEFAULT_BATCH_SIZE
    boilerplate_share: float = DEFAULT_SHARE
    boilerplate_min_docs: int = DEFAULT_MIN_DOCS
    index_kind: str = "auto"
    dateline_pattern: str = DEFAULT_DATELINE
    cache_path: str | None = None
    strict: bool = False
    wait: float = 0.0
    progress: bool = True


@dataclass
class BuildReport:
    out: str
    generation: str
    records: int
    documents: int
    duplicate_records: int
    passages: dict[str, int]
    distinct_texts: int
    embedded: int
    cached: int
    embed_rate: float
    boilerplate: list[tuple[str, int]]
    problems: list[Problem]
    seconds: dict[str, float]
    content_hash: str
    model: str

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.skipped]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["problems"] = [asdict(p) for p in self.problems]
        return data


@dataclass
class PassageRow:
    passage_id: str
    doc: Document
    passage: Passage
    hash: str


class StageTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


def build_index(
    sources: list[str],
    out: str | Path,
    read_options: ReadOptions | None = None,
    settings: BuildSettings | None = None,
    encoder: Encoder | None = None,
) -> BuildReport:
    """Build (or rebuild) the index in `out` from the sources; returns what was done, with timings."""
    read_options = read_options or ReadOptions()
    settings = settings or BuildSettings()
    root = Path(out)
    if not sources:
        raise RefrainError("no sources given")
    layout.check_buildable(root)
    timer = StageTimer()
    with layout.BuildLock(root, settings.wait):
        testhook.pause("locked")
        with timer("read"):
            records, problems = _read(sources, read_options, settings.strict)
            documents, id_problems = merge_duplicates(records)
            problems += id_problems
            boilerplate = find_boilerplate(documents, settings.boilerplate_share, settings.boilerplate_min_docs)
        testhook.pause("read")
        with timer("load model"):
            encoder = encoder or load_encoder(settings.model)
        cache = EmbeddingCache(settings.cache_path or root / layout.CACHE)
        try:
            with timer("segment"):
                dateline = _compile_dateline(settings.dateline_pattern)
                passages = _segment(documents, {line for line, _ in boilerplate}, encoder, cache, settings.progress, dateline)
            testhook.pause("segmented")
            with timer("embed"):
                texts = {row.hash: row.passage.text for level in LEVELS for row in passages[level]}
                vectors, stats = embed_distinct(encoder, texts, cache, settings.batch_size, settings.progress)
                dim = model_dimension(encoder, cache)
            testhook.pause("embedded")
        finally:
            cache.close()
        with timer("write"):
            content = _content_hash(encoder, documents, passages)
            generation = layout.new_generation(root)
            testhook.pause("generation-created")
            manifest = _manifest(generation, encoder, dim, sources, read_options, settings, documents, records, problems,
                                 boilerplate, passages, content)
            try:
                _write_generation(generation, documents, passages, vectors, problems, boilerplate, manifest, dim)
            except OSError as exc:  # a full disk, a vanished folder: the live index is untouched, say so
                shutil.rmtree(generation, ignore_errors=True)
                raise RefrainError(f"cannot write the new index in {root}: {exc.strerror or exc}; "
                                   "the previous index is unchanged") from None
            previous = _live_generation_name(root)
            layout.publish(root, generation)
            testhook.pause("published")
            layout.collect_garbage(root, keep={generation.name, previous or generation.name})
            testhook.pause("collected")
            derived.prune(root, content)
    manifest_seconds = {k: round(v, 3) for k, v in timer.seconds.items()}
    _record_timings(generation, manifest, manifest_seconds, stats)
    return BuildReport(
        out=str(root),
        generation=generation.name,
        records=len(records),
        documents=len(documents),
        duplicate_records=len(records) - len(documents),
        passages={level: len(passages[level]) for level in LEVELS},
        distinct_texts=stats.distinct,
        embedded=stats.embedded,
        cached=stats.cached,
        embed_rate=stats.rate,
        boilerplate=boilerplate,
        problems=problems,
        seconds=manifest_seconds,
        content_hash=content,
        model=encoder.name,
    )


def _read(sources: list[str], options: ReadOptions, strict: bool) -> tuple[list[Record], list[Problem]]:
    records: list[Record] = []
    problems: list[Problem] = []
    for item in read_sources(sources, options):
        if isinstance(item, Problem):
            if strict and item.skipped:
                raise RefrainError(f"--strict: {item}")
            problems.append(item)
        else:
            records.append(item)
    if not records:
        detail = f"; first problem: {problems[0]}" if problems else ""
        raise RefrainError(f"no readable documents in {', '.join(sources)} ({len(problems)} problems){detail}")
    return records, problems


def _compile_dateline(pattern: str | None) -> re.Pattern | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RefrainError(f"invalid --dateline-pattern: {exc}") from None


def _segment(documents: list[Document], skip: set[str], encoder: Encoder, cache: EmbeddingCache, progress: bool,
             dateline: re.Pattern | None = None):
    """Passages of every document; segmentations of unchanged documents come from the cache."""
    splitter = SentenceSplitter(cache)
    segmenter = Segmenter(encoder.token_spans, encoder.max_tokens, splitter)
    pattern = dateline.pattern if dateline else ""
    keys = [segmenter.cache_key(doc.text_hash, _skip_lines_in(doc, skip), doc.title_in_text, encoder.name, pattern)
            for doc in documents]
    cached = cache.get_segments(keys)
    todo = [doc for doc, key in zip(documents, keys) if key not in cached]
    splitter.prefetch(t for doc in todo for t in segmenter.paragraph_texts(doc.text, skip, doc.title_in_text, dateline))
    fresh = {}
    for doc, key in tqdm(list(zip(documents, keys)), desc="segmenting", unit="docs", disable=not progress or not todo):
        if key not in cached:
            fresh[key] = cached[key] = segmenter.segment(doc.text, skip, doc.title_in_text, dateline)
            if len(fresh) >= SEGMENT_COMMIT:  # a killed build keeps what it segmented (the whole UN archive: 30 min)
                splitter.flush()
                cache.put_segments(fresh)
                fresh = {}
    splitter.flush()
    if fresh:
        cache.put_segments(fresh)
    passages: dict[str, list[PassageRow]] = {level: [] for level in LEVELS}
    for doc, key in zip(documents, keys):
        for level, items in passages_of(doc.text, cached[key]).items():
            seen: Counter[str] = Counter()
            for passage in items:
                digest = text_hash(passage.text)
                pid = short_id(doc.doc_id, level, digest, str(seen[digest]))
                seen[digest] += 1
                passages[level].append(PassageRow(pid, doc, passage, digest))
    return passages


def _skip_lines_in(doc: Document, skip: set[str]) -> list[str]:
    if not skip:
        return []
    return sorted({line.strip() for line in doc.text.split("\n")} & skip)


def _content_hash(encoder: Encoder, documents: list[Document], passages: dict[str, list[PassageRow]]) -> str:
    """Identifies what derived results depend on: model, documents' dates and metadata, passages."""
    h = hashlib.blake2b(digest_size=16)
    h.update(encoder.cache_key.encode())
    for doc in documents:
        h.update(f"\x1e{doc.doc_id}\x1f{doc.date}\x1f{json.dumps(doc.meta, sort_keys=True)}".encode())
    for level in LEVELS:
        for row in passages[level]:
            h.update(f"\x1e{level}\x1f{row.passage_id}\x1f{row.hash}".encode())
    return h.hexdigest()


def _live_generation_name(root: Path) -> str | None:
    try:
        live = layout.current_generation(root)
    except IndexUnavailable:
        return None
    return live.name if live else None


def _manifest(generation, encoder, dim, sources, read_options, settings, documents, records, problems, boilerplate, passages, content) -> dict:
    levels = {level: {"rows": len(passages[level]), "faiss": ann.choose_spec(len(passages[level]), settings.index_kind)}
              for level in LEVELS}
    return {
        "format_version": FORMAT_VERSION,
        "generation": generation.name,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "model": encoder.describe(dim),
        "content_hash": content,
        "counts": {
            "records": len(records),
            "documents": len(documents),
            "duplicate_records": len(records) - len(documents),
            "records_skipped": sum(p.skipped for p in problems),
            "warnings": sum(not p.skipped for p in problems),
            "boilerplate_lines": len(boilerplate),
            **{level: len(passages[level]) for level in LEVELS},
        },
        "levels": levels,
        "sources": [str(Path(s).resolve()) for s in sources],
        "settings": {
            "read": asdict(read_options),
            "boilerplate": {"share": settings.boilerplate_share, "min_docs": settings.boilerplate_min_docs},
            "batch_size": settings.batch_size,
            "index_kind": settings.index_kind,
            "dateline_pattern": settings.dateline_pattern,
            "cache_path": str(Path(settings.cache_path).resolve()) if settings.cache_path else None,
        },
    }


def _write_generation(generation: Path, documents, passages, vectors, problems, boilerplate, manifest, dim: int) -> None:
    conn = database.create(generation / layout.DATABASE)
    database.insert_documents(conn, (doc.row() for doc in documents))
    database.insert_copies(conn, (
        (doc.doc_id, c.source, c.locator, c.title, c.date, json.dumps(c.meta, ensure_ascii=False, sort_keys=True))
        for doc in documents for c in doc.copies
    ))
    database.insert_doc_meta(conn, ((name, value, doc.doc_id) for doc in documents for name, values in doc.meta.items() for value in values))
    testhook.pause("sqlite-rows")
    for level in LEVELS:
        database.insert_passages(conn, (
            (r.passage_id, r.doc.doc_id, level, r.passage.ordinal, row, r.passage.start, r.passage.end, r.passage.text, r.hash)
            for row, r in enumerate(passages[level])
        ))
        matrix = np.zeros((len(passages[level]), dim), dtype=np.float32)
        for row, r in enumerate(passages[level]):
            matrix[row] = vectors[r.hash]
        np.save(generation / layout.vectors_file(level), matrix, allow_pickle=False)
        np.save(generation / layout.doc_rows_file(level), np.array([r.doc.ord for r in passages[level]], dtype=np.int32), allow_pickle=False)
        testhook.pause(f"vectors-{level}")
        index = ann.build_faiss(matrix, manifest["levels"][level]["faiss"])
        faiss.write_index(index, str(generation / layout.faiss_file(level)))
        testhook.pause(f"faiss-{level}")
    database.finish(conn, boilerplate, ((p.source, p.locator, p.reason, int(p.skipped)) for p in problems))
    testhook.pause("sqlite-finished")
    layout.write_manifest(generation, manifest)
    testhook.pause("manifest-written")


def _record_timings(generation: Path, manifest: dict, seconds: dict, stats) -> None:
    """Timings are known only after publishing; they are informational, so a late rewrite is safe."""
    manifest["build"] = {"seconds": seconds, "distinct_texts": stats.distinct, "embedded": stats.embedded,
                         "cached": stats.cached, "embed_rate": round(stats.rate, 1)}
    tmp = generation / (layout.MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(generation / layout.MANIFEST)
