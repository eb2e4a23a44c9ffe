"""Embedding with the cache in front: each distinct text is embedded once, ever, per model.

Texts go to the model longest first in chunks, so batches pad little and every finished chunk is
committed to the cache as it arrives (an interrupted build loses at most the chunks in flight: one with the
local engine), and then reported to the listener as ("embedding", texts done, texts missing from the cache).
Where the model runs is the engine's business (index/embed/engines.py): this process, or a Ray cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from index.embed.cache import EmbeddingCache
from index.embed.encoder import Encoder
from index.embed.engines import Engine, LocalEngine
from index.errors import RefrainError
from index.progress import BuildProgress, Progress, ignore

CHUNK = 512  # texts embedded between two commits to the cache (BuildSettings.embed_chunk)
PRESENCE_BLOCK = 65_536  # vectors read from the cache at a time when checking or writing them (~100 MB at 384-d)


@dataclass
class EmbedStats:
    distinct: int = 0
    cached: int = 0
    embedded: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


def embed_distinct(
    encoder: Encoder,
    texts: dict[str, str],
    cache: EmbeddingCache | None,
    batch_size: int | None = None,
    on_progress: Progress | None = None,
    chunk: int = CHUNK,
    engine: Engine | None = None,
) -> tuple[dict[str, np.ndarray], EmbedStats]:
    """Vectors for every text (keyed by its hash), from the cache where possible; the missing ones are
    embedded by the engine (the encoder in this process unless one is given; batch_size None: the device's
    own) and committed to the cache `chunk` texts at a time."""
    dim = model_dimension(encoder, cache)
    vectors = cache.get_vectors(encoder.cache_key, list(texts), dim) if cache else {}
    missing = sorted((h for h in texts if h not in vectors), key=lambda h: -len(texts[h]))
    stats = _embed(encoder, len(texts), missing, [texts[h] for h in missing], cache, batch_size, on_progress, chunk,
                   engine, vectors.update)
    return vectors, stats


class StagedTexts(Protocol):
    """The distinct texts of a build, kept on disk (index/store/staging.py)."""

    def distinct(self) -> int: ...
    def distinct_hash_blocks(self, block: int) -> Iterable[list[str]]: ...
    def mark_cached(self, hashes: Iterable[str]) -> None: ...
    def uncached_longest_first(self) -> tuple[list[str], list[str]]: ...


def embed_into_cache(
    encoder: Encoder,
    texts: StagedTexts,
    cache: EmbeddingCache,
    batch_size: int | None = None,
    on_progress: Progress | None = None,
    chunk: int = CHUNK,
    engine: Engine | None = None,
) -> EmbedStats:
    """Make sure the cache holds a sound vector for every staged text, embedding the ones it lacks, without holding
    the vectors: a build then reads them back level by level, block by block (cache_blocks), so its memory
    does not grow with the corpus by 1.5 KB a passage. Only the texts still to embed are held, while they are."""
    dim = model_dimension(encoder, cache)
    for hashes in texts.distinct_hash_blocks(PRESENCE_BLOCK):
        texts.mark_cached(cache.get_vectors(encoder.cache_key, hashes, dim))
    missing, missing_texts = texts.uncached_longest_first()
    return _embed(encoder, texts.distinct(), missing, missing_texts, cache, batch_size, on_progress, chunk, engine,
                  lambda pairs: None)


def cache_blocks(cache: EmbeddingCache, encoder: Encoder, hash_blocks: Iterable[list[str]],
                 dim: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, vectors) of the hashes in order, read from the cache a block of hashes at a time; a vector the
    cache no longer holds stops the build (embed_into_cache put every one there)."""
    start = 0
    for part in hash_blocks:
        found = cache.get_vectors(encoder.cache_key, list(dict.fromkeys(part)), dim)
        lost = [h for h in part if h not in found]
        if lost:
            raise RefrainError(f"the embedding cache {cache.path} lost {len(lost):,} vectors during the build "
                               "(was it replaced or damaged meanwhile?); build again")
        yield start, np.stack([found[h] for h in part]) if part else np.zeros((0, dim), dtype=np.float32)
        start += len(part)


def _embed(encoder: Encoder, distinct: int, missing: list[str], missing_texts: list[str],
           cache: EmbeddingCache | None, batch_size: int | None, on_progress: Progress | None, chunk: int,
           engine: Engine | None, keep: Callable[[Iterable[tuple[str, np.ndarray]]], None]) -> EmbedStats:
    """Embed the missing texts (given longest first), commit each chunk to the cache and hand it to `keep`."""
    if chunk < 1:
        raise ValueError(f"the embedding chunk must be at least 1 text, got {chunk}")
    report = on_progress or ignore
    stats = EmbedStats(distinct=distinct, cached=distinct - len(missing))
    if not missing:
        return stats
    started = time.perf_counter()
    report(BuildProgress("embedding", 0, len(missing)))
    engine = engine or LocalEngine(encoder, batch_size)
    done = 0
    for embedded in engine.embed(missing_texts, chunk):
        part = [missing[row] for row in embedded.rows]
        if cache is not None:
            cache.put_vectors(encoder.cache_key, part, embedded.vectors)
        keep(zip(part, embedded.vectors))
        done += len(part)
        report(BuildProgress("embedding", done, len(missing)))
    stats.embedded = len(missing)
    stats.seconds = time.perf_counter() - started
    return stats


def model_dimension(encoder: Encoder, cache: EmbeddingCache | None) -> int:
    """The encoder's dimension, remembered in the cache so a fully cached rebuild never loads the model."""
    known = cache.dimension(encoder.cache_key) if cache else None
    if known is None:
        known = encoder.dim
        if cache is not None:
            cache.set_dimension(encoder.cache_key, known)
    return known
