"""Whole archive: where the embedding runs. The local engine against Ray Data on this machine's own Ray cluster
(one 2-core actor, and two 1-core actors), the head's cost of committing vectors to the cache (the ceiling
of any number of workers), and, where torch sees CUDA, the GPU against the CPU (rate and cosine).

    python -m bench.bench_engines            # ~10 minutes on 2 cores; needs requirements-ray.txt for the Ray rows
    python -m bench.bench_engines --smoke    # the hashing stand-in, a few hundred texts

Every engine embeds the same distinct KCNA 2024 texts (half paragraphs, half sentences, drawn uniformly) through
`embed_distinct`, the build's own path, into a fresh cache each time, so the rates include the head's commits.
Ray's rate is split into start-up (actors started, model loaded, first block back) and the steady rate after the
first block: at the whole archive's 2.4M texts only the steady rate matters. The local engine runs first and
last, so the machine's load drift shows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import common
from bench.common import table

ARCHIVE_TEXTS = 2_400_000  # distinct texts of the whole UN General Debate archive (issue #12)
TITLE = "Whole archive: Ray and GPU embedding"


def texts_for(smoke: bool, n: int) -> list[str]:
    """n distinct texts: half paragraphs, half sentences, drawn uniformly with a fixed seed."""
    if smoke:
        docs = [p.read_text(encoding="utf-8") for p in sorted(common.SAMPLE_CORPUS.glob("*.txt"))]
    else:
        docs = [r.get("story_text") or "" for r in common.kcna_records()]
    paragraphs = sorted({" ".join(p.split()) for d in docs for p in d.split("\n\n") if len(p.split()) > 5})
    sentences = sorted(set(common.split_sentences(docs)) - set(paragraphs))
    rng = np.random.default_rng(0)
    half = n // 2
    picked = [paragraphs[i] for i in rng.choice(len(paragraphs), min(half, len(paragraphs)), replace=False)]
    picked += [sentences[i] for i in rng.choice(len(sentences), min(n - len(picked), len(sentences)), replace=False)]
    return picked


def run_engine(encoder, engine, texts: list[str], chunk: int) -> dict:
    """Embed texts through the build's path into a fresh cache; timings from the progress it reports."""
    from index.embed.cache import EmbeddingCache
    from index.embed.embedding import embed_distinct
    from index.textnorm import text_hash

    marks: list[tuple[float, int]] = []
    listen = lambda p: marks.append((time.perf_counter(), p.done)) if p.stage == "embedding" else None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        started = time.perf_counter()
        found, stats = embed_distinct(encoder, {text_hash(t): t for t in texts}, cache, on_progress=listen,
                                      chunk=chunk, engine=engine)
        total = time.perf_counter() - started
        cache.close()
    (t_first, first), (t_last, last) = marks[1], marks[-1]
    steady = (last - first) / (t_last - t_first) if t_last > t_first else float("nan")
    vectors = np.stack([found[text_hash(t)] for t in texts])
    return {"seconds": total, "rate": len(texts) / total, "startup_s": t_first - started, "steady_rate": steady,
            "vectors": vectors}


def commit_rate(n: int, dim: int = 384, chunk: int = 512) -> dict:
    """Vectors per second that the head commits to the embedding cache, in the build's chunks."""
    from index.embed.cache import EmbeddingCache

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        started = time.perf_counter()
        for start in range(0, n, chunk):
            block = rng.standard_normal((min(chunk, n - start), dim)).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            cache.put_vectors("bench|fp32", [f"{i:032x}" for i in range(start, start + len(block))], block)
        seconds = time.perf_counter() - started
        cache.close()
    return {"vectors": n, "seconds": seconds, "rate": n / seconds}


def ray_runs(encoder, texts: list[str], chunk: int, cores: int) -> dict:
    """One actor with every core, then one actor per core, on a local Ray cluster of this machine's cores."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        return {"skipped": "Ray is not installed (pip install -r requirements-ray.txt)"}
    from index.embed.engines import ActorPlan, Cluster, RayEngine

    started = time.perf_counter()
    ray.init(num_cpus=cores, logging_level="ERROR", log_to_driver=False)
    init_s = time.perf_counter() - started
    cluster = Cluster(ray, None, owned=False)
    runs = {}
    try:
        for actors in (1, cores):
            plan = ActorPlan("cpu", actors, cores // actors, 0)
            runs[f"{actors}×{cores // actors}"] = run_engine(encoder, RayEngine(cluster, plan, encoder, 32), texts, chunk)
    finally:
        ray.shutdown()
    return {"init_s": init_s, "runs": runs, "version": ray.__version__}


def gpu_run(texts: list[str], chunk: int, smoke: bool) -> dict:
    import torch

    if smoke or not torch.cuda.is_available():
        return {"skipped": "no CUDA device here" if not smoke else "smoke run"}
    from index.embed.encoder import DEFAULT_MODEL, load_encoder
    from index.embed.engines import LocalEngine

    encoder = load_encoder(DEFAULT_MODEL, "cuda")
    encoder.encode(texts[:256])  # warm-up: CUDA context, kernels
    run = run_engine(encoder, LocalEngine(encoder), texts, chunk)
    return {**run, "device": torch.cuda.get_device_name(0), "precision": encoder.precision, "batch": encoder.batch_size}


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--texts", type=int, default=1536, help="distinct texts each engine embeds (default 1536)")
    args = p.parse_args(argv)
    smoke = args.smoke
    n = 256 if smoke else args.texts
    chunk = 64 if smoke else 256
    cores = common.machine()["cores"] or 1
    from index.embed.encoder import load_encoder
    from index.embed.engines import LocalEngine

    texts = texts_for(smoke, n)
    encoder = load_encoder(common.model_for(smoke), "cpu")
    encoder.encode(texts[:32])  # load the weights outside the timings
    local = LocalEngine(encoder, 32)
    first = run_engine(encoder, local, texts, chunk)
    ray = ray_runs(encoder, texts, chunk, cores)
    last = run_engine(encoder, local, texts, chunk)
    commit = commit_rate(2_048 if smoke else 51_200)
    gpu = gpu_run(texts, chunk, smoke)

    reference = first["vectors"]
    cosine = lambda v: float(np.min(np.sum(v * reference, axis=1)))  # noqa: E731
    local_rate = float(np.mean([first["rate"], last["rate"]]))
    rows = [["local, first", f"{first['seconds']:.1f} s", f"{first['rate']:.1f}", "-", f"{first['steady_rate']:.1f}", "-"]]
    figures: dict = {"texts": len(texts), "chunk": chunk, "commit": commit, "local": {"first": first["rate"], "last": last["rate"]}}
    per_worker = None
    if "runs" in ray:
        figures["ray"] = {"init_s": ray["init_s"], "version": ray["version"]}
        for name, run in ray["runs"].items():
            actors = int(name.split("×")[0])
            rows.append([f"Ray, {name.replace('×', ' actor(s) × ')} core(s)", f"{run['seconds']:.1f} s", f"{run['rate']:.1f}",
                         f"{run['startup_s']:.1f} s", f"{run['steady_rate']:.1f}", f"{cosine(run['vectors']):.6f}"])
            figures["ray"][name] = {k: v for k, v in run.items() if k != "vectors"} | {"min_cosine": cosine(run["vectors"]),
                                                                                      "actors": actors}
        best = figures["ray"][f"1×{cores}"]
        per_worker = best["steady_rate"]  # one worker = one actor of `cores` cores, as CPUS_PER_ACTOR gives on 2 cores
    else:
        figures["ray"] = ray
    rows.append(["local, last", f"{last['seconds']:.1f} s", f"{last['rate']:.1f}", "-", f"{last['steady_rate']:.1f}",
                 f"{cosine(last['vectors']):.6f}"])

    if "seconds" in gpu:
        figures["gpu"] = {k: v for k, v in gpu.items() if k != "vectors"} | {"min_cosine": cosine(gpu["vectors"])}
        gpu_text = (f"GPU ({gpu['device']}, {gpu['precision']}, batch {gpu['batch']}): {gpu['rate']:.0f} texts/s, "
                    f"{gpu['rate'] / local_rate:.1f}× the CPU here; lowest cosine to the CPU's fp32 vectors "
                    f"{figures['gpu']['min_cosine']:.5f} (target ≥ 0.999).")
    else:
        figures["gpu"] = gpu
        gpu_text = ("GPU: **unmeasured** (" + gpu["skipped"] + "). On a machine with CUDA, `python -m bench.bench_engines` "
                    "adds this row: the local engine on cuda in fp16 at batch 256, its rate and its lowest cosine to the "
                    "CPU's vectors (`tests/test_device.py` checks ≥ 0.999 there).")

    model_rows = []
    if per_worker:
        ceiling = commit["rate"]
        for workers in (1, 4, 16, 64):
            rate = min(workers * per_worker, ceiling)
            model_rows.append([workers, f"{workers * cores}", f"{rate:,.0f}", f"{ARCHIVE_TEXTS / rate / 3600:,.1f} h"])
        figures["model"] = {"per_worker": per_worker, "ceiling": ceiling}
    body = f"""
{len(texts):,} distinct {'sample' if smoke else 'KCNA 2024'} texts (half paragraphs, half sentences), model
`{encoder.name}` ({encoder.precision}), batch 32, blocks of {chunk} texts committed to a fresh cache as they
come back. Rates in texts/s; start-up is the time to the first committed block (actors started, model loaded).
{f"Ray {ray['version']}, local cluster of {cores} CPUs started in {ray['init_s']:.1f} s." if 'runs' in ray else 'Ray rows: ' + ray['skipped'] + '.'}

{table(['engine', 'wall', 'texts/s', 'start-up', 'steady texts/s', 'lowest cosine to local'], rows)}

Head: committing vectors to the embedding cache ({commit['vectors']:,} 384-d vectors in blocks of 512) runs at
{commit['rate']:,.0f} vectors/s — the most any number of workers can deliver through one head.

{gpu_text}
"""
    if model_rows:
        body += f"""
Throughput model for the whole archive ({ARCHIVE_TEXTS:,} distinct texts): a worker is one {cores}-core actor at the
steady rate measured here ({per_worker:.1f} texts/s), workers add up until the head's commit rate caps them. The
head's own stages (reading, segmentation, writing) come before and after and are not in these hours (docs/scale.md).

{table(['workers', 'cores', 'texts/s', 'embedding the archive'], model_rows)}
"""
    common.write_results("engines", TITLE, body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
