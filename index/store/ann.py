"""FAISS indexes over the stored vectors: exact inner product by default, approximate above a size.

The vectors (.npy) are the source of truth; a FAISS index can always be rebuilt from them.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import faiss
import numpy as np

from index.store.vectorfile import BLOCK, VectorFile
from index.workers import available_cpus

# FAISS 1.15 compares queries x dimension with this to choose BLAS (batches) or its SIMD scan (one query at a
# time). Its default, 128,000, kept batches under ~334 queries of 384-d off BLAS: self-joins and batched
# searches ran an order of magnitude slower. Measured here over 8k 384-d vectors: BLAS wins from 16 queries
# (1.6 vs 2.0 ms; 64 queries 4.0 vs 7.9 ms), the SIMD scan below that (one query 0.2 ms, through BLAS 0.5-2.5 ms).
BLAS_THRESHOLD = 16 * 384
faiss.cvar.distance_compute_blas_threshold = BLAS_THRESHOLD

# The choice below is measured in bench/RESULTS.md ("Scale"), single queries on 2 cores: an exact flat scan
# costs ~0.15 ms per 1,000 vectors (8 ms at 50k, 15 ms at 100k, 145 ms at 1M), so above 65,536 vectors
# (where filtered searches already switch to an exact scan of the allowed rows, search.EXACT_SCAN_ROWS) an
# IVF index over 8-bit scalar-quantised codes answers: at 1M, nlist 4000 and nprobe 64, with the 4k best
# candidates re-scored exactly from the stored float32 vectors, recall@10 is 0.97 (the same as IVF-Flat) in
# ~4 ms, and the index holds a quarter of float32's memory (380 MiB at 1M × 384) — which keeps a loaded
# searcher with the model well under 2.5 GB. HNSW is as fast but keeps all float32 vectors in memory.
INDEX_KINDS = ("auto", "flat", "ivf", "ivf-sq8", "hnsw")  # "auto": exact below APPROX_THRESHOLD
APPROX_THRESHOLD = 65_536
APPROX_KIND = "ivf-sq8"
SEARCH_NPROBE = 64  # lists probed per search query (the mining self-join has its own, pairs.SELF_JOIN_NPROBE)
RERANK = 4  # an ivf-sq8 search re-scores RERANK * k candidates with the stored float32 vectors
# k-means of the coarse quantizer on 32 points per list, 10 iterations: 1M vectors train and add in ~1 minute
TRAIN_POINTS_PER_LIST = 32
TRAIN_ITERATIONS = 10


def choose_spec(n_vectors: int, kind: str = "auto") -> dict:
    """The index kind and parameters for a level of n_vectors vectors."""
    if kind == "auto":
        kind = "flat" if n_vectors < APPROX_THRESHOLD else APPROX_KIND
    if kind == "flat":
        return {"kind": "flat"}
    if kind in ("ivf", "ivf-sq8"):
        nlist = max(1, min(int(4 * math.sqrt(max(n_vectors, 1))), n_vectors // 39 or 1))
        spec = {"kind": kind, "nlist": nlist, "nprobe": min(SEARCH_NPROBE, nlist)}
        if kind == "ivf-sq8":
            spec["rerank"] = RERANK
        return spec
    if kind == "hnsw":
        return {"kind": "hnsw", "M": 32, "efConstruction": 80, "efSearch": 64}
    raise ValueError(f"unknown index kind {kind!r}")


def build_faiss(vectors: np.ndarray | VectorFile, spec: dict) -> faiss.Index:
    """Build the index named by spec; row i of vectors (a matrix, or a file read a block at a time) gets FAISS id i."""
    dim = vectors.shape[1]
    kind = spec["kind"]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind in ("ivf", "ivf-sq8"):
        quantizer = faiss.IndexFlatIP(dim)
        if kind == "ivf":
            index = faiss.IndexIVFFlat(quantizer, dim, spec["nlist"], faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, spec["nlist"], faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = spec.get("train_iterations", TRAIN_ITERATIONS)
        index.cp.min_points_per_centroid = 1  # no warning for a deliberately small training sample
        rng = np.random.default_rng(0)
        sample_size = min(len(vectors), spec["nlist"] * spec.get("train_points_per_list", TRAIN_POINTS_PER_LIST))
        sample = np.ascontiguousarray(vectors[np.sort(rng.choice(len(vectors), sample_size, replace=False))],
                                      dtype=np.float32)
        with all_threads():
            index.train(sample)
        index.nprobe = spec["nprobe"]
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, spec["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = spec["efConstruction"]
        index.hnsw.efSearch = spec["efSearch"]
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    add_vectors(index, vectors)
    return index


def add_vectors(index: faiss.Index, vectors: np.ndarray | VectorFile, start: int = 0) -> None:
    """Add vectors[start:] to the index, a block at a time (a level's file is read a block at a time)."""
    with all_threads():
        for first in range(start, len(vectors), BLOCK):
            index.add(np.ascontiguousarray(vectors[first:first + BLOCK], dtype=np.float32))


def can_grow(built: dict, wanted: dict) -> bool:
    """May an index built with spec `built` take more vectors, where a fresh build would choose `wanted`? The same
    kind, and for IVF at least half the lists a fresh build would train (nlist grows with the square root of the
    vectors: the lists then hold at most four times what they were sized for, and searches stay as precise)."""
    if built.get("kind") != wanted.get("kind"):
        return False
    if "nlist" in wanted:
        return 2 * built.get("nlist", 0) >= wanted["nlist"]
    return built == wanted


def search_params(spec: dict, selector: faiss.IDSelector | None) -> faiss.SearchParameters | None:
    """Per-call search parameters: the id filter plus the kind's own recall knob."""
    kind = spec["kind"]
    if kind in ("ivf", "ivf-sq8"):
        return faiss.SearchParametersIVF(sel=selector, nprobe=spec["nprobe"]) if selector else faiss.SearchParametersIVF(nprobe=spec["nprobe"])
    if kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=spec["efSearch"]) if selector else faiss.SearchParametersHNSW(efSearch=spec["efSearch"])
    return faiss.SearchParameters(sel=selector) if selector else None


def bitmap_selector(mask: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray]:
    """An id selector for rows where mask is True. Keep the returned bits alive while searching."""
    bits = np.packbits(mask.astype(np.uint8), bitorder="little")
    return faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits)), bits


def use_one_thread() -> None:
    """Run this thread's later FAISS calls on one OpenMP thread (the setting is per calling thread); set, not
    restored: switching OpenMP's thread count back and forth around every query cost ~2 ms a call here (the
    thread team is rebuilt), ten times a flat search over 8k vectors. Batched work asks for every core again
    (all_threads).

    A single query gains little from a second thread, and right after a query embedding torch's own OpenMP
    threads may still be spin-waiting on these 2 cores: FAISS's parallel region then waits for a core, and an
    8k-vector flat search took 8 ms instead of under 1 (bench/RESULTS.md, "Query latency").
    """
    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)


@contextmanager
def all_threads():
    """Run the enclosed FAISS calls of this thread on every available core (training, filling and self-joins
    of many vectors), whatever a query set before; the previous count is restored after."""
    before = faiss.omp_get_max_threads()
    wanted = available_cpus()
    if before != wanted:
        faiss.omp_set_num_threads(wanted)
    try:
        yield
    finally:
        if before != wanted:
            faiss.omp_set_num_threads(before)

