"""`streamlit run explorer/app.py -- --index DIR` on a free localhost port, and the Chromium that drives it:
shared by the browser test (tests/test_explorer_browser.py) and the explorer benchmarks (bench_app, bench_explorer)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "explorer" / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# True in the page once Streamlit has finished a rerun for query q and drawn its result cards
RESULTS_DRAWN = ("q => { const s = document.querySelector('[data-testid=stStatusWidget]');"
                 " const cards = document.querySelectorAll('[class*=st-key-card-search-]');"
                 " return !s && cards.length > 0 && new URL(location).searchParams.get('q') === q; }")

# True in the page once Streamlit has finished a rerun: no running-man widget, skeleton or spinner left
IDLE = ("!document.querySelector('[data-testid=stStatusWidget]') && !document.querySelector('[data-testid=stSkeleton]')"
        " && !document.querySelector('[data-testid=stSpinner]')")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(index: Path | str, log_path: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The server process and its base URL; its output goes to log_path (or nowhere)."""
    port = free_port()
    # PYTHONPATH: the server imports this checkout's explorer and index, whatever is installed editable elsewhere
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    env.pop("REFRAIN_INDEX", None)  # the index comes from --index only
    log = open(log_path, "w") if log_path is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "index", "explore", "--headless", "--port", str(port), "--index", str(index)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        if log_path is not None:
            log.close()  # the child holds its own copy
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen, base: str, timeout: float = 120, poll: float = 0.05) -> None:
    """Return once the server answers its health check; RuntimeError if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError("streamlit exited")
        time.sleep(poll)
    raise RuntimeError("streamlit did not become healthy")


def rss_mb(process: subprocess.Popen) -> float:
    """The server's resident memory (MiB); `python -m index explore` replaces itself with Streamlit (same pid)."""
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {process.pid}")


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) the server has used so far: what it costs, however loaded the machine is."""
    with open(f"/proc/{process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time (all cores, all processes: user, nice, system, interrupts) the machine has spent busy since boot."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
