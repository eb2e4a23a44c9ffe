"""Many users at once: one explorer server, several browser sessions at the same time (separate Playwright
contexts in one headless Chromium), each doing a run of mixed actions as an analyst would.

    python -m bench.bench_concurrency                    # KCNA 2024 (bench_build's index), 10 sessions x 20 actions x 5 rounds
    python -m bench.bench_concurrency --index DIR --sessions 12 --rounds 5
    python -m bench.bench_concurrency --index DIR --queries sample   # the sample corpus's index: its own queries
    python -m bench.bench_concurrency --think 0          # no reading time between actions: a stress test
    python -m bench.bench_concurrency --smoke            # the sample corpus with the hashing encoder, 2 x 5 x 1

An action is one click or key press (search, open a document, the browser's Back, more like this, compare two
hits, switch level, switch to Timeline, Map, Recurring or Search, pick a period on the timeline); its round trip
runs from the event until Streamlit has finished the rerun and the page shows what the action asked for (the URL
carries it and the expected element is drawn). Between actions an analyst reads what came back: a pause drawn
uniformly from half to one and a half times --think seconds (THINK_S by default; 0 clicks on at once), the
first action included: an analyst reads the page just opened before acting on it. The
sessions of a round open the page a quarter second apart and start acting once all of them have it open: page
loads (Streamlit's scripts parsed by each browser, on the same two cores) are timed apart, as "load". An error is an uncaught page error, an exception box, an error
message, or an action that does not settle within ACTION_TIMEOUT_S. The server's resident memory is read after
each round (every session of a round closes at its end); its growth is measured from the end of the first round
(caches warm) to the end of the last. Targets (issue #13): no error, p95 round trip <= 1.5 s, memory growth <= 10%
over 1,000 actions. The two cores are shared: the load average is recorded next to every figure, and the machine's
CPU time is split between the server and everything else (the Chromium sessions and this harness).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import common
from bench.explorer_server import (CHROMIUM, CHROMIUM_ARGS, IDLE, cpu_seconds, machine_busy_seconds, rss_mb, start, stop,
                                   wait_healthy)

TARGET_P95_S = 1.5
TARGET_GROWTH = 0.10
ACTION_TIMEOUT_S = 60
THINK_S = 5.0  # mean reading time between two actions of one analyst (a page of results takes longer to read)
LOAD_TIMEOUT_S = 180  # opening the page (Streamlit's scripts and first run) is not an action, but it must come up
VIEWPORT = {"width": 1400, "height": 1000}
KCNA_QUERIES = [
    "people-first principle", "strengthening the nuclear war deterrent", "Kim Jong Un inspected a farm",
    "the heroic Korean people", "US imperialists and their puppets", "sanctions will never work",
    "regional development 20x10 policy", "modern greenhouse farm", "anniversary of the founding of the Party",
    "friendship between the DPRK and Russia", "the leader's loving care for children", "flood damage recovery",
    "hostile forces provocation", "new houses for the people", "agricultural production this year",
]


@dataclass
class SessionLog:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, action: str, seconds: float) -> None:
        self.times.setdefault(action, []).append(seconds)


def _url_has(*parts: str) -> str:
    checks = " && ".join(f"location.search.includes({p!r})" for p in parts)
    return checks or "true"


async def _passage_of(button, kind: str) -> str:
    """The passage a card's button acts on (its container's key: st-key-search-KIND-<passage id>)."""
    classes = await button.evaluate(f"b => b.closest('[class*=st-key-search-{kind}-]').className")
    return re.search(rf"st-key-search-{kind}-(\S+)", classes).group(1)


async def _settle(page, condition: str) -> None:
    await page.wait_for_function(f"() => ({condition}) && {IDLE}", timeout=ACTION_TIMEOUT_S * 1000, polling=20)


class Session:
    """One analyst: a page in its own browser context, and what it may do next from where it is."""

    def __init__(self, page, base: str, queries: list[str], rng: random.Random, log: SessionLog):
        self.page, self.base, self.queries, self.rng, self.log = page, base, queries, rng, log
        self.view, self.level, self.opened = "search", "paragraph", False

    def choices(self) -> list[str]:
        if self.view == "search":
            return ["search", "search", "open", "more", "compare", "level", "timeline", "map", "recurring"]
        if self.view == "document":
            return ["back", "back", "search-view"]
        if self.view == "timeline":
            return ["period", "search-view", "map"]
        return ["search-view", "timeline"]

    async def act(self, action: str) -> None:
        page = self.page
        started = time.perf_counter()
        if action == "search":
            query = self.rng.choice(self.queries)
            box = page.get_by_placeholder("Type a formulation", exact=False)
            await box.fill(query)
            started = time.perf_counter()
            await box.press("Enter")
            # its hits, or the note that none scores above the minimum (a query may find nothing: not an error)
            await _settle(page, "(document.querySelectorAll('[class*=st-key-card-search-]').length > 0 || "
                                "!!document.querySelector('[data-testid=stMain] [data-testid=stAlert]')) && "
                                f"new URL(location).searchParams.get('q') === {query!r}")
        elif action in ("open", "more", "compare"):
            cards = page.locator('[class*="st-key-card-search-"]')
            if await cards.count() < 2:
                return await self.act("search")
            kind = {"open": "open", "more": "more", "compare": "cmp"}[action]
            buttons = page.locator(f'[class*="st-key-search-{kind}-"] button:visible')  # a help tooltip adds a hidden one
            first = await _passage_of(buttons.nth(0), kind)
            like = "like=" in await page.evaluate("() => location.search")
            started = time.perf_counter()
            await buttons.nth(0).click()
            if action == "open":
                await _settle(page, _url_has("view=document", "p=") + " && !!document.querySelector('.st-key-doc-reader')")
                self.view = "document"
            elif action == "more":
                await _settle(page, f"new URL(location).searchParams.get('like') === {first!r}")
            else:
                if not like:  # the first pick becomes A (an earlier pair is dropped); beside More like this, the
                    # source passage is A and one click opens Compare
                    await _settle(page, f"new URL(location).searchParams.get('a') === {first!r} && "
                                        "!new URL(location).searchParams.get('b')")
                    await buttons.nth(1).click()
                await _settle(page, _url_has("view=compare", "b=") + " && !!document.querySelector('#rf-side-b')")
                self.view = "compare"
        elif action == "back":
            await page.go_back()
            # a document is opened from the Search results only: back there, they are drawn again
            await _settle(page, "!location.search.includes('view=document') && "
                                "(document.querySelectorAll('[class*=st-key-card-search-]').length > 0 || "
                                "!!document.querySelector('[data-testid=stMain] [data-testid=stAlert]'))")
            self.view = "search" if "view=" not in page.url else page.url.split("view=")[1].split("&")[0]
        elif action == "level":
            self.level = "sentence" if self.level == "paragraph" else "paragraph"
            await page.locator(f'[data-testid=stSidebar] button:has-text("{self.level.capitalize()}")').first.click()
            await _settle(page, _url_has("level=sentence") if self.level == "sentence" else "!location.search.includes('level=')")
        elif action in ("timeline", "map", "recurring", "search-view"):
            view = "search" if action == "search-view" else action
            await page.locator(f'[data-testid=stMain] button:has-text("{view.capitalize()}")').first.click()
            ready = {"search": "true", "timeline": "!!document.querySelector('[data-testid=stVegaLiteChart], .rf-empty, [data-testid=stAlert]')",
                     "map": "!!document.querySelector('[data-testid=stVegaLiteChart], [data-testid=stAlert]')",
                     "recurring": "!!document.querySelector('[data-testid=stDataFrame], [data-testid=stAlert]')"}[view]
            await _settle(page, (_url_has(f"view={view}") if view != "search" else "!location.search.includes('view=')")
                          + f" && {ready}")
            self.view = view
        elif action == "period":
            picker = page.locator(".st-key-period, [data-testid=stSelectbox]").last
            if not await page.locator("[data-testid=stVegaLiteChart]").count():
                return await self.act("search-view")
            await picker.click()
            options = page.locator("[role=option]")
            await options.first.wait_for(timeout=ACTION_TIMEOUT_S * 1000)
            started = time.perf_counter()
            await options.nth(self.rng.randrange(await options.count())).click()
            await _settle(page, _url_has("period="))
        self.log.add(action, time.perf_counter() - started)
        problems = await page.locator("[data-testid=stException], [data-testid=stAlertContentError]").all_inner_texts()
        if problems:
            self.log.errors.append(f"{action}: {problems[0][:200]}")


async def _session(browser, base: str, queries: list[str], actions: int, seed: int, log: SessionLog,
                   delay: float = 0.0, think: float = 0.0, opened: asyncio.Barrier | None = None) -> None:
    """One analyst's run; with `opened`, the first action waits until every session of the round has its page
    open (loaded or failed), so the actions are timed while the analysts work, not while browsers start."""
    await asyncio.sleep(delay)  # analysts do not all open the page in the same millisecond
    context, waited = None, opened is None
    rng = random.Random(seed)
    try:
        context = await browser.new_context(viewport=VIEWPORT)
        page = await context.new_page()
        page.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
        started = time.perf_counter()
        loaded = await _load(page, base, log)
        if loaded:
            log.add("load", time.perf_counter() - started)
        if not waited:
            waited = True
            await opened.wait()
        if not loaded:
            return
        session = Session(page, base, queries, rng, log)
        for n in range(actions):
            if think:  # reading what came back (or, first, the page just opened)
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            action = "search" if n == 0 else rng.choice(session.choices())
            try:
                await session.act(action)
            except Exception as exc:  # a timeout or a vanished element: the action failed
                log.errors.append(f"{action}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
                if not await _load(page, base, log):  # start again from the Search page
                    return
                session.view = "search"
    finally:
        if not waited:  # never leave the others waiting at the barrier
            await opened.wait()
        if context is not None:
            await context.close()


async def _load(page, base: str, log: SessionLog) -> bool:
    """Open the Search page; False (and an error logged) when it does not come up."""
    try:
        await page.goto(f"{base}/?min=0.3", timeout=LOAD_TIMEOUT_S * 1000, wait_until="commit")
        await page.get_by_placeholder("Type a formulation", exact=False).wait_for(timeout=LOAD_TIMEOUT_S * 1000)
        await _settle(page, "true")
        return True
    except Exception as exc:
        log.errors.append(f"page load: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return False


async def run_round(base: str, sessions: int, actions: int, queries: list[str], seed: int = 0,
                    think: float = 0.0) -> SessionLog:
    """`sessions` browser sessions at once, each doing `actions` actions; their logs merged."""
    from playwright.async_api import async_playwright

    logs = [SessionLog() for _ in range(sessions)]
    opened = asyncio.Barrier(sessions)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(_session(browser, base, queries, actions, seed * 1000 + i, logs[i], delay=0.25 * i,
                                            think=think, opened=opened) for i in range(sessions)))
        finally:
            await browser.close()
    merged = SessionLog()
    for log in logs:
        for action, times in log.times.items():
            merged.times.setdefault(action, []).extend(times)
        merged.errors += log.errors
    return merged


def _warm(base: str, queries: list[str]) -> float:
    """One session visits every view first, so mining and the map are computed (and stored) before timing."""
    started = time.perf_counter()
    log = asyncio.run(run_round(base, 1, 1, queries[:1]))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        for view in ("recurring", "map", "timeline"):
            page.goto(f"{base}/?view={view}&q={queries[0]}")
            page.wait_for_function(f"() => !!document.querySelector('[data-testid=stVegaLiteChart], [data-testid=stDataFrame], "
                                   f"[data-testid=stAlert]') && {IDLE}", timeout=600_000, polling=100)
        browser.close()
    if log.errors:
        raise RuntimeError(f"warm-up failed: {log.errors[:3]}")
    return time.perf_counter() - started


def main(argv=None) -> dict:
    p = common.parser(__doc__)
    p.add_argument("--index", help="index folder (default: bench_build's KCNA 2024 index)")
    p.add_argument("--sessions", type=int, default=None)
    p.add_argument("--actions", type=int, default=None)
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--think", type=float, default=None,
                   help=f"mean seconds an analyst reads between two actions (default {THINK_S}; 0 with --smoke)")
    p.add_argument("--queries", choices=("kcna", "sample"), default=None,
                   help="what the sessions search for: KCNA 2024 formulations, or the sample corpus's example queries "
                        "(default: kcna; sample with --smoke)")
    args = p.parse_args(argv)
    command = " ".join(["python -m bench.bench_concurrency", *(sys.argv[1:] if argv is None else argv)])
    smoke = args.smoke
    if not Path(CHROMIUM).exists():
        body = f"{CHROMIUM} not found (bash scripts/install.sh --test installs Debian's chromium): nothing measured."
        common.write_results("concurrency", "Explorer: many users at once", body, {"skipped": "no chromium"}, smoke)
        return {"skipped": "no chromium"}
    from bench.bench_query import kcna_index
    from explorer.logic.sample import SAMPLE_QUERIES

    index = Path(args.index).resolve() if args.index else kcna_index(smoke)
    sessions = args.sessions or (2 if smoke else 10)
    actions = args.actions or (5 if smoke else 20)
    rounds = args.rounds or (1 if smoke else 5)
    think = args.think if args.think is not None else (0.0 if smoke else THINK_S)
    queries = list(SAMPLE_QUERIES) if (args.queries or ("sample" if smoke else "kcna")) == "sample" else KCNA_QUERIES
    logs_dir = common.work_dir("concurrency-smoke" if smoke else "concurrency")
    process, base = start(index, logs_dir / "streamlit.log")
    per_round, rss, loads = [], [], []
    merged, figures = SessionLog(), {}
    try:
        wait_healthy(process, base, timeout=180)
        warm_s = _warm(base, queries)
        rss.append(rss_mb(process))
        for r in range(rounds):
            loads.append(os.getloadavg()[0])
            started, cpu_before, busy_before = time.perf_counter(), cpu_seconds(process), machine_busy_seconds()
            log = asyncio.run(run_round(base, sessions, actions, queries, seed=r + 1, think=think))
            wall = time.perf_counter() - started
            server_cpu = cpu_seconds(process) - cpu_before
            machine_cpu = machine_busy_seconds() - busy_before
            time.sleep(1.0)
            rss.append(rss_mb(process))
            done = sum(len(v) for k, v in log.times.items() if k != "load")
            all_times = [t for k, v in log.times.items() if k != "load" for t in v]
            per_round.append({"round": r + 1, "actions": done, "wall_s": wall, "errors": len(log.errors),
                              "server_cpu_s": server_cpu, "machine_cpu_s": machine_cpu,
                              "loads": len(log.times.get("load", [])),
                              "p50": common.Stats(all_times).median if all_times else None,
                              "p95": common.Stats(all_times).pct(95) if all_times else None,
                              "rss_mb": rss[-1], "load": loads[-1]})
            print(f"round {r + 1}: {per_round[-1]}", flush=True)
            for action, times in log.times.items():
                merged.times.setdefault(action, []).extend(times)
            merged.errors += log.errors
            figures = _report(index, smoke, sessions, actions, r + 1, merged, rss, per_round, loads, warm_s,
                              queries, command, think)
    finally:
        stop(process)
    return figures


def _report(index: Path, smoke: bool, sessions: int, actions: int, rounds: int, merged: SessionLog, rss: list[float],
            per_round: list[dict], loads: list[float], warm_s: float, queries: list[str], command: str,
            think: float) -> dict:
    """Write this run's section of RESULTS.md from the rounds done so far (after each round: a run cut short
    still leaves its figures)."""
    actions_done = sum(len(v) for k, v in merged.times.items() if k != "load")
    timed = [t for k, v in merged.times.items() if k != "load" for t in v]
    overall = common.Stats(timed)
    growth = (rss[-1] - rss[1]) / rss[1] if len(rss) > 2 else 0.0
    figures = {"index": str(index), "sessions": sessions, "actions_per_session": actions, "rounds": rounds,
               "actions": actions_done, "errors": merged.errors, "warm_up_s": warm_s, "rss_mb": rss,
               "rss_growth": growth, "round_trip_s": overall.as_dict(), "rounds_detail": per_round,
               "by_action": {k: common.Stats(v).as_dict() for k, v in merged.times.items()},
               "load_during": loads, "think_s": think}
    rows = [[k, len(v), f"{common.Stats(v).median:.2f} s", f"{common.Stats(v).pct(95):.2f} s", f"{max(v):.2f} s"]
            for k, v in sorted(merged.times.items())]
    round_rows = [[d["round"], d["actions"], d["errors"], f"{d['p50']:.2f} s" if d["p50"] else "-",
                   f"{d['p95']:.2f} s" if d["p95"] else "-",
                   f"{d['server_cpu_s'] / max(1, d['actions'] + d['loads']):.2f} s",
                   f"{(d['machine_cpu_s'] - d['server_cpu_s']) / max(1, d['actions'] + d['loads']):.2f} s",
                   f"{d['machine_cpu_s'] / d['wall_s'] / (os.cpu_count() or 1):.0%}", f"{d['rss_mb']:.0f} MiB",
                   f"{d['load']:.1f}"]
                  for d in per_round]
    cpu_per_action = sum(d["server_cpu_s"] for d in per_round) / max(1, sum(d["actions"] + d["loads"] for d in per_round))
    figures["server_cpu_per_action_s"] = cpu_per_action
    others_per_action = (sum(d["machine_cpu_s"] - d["server_cpu_s"] for d in per_round)
                         / max(1, sum(d["actions"] + d["loads"] for d in per_round)))
    figures["others_cpu_per_action_s"] = others_per_action
    pace = (f"each analyst reads for {0.5 * think:g}-{1.5 * think:g} s (mean {think:g} s) before the next action"
            if think else "no pause between actions (a stress test: every session always has an action waiting)")
    index_label = ("sample corpus (hashing encoder)" if smoke
                   else index.relative_to(common.REPO) if index.is_relative_to(common.REPO) else index)
    body = f"""
Index: {index_label}; queries drawn from {len(queries)} ("{queries[0]}", …).
One server; per round {sessions} browser sessions
at once (separate contexts in one headless Chromium on the same 2 cores as the server), {actions} mixed actions each;
{rounds} rounds = {actions_done:,} actions; {pace}. Warm-up (mining, map, first model load; not timed): {warm_s:.0f} s.
The machine is shared with other work: its 1-minute load average at the start of each round is in the table.

{common.table(['action', 'n', 'median', 'p95', 'max'], rows)}

{common.table(['round', 'actions', 'errors', 'median', 'p95', 'server CPU per action or page load',
               'other CPU (browsers, harness) per action or page load', 'machine busy', 'server RSS after', 'load'],
              round_rows)}

The server's own CPU time per action or page load, {cpu_per_action:.3f} s on average, does not depend on how loaded
the machine is: one core given to the server alone would serve about {1 / max(cpu_per_action, 1e-9):.0f} actions a second.
Everything else on the machine (the {sessions} Chromium sessions, which run Streamlit's JavaScript for every rerun,
this harness, and any other work) used {others_per_action:.2f} s of CPU per action or page load.

| target | figure | verdict |
|---|---|---|
| no error on any page | {len(merged.errors)} errors{(': ' + '; '.join(e[:80] for e in merged.errors[:3])) if merged.errors else ''} | {common.verdict(not merged.errors)} |
| p95 round trip ≤ {TARGET_P95_S} s | {overall.pct(95):.2f} s (median {overall.median:.2f} s, n={len(timed)}) | {common.verdict(overall.pct(95) <= TARGET_P95_S)} |
| server RSS growth ≤ {TARGET_GROWTH:.0%} | {rss[1]:.0f} → {rss[-1]:.0f} MiB after the first round and the last: {growth:+.1%} (after warm-up {rss[0]:.0f} MiB) | {common.verdict(growth <= TARGET_GROWTH)} |
"""
    common.write_results("concurrency", "Explorer: many users at once", body, figures, smoke, command=command)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
