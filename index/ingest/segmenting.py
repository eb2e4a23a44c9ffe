"""Segmenting a build's documents in worker processes, in document order, with the segmentation cache in front.

A document whose segmentation is cached (same text, boilerplate lines, title, token limit, dateline, language,
segmenter version) is not segmented again. The others go to workers (index/workers.py) a few at a time, with the
cached sentence splits of their paragraphs; the new segmentations and splits come back with the results and are
committed to the cache every `commit_every` documents, so a killed build keeps what it did. Cache reads and
writes happen in the build's process only. Documents come out in order, each with its spans, whatever the
number of workers; with one worker the same functions run in this process.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from index.embed.cache import EmbeddingCache
from index.embed.encoder import Encoder, HashingEncoder, SentenceTransformerEncoder, file_token_spans, tokenizer_file
from index.ingest.documents import Document
from index.ingest.segment import Segmenter, SentenceSplitter
from index.progress import BuildProgress, Progress
from index.workers import WorkerPool, Workers

DOCS_PER_TASK = 8  # documents a worker segments per task (a UN speech takes ~50 ms)
PARALLEL_CHARS = 500_000  # less text is segmented in this process unless --workers asks otherwise (~1 s of work)
_KEYS_PER_QUERY = 512

Spans = dict[str, list]
Work = tuple[str, list[str], bool]  # a document's text, its boilerplate lines, whether its first line is its title


@dataclass(frozen=True)
class TokenizerFile:
    """A model folder whose tokenizer.json a worker loads (and nothing else of the model)."""

    location: str


@dataclass(frozen=True)
class SegmentJob:
    """What every worker needs, the same for all documents of a build."""

    tokenizer: object  # the hashing stand-in itself, or a TokenizerFile
    max_tokens: int
    language: str
    dateline: str  # the dateline pattern, "" for none


@dataclass
class Segmented:
    """One document's segmentation (spans per level, and its reading edits when it is hard-wrapped)."""

    doc: Document
    spans: Spans


def segment_job(encoder: Encoder, language: str, dateline: str) -> tuple[SegmentJob, bool]:
    """The job for this encoder, and whether workers can take it: a model whose folder has a tokenizer.json
    (workers load just that), or the hashing stand-in (sent whole). Any other encoder segments in this process."""
    if isinstance(encoder, SentenceTransformerEncoder) and tokenizer_file(encoder.location) is not None:
        return SegmentJob(TokenizerFile(encoder.location), encoder.max_tokens, language, dateline), True
    return SegmentJob(encoder, encoder.max_tokens, language, dateline), isinstance(encoder, HashingEncoder)


def segment_documents(documents: list[Document], skip: set[str], encoder: Encoder, cache: EmbeddingCache,
                      language: str, dateline: str, workers: Workers, commit_every: int,
                      report: Progress) -> Iterator[Segmented]:
    """Every document's segmentation, in order; reports ("segmenting", done, documents not in the cache)."""
    job, portable = segment_job(encoder, language, dateline)
    keyer = Segmenter(None, job.max_tokens, SentenceSplitter(None, language))
    skips = [_skip_lines_in(doc, skip) for doc in documents]
    keys = [keyer.cache_key(doc.text_hash, lines, doc.title_in_text, encoder.segment_key, dateline)
            for doc, lines in zip(documents, skips)]
    cached: set[str] = set()
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        cached.update(cache.get_segments(keys[i:i + _KEYS_PER_QUERY]))
    todo = [i for i, key in enumerate(keys) if key not in cached]
    n_workers = workers.for_work(-(-len(todo) // DOCS_PER_TASK), sum(len(documents[i].text) for i in todo),
                                 PARALLEL_CHARS) if portable else 1
    if todo:
        report(BuildProgress("segmenting", 0, len(todo)))
    work = (lambda j: (documents[j].text, skips[j], documents[j].title_in_text))
    batches: deque[list[int]] = deque()

    def tasks():
        for start in range(0, len(documents), DOCS_PER_TASK):
            batch = list(range(start, min(start + DOCS_PER_TASK, len(documents))))
            batches.append(batch)
            fresh = [work(j) for j in batch if keys[j] not in cached]
            yield fresh, _known_splits(fresh, job, cache) if fresh and n_workers > 1 else {}

    done = 0
    pending_segments: dict[str, Spans] = {}
    pending_splits: dict[str, list[tuple[int, int]]] = {}
    # in this process, the splitter reads the cache itself; workers get the splits with their task
    with WorkerPool(n_workers, _Segmenting, (job, cache if n_workers == 1 else None)) as pool:
        for fresh_spans, new_splits in pool.map(_segment, tasks()):
            batch = batches.popleft()
            fresh = [j for j in batch if keys[j] not in cached]
            spans = dict(zip((keys[j] for j in fresh), fresh_spans))
            pending_splits.update(new_splits)
            for key in spans:
                pending_segments[key] = spans[key]
                done += 1
                if len(pending_segments) >= commit_every:
                    _commit(cache, pending_splits, pending_segments)
                report(BuildProgress("segmenting", done, len(todo)))
            missing = [keys[j] for j in batch if keys[j] not in spans]
            if missing:
                spans.update(cache.get_segments(missing))
            lost = [j for j in batch if keys[j] not in spans]
            if lost:  # gone from the cache since it was looked up (a damaged cache moved aside): segment them here
                again, _ = _segment(_Segmenting(job, None), ([work(j) for j in lost], {}))
                spans.update(zip((keys[j] for j in lost), again))
            for j in batch:
                yield Segmented(documents[j], spans[keys[j]])
    _commit(cache, pending_splits, pending_segments)


def _commit(cache: EmbeddingCache, splits: dict, segments: dict) -> None:
    if splits:
        cache.put_splits(splits)
    if segments:
        cache.put_segments(segments)
    splits.clear()
    segments.clear()


def _skip_lines_in(doc: Document, skip: set[str]) -> list[str]:
    """The boilerplate lines the document holds (what its segmentation depends on)."""
    if not skip:
        return []
    return sorted({line.strip() for line in doc.text.split("\n")} & skip)


def _dateline(pattern: str) -> re.Pattern | None:
    return re.compile(pattern) if pattern else None


class _RecordingSplits:
    """The embedding cache as a sentence splitter sees it, remembering the splits it handed out."""

    def __init__(self, cache: EmbeddingCache):
        self._cache = cache
        self.found: dict[str, list[tuple[int, int]]] = {}

    def get_splits(self, keys: list[str]) -> dict[str, list[tuple[int, int]]]:
        found = self._cache.get_splits(keys)
        self.found.update(found)
        return found

    def put_splits(self, items: dict[str, list[tuple[int, int]]]) -> None:
        raise AssertionError("only prefetching: the build's process splits nothing here")


def _known_splits(work: list[Work], job: SegmentJob, cache: EmbeddingCache) -> dict[str, list[tuple[int, int]]]:
    """The cached sentence splits of the paragraphs of the documents a worker is about to segment."""
    recording = _RecordingSplits(cache)
    paragraphs = Segmenter(None, job.max_tokens)
    dateline = _dateline(job.dateline)
    SentenceSplitter(recording, job.language).prefetch(
        t for text, skip, title_in_text in work for t in paragraphs.paragraph_texts(text, set(skip), title_in_text, dateline))
    return recording.found


class _BatchSplits:
    """Where a batch's splitter finds cached splits (the cache itself, in the build's process; in a worker, only
    the splits sent with the task, already in the splitter's memo); the splits it makes are kept to be committed
    with the batch's segmentations."""

    def __init__(self, cache: EmbeddingCache | None):
        self._cache = cache
        self.new: dict[str, list[tuple[int, int]]] = {}

    def get_splits(self, keys: list[str]) -> dict[str, list[tuple[int, int]]]:
        return self._cache.get_splits(keys) if self._cache is not None else {}

    def put_splits(self, items: dict[str, list[tuple[int, int]]]) -> None:
        self.new.update(items)


class _Segmenting:
    """A worker's state: the tokenizer and what every document is cut with (and the cache, in the build's process)."""

    def __init__(self, job: SegmentJob, cache: EmbeddingCache | None):
        tokenizer = job.tokenizer
        self.token_spans = (file_token_spans(tokenizer.location) if isinstance(tokenizer, TokenizerFile)
                            else tokenizer.token_spans)
        self.job = job
        self.cache = cache
        self.dateline = _dateline(job.dateline)


def _segment(state: _Segmenting, task: tuple[list[Work], dict]) -> tuple[list[Spans], dict]:
    """Spans of each document of a batch, and the new sentence splits. Runs in a worker (or this process)."""
    work, known = task
    splits = _BatchSplits(state.cache)
    splitter = SentenceSplitter(splits, state.job.language)  # one per batch: its memo never outgrows a batch
    segmenter = Segmenter(state.token_spans, state.job.max_tokens, splitter)
    if state.cache is not None:
        splitter.prefetch(t for text, skip, title_in_text in work
                          for t in segmenter.paragraph_texts(text, set(skip), title_in_text, state.dateline))
    splitter.remember(known)
    out = [segmenter.segment(text, set(skip), title_in_text, state.dateline) for text, skip, title_in_text in work]
    splitter.flush()
    return out, splits.new
