"""Candidate pairs for mining: a batched FAISS self-join that keeps every pair above a threshold.

Memory stays bounded by the number of pairs found, never an N×N matrix: queries go in batches, and
FAISS returns only the neighbours above the threshold (a range search, i.e. a k-NN join with k
unbounded). Above EXACT_LIMIT texts an IVF index answers instead of a flat scan (see bench/RESULTS.md).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from index.store import ann  # also sets FAISS's BLAS threshold for batched queries

BATCH = 4096
EXACT_LIMIT = 60_000
SELF_JOIN_NPROBE = 12  # lists probed per query of the self-join (the search index has its own, ann.SEARCH_NPROBE)


def similar_pairs(vectors: np.ndarray, threshold: float, progress: Callable[[float], None] | None = None,
                  exact: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i < j) with inner product >= threshold, as arrays (i, j, score)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    if n < 2:
        return empty
    use_exact = n <= EXACT_LIMIT if exact is None else exact
    index = ann.build_faiss(vectors, {"kind": "flat"} if use_exact else _ivf_spec(n))
    radius = float(threshold) - 1e-6  # FAISS keeps scores strictly above the radius
    firsts, seconds, scores = [], [], []
    for start in range(0, n, BATCH):
        with ann.all_threads():
            lims, dists, labels = index.range_search(vectors[start:start + BATCH], radius)
        counts = np.diff(lims).astype(np.int64)
        queries = np.repeat(np.arange(start, start + len(counts)), counts)
        keep = labels != queries  # an approximate index may find (j, i) but not (i, j): keep both, merge below
        firsts.append(np.minimum(queries[keep], labels[keep]))
        seconds.append(np.maximum(queries[keep], labels[keep]))
        scores.append(dists[keep])
        if progress:
            progress(min(1.0, (start + BATCH) / n))
    i, j, score = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(scores).astype(np.float32)
    if len(i) == 0:
        return empty
    keys = i.astype(np.int64) * n + j
    _, first = np.unique(keys, return_index=True)
    return i[first], j[first], score[first]


def _ivf_spec(n: int) -> dict:
    """IVF for the self-join: trained longer and on more points than a search index (every pair counts)."""
    return {"kind": "ivf", "nlist": int(4 * math.sqrt(n)), "nprobe": SELF_JOIN_NPROBE,
            "train_points_per_list": 50, "train_iterations": 25}
