"""Helpers shared by the reliability tests: figures for the report, CLI subprocesses, small corpora.

Every reliability test records what it tried (inputs, kills, queries, errors) with `record()`; the
figures go to test-artifacts/reliability.json and are printed at the end of the pytest run (conftest).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTIFACT = REPO / "test-artifacts" / "reliability.json"


def record(section: str, **figures) -> None:
    """Merge this test's figures into test-artifacts/reliability.json (several test processes may write)."""
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(ARTIFACT.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data[section] = {**figures, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                         "session": os.environ.get("REFRAIN_TEST_SESSION", "")}
        tmp = ARTIFACT.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        tmp.replace(ARTIFACT)
    print(f"\nRELIABILITY {section}: " + ", ".join(f"{k}={v}" for k, v in figures.items() if not isinstance(v, (list, dict))))


def env(**extra) -> dict:
    out = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    out.update({k: str(v) for k, v in extra.items()})
    return out


def cli(*args, timeout: float = 120, **extra_env) -> subprocess.CompletedProcess:
    """`python -m index ARGS` in a fresh process (so a segfault shows as a negative return code)."""
    return subprocess.run([sys.executable, "-m", "index", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env(**extra_env))


def start_cli(*args, **extra_env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "index", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env(**extra_env))


def start_paused_build(*args, pause_at: str, pause_seconds: float = 300) -> subprocess.Popen:
    """`python -m index build ARGS` (args start with "build") that prints "PAUSED <pause_at>" on stderr when it
    reaches that moment and sleeps there (tests/build_runner.py), for a test to kill or to race it."""
    runner = REPO / "tests" / "build_runner.py"
    return subprocess.Popen([sys.executable, str(runner), "--pause-at", pause_at, "--pause-seconds", str(pause_seconds),
                             *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env=env())


def assert_clean_user_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, one line on stderr starting 'error:' (or argparse's usage error), no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    err = result.stderr.strip()
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err[-2000:]
    for needle in needles:
        assert needle.lower() in err.lower(), (needle, err)
    return err


def words_corpus(folder: Path, n_docs: int, paragraphs: int = 4, seed: int = 0, prefix: str = "doc") -> Path:
    """A small deterministic corpus of dated .txt speeches with distinct, searchable paragraphs."""
    import random

    rng = random.Random(seed)
    vocab = ("harvest people union steel grain river bridge school railway congress victory peace friendship "
             "factory workers youth science hospital festival border treaty water forest coal tractor metro "
             "children teachers army navy market bread apple rye potato electric power station plenum anniversary").split()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_docs):
        body = []
        for p in range(paragraphs):
            sentences = []
            for s in range(rng.randint(1, 3)):
                words = [rng.choice(vocab) for _ in range(rng.randint(5, 12))]
                sentences.append(" ".join(words).capitalize() + f" {prefix}{i}p{p}s{s}.")
            body.append(" ".join(sentences))
        month, day = 1 + i % 12, 1 + i % 28
        title = f"Address number {i} on {rng.choice(vocab)}"
        (folder / f"2020-{month:02d}-{day:02d}_{prefix}-{i:03d}.txt").write_text(title + "\n\n" + "\n\n".join(body) + "\n",
                                                                                 encoding="utf-8")
    return folder


def hits_key(hits) -> list[tuple]:
    """What a result list is, for comparing: ids, scores and texts in order."""
    return [(h.passage_id, h.score, h.text) for h in hits]
