"""Every benchmark in bench/ still runs: each with --smoke (tiny sizes, the hashing encoder or a handful of
texts for the real model), writing to a temporary RESULTS.md — never bench/RESULTS.md — and its figures JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"

# benchmark -> figures its smoke run must produce (bench_query reads the index bench_build makes, so order matters)
EXPECTED = {
    "build": ["speedup", "speedup_cpu", "embed_overhead", "overhead_ab", "ours", "naive", "raw"],
    "query": ["latency_ms", "memory", "first_query_s"],
    "scale": ["sweep", "searcher", "searcher_recall", "spec"],
    "mining": ["speedup", "share_found", "peak_mb"],
    "peer": ["ours_build_s", "txtai_build_s", "ours_query_ms", "txtai_query_ms"],  # without txtai: "skipped"
    "app": ["cold_s", "warm_s"],
    "concurrency": ["round_trip_s", "rss_growth", "errors", "actions"],
    "onnx": ["speed", "overlap"],
    "cache": ["stand_in", "real", "fp16"],
    "resume": ["clean_s", "segmenting", "embedding", "sizes"],
    "segmentation": ["speeches", "wrapped", "totals", "decades", "hyphens_joined", "unwrapped_changed"],
    "retrieval": ["verbatim", "paraphrase", "ndcg", "latency"],
    "hybrid_scale": ["ms", "recall", "backend"],
    "engines": ["texts", "local", "ray", "commit", "gpu"],  # without Ray, "ray" holds why it was skipped
    "memory": ["slices", "peak_mb", "growth"],
    "growth": ["full_s", "grown_s", "rebuilt_s", "only_new", "same_content"],
    "archive": ["configurations"],
}


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    return {**os.environ, "REFRAIN_BENCH_RESULTS": str(root / "RESULTS.md"), "REFRAIN_BENCH_WORK": str(root / "work"),
            "PYTHONPATH": str(REPO)}, root


@pytest.mark.parametrize("name", list(EXPECTED))
def test_benchmark_smoke_run(name, bench_env):
    env, root = bench_env
    if name in ("app", "concurrency", "archive") and not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"):
        pytest.skip("no /usr/bin/chromium here (scripts/install.sh --test installs it)")
    before = _digest(RESULTS)
    proc = subprocess.run([sys.executable, "-m", f"bench.bench_{name}", "--smoke"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert _digest(RESULTS) == before, "a smoke run must never touch bench/RESULTS.md"
    figures = json.loads((root / "figures" / f"{name}.json").read_text(encoding="utf-8"))
    assert figures["smoke"] is True and figures["machine"]["cores"]
    if not figures.get("skipped"):
        missing = [key for key in EXPECTED[name] if key not in figures]
        assert not missing, f"bench_{name} did not produce {missing}"
    if name == "build":  # the same command times the rebuilds (item 2) into a section of their own
        rebuild = json.loads((root / "figures" / "rebuild.json").read_text(encoding="utf-8"))
        assert rebuild["unchanged"]["median"] > 0 and len(rebuild["added"]) == 2
    if name == "archive":  # every step of the one configuration a smoke run measures
        steps = figures["configurations"]["archive-smoke"]
        assert all(steps[step] for step in ("build", "search", "recurring", "explorer")), steps
        assert not steps["explorer"]["errors"] and steps["recurring"]["sentence"]["formulations"] > 0
    section = (root / "RESULTS.md").read_text(encoding="utf-8")
    assert f"<!-- bench:{name} -->" in section and f"<!-- /bench:{name} -->" in section
