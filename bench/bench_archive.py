"""Issue 12, item 8: the whole UN archive with the real model — its build, `search` at the sentence level,
`recurring` over its sentences and phrases, and the explorer opened on it.

    python -m bench.bench_archive                      # all steps; the build is ~1.5 h with bf16 on an AMX CPU
    python -m bench.bench_archive --steps build        # one step (build, search, recurring, explorer); the
                                                       # others read the index and figures an earlier run left
    python -m bench.bench_archive --since 2022         # the speeches of 2022 on only
    python -m bench.bench_archive --stand-in           # the 384-d hashing stand-in encoder instead of the model
    python -m bench.bench_archive --smoke              # 60 speeches of UN 2020-2024, the hashing encoder

build      `index build` of the archive (10,952 speeches unpacked from ../shared, --speeches) with the default
           model, in a process of its own, from an empty embedding cache: stage times, texts embedded per
           second, the precision the encoder chose (bf16 only on CPUs with AMX), peak resident memory.
search     a fresh process opens the Searcher and answers 200 varied queries (common.query_texts) one at a time,
           warm, at the sentence and the paragraph level, hybrid (the default) and semantic: p50/p95 with the
           query's embedding. Recall@10: each answer against the same query ranked with exact dense candidates
           (a flat scan of every vector of the level); the lexical side is exact in both.
recurring  `index recurring DIR --level L --no-cache` for the sentence and phrase levels, each in a process of its
           own: wall time, peak resident memory, formulations found; and how many formulations open with a
           sentence fragment (a lower-case first letter), the symptom of hard-wrapped text read line by line.
explorer   `index explore` in headless Chromium: from the server's start to the first search result on screen
           (cold), then the Recurring view with the stored sentence-level result: its table, and one formulation's
           variants, timeline and passages.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from bench import common, searching
from bench.common import table, verdict
from bench.building import build_command, measured, measured_build, minutes

STEPS = ("build", "search", "recurring", "explorer")


STAND_IN = common.STAND_IN_384


def configuration(args) -> str:
    """The work folder's name: one per corpus slice and encoder, so their figures stand side by side."""
    if args.smoke:
        return "archive-smoke"
    return "archive" + ("-stand-in" if args.stand_in else "") + (f"-{args.since}" if args.since else "")


def work(args) -> Path:
    return common.work_dir(configuration(args))


def model(args) -> str:
    return common.model_for(True) if args.smoke else STAND_IN if args.stand_in else common.model_for(False)


def speeches(args) -> list[Path]:
    if args.smoke:
        return sorted(common.UN_DIR.glob("*.txt"))[::10][:60]
    files = common.un_archive(args.speeches)
    if args.since:
        files = [f for f in files if int(f.stem.rsplit("_", 1)[1]) >= args.since]
    return files


def corpus_folder(files: list[Path], args) -> Path:
    """A folder of links to the speeches measured (so --since and --smoke read exactly them)."""
    folder = work(args) / "speeches"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for path in files:
        (folder / path.name).symlink_to(path)
    return folder


def step_build(args) -> dict:
    files = speeches(args)
    root = work(args)
    folder, out, cache = corpus_folder(files, args), root / "index", root / "cache.sqlite"
    cache.unlink(missing_ok=True)
    print(f"building {len(files):,} speeches into {out} …", flush=True)
    done = measured_build(build_command([folder], out, model(args), *common.UN_ARCHIVE_OPTIONS,
                                        cache=cache), out)
    report = done.json()
    figures = {"speeches": len(files), "since": args.since, "model": model(args), "wall_s": done.wall_s, "peak_mb": done.peak_mb,
               "peak_tree_mb": done.peak_tree_mb, "cpu_s": done.cpu_s, "report": report}
    (root / "build.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"built in {minutes(done.wall_s)}, peak {done.peak_mb:,.0f} MiB: {report['seconds']}", flush=True)
    return figures


N_QUERIES, N_WARM = 200, 20
LEVELS = ("sentence", "paragraph")
TARGET_SEARCH_MS, TARGET_RECALL = 30.0, 0.95
TARGET_MINING_S, TARGET_MINING_MB, TARGET_SENTENCES = 15 * 60, 4 * 1024, 1_000_000
TARGET_COLD_S, TARGET_RECURRING_S = 20.0, 2.0
MINED = ("sentence", "phrase")


def step_search(args) -> dict:
    queries = common.query_texts(N_QUERIES + N_WARM, seed=17, smoke=args.smoke)
    n = 20 if args.smoke else N_QUERIES
    figures = common.run_child("bench.bench_archive", {"root": str(work(args) / "index"), "warm": queries[:N_WARM],
                                                       "queries": queries[N_WARM:N_WARM + n]}, timeout=7200)
    return {**figures, "queries": n}


def child(spec: str) -> dict:
    """The search step, in a fresh process: the searcher as `refrain search` or the explorer opens it."""
    from index.search import Searcher

    args = json.loads(spec)
    searcher = Searcher(args["root"])
    out = {"backend": searcher.query_backend.as_dict(), "levels": {}}
    for level in LEVELS:
        figures = searching.latency(searcher, level, args["queries"], args["warm"])
        figures["passages"] = len(searcher.levels[level].doc_rows)
        figures["index_kind"] = searcher.levels[level].spec["kind"]
        out["levels"][level] = figures
    out["rss_mb"] = common.rss_mb()  # after every query, before the exact scans of the recall check
    for level in LEVELS:
        out["levels"][level]["recall"] = searching.recall(searcher, level, args["queries"])
    common.child_reply(out)
    return out


def step_recurring(args) -> dict:
    """`index recurring` per level, as a user runs it, its table of every formulation written as CSV."""
    import csv

    root = work(args)
    out = saved(root, "recurring") or {}  # a level not mined this time keeps its earlier figures
    for level in args.mine:
        target = root / f"recurring-{level}.csv"
        print(f"mining {level}s …", flush=True)
        done = measured([sys.executable, "-m", "index", "recurring", str(root / "index"), "--level", level,
                         "--no-cache", "--furniture", "--csv", str(target)], timeout=3 * 3600)
        with open(target, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        # a sentence that opens in lower case is a fragment; a phrase (a word n-gram) mostly does by nature
        fragments = [r for r in rows if r["label"][:1].islower()] if level == "sentence" else None
        shown = [r for r in rows if r["category"] == "formulation"]  # what the explorer lists by default
        out[level] = {"wall_s": done.wall_s, "peak_mb": done.peak_mb, "cpu_s": done.cpu_s,
                      "formulations": len(rows), "passages": sum(int(r["passages"]) for r in rows),
                      "fragments": None if fragments is None else len(fragments),
                      "top_documents": max((int(r["documents"]) for r in rows), default=0),
                      "first_id": max(shown, key=lambda r: int(r["documents"]))["id"] if shown else None}
        print(f"  {level}: {out[level]}", flush=True)
    return out


def step_explorer(args, recurring: dict | None) -> dict:
    """Cold start to the first search result, then the Recurring view with the stored sentence-level result."""
    from playwright.sync_api import sync_playwright

    from bench.explorer_server import CHROMIUM, CHROMIUM_ARGS, IDLE, RESULTS_DRAWN, start, stop, wait_healthy

    root = work(args)
    query = common.query_texts(1, seed=23, smoke=args.smoke)[0]
    picked = (recurring or {}).get("sentence", {}).get("first_id")
    table_drawn = f"() => !!document.querySelector('[data-testid=stDataFrame]') && {IDLE}"
    detail_drawn = f"() => !!document.querySelector('.st-key-rec-detail [data-testid=stVegaLiteChart]') && {IDLE}"
    limit_ms = 120_000 if args.smoke else 600_000

    def wait(page, condition: str, what: str, arg=None) -> None:
        """Wait until the page shows what is asked for; on a timeout, a screenshot of what it shows instead."""
        try:
            page.wait_for_function(condition, arg=arg, timeout=limit_ms, polling=10)
        except Exception:
            page.screenshot(path=str(root / f"timeout-{what}.png"), full_page=True)
            raise

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            started = time.perf_counter()
            process, base = start(root / "index", root / "streamlit.log")
            try:
                wait_healthy(process, base, timeout=limit_ms / 1000)
                out["healthy_s"] = time.perf_counter() - started
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{base}/?min=0")
                box = page.get_by_placeholder("Type a formulation", exact=False)
                box.wait_for(timeout=limit_ms)
                box.fill(query)
                box.press("Enter")
                wait(page, RESULTS_DRAWN, "search", arg=query)
                out["cold_s"] = time.perf_counter() - started
                for attempt in ("first", "again"):  # read from DIR/derived, then from the server's memory
                    clicked = time.perf_counter()
                    page.goto(f"{base}/?view=recurring")
                    wait(page, table_drawn, "recurring")
                    out[f"recurring_{attempt}_s"] = time.perf_counter() - clicked
                page.screenshot(path=str(root / "recurring.png"))
                if picked:  # as a user does: the formulation chosen in the list under the table
                    picker = page.locator(".st-key-f input")
                    picker.click()
                    picker.fill(label_of(root, picked)[:60])
                    clicked = time.perf_counter()
                    picker.press("Enter")
                    wait(page, detail_drawn, "pick")
                    out["formulation_pick_s"] = time.perf_counter() - clicked
                    page.screenshot(path=str(root / "formulation-picked.png"), full_page=True)
                    # and opened from a link: a new page, whose session reads and draws everything
                    clicked = time.perf_counter()
                    page.goto(f"{base}/?view=recurring&f={picked}")
                    wait(page, detail_drawn, "formulation")
                    out["formulation_s"] = time.perf_counter() - clicked
                    page.screenshot(path=str(root / "formulation.png"), full_page=True)
                problems = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").all_inner_texts()
                out["errors"] = problems
            finally:
                stop(process)
        finally:
            browser.close()
    print(f"explorer: {out}", flush=True)
    return out


def label_of(root: Path, formulation_id: str) -> str:
    """A sentence-level formulation's label, as the CSV of the recurring step holds it."""
    import csv

    with open(root / "recurring-sentence.csv", encoding="utf-8", newline="") as fh:
        return next(row["label"] for row in csv.DictReader(fh) if row["id"] == formulation_id)


def saved(root: Path, name: str) -> dict | None:
    path = root / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def measured_configurations(smoke: bool) -> list[Path]:
    """Every work folder that holds a build's figures: the real model's slices first, then the stand-in's."""
    if smoke:
        return [common.work_dir("archive-smoke")]
    folders = [f for f in sorted(common.work_dir().glob("archive*")) if f.name != "archive-smoke"
               and (f / "build.json").exists()]
    return sorted(folders, key=lambda f: "stand-in" in f.name)


def label(build: dict) -> str:
    since = f"the {build['speeches']:,} speeches of {build['since']}–2024" if build["since"] \
        else f"the whole archive ({build['speeches']:,} speeches, 1946–2024)"
    encoder = "the 384-d hashing stand-in encoder" if build.get("model") == STAND_IN else "the default model"
    return f"{since}, {encoder}"


def describe(root: Path, checks: list[list]) -> str:
    """One configuration's figures as text and tables; its target rows appended to checks."""
    build, search, recurring, explorer = (saved(root, name) for name in STEPS)
    name = label(build) if build else root.name
    real = not build or build.get("model") != STAND_IN
    parts = [f"### {name[0].upper()}{name[1:]}"]
    if build:
        r = build["report"]
        stages = ", ".join(f"{k} {v:,.0f}" for k, v in r["seconds"].items() if v >= 0.5)
        parts.append(f"""**Build** (an empty embedding cache, 2 workers): {r['documents']:,} documents,
{' / '.join(f"{n:,}" for n in r['passages'].values())} passages (paragraph / sentence), {r['distinct_texts']:,} distinct texts,
{r['embedded']:,} embedded at {r['embed_rate']:,.0f} texts/s ({r['embedding'].get('precision', 'fp32')} on {r['embedding'].get('device', 'cpu')});
{minutes(build['wall_s'])} in all (stages in s: {stages}); peak resident memory {build['peak_mb']:,.0f} MiB (with its workers
{build['peak_tree_mb']:,.0f} MiB).""")
    if search:
        rows = []
        for level, f in search["levels"].items():
            for mode in searching.MODES:
                ms, cpu = f["ms"][mode], f["cpu_ms"][mode]
                rows.append([level, f"{f['passages']:,}", f["index_kind"], mode, f"{ms['median']:.1f}", f"{ms['p95']:.1f}",
                             f"{cpu['median']:.1f}", f"{f['recall'][mode]:.3f}",
                             f"{f['parts']['embed query']['median']:.1f}"])
        parts.append(f"""**Search** (a fresh process, {search.get('queries', N_QUERIES)} varied queries one at a time, warm, each embedded
afresh; resident memory after them {search['rss_mb']:,.0f} MiB):

{table(["level", "passages", "FAISS index", "mode", "p50 ms", "p95 ms", "CPU p50 ms", "recall@10", "of it: embed ms"], rows)}""")
        s = search["levels"]["sentence"]
        figure = (f"{s['ms']['hybrid']['median']:.1f} ms at {s['recall']['hybrid']:.3f} (hybrid, the default); "
                  f"semantic {s['ms']['semantic']['median']:.1f} ms at {s['recall']['semantic']:.3f}")
        ok = s["ms"]["hybrid"]["median"] <= TARGET_SEARCH_MS and s["recall"]["hybrid"] >= TARGET_RECALL
        checks.append(["sentence-level `search` p50 ≤ 30 ms at recall@10 ≥ 0.95", f"{name}: {figure}",
                       verdict(ok) if real else "shown (stand-in vectors)"])
    if recurring:
        sentences = build["report"]["passages"]["sentence"] if build else 0
        rows = [[level, "not finished", "–", "–", f"stopped at {minutes(f['wall_s'])}", "–", f"≥ {f['peak_mb']:,.0f} MiB"]
                if f.get("unfinished") else
                [level, f"{f['formulations']:,}", f"{f['passages']:,}", "–" if f["fragments"] is None else f"{f['fragments']:,}",
                 minutes(f["wall_s"]), f"{f['cpu_s']:,.0f} s", f"{f['peak_mb']:,.0f} MiB"] for level, f in recurring.items()]
        notes = [f"{level}: {f['note']}" for level, f in recurring.items() if f.get("note")]
        parts.append(f"""**Recurring** (`index recurring DIR --level L --no-cache --furniture --csv FILE`, each in a process of its
own; "fragments": sentence-level formulations whose label opens with a lower-case letter, the mark of hard-wrapped
text read line by line):

{table(["level", "formulations", "member passages", "fragments", "time", "CPU", "peak RSS"], rows)}""" +
                     "".join(f"\n\n{note}." for note in notes))
        for level, f in recurring.items():
            ok = (not f.get("unfinished") and sentences >= TARGET_SENTENCES and f["wall_s"] <= TARGET_MINING_S
                  and f["peak_mb"] <= TARGET_MINING_MB)
            checks.append([f"`recurring --level {level}` over ≥ 1M sentences in ≤ 15 min at ≤ 4 GB",
                           f"{name}: {sentences:,} sentences, " + (
                               f"stopped unfinished at {minutes(f['wall_s'])}, ≥ {f['peak_mb']:,.0f} MiB" if f.get("unfinished")
                               else f"{minutes(f['wall_s'])}, {f['peak_mb']:,.0f} MiB"),
                           verdict(ok) if sentences >= TARGET_SENTENCES else "shown (fewer sentences)"])
    if explorer:
        formulation = explorer.get("formulation_s", float("nan"))
        picked = explorer.get("formulation_pick_s", float("nan"))
        parts.append(f"""**Explorer** (`index explore` in headless Chromium): server healthy after {explorer['healthy_s']:.1f} s, first
search result on screen {explorer['cold_s']:.1f} s after the server's start; the Recurring view's table of the stored
sentence-level result {explorer['recurring_first_s']:.2f} s after the page was asked for (again:
{explorer['recurring_again_s']:.2f} s); one formulation's variants, timeline and passages {picked:.2f} s after it was
chosen in the list under the table, {formulation:.2f} s when opened from a link (a new page: its session reads and
draws everything); errors on the page: {len(explorer['errors'])}.""")
        checks.append(["explorer opens in ≤ 20 s", f"{name}: {explorer['cold_s']:.1f} s to the first search result",
                       verdict(explorer["cold_s"] <= TARGET_COLD_S)])
        slowest = max(explorer["recurring_first_s"], explorer.get("formulation_pick_s", 0.0))
        checks.append(["a mined Recurring result shown in ≤ 2 s",
                       f"{name}: table {explorer['recurring_first_s']:.2f} s, a formulation chosen {picked:.2f} s "
                       f"(from a link {formulation:.2f} s)",
                       verdict(slowest <= TARGET_RECURRING_S and not explorer["errors"])])
    return "\n\n".join(parts)


def projection(folders: list[Path]) -> str:
    """The real model's embedding time for the whole archive: its distinct texts (from the stand-in's build) at the
    rate the real model's slice was embedded in this run."""
    builds = [b for b in (saved(f, "build") for f in folders) if b]
    whole = next((b for b in builds if not b["since"] and b.get("model") == STAND_IN), None)
    real = next((b for b in builds if b.get("model") != STAND_IN), None)
    if not whole or not real:
        return ""
    texts, rate = whole["report"]["distinct_texts"], real["report"]["embed_rate"]
    return (f"**The whole archive with the real model**, projected: its {texts:,} distinct texts at the "
            f"{rate:,.0f} texts/s measured above ({real['report']['embedding'].get('precision', 'fp32')}) embed in "
            f"{texts / rate / 3600:.1f} h on this machine, on top of the stand-in build's other stages.")


def write(args) -> None:
    folders = measured_configurations(args.smoke)
    checks: list[list] = []
    parts = [describe(root, checks) for root in folders]
    parts.append(projection(folders))
    body = "\n\n".join(p for p in parts if p) + "\n\n" + table(["target", "figure", "verdict"], checks)
    common.write_results("archive", "Whole archive: search and mining at scale", body,
                         {"configurations": {f.name: {step: saved(f, step) for step in STEPS} for f in folders}},
                         args.smoke)


def main(argv=None) -> int:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--child", default=None, help=__import__("argparse").SUPPRESS)
    p.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    p.add_argument("--speeches", type=Path, help="the unpacked speeches (default: unpacked into the temp folder)")
    p.add_argument("--since", type=int, default=None, help="only the speeches of this year and later")
    p.add_argument("--mine", nargs="+", choices=MINED, default=list(MINED), help="the levels the recurring step mines")
    p.add_argument("--stand-in", action="store_true", help=f"embed with {STAND_IN} (no model cost) instead of the model")
    args = p.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    root = work(args)
    for step in args.steps:
        if step == "build":
            step_build(args)  # writes build.json itself, before anything else can fail
            continue
        figures = {"search": step_search, "recurring": step_recurring,
                   "explorer": lambda a: step_explorer(a, saved(root, "recurring"))}[step](args)
        (root / f"{step}.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    write(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
