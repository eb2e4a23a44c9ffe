"""Warm search round trip of the explorer: query embedding, FAISS, metadata, and drawing the result cards.

    .venv/bin/python bench/bench_explorer.py --index /tmp/kcna-explorer [--browser]

Three measurements, each over distinct queries (so no query embedding is cached), after one warm-up:
  library   Searcher.search (embed + FAISS + SQLite hydrate) and the cards' escaped, highlighted HTML
  apptest   the whole Streamlit script rerun after typing a query (AppTest; everything but the browser)
  browser   typing a query in chromium until the new cards are on screen (with --browser)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUERIES = [
    "people-first principle", "strengthening the nuclear war deterrent", "Kim Jong Un inspected a farm",
    "the heroic Korean people", "US imperialists and their puppets", "sanctions will never work",
    "regional development 20x10 policy", "modern greenhouse farm", "anniversary of the founding of the Party",
    "friendship between the DPRK and Russia", "the leader's loving care for children", "flood damage recovery",
    "hostile forces provocation", "new houses for the people", "agricultural production this year",
    "socialist construction", "the Korean War victory", "self-reliance and self-development",
    "greetings to the head of state", "joint military drills are a rehearsal for war",
]


def summarise(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"{name:<34} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms)})"


def bench_library(index: str, k: int) -> list[str]:
    from explorer.cards import head_html
    from explorer.logic.highlight import highlight_html
    from explorer.logic.threads import use_single_query_threads
    from index.search import Searcher

    searcher = Searcher(index)
    started = time.perf_counter()
    searcher.search("warm up the model", k=k)
    warm = time.perf_counter() - started
    use_single_query_threads()  # as the explorer does on every run
    embed, search, render, total = [], [], [], []
    for query in QUERIES:
        t0 = time.perf_counter()
        searcher.embed_query(query)
        t1 = time.perf_counter()
        hits = searcher.search(query, k=k, min_score=0.0)  # embedding now cached: FAISS + metadata only
        t2 = time.perf_counter()
        html = "".join(head_html(h) + highlight_html(h.text, query=query) for h in hits)
        t3 = time.perf_counter()
        assert hits and html
        embed.append(t1 - t0), search.append(t2 - t1), render.append(t3 - t2), total.append(t3 - t0)
    return [f"library (first query, loads the model: {warm:.1f} s)", summarise("  query embedding", embed),
            summarise("  FAISS + metadata", search), summarise(f"  card HTML ({k} hits)", render),
            summarise("  round trip", total)]


def bench_apptest(index: str, k: int) -> list[str]:
    from streamlit.testing.v1 import AppTest

    os.environ["REFRAIN_INDEX"] = index
    at = AppTest.from_file(str(REPO / "explorer" / "app.py"), default_timeout=300)
    at.query_params.update({"k": str(k), "min": "0"})
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    at.text_input(key="q").input("warm up the model").run()
    times = []
    for query in QUERIES:
        t0 = time.perf_counter()
        at.text_input(key="q").input(query).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception and any(b.key.startswith("search-more-") for b in at.button if b.key)
    return [f"apptest (first run, opens index + model: {cold:.1f} s)", summarise("  script rerun after a query", times)]


def bench_browser(index: str, k: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    from bench.explorer_server import CHROMIUM, CHROMIUM_ARGS, RESULTS_DRAWN, start, stop, wait_healthy

    server, base = start(index)
    try:
        wait_healthy(server, base, timeout=90, poll=0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/?k={k}&min=0")
            box = page.get_by_placeholder("Type a formulation", exact=False)
            box.wait_for(timeout=300_000)
            times = []
            for query in ["warm up the model", *QUERIES]:
                box.fill(query)
                t0 = time.perf_counter()
                box.press("Enter")
                page.wait_for_function(RESULTS_DRAWN, arg=query, timeout=60_000, polling=10)
                times.append(time.perf_counter() - t0)
            browser.close()
        return ["browser (chromium, Enter until the new cards are drawn)", summarise("  round trip", times[1:])]
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="index directory (e.g. the KCNA 2024 index)")
    parser.add_argument("-k", type=int, default=10, help="results per query (default 10, the explorer's default)")
    parser.add_argument("--browser", action="store_true", help="also time the round trip in chromium")
    args = parser.parse_args()
    index = str(Path(args.index).resolve())
    lines = [f"index {index}, k={args.k}, {os.cpu_count()} CPUs"]
    lines += bench_library(index, args.k)
    lines += bench_apptest(index, args.k)
    if args.browser:
        lines += bench_browser(index, args.k)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
