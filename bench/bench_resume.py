"""Issue 12, items 6 and 2: a long build killed half way resumes without redoing what it committed; disk
per million passages of the cache and of a generation.

    python -m bench.bench_resume            # UN 2023-2024 (386 speeches), stand-in encoder (384-d): ~10-20 min
    python -m bench.bench_resume --smoke    # the sample corpus, seconds

Three builds of the same corpus with `python -m index build`, each into a fresh folder:
  clean      uninterrupted, fresh cache: the baseline time, the counts, and the sizes on disk;
  segmenting fresh cache, killed (SIGKILL) once half the documents' segmentations are committed, then run again;
  embedding  killed once half the distinct texts' vectors are committed, then run again; its cache starts with
             the clean build's segmentations and no vectors (so only embedding is measured, and the two-core
             machine is spared a third segmentation of the corpus).
"Done twice" is what the second run had to redo: texts embedded again that the first had finished but not
committed, and the extra wall time of kill + rerun against the clean build (the embed stage alone, for the
embedding kill).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench import building, common
from bench.common import table

MODEL = common.STAND_IN_384


def build_command(out: Path, cache: Path, smoke: bool) -> list[str]:
    if smoke:
        return building.build_command([common.SAMPLE_CORPUS], out, "builtin:hashing-64", cache=cache, workers=None)
    return building.build_command([un_corpus()], out, MODEL, *common.UN_ARCHIVE_OPTIONS, cache=cache, workers=None)


def un_corpus() -> Path:
    """The 2023 and 2024 speeches of the UN 2020-2024 folder (links to them): big enough to matter, small
    enough to segment three times on two shared cores."""
    folder = common.work_dir("resume", "corpus")
    for path in common.un_files():
        if path.name.endswith(("_2023.txt", "_2024.txt")) and not (folder / path.name).exists():
            (folder / path.name).symlink_to(path)
    return folder


def run_build(out: Path, cache: Path, smoke: bool) -> tuple[float, dict]:
    done = building.measured(build_command(out, cache, smoke), timeout=7200)
    return done.wall_s, done.json()


def committed(cache: Path, table_name: str) -> int:
    try:
        with sqlite3.connect(cache, timeout=5) as db:
            return db.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy for a moment
        return 0


def killed_build(out: Path, cache: Path, smoke: bool, table_name: str, target: int) -> tuple[float, int]:
    """Start a build, SIGKILL it once `target` rows of `table_name` are committed; (seconds, rows at the kill)."""
    started = time.perf_counter()
    proc = subprocess.Popen(build_command(out, cache, smoke), cwd=common.REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None and committed(cache, table_name) < target:
        time.sleep(0.05)
    if proc.poll() is not None:
        raise RuntimeError(f"the build finished before {target} {table_name} rows were committed")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return time.perf_counter() - started, committed(cache, table_name)


def seed_segmentations(source: Path, target: Path) -> None:
    """A cache holding the source cache's segmentations and sentence splits, and no vectors."""
    from index.embed.cache import EmbeddingCache

    EmbeddingCache(target).close()
    with sqlite3.connect(target) as db:
        db.execute("ATTACH DATABASE ? AS src", (str(source),))
        db.execute("INSERT INTO segments SELECT * FROM src.segments")
        db.execute("INSERT INTO splits SELECT * FROM src.splits")
    db.close()


def disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def table_bytes(cache: Path) -> dict[str, int]:
    with sqlite3.connect(cache) as db:
        return dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())


def fresh(name: str) -> tuple[Path, Path]:
    import shutil

    root = common.work_dir("resume", "runs", name)
    shutil.rmtree(root)
    root.mkdir(parents=True)
    return root / "index", root / "cache.sqlite"


def main() -> None:
    args = common.parser(__doc__.split("\n")[0]).parse_args()
    out, cache = fresh("clean")
    clean_s, clean = run_build(out, cache, args.smoke)
    distinct, documents = clean["distinct_texts"], clean["documents"]
    passages = sum(clean["passages"].values())

    # sizes: the cache after the build, a generation's files by kind
    from index.store import layout

    generation = layout.current_generation(out)
    by_kind: dict[str, int] = {}
    for f in generation.iterdir():
        kind = f.name.split("-")[0].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0) + f.stat().st_size
    cache_bytes = disk(cache) + (disk(Path(str(cache) + "-wal")) if Path(str(cache) + "-wal").exists() else 0)
    tables = table_bytes(cache)
    vector_bytes = tables.get("vectors", 0) + tables.get("vectors_by_key", 0)
    dim = 64 if args.smoke else 384

    out_s, cache_s = fresh("segmenting")
    seg_kill_s, seg_at_kill = killed_build(out_s, cache_s, args.smoke, "segments", max(1, documents // 2))
    seg_rerun_s, seg_rerun = run_build(out_s, cache_s, args.smoke)

    out_e, cache_e = fresh("embedding")
    seed_segmentations(cache, cache_e)
    emb_kill_s, emb_at_kill = killed_build(out_e, cache_e, args.smoke, "vectors", max(1, distinct // 2))
    emb_rerun_s, emb_rerun = run_build(out_e, cache_e, args.smoke)
    redone = emb_rerun["embedded"] - (distinct - emb_at_kill)

    per_million = lambda b: b / passages * 1e6 / 2**30  # noqa: E731 (GiB per million passages)
    rows = [
        ["clean build", f"{clean_s:.0f} s", "", "", ""],
        ["killed while segmenting", f"{seg_kill_s:.0f} s", f"{seg_at_kill:,} of {documents:,} documents' segmentations",
         f"{seg_rerun_s:.0f} s ({seg_rerun['embedded']:,} embedded)",
         f"{seg_kill_s + seg_rerun_s - clean_s:+.0f} s ({(seg_kill_s + seg_rerun_s) / clean_s - 1:+.0%})"],
        ["killed while embedding (segmentations cached)", f"{emb_kill_s:.0f} s", f"{emb_at_kill:,} of {distinct:,} vectors",
         f"{emb_rerun_s:.0f} s ({emb_rerun['embedded']:,} embedded, {emb_rerun['cached']:,} from cache; "
         f"embed stage {emb_rerun['seconds'].get('embed', 0):.0f} s)",
         f"embed stage: clean {clean['seconds'].get('embed', 0):.0f} s; {redone:,} texts embedded twice"],
    ]
    size_rows = [[name, f"{b / passages:,.0f}", f"{per_million(b):.2f} GiB"] for name, b in [
        ("cache: vectors and their key", vector_bytes), ("cache: segmentations and splits", tables.get("segments", 0) + tables.get("splits", 0)),
        ("cache: file in all", cache_bytes), *[(f"generation: {k}", v) for k, v in sorted(by_kind.items())],
        ("generation in all", sum(by_kind.values()))]]
    corpus = "the sample corpus (smoke)" if args.smoke else f"UN General Debate 2023-2024 ({documents:,} speeches)"
    body = f"""
{corpus}, {passages:,} passages, {distinct:,} distinct texts, stand-in encoder ({dim}-d); each build a separate
`python -m index build` process into a fresh folder (and cache, but for the embedding kill, whose cache starts
with the segmentations), killed with SIGKILL at the point named:

{table(["run", "until the kill", "committed at the kill", "second run", "extra time vs clean; work done twice"], rows)}

The second run of the embedding kill embedded {emb_rerun['embedded']:,} texts: exactly the {distinct - emb_at_kill:,} the
cache did not hold{'' if redone == 0 else f' and {redone:,} more'}; what the killed run had embedded but not yet committed
(at most one chunk of 512) is all that is lost. Segmentations are committed every 200 documents.

Disk (the clean build): cache vectors {vector_bytes / emb_rerun['distinct_texts'] if emb_rerun['distinct_texts'] else 0:,.0f}
bytes per distinct text ({dim * 4:,} raw bytes per vector); per passage and per million passages:

{table(["what", "bytes per passage", "per million passages"], size_rows)}

The FAISS files here are exact (flat) indexes, a copy of the vectors: below 65,536 passages per level the
index is exact; above it, IVF over 8-bit codes takes about a quarter of the vectors' bytes (README, search).
"""
    figures = {"clean_s": clean_s, "distinct": distinct, "passages": passages, "documents": documents,
               "segmenting": {"kill_s": seg_kill_s, "at_kill": seg_at_kill, "rerun_s": seg_rerun_s},
               "embedding": {"kill_s": emb_kill_s, "at_kill": emb_at_kill, "rerun_s": emb_rerun_s,
                             "rerun_embedded": emb_rerun["embedded"], "rerun_cached": emb_rerun["cached"], "redone": redone},
               "sizes": {"cache_bytes": cache_bytes, "tables": tables, "generation": by_kind}}
    common.write_results("resume", "Long builds: killed and resumed; disk per million passages (issue 12, items 6 and 2)",
                         body, figures, smoke=args.smoke)


if __name__ == "__main__":
    main()
