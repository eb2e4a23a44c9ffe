"""Issue 12, item 7: adding one new UN session to the whole-UN index re-embeds only its speeches.

    python -m bench.bench_growth                 # the whole UN corpus: ~40 min on 2 cores
    python -m bench.bench_growth --share 30      # 30% of it (as bench_memory slices it): ~12 min
    python -m bench.bench_growth --smoke         # 15 speeches of 2023, then 5 of 2024: seconds

Three builds with `python -m index build` (384-d hashing stand-in encoder, 2 workers), timed in the same run:
  full     every speech but the last session's (2024), into a fresh folder with a fresh embedding cache;
  grown    the same folder once the last session's speeches are in it, into the same index: it grows;
  rebuilt  the same corpus again with --full: what a build did before an index could grow (every row rewritten,
           the FAISS indexes retrained; segmentations and vectors from the cache).
The grown and the rebuilt generation must have the same content hash (documents, dates, metadata, passages).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import common
from bench.building import build_command, measured, minutes
from bench.common import table, verdict

MODEL = common.STAND_IN_384
LAST = "_2024.txt"  # the last session of the archive (the 79th)


def corpus(files: list[Path], folder: Path) -> Path:
    """A folder of links to the files (the archive as it stood)."""
    for path in files:
        if not (folder / path.name).exists():
            (folder / path.name).symlink_to(path)
    return folder


def run(folder: Path, out: Path, smoke: bool, *extra: str) -> tuple[float, dict]:
    done = measured(build_command([str(folder)], out, common.SMOKE_MODEL if smoke else MODEL,
                                  *common.UN_ARCHIVE_OPTIONS, *extra), timeout=7200)
    return done.wall_s, done.json()


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--speeches", type=Path, help="the unpacked speeches (default: unpacked into the temp folder)")
    p.add_argument("--share", type=float, default=100,
                   help="a share of the corpus, in %%, as bench_memory slices it (default: all of it)")
    args = p.parse_args(argv)
    if args.smoke:
        files = sorted(common.UN_DIR.glob("*_2023.txt"))[:15] + sorted(common.UN_DIR.glob("*_2024.txt"))[:5]
    else:
        files = common.archive_share(common.un_archive(args.speeches), args.share)
    old = [f for f in files if not f.name.endswith(LAST)]
    new = [f for f in files if f.name.endswith(LAST)]
    work = common.work_dir("growth")
    shutil.rmtree(work)
    folder, out = work / "speeches", work / "index"
    folder.mkdir(parents=True)
    corpus(old, folder)
    print(f"full build of {len(old):,} speeches …", flush=True)
    full_s, full = run(folder, out, args.smoke)
    corpus(new, folder)
    print(f"growing by {len(new):,} …", flush=True)
    grown_s, grown = run(folder, out, args.smoke)
    print("rebuilding all with --full …", flush=True)
    rebuilt_s, rebuilt = run(folder, out, args.smoke, "--full")
    if not grown["grown_from"]:
        raise SystemExit(f"the second build did not grow the index: {grown['growth']}")
    same = grown["content_hash"] == rebuilt["content_hash"]
    only_new = grown["embedded"] == rebuilt["distinct_texts"] - full["distinct_texts"]  # the cache held the old ones
    rows = []
    for name, seconds, report in (("full (fresh cache)", full_s, full), ("grown", grown_s, grown),
                                  ("rebuilt with --full (warm cache)", rebuilt_s, rebuilt)):
        stages = ", ".join(f"{k} {v:.0f}" for k, v in report["seconds"].items() if k in ("read", "segment", "embed", "write"))
        rows.append([name, f"{report['documents']:,}", f"{report['distinct_texts']:,}", f"{report['embedded']:,}",
                     minutes(seconds), f"{seconds / full_s:.3f}", stages])
    figures = {"full_s": full_s, "grown_s": grown_s, "rebuilt_s": rebuilt_s, "grown_vs_full": grown_s / full_s,
               "grown_vs_rebuilt": grown_s / rebuilt_s, "embedded": grown["embedded"], "only_new": only_new, "same_content": same,
               "new_speeches": len(new), "old_speeches": len(old)}
    body = f"""
{'Smoke run: 15 UN speeches of 2023, then 5 of 2024.' if args.smoke else f'{"The whole UN General Debate corpus" if args.share >= 100 else f"{args.share:g}% of the UN General Debate corpus (a fixed shuffle, every year in it)"}: {len(old):,} speeches of 1946-2023, then the {len(new):,} of the 2024 session.'}
Three builds in this run with the 384-d hashing stand-in encoder and 2 workers: the archive without its last session
(fresh index, fresh cache), the same folder once the new session is in it (the index grows), and the same corpus
rebuilt with `--full` (warm cache: every row rewritten and the FAISS indexes retrained, as before indexes could grow).
"texts segmented" counts the distinct texts of the documents each build segmented (from the cache where it could), "embedded" those it had to embed.

{table(["build", "documents", "texts segmented", "embedded", "time", "vs full", "stages (s)"], rows)}

| target | figure | verdict |
|---|---|---|
| only the new speeches are embedded | {grown['embedded']:,} texts embedded: exactly the corpus's texts that the archive without them lacked ({rebuilt['distinct_texts']:,} − {full['distinct_texts']:,}); {grown['growth']} | {verdict(only_new)} |
| nothing else rewritten or retrained | the index grew ({grown['grown_from']} extended: rows appended, FAISS indexes kept and added to) | {verdict(bool(grown['grown_from']))} |
| the same index as a full rebuild | content hash {'equal' if same else 'DIFFERENT'} | {verdict(same)} |
| time against the full build | {grown_s:.1f} s vs {full_s:.0f} s: {grown_s / full_s:.3f}× (against the cached `--full` rebuild: {grown_s / rebuilt_s:.3f}×) | reported |
"""
    common.write_results("growth", "Whole archive: adding a session", body, figures, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
