"""What every benchmark shares: timing (warm-up apart, medians and spread), the machine's description,
the corpora and their read options, real embeddings cached in the work folder, and RESULTS.md sections.

Each benchmark owns one section of bench/RESULTS.md, between `<!-- bench:NAME -->` markers, and replaces
only that section, so benchmarks run separately. Its raw figures go to WORK/figures/NAME.json.

One module, a little over 400 lines, on purpose: every benchmark imports the same few measuring and reporting
helpers, and splitting them would scatter what a reader of one benchmark needs to check how it measures.

Environment:
    REFRAIN_BENCH_RESULTS  the RESULTS.md to update (default bench/RESULTS.md; the smoke test points it elsewhere)
    REFRAIN_BENCH_WORK     the work folder for caches and indexes (default bench/work, gitignored)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared" / "corpora"
KCNA_JSON = SHARED / "kcna-2024" / "headlines_2024-11-11.json"
UN_DIR = SHARED / "un-general-debate-2020-2024"
from explorer.logic.sample import SAMPLE_CORPUS  # noqa: E402
KCNA_FIELDS = dict(text_field="story_text", title_field="headline", date_field="date_str", meta_fields=("topic",))
SMOKE_MODEL = "builtin:hashing-64"
STAND_IN_384 = "builtin:hashing-384"  # the whole-archive benchmarks' stand-in: the real model's dimension, no model cost


def model_for(smoke: bool) -> str:
    """The hashing stand-in for smoke runs (seconds, no weights), else the default bundled model."""
    from index.embed.encoder import DEFAULT_MODEL

    return SMOKE_MODEL if smoke else DEFAULT_MODEL


def results_path() -> Path:
    return Path(os.environ.get("REFRAIN_BENCH_RESULTS") or REPO / "bench" / "RESULTS.md")


def work_dir(*parts: str) -> Path:
    path = Path(os.environ.get("REFRAIN_BENCH_WORK") or REPO / "bench" / "work").joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def kcna_database() -> Path | None:
    """The database of the KCNA index bench_build published last (its live generation: older generations
    there may hold the extra documents of its rebuild runs); None before bench_build has run."""
    from index.store import layout

    root = work_dir("build") / "index"
    generation = layout.current_generation(root)
    return generation / layout.DATABASE if generation is not None else None


def kcna_options():
    from index.ingest.records import ReadOptions

    return ReadOptions(**KCNA_FIELDS)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="tiny sizes and the hashing encoder: proves the benchmark runs")
    p.add_argument("--repeat", type=int, default=None, help="timed repetitions (default depends on the benchmark)")
    return p


# ------------------------------------------------------------------------------------------ timing


@dataclass
class Stats:
    """Timings of repeated warm runs, in seconds."""

    samples: list[float]
    warmup: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def pct(self, p: float) -> float:
        return float(np.percentile(self.samples, p))

    @property
    def iqr(self) -> tuple[float, float]:
        return self.pct(25), self.pct(75)

    def as_dict(self, scale: float = 1.0) -> dict:
        s = [x * scale for x in self.samples]
        return {
            "n": len(s), "median": statistics.median(s), "p25": float(np.percentile(s, 25)), "p75": float(np.percentile(s, 75)),
            "p95": float(np.percentile(s, 95)), "min": min(s), "max": max(s),
            "warmup": None if self.warmup is None else self.warmup * scale,
        }

    def sec(self) -> str:
        a, b = self.iqr
        if len(self.samples) == 1:
            return f"{self.median:.2f} s"
        return f"{self.median:.2f} s (IQR {a:.2f}–{b:.2f}, n={len(self.samples)})"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def per_item(fn: Callable[[object], object], items: list, warmup_items: list | None = None) -> Stats:
    """Latency of fn over each item (one timed call per item), after a warm-up over warmup_items."""
    first = None
    for i, item in enumerate(warmup_items or []):
        seconds, _ = timed(lambda: fn(item))
        if i == 0:
            first = seconds
    return Stats([timed(lambda it=item: fn(it))[0] for item in items], first)


def per_item_cpu(fn: Callable[[object], object], items: list, warmup_items: list | None = None) -> tuple[Stats, Stats]:
    """Like per_item, and the process CPU time of each call beside its wall time: on a shared machine whose load
    exceeds its cores, wall time mostly measures the waiting; CPU time is what the call itself costs."""
    for item in warmup_items or []:
        fn(item)
    wall, cpu = [], []
    for item in items:
        w, c = time.perf_counter(), time.process_time()
        fn(item)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return Stats(wall), Stats(cpu)


# ------------------------------------------------------------------------------------------ memory


def rss_mb() -> float:
    """Resident memory of this process now, MiB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM), MiB."""
    return _status_kb("VmHWM") / 1024


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so a phase's own peak can be read. False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _status_kb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(module: str, args: dict, timeout: float = 3600) -> dict:
    """Run `python -m module --child JSON` in a fresh process and return the JSON dict it prints last.

    Peak memory and cold starts are only measurable in a process of their own.
    """
    cmd = [sys.executable, "-m", module, "--child", json.dumps(args)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    if proc.returncode != 0:
        raise RuntimeError(f"{module} child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{module} child printed no result:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def child_reply(result: dict) -> None:
    print(json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------ machine


def machine() -> dict:
    """CPU, cores, memory and library versions: printed with every figure."""
    cpu = platform.processor() or "unknown"
    flags = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name") and cpu in ("unknown", "", platform.machine()):
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = line
    except OSError:
        pass
    simd = [f for f in ("avx2", "avx512f", "avx512_vnni", "amx_bf16") if re.search(rf"\b{f}\b", flags)]
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for name in ("numpy", "torch", "faiss", "sentence_transformers", "transformers"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "?")
        except ImportError:
            versions[name] = "-"
    return {
        "cpu": cpu, "simd": simd, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}", **versions,
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def machine_line(m: dict | None = None) -> str:
    m = m or machine()
    libs = ", ".join(f"{k} {m[k]}" for k in ("numpy", "torch", "faiss", "sentence_transformers", "transformers"))
    load = m.get("load")
    return (f"{m['cpu']} ({', '.join(m['simd']) or 'no AVX2'}), {m['cores']} cores, {m['memory_gib']} GiB; "
            f"Python {m['python']}; {libs}" + (f"; load average at the end {load}" if load else ""))


# ------------------------------------------------------------------------------------------ results

_HEADER = """# Refrain benchmark results

Written by the benchmarks in `bench/` (see bench/README.md): each one replaces only its own section.
Every ratio compares figures measured in the same run on the same machine; timings are medians of
warm runs with their interquartile range (IQR), warm-up reported apart.
"""


def write_results(name: str, title: str, body: str, figures: dict, smoke: bool = False, command: str | None = None) -> Path:
    """Replace this benchmark's section of RESULTS.md and write its figures as JSON."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    mode = " (smoke run: tiny sizes, not real figures)" if smoke else ""
    command = command or f"python -m bench.bench_{name}"
    section = (f"<!-- bench:{name} -->\n## {title}\n\n_Run {stamp}{mode} · `{command}` · "
               f"{machine_line()}_\n\n{body.strip()}\n<!-- /bench:{name} -->")
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    figures = {"name": name, "date": stamp, "smoke": smoke, "machine": machine(), **figures}
    out = figures_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, default=float), encoding="utf-8")
    print(f"wrote {path} (section {name}) and {out}")
    return out


def figures_path(name: str) -> Path:
    """Where a benchmark's raw figures go (beside a RESULTS.md given by REFRAIN_BENCH_RESULTS, else WORK/figures)."""
    folder = results_path().parent / "figures" if os.environ.get("REFRAIN_BENCH_RESULTS") else work_dir("figures")
    return folder / f"{name}.json"


def verdict(ok: bool, detail: str = "") -> str:
    return ("**met**" if ok else "**missed**") + (f" ({detail})" if detail else "")


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ corpora


def kcna_records() -> list[dict]:
    return json.loads(KCNA_JSON.read_text(encoding="utf-8"))


def un_files() -> list[Path]:
    return sorted(UN_DIR.glob("*.txt"))


UN_ARCHIVE = SHARED / "un-general-debate-1946-2024" / "speeches.tar.xz"
UN_ARCHIVE_OPTIONS = ["--title-from", "filename", "--date-pattern", r"_(?P<year>\d{4})\.txt$",
                      "--meta-pattern", r"^(?P<country>[A-Z]{3})_(?P<session>\d+)_"]  # `build` options for its files


def un_archive(folder: Path | None = None) -> list[Path]:
    """The whole UN corpus's speeches, unpacked on first use into a folder outside the repository (default: the
    temporary folder)."""
    folder = folder or Path(tempfile.gettempdir()) / "refrain-bench" / "un-all"
    if not any(folder.glob("*.txt")):
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(UN_ARCHIVE) as archive:
            archive.extractall(folder, filter="data")
    files = sorted(folder.rglob("*.txt"))
    if not files:
        raise SystemExit(f"no speeches in {folder}")
    return files


def archive_share(files: list[Path], share: float) -> list[Path]:
    """The first `share`% of a fixed shuffle of the files: nested slices (10% within 30%) that span every year."""
    order = files[:]
    random.Random(12).shuffle(order)
    return sorted(order[: max(1, round(len(order) * share / 100))])


def split_sentences(texts, encoder=None, limit: int | None = None) -> list[str]:
    """Sentence passages of plain texts, cut by the project's segmenter (paragraphs, pysbd, model token limit)."""
    from index.embed.encoder import HashingEncoder
    from index.ingest.segment import Segmenter, passages_of
    from index.textnorm import text_hash

    encoder = encoder or HashingEncoder(64, 128)
    segmenter = Segmenter(encoder.token_spans, encoder.max_tokens)
    seen, out = set(), []
    for text in texts:
        text = text.replace("\r\n", "\n")
        for passage in passages_of(text, segmenter.segment(text))["sentence"]:
            sentence = passage.text  # as read: a hard-wrapped speech's line breaks are spaces
            h = text_hash(sentence)
            if h not in seen:
                seen.add(h)
                out.append(sentence)
                if limit and len(out) >= limit:
                    return out
    return out


def real_vectors(kind: str, n: int, smoke: bool = False) -> tuple[np.ndarray, list[str]]:
    """Real embeddings of n distinct sentences (KCNA first, then UN speeches), cached in the work folder.

    kind names the cache file; the texts are kept beside the vectors (in the gitignored work folder only).
    """
    model = model_for(smoke)
    folder = work_dir("vectors")
    stem = folder / f"{kind}-{'smoke' if smoke else 'minilm'}-{n}"
    if stem.with_suffix(".npy").exists():
        return np.load(stem.with_suffix(".npy")), json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    from index.embed.cache import EmbeddingCache
    from index.embed.embedding import embed_distinct
    from index.embed.encoder import load_encoder
    from index.progress import ProgressBars
    from index.textnorm import text_hash

    encoder = load_encoder(model)
    if smoke:
        kcna = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))]
        texts = split_sentences(kcna, encoder, limit=n)
    else:
        # KCNA's sentences as bench_build indexed them: their vectors are in its cache already
        db = kcna_database()
        if db is not None:
            import sqlite3

            with sqlite3.connect(db) as conn:
                texts = [t for (t,) in conn.execute("SELECT text FROM passages WHERE level = 'sentence' GROUP BY text_hash "
                                                     "ORDER BY min(rowid)")][:n]
        else:
            texts = split_sentences([r.get("story_text") or "" for r in kcna_records()], encoder, limit=n)
    if len(texts) < n and not smoke:
        known = set(texts)
        texts += [t for t in split_sentences((p.read_text(encoding="utf-8", errors="replace") for p in un_files()), encoder,
                                             limit=n + len(texts)) if t not in known][: n - len(texts)]
    # the KCNA build's cache (bench_build) saves embedding those sentences again
    cache = EmbeddingCache(folder / "embeddings.sqlite")
    try:
        found, stats = embed_distinct(encoder, {text_hash(t): t for t in texts}, cache,
                                      on_progress=None if smoke else ProgressBars())
    finally:
        cache.close()
    vectors = np.stack([found[text_hash(t)] for t in texts]).astype(np.float32)
    if len(texts) < n:
        raise RuntimeError(f"only {len(texts)} distinct sentences for {n} real vectors")
    np.save(stem.with_suffix(".npy"), vectors)
    stem.with_suffix(".json").write_text(json.dumps(texts), encoding="utf-8")
    return vectors, texts


def perturbed(real: np.ndarray, n: int, seed: int = 0, noise: float = 0.35, mix: float = 0.25,
              return_base: bool = False):
    """n vectors built from real embeddings: a real vector, plus a little of another, plus gaussian noise,
    renormalised. `noise` is the expected norm of the noise (before renormalising), `mix` the largest weight
    of the second vector. Copies of one real vector stay close (cosine ~0.9), so the neighbourhood structure
    of real text survives; uniform random vectors would have none (no ANN index works on those).
    """
    rng = np.random.default_rng(seed)
    dim = real.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    bases = np.empty(n, dtype=np.int64)
    step = 65_536
    for start in range(0, n, step):
        m = min(step, n - start)
        bases[start:start + m] = rng.integers(0, len(real), m)
        base = real[bases[start:start + m]]
        other = real[rng.integers(0, len(real), m)]
        w = rng.uniform(0, mix, (m, 1)).astype(np.float32)
        v = base + w * other + rng.standard_normal((m, dim), dtype=np.float32) * (noise / np.sqrt(dim))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[start:start + m] = v
    return (out, bases) if return_base else out


# ------------------------------------------------------------------------------------------ queries


def query_texts(n: int, seed: int = 0, smoke: bool = False) -> list[str]:
    """n distinct, varied search queries made from the corpora at run time (none are stored in the repo):
    headlines of news stories, sentences of UN speeches (another corpus), and short 2-4 word phrases."""
    rng = np.random.default_rng(seed)
    if smoke:
        words = re.findall(r"[A-Za-z]{4,}", " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))))
        out = []
        while len(out) < n:
            k = int(rng.integers(1, 5))
            q = " ".join(words[int(i)] for i in rng.integers(0, len(words), k))
            if q not in out:
                out.append(q)
        return out
    headlines = sorted({r.get("headline", "").strip() for r in kcna_records() if r.get("headline")})
    un_sentences = []
    for path in un_files()[::7]:
        for s in re.split(r"(?<=[.!?])\s+", path.read_text(encoding="utf-8", errors="replace")):
            s = " ".join(s.split())
            if 40 <= len(s) <= 200:
                un_sentences.append(s)
    words = re.findall(r"[a-z]{4,}", " ".join(un_sentences[:3000]).lower())
    pools = [headlines, un_sentences]
    out, seen = [], set()
    while len(out) < n:
        kind = len(out) % 3
        if kind < 2:
            pool = pools[kind]
            q = pool[int(rng.integers(0, len(pool)))]
        else:
            start = int(rng.integers(0, len(words) - 4))
            q = " ".join(words[start:start + int(rng.integers(2, 5))])
        if q.lower() not in seen:
            seen.add(q.lower())
            out.append(q)
    return out
