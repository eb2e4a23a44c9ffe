"""The build: read, deduplicate, drop boilerplate, segment, embed (cache first), write, publish.

Passages go from segmentation to a scratch file (index/store/staging.py) and from there to embedding and
writing, a block at a time: memory grows with the documents' text, not with their passages.
Nothing touches the live index until the new generation is complete on disk (index/store/writer.py);
then one rename publishes it. A failed or killed build leaves the previous index exactly as it was.
The build reports every stage, with exact counts, to one callback (`on_progress`, index/progress.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from index.embed.cache import EmbeddingCache
from index.embed.embedding import CHUNK, cache_blocks, embed_into_cache, model_dimension
from index.embed.encoder import DEFAULT_MODEL, Encoder
from index.embed.engines import open_engine
from index.errors import RefrainError, disk_full_reported
from index.growth import Growth, GrowthCheck, plan_growth
from index.ingest.boilerplate import DEFAULT_MIN_DOCS, DEFAULT_SHARE, find_boilerplate
from index.ingest.documents import Document, merge_duplicates
from index.ingest.language import check_language, choose_language
from index.ingest.reading import read_records
from index.ingest.records import Problem, ReadOptions
from index.ingest.segment import DEFAULT_DATELINE, Passage, passages_of, segmentation_version
from index.ingest.segmenting import segment_documents
from index.levels import LEVELS
from index.progress import BuildProgress, Progress, ignore
from index.store import ann, derived, layout
from index.store.staging import PassageStaging, StagedPassage
from index.store.writer import GenerationWriter
from index.textnorm import short_id, text_hash
from index.workers import Workers, worker_count


SEGMENT_COMMIT = 200  # documents segmented between commits to the cache


@dataclass
class BuildSettings:
    model: str = DEFAULT_MODEL
    batch_size: int | None = None  # texts per model call; None: the device's own (encoder.BATCH_SIZES)
    device: str = "auto"  # auto|cpu|cuda|mps (encoder.choose_device); with Ray, the workers' device
    engine: str = "local"  # local|ray: where the model runs (index/embed/engines.py)
    ray_address: str | None = None  # the Ray cluster to join; None: Ray's own choice (RAY_ADDRESS, a local one)
    embed_chunk: int = CHUNK  # commit new vectors to the embedding cache every N texts: a killed build loses at most N
    boilerplate_share: float = DEFAULT_SHARE
    boilerplate_min_docs: int = DEFAULT_MIN_DOCS
    index_kind: str = "auto"
    dateline_pattern: str = DEFAULT_DATELINE
    cache_path: str | None = None
    strict: bool = False
    wait: float = 0.0  # seconds to wait for another build of the same folder to finish
    language: str | None = None  # None: detected from the documents
    allow_download: bool = False  # may a Hugging Face model name be downloaded when the local cache lacks it
    workers: int | None = None  # processes that read and segment (None: one per CPU); the index is the same for any
    full: bool = False  # rebuild every row even when the corpus only grew at its end (index/growth.py)


@dataclass
class BuildReport:
    out: str
    generation: str
    records: int
    documents: int
    duplicate_records: int
    passages: dict[str, int]
    distinct_texts: int  # of the documents segmented: after growth, of the new documents only
    embedded: int
    cached: int
    embed_rate: float
    boilerplate: list[tuple[str, int]]
    problems: list[Problem]
    seconds: dict[str, float]
    content_hash: str
    model: str
    language: dict = field(default_factory=dict)  # LanguageChoice.as_dict()
    embedding: dict = field(default_factory=dict)  # the manifest's model description: precision, device, engine
    grown_from: str | None = None  # the generation this build extended (index/growth.py); None: a full build
    growth: str = ""  # what was added to it, or why the build was a full one

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
    on_progress: Progress | None = None,
) -> BuildReport:
    """Build (or rebuild) the index in `out` from the sources; returns what was done, with timings.

    on_progress hears every stage with exact counts (index/progress.py)."""
    with disk_full_reported(f"build the new index in {out}", "the previous index is unchanged and what was embedded "
                            "so far stays in the embedding cache: free some space and build again"):
        return _build_index(sources, out, read_options, settings, encoder, on_progress)


def _build_index(sources: list[str], out: str | Path, read_options: ReadOptions | None,
                 settings: BuildSettings | None, encoder: Encoder | None, on_progress: Progress | None) -> BuildReport:
    settings = settings or BuildSettings()
    read_options = read_options or ReadOptions()
    if settings.language and read_options.date_language is None:  # dates in words are read in the corpus language
        read_options = replace(read_options, date_language=settings.language)
    report = on_progress or ignore
    root = Path(out)
    if not sources:
        raise RefrainError("no sources given")
    if settings.embed_chunk < 1 or (settings.batch_size is not None and settings.batch_size < 1):
        raise RefrainError("the embedding batch size and chunk must be at least 1 text")
    workers = worker_count(settings.workers)
    layout.check_buildable(root)
    if settings.language:
        check_language(settings.language)
    timer = StageTimer()
    with layout.BuildLock(root, settings.wait):
        report(BuildProgress("locked", 1, 1))
        with timer("load model"):  # first: a missing device or an unreachable cluster stops the build at once
            encoder, engine = open_engine(settings.engine, settings.model, settings.device, settings.ray_address,
                                          settings.batch_size, encoder, settings.allow_download)
        try:
            with timer("read"):
                records, problems = read_records(sources, read_options, settings.strict, workers)
                documents, id_problems = merge_duplicates(records)
                problems += id_problems
                language = choose_language(settings.language, [doc.text for doc in documents])
                boilerplate = find_boilerplate(documents, settings.boilerplate_share, settings.boilerplate_min_docs)
            report(BuildProgress("read", len(records), len(records)))
            cache = EmbeddingCache(settings.cache_path or root / layout.CACHE)
        except BaseException:
            engine.close()
            raise
        try:
            segmentation = segmentation_version(language.code)
            check = (GrowthCheck(None, "a full build was asked for") if settings.full else
                     plan_growth(root, documents, boilerplate, language.code, segmentation,
                                 encoder.describe(model_dimension(encoder, cache)), _settings(read_options, settings)))
            growth = check.growth
            segmented = documents[growth.documents:] if growth else documents
            with PassageStaging(root / layout.STAGING) as staging:
                try:
                    with timer("segment"):
                        _segment(staging, segmented, {line for line, _ in boilerplate}, encoder, cache, report,
                                 _dateline(settings.dateline_pattern), language.code, workers)
                    n_passages = sum(staging.count(level) for level in LEVELS)
                    report(BuildProgress("segmented", n_passages, n_passages))
                    with timer("embed"):
                        stats = embed_into_cache(encoder, staging, cache, on_progress=report,
                                                 chunk=settings.embed_chunk, engine=engine)
                        dim = model_dimension(encoder, cache)
                    report(BuildProgress("embedded", stats.distinct, stats.distinct))
                finally:
                    engine.close()
                model = {**encoder.describe(dim), **engine.describe()}
                with timer("write"):
                    content = _content_hash(encoder, documents, staging, growth)
                    with GenerationWriter(root, report, base=growth.live if growth else None) as writer:
                        passages = {level: writer.rows_before(level) + staging.count(level) for level in LEVELS}
                        _write(writer, segmented, staging,
                               lambda level: cache_blocks(cache, encoder, staging.hash_blocks(level), dim), dim,
                               settings.index_kind)
                        writer.finish(model=model, content_hash=content,
                                      counts=_counts(records, documents, problems, boilerplate, passages),
                                      sources=[str(Path(s).resolve()) for s in sources],
                                      settings=_settings(read_options, settings),
                                      boilerplate=boilerplate,
                                      problems=((p.source, p.locator, p.reason, int(p.skipped)) for p in problems),
                                      language=language.as_dict(), segmentation=segmentation)
            writer.publish()
            derived.prune(root, content)
        finally:
            engine.close()  # already closed after embedding, unless the build stopped before
            cache.close()
    seconds = {k: round(v, 3) for k, v in timer.seconds.items()}
    # known only after publishing; informational, so a late rewrite of the manifest is safe
    writer.record_build({"seconds": seconds, "distinct_texts": stats.distinct, "embedded": stats.embedded,
                         "cached": stats.cached, "embed_rate": round(stats.rate, 1), "workers": workers.count,
                         "grown_from": growth.live.name if growth else None, "growth": check.reason})
    return BuildReport(
        out=str(root),
        generation=writer.path.name,
        records=len(records),
        documents=len(documents),
        duplicate_records=len(records) - len(documents),
        passages=passages,
        distinct_texts=stats.distinct,
        embedded=stats.embedded,
        cached=stats.cached,
        embed_rate=stats.rate,
        boilerplate=boilerplate,
        problems=problems,
        seconds=seconds,
        content_hash=content,
        model=encoder.name,
        language=language.as_dict(),
        embedding=model,
        grown_from=growth.live.name if growth else None,
        growth=check.reason,
    )


def _dateline(pattern: str | None) -> str:
    """The dateline pattern, checked ("" for none)."""
    if not pattern:
        return ""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RefrainError(f"invalid --dateline-pattern: {exc}") from None
    return pattern


def _segment(staging: PassageStaging, documents: list[Document], skip: set[str], encoder: Encoder,
             cache: EmbeddingCache, report: Progress, dateline: str, language: str, workers: Workers) -> None:
    """Stage the passages of every document, in document order: segmentations of unchanged documents come from
    the cache, the others are made by the workers (index/ingest/segmenting.py) and committed every
    SEGMENT_COMMIT documents."""
    for done in segment_documents(documents, skip, encoder, cache, language, dateline, workers, SEGMENT_COMMIT,
                                  report):
        doc = done.doc
        for level, items in passages_of(doc.text, done.spans).items():
            staging.add(level, _staged(doc, level, items))


def _staged(doc: Document, level: str, items: list[Passage]) -> Iterator[StagedPassage]:
    """A document's passages at one level, each with its id: the same text twice in one document gets two."""
    seen: Counter[str] = Counter()
    for passage in items:
        digest = text_hash(passage.text)
        pid = short_id(doc.doc_id, level, digest, str(seen[digest]))
        seen[digest] += 1
        yield StagedPassage(pid, doc.doc_id, doc.ord, passage.ordinal, passage.start, passage.end, passage.text,
                            digest)


def _content_hash(encoder: Encoder, documents: list[Document], staging: PassageStaging, growth: Growth | None) -> str:
    """Identifies what derived results depend on: model, documents' dates and metadata, passages (a grown index's
    own rows first, then the staged ones: the same hash as a full build of the same corpus)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(encoder.cache_key.encode())
    for doc in documents:
        h.update(f"\x1e{doc.doc_id}\x1f{doc.date}\x1f{json.dumps(doc.meta, sort_keys=True)}".encode())
    for level in LEVELS:
        for passage_id, digest in chain(growth.passage_hashes(level) if growth else (),
                                        ((p.passage_id, p.text_hash) for p in staging.passages(level))):
            h.update(f"\x1e{level}\x1f{passage_id}\x1f{digest}".encode())
    return h.hexdigest()


def _counts(records, documents, problems, boilerplate, passages) -> dict:
    return {
        "records": len(records),
        "documents": len(documents),
        "duplicate_records": len(records) - len(documents),
        "records_skipped": sum(p.skipped for p in problems),
        "warnings": sum(not p.skipped for p in problems),
        "boilerplate_lines": len(boilerplate),
        **passages,
    }


def _settings(read_options: ReadOptions, settings: BuildSettings) -> dict:
    """What the manifest records of how the index was built."""
    return {
        "read": asdict(read_options),
        "boilerplate": {"share": settings.boilerplate_share, "min_docs": settings.boilerplate_min_docs},
        "batch_size": settings.batch_size,
        "engine": settings.engine,
        "index_kind": settings.index_kind,
        "dateline_pattern": settings.dateline_pattern,
        "cache_path": str(Path(settings.cache_path).resolve()) if settings.cache_path else None,
    }


def _write(writer: GenerationWriter, documents: list[Document], staging: PassageStaging,
           vector_blocks: Callable[[str], Iterable[tuple[int, np.ndarray]]], dim: int, index_kind: str) -> None:
    """Documents, then each level's passages, vectors and FAISS index; passages come back from the staging file
    and vectors from the embedding cache (vector_blocks of a level) a block at a time, so no level is whole in
    memory. Growing a generation, the documents and passages are the added ones, numbered after its own."""
    writer.add_documents(
        [doc.row() for doc in documents],
        (row for doc in documents for row in doc.copy_rows()),
        ((name, value, doc.doc_id) for doc in documents for name, values in doc.meta.items() for value in values),
    )
    for level in LEVELS:
        rows, before = staging.count(level), writer.rows_before(level)
        writer.add_level_blocks(
            level,
            ((p.passage_id, p.doc_id, level, p.ordinal, i, p.start, p.end, p.text, p.text_hash)
             for i, p in enumerate(staging.passages(level), start=before)),
            vector_blocks(level),
            (rows, dim),
            staging.doc_ords(level),
            ann.choose_spec(before + rows, index_kind),
        )
