"""Item 4 (KCNA 2024 part) and item 6 (KCNA 2024 part): warm query latency and a loaded searcher's memory.

    python -m bench.bench_query            # needs the KCNA index of bench_build (builds it if missing)
    python -m bench.bench_query --smoke

Latency of the real Searcher over >= 200 distinct queries each (so no query hits the query-embedding cache):
search (query embedding included), similar, phrase, and filtered search (dates and topics), warm, p50/p95.
Baseline in the same process: `SentenceTransformer.encode` of the query plus an exact NumPy scan of the same
vectors (what one would write by hand). Memory: a fresh process opens the searcher, loads the model, answers
queries; its resident memory is read from /proc.
"""

from __future__ import annotations

import sys

import numpy as np

from bench import common
from bench.common import per_item, table, verdict

TARGET_SEARCH_MS = 25.0
TARGET_SIMILAR_MS = 5.0


def kcna_index(smoke: bool):
    """The index bench_build made (or a fresh build with a persistent cache when it is missing)."""
    from index.store import layout

    work = common.work_dir("build-smoke" if smoke else "build")
    out = work / "index"
    if out.is_dir() and layout.current_generation(out) is not None:
        return out
    from index.build import BuildSettings, build_index
    from index.ingest.records import ReadOptions
    from index.progress import ProgressBars

    model = common.model_for(smoke)
    sources = [str(common.SAMPLE_CORPUS)] if smoke else [str(common.KCNA_JSON)]
    options = ReadOptions() if smoke else common.kcna_options()
    build_index(sources, out, options, BuildSettings(model=model, cache_path=str(work / "cache.sqlite")),
                on_progress=None if smoke else ProgressBars())
    return out


def workload(searcher, n: int, smoke: bool, seed: int = 1):
    """Queries for each operation: distinct texts, passage ids, phrases, and filters."""
    rng = np.random.default_rng(seed)
    texts = common.query_texts(3 * n + 20, seed=seed, smoke=smoke)
    warm, plain, filtered_texts = texts[:20], texts[20:20 + n], texts[20 + n:20 + 2 * n]
    rows = searcher.db.query("SELECT passage_id, text FROM passages WHERE level = 'paragraph' ORDER BY row")
    picks = rng.choice(len(rows), min(len(rows), n + 20), replace=False)
    ids = [rows[i][0] for i in picks]
    phrases = []
    for i in picks:
        words = rows[i][1].split()
        if len(words) >= 3:
            start = int(rng.integers(0, len(words) - 2))
            phrases.append(" ".join(words[start:start + int(rng.integers(2, 4))]))
    facets = searcher.facets()
    topics = sorted(facets["meta"].get("topic", {}))
    date_min, date_max = (facets["date_min"] or "2024-01-01")[:10], (facets["date_max"] or "2024-12-31")[:10]
    from index.search import Filters

    years = list(range(int(date_min[:4]), int(date_max[:4]) + 1))
    filters = []
    for i in range(n):
        year = years[i % len(years)]
        month = 1 + int(rng.integers(0, 12))
        if i % 2 and topics:
            filters.append(Filters.make(meta={"topic": [topics[int(rng.integers(0, len(topics)))]]}))
        else:
            filters.append(Filters.make(f"{year}-{month:02d}", f"{year}-{min(12, month + 2):02d}"))
    return warm, plain, list(zip(filtered_texts, filters)), ids[:n], ids[n:], phrases[:n], phrases[n:] or phrases[:5]


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--child", default=None, help=argparse_hidden())
    args = p.parse_args(argv)
    if args.child:
        return child(args.child)
    smoke = args.smoke
    n = 30 if smoke else 220
    from index.search import Searcher

    root = kcna_index(smoke)
    searcher = Searcher(root)
    open_s, _ = common.timed(lambda: searcher.search("warm up the model", k=10))  # loads the model: cold start
    warm, plain, filtered, ids, warm_ids, phrases, warm_phrases = workload(searcher, n, smoke)
    level = searcher.levels["paragraph"]
    matrix = np.asarray(level.vectors)
    encoder = searcher.encoder

    def baseline(q):
        if hasattr(encoder, "model"):
            v = encoder.model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0]
        else:
            v = encoder.encode([q])[0]
        scores = matrix @ v
        top = np.argpartition(-scores, 10)[:10]
        return top[np.argsort(-scores[top])]

    def embed_only(q):
        return searcher._embed_uncached(searcher._clean(q))

    results = {
        "search": per_item(lambda q: searcher.search(q, k=10), plain, warm),
        "embed query": per_item(embed_only, plain[: n // 2], warm),
        "baseline: encode + NumPy scan": per_item(baseline, plain[n // 2:], warm),
        "similar": per_item(lambda pid: searcher.similar(pid, k=10), ids, warm_ids),
        "phrase": per_item(lambda ph: searcher.phrase(ph, k=100), phrases, warm_phrases),
        "filtered search": per_item(lambda qf: searcher.search(qf[0], k=10, filters=qf[1]), filtered,
                                    [(w, f) for w, (_, f) in zip(warm, filtered)]),
    }
    memory = common.run_child("bench.bench_query", {"root": str(root), "smoke": smoke})
    rows = []
    for name, stats in results.items():
        d = stats.as_dict(1e3)
        rows.append([name, d["n"], f"{d['median']:.2f}", f"{d['p95']:.2f}", f"{d['p25']:.2f}–{d['p75']:.2f}",
                     f"{d['warmup']:.1f}" if d["warmup"] is not None else "-"])
    s50 = results["search"].median * 1e3
    m50 = results["similar"].median * 1e3
    figures = {"index": str(root), "rows": {lvl: int(len(lv.doc_rows)) for lvl, lv in searcher.levels.items()},
               "faiss": {lvl: lv.spec for lvl, lv in searcher.levels.items()}, "first_query_s": open_s,
               "latency_ms": {k: v.as_dict(1e3) for k, v in results.items()}, "memory": memory}
    body = f"""
Index: {'sample corpus' if smoke else 'KCNA 2024'} built by bench_build — {figures['rows']['paragraph']:,} paragraphs,
{figures['rows']['sentence']:,} sentences; FAISS: {figures['faiss']['paragraph']['kind']}. Model `{searcher.model_name}`.
The first query of a fresh searcher (model load) took {open_s:.2f} s and is not counted. Every timed query is distinct
(nothing answered from the query-embedding cache); 20 other queries warm up each operation (the first one's time is
the warm-up column). k = 10 (phrase: up to 100 hits); filters alternate a 2-3 month date window and one topic.

{table(['operation', 'queries', 'p50 ms', 'p95 ms', 'IQR ms', 'warm-up ms'], rows)}

- `search` p50 {s50:.1f} ms including query embedding — target ≤ {TARGET_SEARCH_MS:.0f} ms: {verdict(s50 <= TARGET_SEARCH_MS)}.
  Embedding the query alone takes {results['embed query'].median * 1e3:.1f} ms of it; the baseline (encode + exact NumPy scan,
  no hydration) {results['baseline: encode + NumPy scan'].median * 1e3:.1f} ms.
- `similar` p50 {m50:.2f} ms — target ≤ {TARGET_SIMILAR_MS:.0f} ms: {verdict(m50 <= TARGET_SIMILAR_MS)}.

Memory of a loaded searcher (fresh process: open the index, load the model, answer 20 queries):
resident {memory['rss_mb']:.0f} MiB (peak {memory['peak_mb']:.0f} MiB); the interpreter with torch and the model alone,
before opening the index: {memory['model_rss_mb']:.0f} MiB.
"""
    common.write_results("query", "4, 6. Query latency and memory — KCNA 2024", body, figures, smoke)
    return figures


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def child(spec: str) -> dict:
    """Resident memory of a process that loads the model, opens the searcher and answers queries."""
    import json
    from index.embed.encoder import load_encoder
    from index.search import Searcher

    args = json.loads(spec)
    base = common.rss_mb()
    encoder = load_encoder(common.model_for(args["smoke"]))
    encoder.encode(["load the model"])
    model_rss = common.rss_mb()
    searcher = Searcher(args["root"], encoder=encoder)
    for q in common.query_texts(20, seed=7, smoke=args["smoke"]):
        searcher.search(q, k=10)
    result = {"python_rss_mb": base, "model_rss_mb": model_rss, "rss_mb": common.rss_mb(), "peak_mb": common.peak_rss_mb()}
    common.child_reply(result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
