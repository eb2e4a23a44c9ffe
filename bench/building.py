"""Running `python -m index build` (and other CLI commands) in a child process the way the benchmarks time them:
the command line, wall time, the child's own peak resident memory (from wait4) and its process tree's sampled peak."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import common


def build_command(sources: list, out: Path, model: str, *extra: str, cache: Path | None = None,
                  workers: int | None = 2) -> list[str]:
    """`index build` as the benchmarks run it: no progress bars, the report as JSON on stdout."""
    return [sys.executable, "-m", "index", "build", *map(str, sources), "--out", str(out), "--model", model,
            *(["--cache", str(cache)] if cache is not None else []),
            *(["--workers", str(workers)] if workers is not None else []), "--quiet", "--json", *extra]


@dataclass
class Measured:
    """One finished child: what it printed, how long it took and how much memory it held at most."""
    stdout: str
    wall_s: float
    peak_mb: float        # the child's own peak resident memory (ru_maxrss)
    peak_tree_mb: float   # the child and its descendants together, sampled every 0.2 s
    cpu_s: float          # user + system time of the child (its reaped descendants included)

    def json(self) -> dict:
        return json.loads(self.stdout)


def measured(cmd: list[str], timeout: float | None = None) -> Measured:
    """Run cmd in the repository with this checkout on PYTHONPATH; RuntimeError with its error output if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=common.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(common.REPO), "HF_HUB_OFFLINE": "1"})
    peak_tree = 0.0
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not finished.wait(0.2):
            peak_tree = max(peak_tree, tree_rss_mb(proc.pid))
            if timeout is not None and time.perf_counter() - started > timeout:
                proc.kill()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = _communicate(proc)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    finished.set()
    sampler.join()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:4])} failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    return Measured(stdout, wall, usage.ru_maxrss / 1024, max(peak_tree, usage.ru_maxrss / 1024),
                    usage.ru_utime + usage.ru_stime)


def measured_build(cmd: list[str], out: Path, timeout: float | None = None) -> Measured:
    """A build from scratch into `out` (removed first)."""
    shutil.rmtree(out, ignore_errors=True)
    return measured(cmd, timeout)


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants now, MiB."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0.0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next((float(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0.0)
        except OSError:
            continue
    return total / 1024


def _communicate(proc: subprocess.Popen) -> tuple[str, str]:
    """Read the child's output to its end without reaping it, so wait4 can still give its resource usage."""
    out, err = [], []
    readers = [threading.Thread(target=lambda s=stream, b=buf: b.append(s.read()), daemon=True)
               for stream, buf in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return "".join(out), "".join(err)


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:02.0f}"
