"""Retrieval: does search return every verbatim use, keep the paraphrases, rank well, and answer fast?

    python -m bench.bench_retrieval                                    # builds its indexes in bench/work/retrieval
    python -m bench.bench_retrieval --kcna DIR --un DIR --sample DIR   # or reuses these (built with the default model)
    python -m bench.bench_retrieval --smoke                            # the sample corpus, hashing encoder

Labelled queries live in bench/retrieval/ (see its README):
- verbatim.json: formulations from KCNA 2024 and UN General Debate speeches with the number of paragraphs that
  contain each verbatim (case and punctuation aside, as FTS5 reads them). Verbatim recall: the share of those
  paragraphs in the top k, k = their number (at least 10), no minimum score.
- the sample corpus's planted formulations (explorer/sample/ground_truth.json): paraphrase recall (query: the
  canonical sentence; the passages holding another wording are the paraphrases; k = all wordings' passages,
  at least 10) and nDCG@10 (ndcg.json: graded 2 for a passage that contains the query verbatim, 1 for one that
  holds a wording of the query's formulation, 0 otherwise).

Compared: semantic only, lexical only (bm25), the fusions of index.retrieval.fusion with and without the
verbatim tier, and txtai's hybrid search (Embeddings(hybrid=True): its BM25 scoring plus dense, over the same
passages and vectors). Latency: KCNA 2024 `search` p50 of every mode with the ONNX query encoder and with torch.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from bench import common
from bench.common import per_item, table, verdict

HERE = Path(__file__).resolve().parent / "retrieval"
TARGET_VERBATIM = 0.98
TARGET_P50_MS = 12.0
TITLE = "9. Retrieval: verbatim recall, paraphrases, nDCG@10, hybrid latency"
LATENCY_QUERIES = 200


def variants():
    from index.retrieval.fusion import Fusion

    return {
        "semantic": {"mode": "semantic"},
        "lexical": {"mode": "lexical"},
        "hybrid: rrf, verbatim first (default)": {"mode": "hybrid", "fusion": Fusion("rrf", True)},
        "hybrid: rrf": {"mode": "hybrid", "fusion": Fusion("rrf", False)},
        "hybrid: linear 0.3, verbatim first": {"mode": "hybrid", "fusion": Fusion("linear", True, weight=0.3)},
        "hybrid: linear 0.3": {"mode": "hybrid", "fusion": Fusion("linear", False, weight=0.3)},
        "hybrid: linear 0.5": {"mode": "hybrid", "fusion": Fusion("linear", False, weight=0.5)},
    }


def ranked_ids(searcher, query: str, k: int, level: str, options: dict) -> list[str]:
    return [h.passage_id for h in searcher.search_result(query, k=k, level=level, **options).hits]


class Txtai:
    """txtai's hybrid search over one level's passages of an index, with that index's own vectors."""

    def __init__(self, searcher, level: str):
        from txtai import Embeddings

        rows = searcher.level_passages(level, with_text=True)
        vectors = np.asarray(searcher.vectors(level))
        by_text = {text: vectors[row] for row, _, _, text in rows}
        encoder = searcher.encoder

        def transform(texts):
            missing = [t for t in texts if t not in by_text]
            fresh = dict(zip(missing, encoder.encode(missing))) if missing else {}
            return np.stack([by_text.get(t, fresh.get(t)) for t in texts]).astype(np.float32)

        self.embeddings = Embeddings({"method": "external", "transform": transform, "backend": "faiss", "content": True,
                                      "hybrid": True})
        self.embeddings.index([(pid, text, None) for _, pid, _, text in rows])

    def search(self, query: str, k: int) -> list[str]:
        return [r["id"] for r in self.embeddings.search(query, k)]


# ------------------------------------------------------------------------------------------ verbatim recall


def verbatim_recall(searchers: dict, peers: dict, smoke: bool) -> dict:
    from index.search import MAX_K

    if smoke:
        queries = [{"corpus": "sample", "query": q, "passages": None} for q in ("great river", "Kestria first", "iron shield")]
    else:
        queries = json.loads((HERE / "verbatim.json").read_text(encoding="utf-8"))["queries"]
    out = {"queries": [], "mean": {}}
    names = [*variants(), *(["txtai hybrid"] if peers else [])]
    for item in queries:
        searcher = searchers[item["corpus"]]
        truth = {h.passage_id for h in searcher.phrase(item["query"], k=MAX_K)}
        if item.get("passages") is not None and len(truth) != item["passages"]:
            raise RuntimeError(f"{item['query']!r}: {len(truth)} verbatim paragraphs in this index, the labels say "
                               f"{item['passages']}: the index is not the one the labels were made on")
        k = max(len(truth), 10)
        row = {"corpus": item["corpus"], "query": item["query"], "verbatim": len(truth), "k": k, "recall": {}}
        for name, options in variants().items():
            found = set(ranked_ids(searcher, item["query"], k, "paragraph", options))
            row["recall"][name] = len(found & truth) / len(truth) if truth else 1.0
        if peers:
            found = set(peers[item["corpus"]].search(item["query"], k))
            row["recall"]["txtai hybrid"] = len(found & truth) / len(truth) if truth else 1.0
        out["queries"].append(row)
    for name in names:
        out["mean"][name] = float(np.mean([q["recall"][name] for q in out["queries"]]))
    return out


# ------------------------------------------------------------------------------------------ sample corpus labels


def _sample_labels(searcher, level: str):
    """The planted formulations (canonical, wordings) and the passages of the level holding each wording."""
    from explorer.logic.sample import GROUND_TRUTH
    from index.retrieval.lexical import contains_phrase

    truth = json.loads(Path(GROUND_TRUTH).read_text(encoding="utf-8"))
    passages = [(pid, text) for _, pid, _, text in searcher.level_passages(level, with_text=True)]
    formulations = {}
    for f in truth["formulations"]:
        wordings = [v["text"] for v in f["variants"]]
        holders = {pid for pid, text in passages if any(contains_phrase(text, w) for w in wordings)}
        formulations[f["id"]] = {"canonical": f["canonical"], "wordings": wordings, "holders": holders}
    return formulations, passages


def paraphrase_recall(searcher, peer, smoke: bool) -> dict:
    from index.retrieval.lexical import contains_phrase

    formulations, passages = _sample_labels(searcher, "sentence")
    text_of = dict(passages)
    names = [*variants(), *(["txtai hybrid"] if peer else [])]
    rows = []
    for fid, f in formulations.items():
        verbatim = {p for p in f["holders"] if contains_phrase(text_of[p], f["canonical"])}
        paraphrases = f["holders"] - verbatim
        if not paraphrases:
            continue
        k = max(len(f["holders"]), 10)
        row = {"formulation": fid, "k": k, "verbatim": len(verbatim), "paraphrases": len(paraphrases), "recall": {}}
        for name, options in variants().items():
            found = set(ranked_ids(searcher, f["canonical"], k, "sentence", options))
            row["recall"][name] = len(found & paraphrases) / len(paraphrases)
        if peer:
            row["recall"]["txtai hybrid"] = len(set(peer.search(f["canonical"], k)) & paraphrases) / len(paraphrases)
        rows.append(row)
    return {"formulations": rows, "mean": {n: float(np.mean([r["recall"][n] for r in rows])) for n in names}}


def ndcg_at_10(searchers: dict, peers: dict, smoke: bool) -> dict:
    """nDCG@10 of every ranking over the graded queries of ndcg.json (sample: sentence level, planted wordings;
    KCNA and UN: paragraph level, hand-written patterns)."""
    import re

    from index.retrieval.lexical import contains_phrase

    formulations, sentences = _sample_labels(searchers["sample"], "sentence")
    paragraphs = {name: [(pid, text) for _, pid, _, text in searchers[name].level_passages("paragraph", with_text=True)]
                  for name in searchers if name != "sample"}
    queries = json.loads((HERE / "ndcg.json").read_text(encoding="utf-8"))["queries"]
    if smoke:
        queries = [q for q in queries if q["corpus"] == "sample"]
    names = [*variants(), *(["txtai hybrid"] if peers else [])]
    rows = []
    for item in queries:
        if item["corpus"] == "sample":
            level, passages, peer = "sentence", sentences, peers.get("sample-sentence")
            holders = formulations[item["formulation"]]["holders"]
            restates = lambda pid, text: pid in holders  # noqa: E731
        else:
            level, passages, peer = "paragraph", paragraphs[item["corpus"]], peers.get(item["corpus"])
            patterns = [re.compile(p, re.I) for p in item["paraphrases"]]
            restates = lambda pid, text: any(p.search(text) for p in patterns)  # noqa: E731
        grade = {pid: 2 if contains_phrase(text, item["query"]) else 1 if restates(pid, text) else 0 for pid, text in passages}
        best = _dcg(sorted(grade.values(), reverse=True)[:10])
        row = {"corpus": item["corpus"], "query": item["query"], "verbatim": sum(g == 2 for g in grade.values()),
               "paraphrases": sum(g == 1 for g in grade.values()), "ndcg": {}}
        for name, options in variants().items():
            got = ranked_ids(searchers[item["corpus"]], item["query"], 10, level, options)
            row["ndcg"][name] = _dcg([grade[p] for p in got]) / best
        if peer:
            row["ndcg"]["txtai hybrid"] = _dcg([grade.get(p, 0) for p in peer.search(item["query"], 10)]) / best
        rows.append(row)
    mean = {n: float(np.mean([r["ndcg"][n] for r in rows])) for n in names}
    by_corpus = {c: {n: float(np.mean([r["ndcg"][n] for r in rows if r["corpus"] == c])) for n in names}
                 for c in dict.fromkeys(r["corpus"] for r in rows)}
    return {"queries": rows, "mean": mean, "by_corpus": by_corpus}


def _dcg(grades: list[int]) -> float:
    return float(sum((2 ** g - 1) / np.log2(i + 2) for i, g in enumerate(grades)))


# ------------------------------------------------------------------------------------------ latency


def latency(root: Path, smoke: bool) -> dict:
    """KCNA `search` p50 per mode, query embedding included, with the ONNX query encoder and with torch; each timed
    query is new to its searcher (the query-embedding cache is cleared before each block). Wall and CPU time."""
    from index.embed.encoder import load_encoder
    from index.embed.onnx import load_query_encoder
    from index.search import Searcher

    model = common.model_for(smoke)
    onnx_encoder, backend = load_query_encoder(model)
    torch_encoder = load_encoder(model)
    queries = common.query_texts(LATENCY_QUERIES + 20, seed=5, smoke=smoke)
    warm, timed_q = queries[:20], queries[20:]
    out = {"backend": backend.as_dict(), "ms": {}, "cpu_ms": {}}

    def measure(name, fn, items):
        wall, cpu = common.per_item_cpu(fn, items, warm)
        out["ms"][name], out["cpu_ms"][name] = wall.as_dict(1e3), cpu.as_dict(1e3)

    for engine, encoder in (("onnx", onnx_encoder), ("torch", torch_encoder)):
        searcher = Searcher(root, encoder=encoder)
        searcher.search("warm up", k=10)
        for mode in ("hybrid", "semantic", "lexical"):
            time.sleep(1.0)  # let the other engine's threads settle
            searcher._embed_cached.cache_clear()
            measure(f"{mode} ({engine})", lambda q, m=mode: searcher.search(q, k=10, mode=m), timed_q)
        searcher._embed_cached.cache_clear()
        measure(f"embed query ({engine})", lambda q: searcher._embed_uncached(searcher._clean(q)), timed_q)
        measure(f"hybrid, one per document ({engine})", lambda q: searcher.search(q, k=10, per_document=True), timed_q[:50])
    return out


def un_sources() -> list[str]:
    """The UN speeches the labels were made on: every other speech of 2024 (sorted by file name, the first kept)."""
    return [str(p) for p in sorted(common.UN_DIR.glob("*_2024.txt"))[::2]]


def default_index(name: str) -> Path:
    """An index built here with the default model (one shared embedding cache) when none is given."""
    from index.build import BuildSettings, build_index
    from index.ingest.records import ReadOptions
    from index.store import layout

    work = common.work_dir("retrieval")
    root = work / name
    if root.is_dir() and layout.current_generation(root) is not None:
        return root
    if name == "kcna":
        sources, options = [str(common.KCNA_JSON)], common.kcna_options()
    elif name == "un":
        sources = un_sources()
        options = ReadOptions(title_from="filename", date_pattern=r"_(?P<year>\d{4})\.txt$",
                              meta_pattern=r"^(?P<country>[A-Z]{3})_(?P<session>\d+)_")
    else:
        sources, options = [str(common.SAMPLE_CORPUS)], ReadOptions()
    from index.progress import ProgressBars

    bars = ProgressBars()
    try:
        build_index(sources, root, options, BuildSettings(cache_path=str(work / "cache.sqlite")), on_progress=bars)
    finally:
        bars.close()
    return root


# ------------------------------------------------------------------------------------------ report


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--kcna", type=Path, help="KCNA 2024 index (real model)")
    p.add_argument("--un", type=Path, help="UN General Debate index (real model)")
    p.add_argument("--sample", type=Path, help="the sample corpus's index (real model)")
    p.add_argument("--no-peer", action="store_true", help="skip txtai")
    p.add_argument("--latency-only", action="store_true",
                   help="measure the latency again and keep the quality figures of the last run (work/figures)")
    args = p.parse_args(argv)
    smoke = args.smoke
    from index.search import Searcher

    if smoke:
        from index.build import BuildSettings, build_index

        root = common.work_dir("retrieval-smoke") / "sample"
        build_index([str(common.SAMPLE_CORPUS)], root, settings=BuildSettings(model=common.SMOKE_MODEL,
                                                                             cache_path=str(root.parent / "cache.sqlite")))
        sample = kcna = un = root
    else:
        sample, kcna, un = args.sample, args.kcna, args.un
    if args.latency_only:
        kcna = kcna or default_index("kcna")
        previous = json.loads(common.figures_path("retrieval").read_text(encoding="utf-8"))
        figures = {k: previous[k] for k in ("verbatim", "paraphrase", "ndcg", "quality_s")}
        figures["quality_run"] = previous.get("quality_run", previous["date"])
        figures["latency"] = latency(kcna, smoke)
        common.write_results("retrieval", TITLE, report(figures, smoke), figures, smoke)
        return figures
    sample, kcna, un = sample or default_index("sample"), kcna or default_index("kcna"), un or default_index("un")
    searchers = {"sample": Searcher(sample), "kcna": Searcher(kcna), "un": Searcher(un)}
    peers = {}
    if not args.no_peer:
        try:
            import txtai  # noqa: F401
            peers = {name: Txtai(s, "paragraph") for name, s in searchers.items() if name != "sample" or smoke}
            peers["sample-sentence"] = Txtai(searchers["sample"], "sentence")
        except ImportError:
            peers = {}
    started = time.perf_counter()
    verbatim = verbatim_recall(searchers, peers, smoke)
    paraphrase = paraphrase_recall(searchers["sample"], peers.get("sample-sentence"), smoke)
    ndcg = ndcg_at_10(searchers, peers, smoke)
    quality_s = time.perf_counter() - started
    speed = latency(kcna, smoke)
    figures = {"verbatim": verbatim, "paraphrase": paraphrase, "ndcg": ndcg, "latency": speed, "quality_s": quality_s}
    body = report(figures, smoke)
    common.write_results("retrieval", TITLE, body, figures, smoke)
    return figures


def report(f: dict, smoke: bool) -> str:
    names = list(f["verbatim"]["mean"])
    default = "hybrid: rrf, verbatim first (default)"
    corpora = list(f["ndcg"]["by_corpus"])
    rows = [[n, f"{f['verbatim']['mean'][n]:.3f}", f"{f['paraphrase']['mean'].get(n, float('nan')):.3f}",
             f"{f['ndcg']['mean'].get(n, float('nan')):.3f}",
             *[f"{f['ndcg']['by_corpus'][c].get(n, float('nan')):.3f}" for c in corpora]] for n in names]
    per_query = [[q["corpus"], q["query"], q["verbatim"], q["k"], f"{q['recall']['semantic']:.2f}", f"{q['recall'][default]:.2f}",
                  f"{q['recall']['lexical']:.2f}", f"{q['recall'].get('txtai hybrid', float('nan')):.2f}"]
                 for q in f["verbatim"]["queries"]]
    n_kcna = sum(q["corpus"] == "kcna" for q in f["verbatim"]["queries"])
    n_un = sum(q["corpus"] == "un" for q in f["verbatim"]["queries"])
    lat, cpu = f["latency"]["ms"], f["latency"]["cpu_ms"]
    lat_rows = [[name, f"{d['median']:.2f}", f"{d['p95']:.2f}", f"{d['p25']:.2f}–{d['p75']:.2f}", f"{cpu[name]['median']:.2f}",
                 d["n"]] for name, d in lat.items()]
    hybrid_onnx, hybrid_cpu = lat["hybrid (onnx)"]["median"], cpu["hybrid (onnx)"]["median"]
    v = f["verbatim"]["mean"][default]
    para_ok = f["paraphrase"]["mean"][default] >= f["paraphrase"]["mean"]["semantic"]
    return f"""
{f"Quality figures from the run of {f['quality_run']}; latency measured in this run." if f.get("quality_run") else ""}
Labelled queries in `bench/retrieval/` ({len(f['verbatim']['queries'])} verbatim formulations: {n_kcna} KCNA 2024, {n_un} UN General
Debate; {len(f['paraphrase']['formulations'])} planted formulations of the sample corpus for paraphrase recall;
{len(f['ndcg']['queries'])} graded queries for nDCG@10: the sample's planted wordings, and hand-written paraphrase patterns
for KCNA and UN formulations). Every variant runs on the same indexes and vectors; txtai
{_version('txtai')} indexes the same passages with the same vectors (`Embeddings(hybrid=True)`, its BM25 + dense).

{table(['ranking', 'verbatim recall (mean)', 'paraphrase recall (mean)', 'nDCG@10 (mean)',
        *[f'nDCG@10 {c} ({sum(q["corpus"] == c for q in f["ndcg"]["queries"])})' for c in corpora]], rows)}

- Verbatim recall of the default (hybrid, rrf, verbatim first) {v:.3f} vs semantic only {f['verbatim']['mean']['semantic']:.3f}
  — target ≥ {TARGET_VERBATIM}: {verdict(v >= TARGET_VERBATIM)}.
- Paraphrase recall {f['paraphrase']['mean'][default]:.3f} vs semantic only {f['paraphrase']['mean']['semantic']:.3f}
  — not below semantic: {verdict(para_ok)}.

Verbatim recall per formulation (paragraph level; k = verbatim paragraphs, at least 10):

{table(['corpus', 'formulation', 'verbatim', 'k', 'semantic', 'hybrid', 'lexical', 'txtai hybrid'], per_query)}

**Latency**, KCNA 2024 (`search`, k = 10, paragraph level, query embedding included; {LATENCY_QUERIES} distinct queries, 20
warm-up; the ONNX query encoder: {f['latency']['backend']['backend']}, {f['latency']['backend']['reason']}):

{table(['operation', 'p50 ms (wall)', 'p95 ms', 'IQR ms', 'p50 ms (CPU)', 'queries'], lat_rows)}

- Hybrid `search` p50 {hybrid_onnx:.1f} ms wall, {hybrid_cpu:.1f} ms of CPU, with ONNX query embedding — target ≤
  {TARGET_P50_MS:.0f} ms: by wall time {verdict(hybrid_onnx <= TARGET_P50_MS)}; by CPU time {verdict(hybrid_cpu <= TARGET_P50_MS)}.
  The previous default (semantic, torch) in the same run: {lat['semantic (torch)']['median']:.1f} ms wall,
  {cpu['semantic (torch)']['median']:.1f} ms CPU (torch runs on two threads: its CPU time adds both).
"""


def _version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "-"


if __name__ == "__main__":
    main(sys.argv[1:])
