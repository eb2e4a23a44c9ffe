"""Item 4 at scale and item 6 at 1M: choosing the approximate index, then the real Searcher over 1M passages.

    python -m bench.bench_scale              # ~20-30 minutes: embeds 25k real sentences once (cached)
    python -m bench.bench_scale --smoke      # 20k vectors, seconds
    python -m bench.bench_scale --reuse-sweep  # skip the parameter sweep, reuse its cached figures

Vectors: real MiniLM embeddings of 25k distinct sentences (KCNA 2024, then UN speeches cut by the project's
segmenter), cached in bench/work/vectors; 1M passages are made from them by perturbation (common.perturbed: a real
vector + a little of another + gaussian noise, renormalised). Queries are 200 held-out real sentences (never a
base of the perturbed set), so their true neighbours are near copies of *other* sentences, as in real use.

1. Sweep (FAISS alone, one query at a time, warm): exact flat search by size (the switch-over), and at 1M
   IVF-Flat, IVF-SQ8 (with and without exact re-ranking of 4k candidates from the stored float32 vectors) and,
   on a 50k slice, HNSW — recall@10 against exact search, p50/p95, build
   time, memory.
2. The library's automatic choice (index.ann.choose_spec) builds a real index generation of 1M paragraph
   passages (+100k sentences) from the vectors above through the library's generation writer (build_index
   would have to embed 1M texts), and a fresh process measures the real Searcher: search p50/p95 with query
   embedding, recall@10, similar, filtered search, and resident memory with the model loaded.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

from bench import common
from bench.common import Stats, per_item, table, timed, verdict

TARGET_P50_MS = 30.0
TARGET_RECALL = 0.95
TARGET_RSS_MB = 2.5 * 1024
N_REAL, N_QUERIES = 25_000, 200


def exact_index(matrix: np.ndarray) -> faiss.Index:
    """A flat index of the matrix: built once (a copy of every vector) and asked for every ground truth."""
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    return index


def ground_truth(exact: faiss.Index, queries: np.ndarray, k: int = 10) -> np.ndarray:
    return exact.search(queries, k)[1]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0].tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)]))


def one_by_one(search, queries: np.ndarray) -> tuple[Stats, np.ndarray]:
    """Latency of single-query searches (as the app issues them), and their results."""
    out = []
    for q in queries[:10]:
        search(q[None, :])
    samples = []
    for q in queries:
        seconds, rows = timed(lambda: search(q[None, :]))
        samples.append(seconds)
        out.append(rows[0][:10])
    return Stats(samples), np.array(out)


def rerank(index, matrix, factor: int):
    def search(q):
        _, cand = index.search(q, 10 * factor)
        cand = cand[0][cand[0] >= 0]
        scores = matrix[cand] @ q[0]
        order = np.argsort(-scores)[:10]
        return cand[order][None, :]
    return search


def index_bytes(index) -> int:
    return len(faiss.serialize_index(index))


def sweep(matrix: np.ndarray, queries: np.ndarray, truth: np.ndarray, smoke: bool, work: Path) -> dict:
    from index.store import ann

    n, dim = matrix.shape
    out = {"flat_by_size": [], "candidates": []}
    # switch-over: exact flat search by size
    sizes = [2_000, 5_000, 10_000] if smoke else [25_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]
    for size in sizes:
        flat = faiss.IndexFlatIP(dim)
        flat.add(matrix[:size])
        stats, _ = one_by_one(lambda q: flat.search(q, 10)[1], queries[:60])
        out["flat_by_size"].append({**stats.as_dict(1e3), "queries": len(stats.samples), "n": size})
        print("flat", size, f"{stats.median * 1e3:.2f} ms", flush=True)
        del flat
    # IVF-SQ8 at two list counts, IVF-Flat (4x the memory) at the larger one for reference
    nlist = ann.choose_spec(n, "ivf")["nlist"]  # the library's rule, 4·sqrt(n), and a quarter of it
    configs = [("ivf-sq8", nlist // 4), ("ivf-sq8", nlist), ("ivf", nlist)]
    for kind, nlist in configs:
        spec = {"kind": kind, "nlist": nlist, "nprobe": 1}
        t0 = time.perf_counter()
        index = ann.build_faiss(matrix, spec)
        build_s = time.perf_counter() - t0
        size = index_bytes(index)
        faiss.write_index(index, str(work / f"sweep-{kind}-{nlist}.index"))  # the generation reuses a matching one
        for nprobe in ([4, 8, 16] if smoke else [8, 16, 32, 64]):
            index.nprobe = nprobe
            plain_stats, found = one_by_one(lambda q: index.search(q, 10)[1], queries)
            row = {"kind": kind, "nlist": nlist, "nprobe": nprobe, "build_s": build_s, "index_mb": size / 2**20,
                   "recall": recall(found, truth), "latency": plain_stats.as_dict(1e3), "rerank": 0}
            out["candidates"].append(row)
            print(row["kind"], nlist, nprobe, f"recall {row['recall']:.3f}", f"{plain_stats.median * 1e3:.2f} ms", flush=True)
            if kind == "ivf-sq8":
                rr_stats, found = one_by_one(rerank(index, matrix, ann.RERANK), queries)
                out["candidates"].append({**row, "rerank": ann.RERANK, "recall": recall(found, truth), "latency": rr_stats.as_dict(1e3)})
                print("  + rerank", f"recall {out['candidates'][-1]['recall']:.3f}", f"{rr_stats.median * 1e3:.2f} ms", flush=True)
        del index
    # HNSW on a 50k slice, for comparison (its float32 vectors and graph must stay in memory)
    m = min(len(matrix), 10_000 if smoke else 50_000)
    sub = matrix[:m]
    sub_truth = ground_truth(exact_index(sub), queries)
    t0 = time.perf_counter()
    hnsw = ann.build_faiss(sub, {"kind": "hnsw", "M": 32, "efConstruction": 80, "efSearch": 64})
    build_s = time.perf_counter() - t0
    for ef in (64, 128):
        hnsw.hnsw.efSearch = ef
        stats, found = one_by_one(lambda q: hnsw.search(q, 10)[1], queries)
        out["hnsw"] = out.get("hnsw", []) + [{"n": m, "M": 32, "efSearch": ef, "build_s": build_s, "index_mb": index_bytes(hnsw) / 2**20,
                                              "recall": recall(found, sub_truth), "latency": stats.as_dict(1e3)}]
        print("hnsw", m, ef, out["hnsw"][-1]["recall"], stats.median * 1e3, build_s, flush=True)
    return out


# ------------------------------------------------------------------------------------------ a 1M generation


def write_generation(root: Path, para: np.ndarray, para_base: np.ndarray, sent: np.ndarray, sent_base: np.ndarray,
                     texts: list[str], model: str, kind: str = "auto", per_doc: int = 50,
                     reuse: dict | None = None) -> dict:
    """A valid index generation from given vectors (no embedding), written by the library's own writer
    (index/store/writer.py), as a build writes one; passage ids are p<row> and s<row>."""
    import datetime as dt
    import shutil

    from index.store import ann
    from index.store.writer import GenerationWriter

    reuse = reuse or {}
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    n_docs = (len(para) + per_doc - 1) // per_doc
    topics = ["economy", "diplomacy", "defence", "culture", "agriculture", "science", "health", "sport"]
    start = dt.date(2000, 1, 1)
    docs = []
    for d in range(n_docs):
        date = (start + dt.timedelta(days=d * 9000 // n_docs)).isoformat()
        meta = {"topic": [topics[d % len(topics)]]}
        docs.append((f"d{d}", d, f"bench/{d}", f"Synthetic document {d}", date, date, date, "", f"h{d}",
                     json.dumps(meta, sort_keys=True), 1))
    seconds = {}
    with GenerationWriter(root) as writer:
        writer.add_documents(docs, ((f"d{d}", "bench", f"record {d}", f"Synthetic document {d}", docs[d][4], docs[d][9])
                                    for d in range(n_docs)),
                             (("topic", json.loads(docs[d][9])["topic"][0], f"d{d}") for d in range(n_docs)))
        for level, vectors, base, prefix in (("paragraph", para, para_base, "p"), ("sentence", sent, sent_base, "s")):
            doc_of = (np.arange(len(vectors)) * n_docs // len(vectors)).astype(np.int32)
            spec = ann.choose_spec(len(vectors), kind if level == "paragraph" else "auto")
            swept = root.parent / f"sweep-{spec['kind']}-{spec.get('nlist')}.index"
            if level == "paragraph" and spec["kind"] != "flat" and swept.exists() and reuse:
                index = faiss.read_index(str(swept))  # built by ann.build_faiss over these vectors in the sweep
                seconds[f"faiss {level}"] = reuse.get((spec["kind"], spec.get("nlist")), float("nan"))
            else:
                t0 = time.perf_counter()
                index = ann.build_faiss(vectors, spec)
                seconds[f"faiss {level}"] = time.perf_counter() - t0
            passages = ((f"{prefix}{row}", f"d{int(doc_of[row])}", level, row, row, 0, len(texts[base[row]]),
                         texts[base[row]], f"t{base[row]}") for row in range(len(vectors)))
            writer.add_level(level, passages, vectors, doc_of, spec, index=index)
            del index
        t0 = time.perf_counter()
        writer.finish(model={"name": model, "dimension": int(para.shape[1]), "max_tokens": 254, "precision": "fp32"},
                      content_hash=f"bench-{len(para)}",
                      counts={"documents": n_docs, "paragraph": len(para), "sentence": len(sent)}, sources=[], settings={})
        seconds["sqlite finish (FTS, ANALYZE)"] = time.perf_counter() - t0
    writer.publish()
    return {"seconds": seconds, "levels": writer.manifest["levels"], "documents": n_docs,
            "disk_mb": {p.name: p.stat().st_size / 2**20 for p in writer.path.iterdir()}}


def child(spec: str) -> dict:
    """A fresh process: load the model, open the 1M searcher, answer queries; latency and memory."""
    from index.embed.encoder import load_encoder
    from index.search import Filters, Searcher

    args = json.loads(spec)
    encoder = load_encoder(args["model"])
    encoder.encode(["load the model"])
    model_rss = common.rss_mb()
    t0 = time.perf_counter()
    searcher = Searcher(args["root"], encoder=encoder)
    open_s = time.perf_counter() - t0
    open_rss = common.rss_mb()
    queries, warm = args["queries"], args["warm"]
    hits, parts = [], {}
    search = per_item(lambda q: hits.append([h.passage_id for h in searcher.search(q, k=10)]), queries, warm)
    del hits[: len(warm)]
    # where the time goes: the query embedding alone (uncached), then the same searches with it cached
    parts["embed"] = per_item(lambda q: searcher._embed_uncached(searcher._clean(q)), queries).as_dict(1e3)
    parts["index + hydrate"] = per_item(lambda q: searcher.search(q, k=10), queries).as_dict(1e3)
    long_hits = []
    long_search = per_item(lambda q: long_hits.append([h.passage_id for h in searcher.search(q, k=10)]), args["long"])
    vectors = [searcher.embed_query(q).tolist() for q in queries]
    rng = np.random.default_rng(3)
    ids = [f"p{int(r)}" for r in rng.integers(0, args["rows"], len(queries) + 10)]
    similar = per_item(lambda pid: searcher.similar(pid, k=10), ids[10:], ids[:10])
    filters = [Filters.make(meta={"topic": ["economy"]}), Filters.make("2010-01", "2010-06"), Filters.make("2001", "2003")]
    others = args["filtered"]  # queries not asked before: their embedding is part of the time
    filtered = per_item(lambda i: searcher.search(others[i], k=10, filters=filters[i % 3]), list(range(5, len(others))),
                        list(range(5)))
    long_vectors = [searcher.embed_query(q).tolist() for q in args["long"]]
    result = {"model_rss_mb": model_rss, "open_s": open_s, "open_rss_mb": open_rss, "rss_mb": common.rss_mb(),
              "peak_mb": common.peak_rss_mb(), "search": search.as_dict(1e3), "similar": similar.as_dict(1e3),
              "filtered": filtered.as_dict(1e3), "hits": hits, "vectors": vectors, "parts": parts,
              "long_search": long_search.as_dict(1e3), "long_hits": long_hits, "long_vectors": long_vectors}
    common.child_reply(result)
    return result


def same_index(root: Path, spec: dict) -> bool:
    """True when the stored paragraph index was built as spec asks (kind, nlist); then its search-time
    parameters are rewritten into the manifest and the generation is kept."""
    from index.store import layout
    from index.store.writer import rewrite_manifest

    generation = layout.current_generation(root) if root.is_dir() else None
    if generation is None:
        return False
    manifest = json.loads((generation / layout.MANIFEST).read_text())
    stored = manifest["levels"]["paragraph"]["faiss"]
    if (stored.get("kind"), stored.get("nlist")) != (spec.get("kind"), spec.get("nlist")):
        return False
    manifest["levels"]["paragraph"]["faiss"] = spec
    rewrite_manifest(generation, manifest)  # search-time parameters only: the files stay as they are
    return True


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--child", default=None, help=__import__("argparse").SUPPRESS)
    p.add_argument("--reuse-sweep", action="store_true")
    p.add_argument("--reuse-index", action="store_true",
                   help="keep the 1M generation when only search-time parameters (nprobe, rerank) changed")
    p.add_argument("--size", type=int, default=None, help="passages at the paragraph level (default 1,000,000)")
    args = p.parse_args(argv)
    if args.child:
        return child(args.child)
    smoke = args.smoke
    from index.store import ann

    n = args.size or (20_000 if smoke else 1_000_000)
    n_real = 400 if smoke else N_REAL
    n_queries = 30 if smoke else N_QUERIES
    work = common.work_dir("scale-smoke" if smoke else "scale")
    t0 = time.perf_counter()
    real, texts = common.real_vectors("sentences", n_real + n_queries, smoke)
    embed_s = time.perf_counter() - t0
    bases_vec, queries, query_texts = real[:n_real], real[n_real:], texts[n_real:]
    matrix, base = common.perturbed(bases_vec, n, seed=0, return_base=True)
    sent, sent_base = common.perturbed(bases_vec, max(1000, n // 10), seed=1, return_base=True)
    exact = exact_index(matrix)
    truth = ground_truth(exact, queries)

    sweep_file = work / "sweep.json"
    if args.reuse_sweep and sweep_file.exists():
        found = json.loads(sweep_file.read_text())
    else:
        found = sweep(matrix, queries, truth, smoke, work)
        sweep_file.write_text(json.dumps(found, indent=1))

    # the library's automatic choice, as a real index generation
    spec = ann.choose_spec(n, "ivf-sq8" if smoke else "auto")
    model = common.model_for(smoke)
    reuse = {(c["kind"], c["nlist"]): c["build_s"] for c in found["candidates"]}
    gen_file = work / "generation.json"
    if args.reuse_index and gen_file.exists() and same_index(work / "index", spec):
        gen = json.loads(gen_file.read_text())  # search-time parameters (nprobe, rerank) patched into the manifest
    else:
        gen = write_generation(work / "index", matrix, base, sent, sent_base, texts, model, "ivf-sq8" if smoke else "auto",
                               reuse=reuse)
        gen_file.write_text(json.dumps(gen))
    print("generation written", gen, flush=True)
    mixed = common.query_texts(n_queries, seed=41, smoke=smoke)  # the same mix as the KCNA 2024 latency figures
    res = common.run_child("bench.bench_scale", {"root": str(work / "index"), "model": model, "rows": n,
                                                 "queries": mixed, "long": query_texts, "warm": texts[:10],
                                                 "filtered": common.query_texts(n_queries + 5, seed=43, smoke=smoke)})

    def searcher_recall_of(vectors_key, hits_key):
        qv = np.array(res[vectors_key], dtype=np.float32)
        exact_rows = ground_truth(exact, qv)
        got = np.array([[int(pid[1:]) for pid in row] + [-1] * (10 - len(row)) for row in res[hits_key]])
        return recall(got, exact_rows)

    searcher_recall = searcher_recall_of("vectors", "hits")
    long_recall = searcher_recall_of("long_vectors", "long_hits")

    # ---- report
    flat_rows = [[f"{r['n']:,}", f"{r['median']:.2f}", f"{r['p95']:.2f}"] for r in found["flat_by_size"]]
    cand_rows = []
    for c in found["candidates"]:
        cand_rows.append([c["kind"] + (f" + re-rank {c['rerank']}×" if c["rerank"] else ""), c["nlist"], c["nprobe"],
                          f"{c['recall']:.3f}", f"{c['latency']['median']:.2f}", f"{c['latency']['p95']:.2f}",
                          f"{c['build_s']:.0f} s", f"{c['index_mb']:.0f} MiB"])
    hnsw_rows = [[f"{h['n']:,}", h["M"], h["efSearch"], f"{h['recall']:.3f}", f"{h['latency']['median']:.2f}",
                  f"{h['build_s']:.0f} s", f"{h['index_mb']:.0f} MiB"] for h in found.get("hnsw", [])]
    s = res["search"]
    rss = res["rss_mb"]
    figures = {"n": n, "n_real": n_real, "queries": n_queries, "real_embed_s": embed_s, "spec": spec, "sweep": found,
               "generation": gen, "searcher": {k: v for k, v in res.items() if not k.endswith(("hits", "vectors"))},
               "searcher_recall": searcher_recall, "long_query_recall": long_recall, "approx_threshold": ann.APPROX_THRESHOLD}
    ls, pe, pi = res["long_search"], res["parts"]["embed"], res["parts"]["index + hydrate"]
    faiss_build = gen["seconds"].get("faiss paragraph", 0.0)
    body = f"""
Data: {n_real:,} real sentence embeddings ({'hashing encoder' if smoke else 'MiniLM'}, KCNA 2024 then UN speeches) →
{n:,} paragraph vectors and {len(sent):,} sentence vectors by perturbation (noise norm 0.35, up to 25% of a second
real vector, renormalised: a copy's cosine to its origin is ~0.9). Sweep queries: {n_queries} held-out real sentences.
Recall@10 is against exact search over the same vectors. Single-query latency (the app's case), warm, FAISS alone.

**Exact flat search by size** (one query at a time, 60 queries each):

{table(['vectors', 'p50 ms', 'p95 ms'], flat_rows)}

**Approximate indexes at {n:,}** (re-rank: the top 4k codes re-scored exactly from the float32 vectors):

{table(['kind', 'nlist', 'nprobe', 'recall@10', 'p50 ms', 'p95 ms', 'build', 'index size'], cand_rows)}

**HNSW** (M 32, efConstruction 80) on a slice, for comparison. Fast and accurate, but it keeps every float32 vector
in memory plus its graph (at 1M: ~1.5 GiB + ~0.25 GiB, next to a ~0.6 GiB process with the model: at the 2.5 GB limit
for one level), and its build grows faster than linearly (here ≥ 20× the slice's time at 1M):

{table(['vectors', 'M', 'efSearch', 'recall@10', 'p50 ms', 'build', 'index size'], hnsw_rows)}

**Chosen** (`index/ann.py`): exact flat below {ann.APPROX_THRESHOLD:,} vectors, above it `{spec}`.

**The real Searcher over {n:,} paragraphs** (+{len(sent):,} sentences, {gen['documents']:,} documents), fresh process:

| | figure | target |
|---|---|---|
| `search` p50 / p95, query embedding included ({n_queries} varied queries, the KCNA mix) | {s['median']:.1f} / {s['p95']:.1f} ms (IQR {s['p25']:.1f}–{s['p75']:.1f}) | p50 ≤ {TARGET_P50_MS:.0f} ms: {verdict(s['median'] <= TARGET_P50_MS)} |
| … of which embedding the query / index search + hydration (p50) | {pe['median']:.1f} ms / {pi['median']:.1f} ms (p95 {pi['p95']:.1f}) | |
| recall@10 of `search` vs exact, same queries | {searcher_recall:.3f} | ≥ {TARGET_RECALL}: {verdict(searcher_recall >= TARGET_RECALL)} |
| `search` p50 / p95 for {n_queries} long queries (held-out UN sentences) | {ls['median']:.1f} / {ls['p95']:.1f} ms | |
| recall@10 for those | {long_recall:.3f} | ≥ {TARGET_RECALL}: {verdict(long_recall >= TARGET_RECALL)} |
| `similar` p50 / p95 | {res['similar']['median']:.1f} / {res['similar']['p95']:.1f} ms | |
| filtered `search` p50 / p95 (topic, 6 months, 3 years; query embedding included) | {res['filtered']['median']:.1f} / {res['filtered']['p95']:.1f} ms | |
| resident memory after {5 * n_queries + 15} queries | {rss:.0f} MiB (peak {res['peak_mb']:.0f} MiB; model alone {res['model_rss_mb']:.0f} MiB; after opening {res['open_rss_mb']:.0f} MiB) | ≤ {TARGET_RSS_MB:.0f} MiB: {verdict(rss <= TARGET_RSS_MB)} |
| opening the searcher | {res['open_s']:.2f} s | |
| FAISS build, paragraph level | {faiss_build:.0f} s | |

Files of the generation: {', '.join(f'{k} {v:.0f} MiB' for k, v in gen['disk_mb'].items())}.
Writer stages: {', '.join(f'{k} {v:.0f} s' for k, v in gen['seconds'].items())}.
"""
    common.write_results("scale", "4, 6. Scale: the approximate index and 1M passages", body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
