"""Issue 12, item 1: a build's peak memory stays flat as the corpus grows.

    python -m bench.bench_memory                     # 10%, 30% and 100% of the whole UN corpus: ~20-25 min
    python -m bench.bench_memory --shares 10 30      # a part of it
    python -m bench.bench_memory --smoke             # the sample corpus, seconds

Each slice is built from scratch (a fresh index folder and embedding cache) by `python -m index build` in a
process of its own, with the 384-d hashing stand-in encoder (the real model's dimension; its embedding time is
not the question here) and two workers. The build process's peak resident memory is the kernel's (ru_maxrss,
from wait4); the whole process tree (the build and its segmenting workers) is sampled every 0.2 s. Slices are
nested: a fixed shuffle of the 10,952 speeches, its first 10%, 30% and 100%, so every slice spans all years.
The speeches are unpacked once from ../shared/corpora/un-general-debate-1946-2024/speeches.tar.xz into a
folder outside the repository (--speeches).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench import common
from bench.building import build_command, measured_build, minutes
from bench.common import table, verdict

MODEL = common.STAND_IN_384
TARGET_MB = 3 * 1024  # the 3 GB, in MiB as the figures are
UN_OPTIONS = common.UN_ARCHIVE_OPTIONS
EARLIER = [  # not this run: (slice, build, machine, peak, time), same settings
    (10, "before staging (5f3934d)", "Intel Xeon, 2 cores", "746.6 MiB", "2:07"),
    (30, "before staging (5f3934d)", "Intel Xeon, 2 cores", "1,418 MiB", "4:15"),
    (100, "before staging (5f3934d)", "Intel Xeon, 2 cores", "3,943 MiB", "12:05"),
    (10, "before staging (a04375c)", "AMD EPYC, 2 cores", "961 MiB", "2:16"),
    (10, "staged, vectors through a memory map", "AMD EPYC, 2 cores", "804 MiB", "2:13"),
    (100, "staged, vectors through a memory map", "AMD EPYC, 2 cores", "3,411 MiB", "26:27"),
]


def slice_folder(files: list[Path], share: int) -> Path:
    """Links to the first `share`% of a fixed shuffle of the files."""
    folder = common.work_dir("memory", f"slice-{share}")
    shutil.rmtree(folder)
    folder.mkdir()
    for path in common.archive_share(files, share):
        (folder / path.name).symlink_to(path)
    return folder


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--shares", type=int, nargs="+", default=[10, 30, 100], help="slices, in %% of the corpus")
    p.add_argument("--speeches", type=Path, help="the unpacked speeches (default: unpacked into the temp folder)")
    args = p.parse_args(argv)
    rows, figures = [], {"slices": []}
    if args.smoke:
        plan = [(100, [str(common.SAMPLE_CORPUS)], len(list(common.SAMPLE_CORPUS.rglob("*.txt"))))]
    else:
        files = common.un_archive(args.speeches)
        plan = []
        for share in args.shares:
            folder = slice_folder(files, share)
            plan.append((share, [str(folder)], len(list(folder.iterdir()))))
    for share, sources, n_files in plan:
        print(f"building {share}% ({n_files:,} files) …", flush=True)
        out = common.work_dir("memory", "index")
        m = measured_build(build_command(sources, out, common.SMOKE_MODEL if args.smoke else MODEL,
                                         *([] if args.smoke else UN_OPTIONS)), out)
        report = m.json()
        stages = report["seconds"]
        figures["slices"].append({"share": share, "files": n_files, "wall_s": m.wall_s, "peak_mb": m.peak_mb,
                                  "peak_tree_mb": m.peak_tree_mb,
                                  "passages": report["passages"], "distinct_texts": report["distinct_texts"],
                                  "seconds": stages})
        rows.append([f"{share}%", f"{n_files:,}", f"{report['documents']:,}",
                     " / ".join(f"{n:,}" for n in report["passages"].values()), f"{report['distinct_texts']:,}",
                     f"{m.peak_mb:,.0f} MiB", f"{m.peak_tree_mb:,.0f} MiB", minutes(m.wall_s),
                     ", ".join(f"{k} {v:.0f}" for k, v in stages.items() if k in ("read", "segment", "embed", "write"))])
    slices = figures["slices"]
    largest, smallest = slices[-1], slices[0]
    growth = largest["peak_mb"] / smallest["peak_mb"]
    corpus_growth = largest["files"] / smallest["files"]
    figures.update(peak_mb=largest["peak_mb"], growth=growth)
    per_thousand = ((largest["peak_mb"] - smallest["peak_mb"]) / (largest["files"] - smallest["files"]) * 1000
                    if largest["files"] > smallest["files"] else 0.0)
    flatness = (f"| growth with the corpus | {corpus_growth:.1f}× the speeches ({smallest['share']}% → {largest['share']}%): "
                f"{growth:.2f}× the peak, {per_thousand:,.0f} MiB per 1,000 more speeches | shown |"
                if len(slices) > 1 else "")
    earlier = "\n".join(f"| {share}% | {build} | {where} | {peak} | {wall} |" for share, build, where, peak, wall in EARLIER)
    body = f"""
{'The sample corpus (smoke run).' if args.smoke else 'Nested slices of the whole UN General Debate corpus (10,952 speeches, 1946-2024).'}
Each built from scratch (fresh index and embedding cache) with the 384-d hashing stand-in encoder and 2 workers,
in a process of its own. "build peak" is the build process's own peak resident memory (the kernel's ru_maxrss);
"tree peak" adds its two segmenting workers (sampled every 0.2 s).

{table(["slice", "files", "documents", "passages (paragraph / sentence)", "distinct texts", "build peak", "tree peak", "time", "stages (s)"], rows)}

Passages stream from segmentation to a scratch database on disk (`index/store/staging.py`) and back out to the
index a block at a time; each level's vectors are written and read back with file reads a block at a time
(`index/store/vectorfile.py`; through a memory map, every page touched stayed resident). What grows with the
corpus is the documents' own text (held for the whole build), the texts the embedding cache lacks while they are
embedded, and a level's FAISS index while it is built.

| target | figure | verdict |
|---|---|---|
| peak RSS of the largest slice ≤ 3 GB | {largest['peak_mb']:,.0f} MiB ({largest['share']}%) | {verdict(largest['peak_mb'] <= TARGET_MB)} |
{flatness}

Earlier measurements (not this run; same settings). The two 10% builds on the AMD machine ran one after the other
and wrote the same index (same content hash): staging the passages cost no time. The Intel machine was about twice
as fast at every stage, reading included.

| slice | build | machine | build peak | time |
|---|---|---|---|---|
{earlier}
"""
    common.write_results("memory", "Whole archive: a build's peak memory", body, figures, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
