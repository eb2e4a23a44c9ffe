"""Item 7: the explorer in headless Chromium — from `streamlit run` to the first result on screen (cold), and a
warm query's round trip in the browser.

    python -m bench.bench_app              # the KCNA 2024 index of bench_build (built if missing), ~2 minutes
    python -m bench.bench_app --smoke      # the sample corpus index with the hashing encoder

Cold: the clock starts just before `streamlit run explorer/app.py -- --index DIR` is spawned (chromium is
already up, as a user's browser would be); the page is opened as soon as the server answers its health check,
a query is typed, and the clock stops when the first result card is drawn. That includes Python and Streamlit
start-up, opening the index and loading the model. Repeated `--cold-runs` times (a new server each time).
Warm: in the same page, type a new query, press Enter, stop when Streamlit has finished the rerun and the
new cards are drawn (the URL then carries the new query). (bench/bench_explorer.py, by the explorer's author,
splits a warm round trip into embedding, FAISS, card HTML and the script rerun.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import common
from bench.common import Stats, table, verdict
from bench.explorer_server import CHROMIUM, CHROMIUM_ARGS, RESULTS_DRAWN, start, stop, wait_healthy

TARGET_COLD_S = 20.0
TARGET_WARM_S = 1.0


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--cold-runs", type=int, default=None)
    args = p.parse_args(argv)
    smoke = args.smoke
    if not Path(CHROMIUM).exists():
        body = f"{CHROMIUM} not found (bash scripts/install.sh --test installs Debian's chromium): nothing measured."
        common.write_results("app", "7. Explorer in the browser", body, {"skipped": "no chromium"}, smoke)
        return {"skipped": "no chromium"}
    from playwright.sync_api import sync_playwright

    from bench.bench_query import kcna_index

    index = kcna_index(smoke)
    cold_runs = args.cold_runs or (1 if smoke else 3)
    n_warm = 3 if smoke else 25
    queries = common.query_texts(cold_runs + n_warm + 2, seed=21, smoke=smoke)
    logs = common.work_dir("app-smoke" if smoke else "app")
    cold, phases, warm = Stats([]), [], Stats([])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for run in range(cold_runs):
                t0 = time.perf_counter()
                process, base = start(index, logs / f"streamlit-{run}.log")
                try:
                    wait_healthy(process, base)
                    t_health = time.perf_counter()
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    page.goto(f"{base}/?min=0")  # every query shows cards, whatever its best score
                    box = page.get_by_placeholder("Type a formulation", exact=False)
                    box.wait_for(timeout=120_000)
                    t_box = time.perf_counter()
                    query = queries[run]
                    box.fill(query)
                    box.press("Enter")
                    page.wait_for_function(RESULTS_DRAWN, arg=query, timeout=180_000, polling=10)
                    t_first = time.perf_counter()
                    cold.samples.append(t_first - t0)
                    phases.append({"server_healthy": t_health - t0, "query_box": t_box - t0, "first_result": t_first - t0})
                    print(f"cold run {run}: {phases[-1]}", flush=True)
                    if run == cold_runs - 1:  # warm round trips on the last server
                        for query in queries[cold_runs:cold_runs + 2]:  # warm-up, not counted
                            box.fill(query)
                            box.press("Enter")
                            page.wait_for_function(RESULTS_DRAWN, arg=query, timeout=60_000, polling=10)
                        for query in queries[cold_runs + 2:]:
                            box.fill(query)
                            started = time.perf_counter()
                            box.press("Enter")
                            page.wait_for_function(RESULTS_DRAWN, arg=query, timeout=60_000, polling=10)
                            warm.samples.append(time.perf_counter() - started)
                        page.screenshot(path=str(logs / "warm-result.png"))
                    context.close()
                finally:
                    stop(process)
        finally:
            browser.close()
    c, w = cold.as_dict(), warm.as_dict()
    phase_rows = [[i + 1, f"{ph['server_healthy']:.1f} s", f"{ph['query_box']:.1f} s", f"{ph['first_result']:.1f} s"]
                  for i, ph in enumerate(phases)]
    figures = {"index": str(index), "cold_s": c, "cold_phases": phases, "warm_s": w}
    body = f"""
Index: {'sample corpus (hashing encoder)' if smoke else 'KCNA 2024 (bench_build)'}; headless Debian chromium via Playwright.
Cold = spawning `streamlit run` → first result card drawn (server start, index opened, model loaded by the first query).

{table(['cold run', 'server healthy', 'query box drawn', 'first result drawn'], phase_rows)}

| | median | spread | target |
|---|---|---|---|
| cold start to first result | {c['median']:.1f} s | {c['min']:.1f}–{c['max']:.1f} s (n={c['n']}) | ≤ {TARGET_COLD_S:.0f} s: {verdict(c['median'] <= TARGET_COLD_S)} |
| warm query round trip (Enter → new cards drawn) | {w['median'] * 1e3:.0f} ms | p95 {w['p95'] * 1e3:.0f} ms, IQR {w['p25'] * 1e3:.0f}–{w['p75'] * 1e3:.0f} ms (n={w['n']}) | ≤ {TARGET_WARM_S:.0f} s: {verdict(w['median'] <= TARGET_WARM_S)} |
"""
    common.write_results("app", "7. Explorer in the browser", body, figures, smoke)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
