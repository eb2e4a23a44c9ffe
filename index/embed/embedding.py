"""Embedding with the cache in front: each distinct text is embedded once, ever, per model.

Texts go to the model longest first in chunks, so batches pad little and every finished chunk is
committed to the cache as it arrives (an interrupted build loses at most the chunks in flight: one with the
local engine), and then reported to the listener as ("embedding", texts done, texts missing from the cache).
Where the model runs is the engine's business (index/embed/engines.py): this process, or a Ray cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from index.embed.cache import EmbeddingCache
from index.embed.encoder import Encoder
from index.embed.engines import Engine, LocalEngine
from index.progress import BuildProgress, Progress, ignore

CHUNK = 512  # texts embedded between two commits to the cache (BuildSettings.embed_chunk)


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
    if chunk < 1:
        raise ValueError(f"the embedding chunk must be at least 1 text, got {chunk}")
    report = on_progress or ignore
    hashes = list(texts)
    stats = EmbedStats(distinct=len(hashes))
    dim = model_dimension(encoder, cache)
    vectors = cache.get_vectors(encoder.cache_key, hashes, dim) if cache else {}
    stats.cached = len(vectors)
    missing = sorted((h for h in hashes if h not in vectors), key=lambda h: -len(texts[h]))
    if not missing:
        return vectors, stats
    started = time.perf_counter()
    report(BuildProgress("embedding", 0, len(missing)))
    engine = engine or LocalEngine(encoder, batch_size)
    done = 0
    for embedded in engine.embed([texts[h] for h in missing], chunk):
        part = [missing[row] for row in embedded.rows]
        if cache is not None:
            cache.put_vectors(encoder.cache_key, part, embedded.vectors)
        vectors.update(zip(part, embedded.vectors))
        done += len(part)
        report(BuildProgress("embedding", done, len(missing)))
    stats.embedded = len(missing)
    stats.seconds = time.perf_counter() - started
    return vectors, stats


def model_dimension(encoder: Encoder, cache: EmbeddingCache | None) -> int:
    """The encoder's dimension, remembered in the cache so a fully cached rebuild never loads the model."""
    known = cache.dimension(encoder.cache_key) if cache else None
    if known is None:
        known = encoder.dim
        if cache is not None:
            cache.set_dimension(encoder.cache_key, known)
    return known
