"""Runs `python -m index build ARGS` in this process and stops it at one moment, so a test can SIGKILL it there.

    python tests/build_runner.py --pause-at MOMENT [--pause-seconds S] build SOURCE... --out DIR [options]

The build is the command line's own (same parser, same settings, same exit codes); this script only
listens to the build's progress callback (index/progress.py) and, when the chosen moment comes, prints
"PAUSED <moment>" on stderr and sleeps (300 s by default, or --pause-seconds) before carrying on.
A moment is any milestone stage of the build, or "embed-chunk": the first chunk of new vectors committed
to the embedding cache (the first "embedding" event with done > 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's index, wherever it is run from

from index.cli.build import run_build  # noqa: E402
from index.cli.main import build_parser  # noqa: E402
from index.errors import RefrainError  # noqa: E402
from index.progress import COUNTED, STAGES, BuildProgress  # noqa: E402

MARKER = "PAUSED"
# Every moment a crash test kills a build at, in the order a build passes them.
MOMENTS = tuple(m for stage in STAGES if stage not in COUNTED
                for m in (("embed-chunk", stage) if stage == "embedded" else (stage,)))


def reached(moment: str, progress: BuildProgress, seen: set[str]) -> bool:
    """True the first time the build's event is the moment."""
    if moment == "embed-chunk":
        hit = progress.stage == "embedding" and progress.done > 0
    else:
        hit = progress.stage == moment
    if hit and moment not in seen:
        seen.add(moment)
        return True
    return False


def main(argv: list[str]) -> int:
    own = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    own.add_argument("--pause-at", required=True, choices=MOMENTS)
    own.add_argument("--pause-seconds", type=float, default=300.0)
    ours, rest = own.parse_known_args(argv)
    args = build_parser().parse_args(rest)
    if args.command != "build":
        own.error("the command must be build")
    seen: set[str] = set()

    def pause(progress: BuildProgress) -> None:
        if reached(ours.pause_at, progress, seen):
            print(f"{MARKER} {ours.pause_at}", file=sys.stderr, flush=True)
            time.sleep(ours.pause_seconds)

    try:
        run_build(args, pause)
    except RefrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
