"""Embedding with the cache in front: each distinct text is embedded once, ever, per model.

Texts go to the model longest first in chunks, so batches pad little and every finished chunk is
committed to the cache before the next starts (an interrupted build loses at most one chunk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from index.embed.cache import EmbeddingCache
from index import testhook
from index.embed.encoder import DEFAULT_BATCH_SIZE, Encoder

CHUNK = 512


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
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> tuple[dict[str, np.ndarray], EmbedStats]:
    """Vectors for every text (keyed by its hash), from the cache where possible."""
    hashes = list(texts)
    stats = EmbedStats(distinct=len(hashes))
    dim = model_dimension(encoder, cache)
    vectors = cache.get_vectors(encoder.cache_key, hashes, dim) if cache else {}
    stats.cached = len(vectors)
    missing = sorted((h for h in hashes if h not in vectors), key=lambda h: -len(texts[h]))
    if not missing:
        return vectors, stats
    started = time.perf_counter()
    with tqdm(total=len(missing), unit="passages", desc="embedding", disable=not progress, smoothing=0.1) as bar:
        size = testhook.embed_chunk(CHUNK)
        for i in range(0, len(missing), size):
            chunk = missing[i : i + size]
            encoded = encoder.encode([texts[h] for h in chunk], batch_size=batch_size)
            if cache is not None:
                cache.put_vectors(encoder.cache_key, chunk, encoded)
                if i == 0:
                    testhook.pause("embed-chunk")
            vectors.update(zip(chunk, encoded))
            bar.update(len(chunk))
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
