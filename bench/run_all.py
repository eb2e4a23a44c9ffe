"""Run every benchmark, one after the other (never in parallel: they share 2 cores), each updating its own
section of bench/RESULTS.md.

    python -m bench.run_all                 # the real figures: about 1-1.5 hours on 2 quiet cores
    python -m bench.run_all --smoke         # tiny sizes, to a temporary RESULTS.md unless REFRAIN_BENCH_RESULTS is set
    python -m bench.run_all --only scale mining
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# build first: query, app and onnx read the KCNA index it leaves in bench/work; scale embeds the real
# sentences that mining then reuses
ORDER = ["build", "query", "peer", "scale", "mining", "app", "concurrency", "onnx", "retrieval", "hybrid_scale",
         "engines", "memory", "growth", "archive"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--only", nargs="*", choices=ORDER)
    args, extra = p.parse_known_args(argv)
    env = dict(os.environ)
    if args.smoke and "REFRAIN_BENCH_RESULTS" not in env:
        tmp = Path(tempfile.mkdtemp(prefix="refrain-bench-smoke-"))
        env.update(REFRAIN_BENCH_RESULTS=str(tmp / "RESULTS.md"), REFRAIN_BENCH_WORK=str(tmp / "work"))
        print(f"smoke run: results in {tmp}")
    failed = []
    for name in args.only or ORDER:
        started = time.perf_counter()
        cmd = [sys.executable, "-m", f"bench.bench_{name}"] + (["--smoke"] if args.smoke else []) + extra
        print(f"== bench_{name}: {' '.join(cmd[1:])}", flush=True)
        rc = subprocess.call(cmd, cwd=REPO, env=env)
        print(f"== bench_{name}: exit {rc} after {time.perf_counter() - started:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
