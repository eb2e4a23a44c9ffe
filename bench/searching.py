"""Timing a real Searcher at one level and measuring its recall@10 against exact dense candidates: shared by the
benchmarks that search a large index (bench_hybrid_scale, bench_archive)."""

from __future__ import annotations

import numpy as np

from bench import common

MODES = ("hybrid", "semantic")
FLAT_BLOCK = 200_000  # vectors copied into the exact index at a time


def latency(searcher, level: str, queries: list[str], warm: list[str], modes=MODES) -> dict:
    """Warm p50/p95 (wall and CPU, ms) of `search` per mode, each query embedded afresh; then the parts."""
    out = {"ms": {}, "cpu_ms": {}, "parts": {}}
    for mode in modes:
        searcher._embed_cached.cache_clear()
        wall, cpu = common.per_item_cpu(lambda q, m=mode: searcher.search(q, k=10, level=level, mode=m), queries, warm)
        out["ms"][mode], out["cpu_ms"][mode] = wall.as_dict(1e3), cpu.as_dict(1e3)
    out["parts"]["embed query"] = common.per_item(
        lambda q: searcher._embed_uncached(searcher._clean(q)), queries).as_dict(1e3)
    for mode in modes:
        out["parts"][f"{mode}, embedding cached"] = common.per_item(
            lambda q, m=mode: searcher.search(q, k=10, level=level, mode=m), queries).as_dict(1e3)
    return out


def recall(searcher, level: str, queries: list[str], modes=MODES) -> dict[str, float]:
    """Mean share of each query's top 10 that the same ranking finds with exact dense candidates (a flat scan of
    every vector of the level); the lexical side is exact in both."""
    import faiss

    from index.retrieval.ranking import rank

    target = searcher.levels[level]
    flat = faiss.IndexFlatIP(target.vectors.shape[1])
    for start in range(0, len(target.doc_rows), FLAT_BLOCK):
        flat.add(np.ascontiguousarray(target.vectors[start:start + FLAT_BLOCK], dtype=np.float32))

    def exact(vector):
        def nearest(n):
            scores, rows = flat.search(vector.reshape(1, -1), n)
            return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
        return nearest

    shares: dict[str, float] = {}
    for mode in modes:
        found = []
        for q in queries:
            vector = searcher.embed_query(q)
            got = [h.passage_id for h in searcher.search(q, k=10, level=level, mode=mode)]
            truth = rank(searcher._clean(q), lambda: vector, target.rows, exact(vector), searcher.lexical, level,
                         target.doc_rows, None, 10, None, mode)
            ids = searcher.rows_to_ids(level, truth.rows)
            found.append(len(set(got) & set(ids)) / max(1, len(ids)))
        shares[mode] = float(np.mean(found))
    del flat
    return shares
