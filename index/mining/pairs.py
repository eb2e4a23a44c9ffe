"""Candidate pairs for mining: a batched FAISS self-join that keeps every pair above a threshold.

Memory stays bounded by the number of pairs found, never an N×N matrix: queries go in batches, and
FAISS returns only the neighbours above the threshold (a range search, i.e. a k-NN join with k
unbounded). Above EXACT_LIMIT texts an IVF index over 8-bit codes answers instead of a flat scan (see
bench/RESULTS.md): a quarter of the memory of float32 lists, which at a million sentences is the difference
between fitting in 4 GB or not. Its scores are approximate, so it returns the pairs down to MARGIN below the
threshold and every one of them is scored again exactly from the vectors: no pair's score is an estimate.
"""

from __future__ import annotations

import math
from typing import Callable, Protocol

import numpy as np

from index.store import ann  # also sets FAISS's BLAS threshold for batched queries

BATCH = 4096
EXACT_LIMIT = 60_000
SELF_JOIN_NPROBE = 12  # lists probed per query of the self-join (the search index has its own, ann.SEARCH_NPROBE)
# how far below the threshold the 8-bit codes' scores reach for candidates: their error on an inner product of
# unit vectors is ~0.0006 (one standard deviation, 384 dimensions), so 0.02 loses none to quantisation
MARGIN = 0.02
RESCORE_CHUNK = 16_384  # candidate pairs scored exactly at a time (two 16k x d float32 gathers)


class Rows(Protocol):
    """Vectors read on demand (mining.corpus.NodeVectors): `len`, `shape`, and `rows[a:b]` or `rows[ascending]`."""
    shape: tuple[int, int]

    def __len__(self) -> int: ...

    def __getitem__(self, key) -> np.ndarray: ...


def similar_pairs(vectors: np.ndarray | Rows, threshold: float, progress: Callable[[float], None] | None = None,
                  exact: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i < j) with inner product >= threshold, as arrays (i, j, score).

    `vectors` may be a matrix or rows read on demand: the approximate join then holds only its 8-bit codes and
    one batch of vectors at a time."""
    n = len(vectors)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    if n < 2:
        return empty
    use_exact = n <= EXACT_LIMIT if exact is None else exact
    if use_exact or isinstance(vectors, np.ndarray):
        vectors = np.ascontiguousarray(vectors[0:n], dtype=np.float32)
    index = ann.build_faiss(vectors, {"kind": "flat"} if use_exact else _ivf_spec(n))
    floor = float(threshold) - 1e-6  # FAISS keeps scores strictly above the radius
    radius = floor if use_exact else floor - MARGIN
    firsts, seconds, scores = [], [], []
    for start in range(0, n, BATCH):
        batch = np.ascontiguousarray(vectors[start:start + BATCH], dtype=np.float32)
        with ann.all_threads():
            lims, dists, labels = index.range_search(batch, radius)
        counts = np.diff(lims).astype(np.int64)
        queries = np.repeat(np.arange(start, start + len(counts)), counts)
        keep = labels != queries  # an approximate index may find (j, i) but not (i, j): keep both, merge below
        queries, labels, dists = queries[keep], labels[keep], dists[keep]
        if not use_exact:
            dists = _exact_scores(batch, queries - start, vectors, labels)
            keep = dists >= floor
            queries, labels, dists = queries[keep], labels[keep], dists[keep]
        firsts.append(np.minimum(queries, labels))
        seconds.append(np.maximum(queries, labels))
        scores.append(dists)
        if progress:
            progress(min(1.0, (start + BATCH) / n))
    del index
    i, j, score = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(scores).astype(np.float32)
    if len(i) == 0:
        return empty
    keys = i.astype(np.int64) * n + j
    _, first = np.unique(keys, return_index=True)
    return i[first], j[first], score[first]


def _exact_scores(batch: np.ndarray, in_batch: np.ndarray, vectors: np.ndarray | Rows,
                  labels: np.ndarray) -> np.ndarray:
    """The inner product of each pair (batch[in_batch[k]], vectors[labels[k]]) in float32, the labels' vectors
    read once each, a chunk of pairs at a time."""
    out = np.empty(len(labels), dtype=np.float32)
    if not len(labels):
        return out
    wanted, slot = np.unique(labels, return_inverse=True)
    found = np.ascontiguousarray(vectors[wanted], dtype=np.float32)
    for a in range(0, len(labels), RESCORE_CHUNK):
        b = a + RESCORE_CHUNK
        out[a:b] = np.einsum("ij,ij->i", batch[in_batch[a:b]], found[slot[a:b]])
    return out


def _ivf_spec(n: int) -> dict:
    """IVF for the self-join: trained longer and on more points than a search index (every pair counts)."""
    return {"kind": "ivf-sq8", "nlist": int(4 * math.sqrt(n)), "nprobe": SELF_JOIN_NPROBE,
            "train_points_per_list": 50, "train_iterations": 25}
