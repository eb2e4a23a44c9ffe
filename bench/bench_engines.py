"""Whole archive: where the embedding runs. The local engine against Ray Data on this machine's own Ray cluster
(one 2-core actor, and two 1-core actors), the head's cost of committing vectors to the cache (the ceiling
of any number of workers), and, where torch sees CUDA, the GPU against the CPU (rate and cosine).

    python -m bench.bench_engines            # ~10 minutes on 2 cores; needs requirements-ray.txt for the Ray rows
    python -m bench.bench_engines --smoke    # the hashing stand-in, a few hundred texts

Every engine embeds the same distinct KCNA 2024 texts (half paragraphs, half sentences, drawn uniformly) through
`embed_distinct`, the build's own path, into a fresh cache each time, so the rates include the head's commits.
Besides wall time, each engine's CPU time is measured (this process for the local engine; for Ray, every actor
process, read from /proc while it runs, less one model load per actor): on a shared machine the wall clock
follows the other processes' load, CPU time far less. A worker's rate on cores of its own is its texts per
CPU-second times its cores. The local engine runs first and last, so the machine's load drift shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench import common
from bench.common import table

ARCHIVE_TEXTS = 2_400_000  # distinct texts of the whole UN General Debate archive (issue #12)
TITLE = "Whole archive: Ray"


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


class ActorCPU:
    """CPU seconds of Ray's map actors (process title `ray::MapWorker...`) started while it watches, sampled from
    /proc while they live (actors of an earlier run that linger are left out)."""

    TICK = 1 / os.sysconf("SC_CLK_TCK")

    def __init__(self):
        self.ticks: dict[int, int] = {}
        self._earlier: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._sample()
        self._earlier, self.ticks = set(self.ticks), {}
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while True:
            self._sample()
            if self._stop.wait(0.2):
                return

    def _sample(self):
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if b"MapWorker" not in (proc / "cmdline").read_bytes():
                    continue
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(proc.name)
            if pid in self._earlier:
                continue
            self.ticks[pid] = max(self.ticks.get(pid, 0), int(fields[11]) + int(fields[12]))  # utime + stime

    @property
    def seconds(self) -> float:
        return sum(self.ticks.values()) * self.TICK


def run_engine(encoder, engine, texts: list[str], chunk: int, load_cpu_s: float = 0.0) -> dict:
    """Embed texts through the build's path into a fresh cache: wall time, time to the first block, CPU time."""
    from index.embed.cache import EmbeddingCache
    from index.embed.embedding import embed_distinct
    from index.textnorm import text_hash

    marks: list[float] = []
    listen = lambda p: marks.append(time.perf_counter()) if p.stage == "embedding" and p.done else None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp, ActorCPU() as actors:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        started, cpu_started = time.perf_counter(), time.process_time()
        found, stats = embed_distinct(encoder, {text_hash(t): t for t in texts}, cache, on_progress=listen,
                                      chunk=chunk, engine=engine)
        total, head_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        cache.close()
    remote = bool(actors.ticks)
    cpu = actors.seconds - load_cpu_s * len(actors.ticks) if remote else head_cpu
    vectors = np.stack([found[text_hash(t)] for t in texts])
    return {"seconds": total, "rate": len(texts) / total, "startup_s": marks[0] - started, "cpu_s": cpu,
            "per_cpu_s": len(texts) / cpu, "head_cpu_s": head_cpu, "actors_seen": len(actors.ticks),
            "actor_cpu_s": actors.seconds, "vectors": vectors}


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


def ray_runs(encoder, texts: list[str], chunk: int, cores: int, load_cpu_s: float) -> dict:
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
            runs[f"{actors}×{cores // actors}"] = run_engine(encoder, RayEngine(cluster, plan, encoder, 32), texts, chunk,
                                                             load_cpu_s)
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
    p.add_argument("--texts", type=int, default=1024, help="distinct texts each engine embeds (default 1024)")
    args = p.parse_args(argv)
    smoke = args.smoke
    n = 256 if smoke else args.texts
    chunk = 64 if smoke else 128
    cores = os.cpu_count() or 1  # not common.machine(): it imports torch, whose import the load below must count
    from index.embed.encoder import load_encoder
    from index.embed.engines import CPUS_PER_ACTOR, LocalEngine

    texts = texts_for(smoke, n)
    encoder = load_encoder(common.model_for(smoke), "cpu")
    cpu_started = time.process_time()
    encoder.encode(texts[:1])  # import torch and sentence-transformers, load the weights: what every actor does first
    load_cpu_s = time.process_time() - cpu_started
    local = LocalEngine(encoder, 32)
    first = run_engine(encoder, local, texts, chunk)
    ray = ray_runs(encoder, texts, chunk, cores, load_cpu_s)
    last = run_engine(encoder, local, texts, chunk)
    commit = commit_rate(2_048 if smoke else 51_200)
    gpu = gpu_run(texts, chunk, smoke)

    reference = first["vectors"]
    cosine = lambda v: float(np.min(np.sum(v * reference, axis=1)))  # noqa: E731
    plain = lambda run: {k: v for k, v in run.items() if k != "vectors"}  # noqa: E731

    def row(name, run, compare=True):
        return [name, f"{run['seconds']:.0f} s", f"{run['rate']:.1f}", f"{run['startup_s']:.0f} s", f"{run['cpu_s']:.0f}",
                f"{run['per_cpu_s']:.1f}", run["actors_seen"] or "-", f"{cosine(run['vectors']):.6f}" if compare else "-"]

    rows = [row("local, first", first, compare=False)]
    figures: dict = {"texts": len(texts), "chunk": chunk, "commit": commit, "load_cpu_s": load_cpu_s,
                     "local": {"first": plain(first), "last": plain(last)}}
    per_worker = None
    if "runs" in ray:
        figures["ray"] = {"init_s": ray["init_s"], "version": ray["version"]}
        for name, run in ray["runs"].items():
            actors, threads = name.split("×")
            rows.append(row(f"Ray, {actors} actor{'s' if actors != '1' else ''} × {threads} thread{'s' if threads != '1' else ''}", run))
            figures["ray"][name] = plain(run) | {"min_cosine": cosine(run["vectors"])}
        worker = figures["ray"].get(f"{max(1, cores // CPUS_PER_ACTOR)}×{min(CPUS_PER_ACTOR, cores)}")
        per_worker = worker["per_cpu_s"] * CPUS_PER_ACTOR if worker else None
        figures["ray"]["overhead_vs_local"] = (float(np.mean([first["per_cpu_s"], last["per_cpu_s"]])) /
                                               figures["ray"][f"1×{cores}"]["per_cpu_s"] - 1)
    else:
        figures["ray"] = ray
    rows.append(row("local, last", last))

    local_rate = float(np.mean([first["per_cpu_s"], last["per_cpu_s"]])) * cores
    if "seconds" in gpu:
        figures["gpu"] = plain(gpu) | {"min_cosine": cosine(gpu["vectors"])}
        gpu_text = (f"GPU ({gpu['device']}, {gpu['precision']}, batch {gpu['batch']}): {gpu['rate']:.0f} texts/s, "
                    f"{gpu['rate'] / local_rate:.1f}× this machine's {cores} cores at their CPU-time rate; lowest cosine to "
                    f"the CPU's fp32 vectors {figures['gpu']['min_cosine']:.5f} (target ≥ 0.999).")
    else:
        figures["gpu"] = gpu
        gpu_text = ("GPU: **unmeasured** (" + gpu["skipped"] + "). On a machine with CUDA, `python -m bench.bench_engines` "
                    "adds this row: the local engine on cuda in fp16 at batch 256, its rate and its lowest cosine to the "
                    "CPU's vectors (`tests/test_device.py` checks ≥ 0.999 there).")

    model_rows = []
    if per_worker:
        ceiling = commit["rate"]
        for workers in (1, 4, 16, 64, 256):
            rate = min(workers * per_worker, ceiling)
            model_rows.append([workers, workers * CPUS_PER_ACTOR, f"{rate:,.0f}", f"{ARCHIVE_TEXTS / rate / 3600:,.1f} h"])
        figures["model"] = {"per_worker": per_worker, "ceiling": ceiling}
    ray_line = (f"Ray {ray['version']}, local cluster of {cores} CPUs (started in {ray['init_s']:.0f} s); Ray's CPU is its "
                f"actors' less one model load each ({load_cpu_s:.1f} CPU-s, measured here)." if "runs" in ray
                else "Ray rows: " + ray["skipped"] + ".")
    body = f"""
{len(texts):,} distinct {'sample' if smoke else 'KCNA 2024'} texts (half paragraphs, half sentences), model
`{encoder.name}` ({encoder.precision}), batch 32, blocks of {chunk} texts committed to a fresh cache as they come back.
Start-up: time to the first committed block. CPU: the engine's CPU seconds. {ray_line}

{table(['engine', 'wall', 'texts/s (wall)', 'start-up', 'CPU-s', 'texts per CPU-s', 'actors', 'lowest cosine to local'], rows)}

Head: committing vectors to the embedding cache ({commit['vectors']:,} 384-d vectors in blocks of 512) runs at
{commit['rate']:,.0f} vectors/s: the most any number of workers can deliver through one head.

{gpu_text}
"""
    if model_rows:
        body += f"""
Throughput model for the whole archive ({ARCHIVE_TEXTS:,} distinct texts): a worker is one {CPUS_PER_ACTOR}-core actor
(`CPUS_PER_ACTOR`) on cores of its own, embedding at its texts per CPU-second × {CPUS_PER_ACTOR} = {per_worker:.0f} texts/s;
workers add up until the head's commit rate caps them. Reading, segmentation and writing on the head are not in
these hours (docs/scale.md).

{table(['workers', 'cores', 'texts/s', 'embedding the archive'], model_rows)}
"""
    common.write_results("engines", TITLE, body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
