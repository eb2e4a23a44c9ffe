"""The explorer in a real browser: `streamlit run` on a free localhost port, driven by Playwright with
Debian's chromium (never a downloaded browser). Screenshots of each view go to test-artifacts/.

The main server's index is the explorer's test corpus plus one long document (a reader that must scroll);
a second server opens the sample corpus (hashing encoder), which has enough formulations for the Map and
for a short run of several sessions at once (bench/bench_concurrency.py is the full benchmark).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pytest

import explorer_corpus
from bench.explorer_server import CHROMIUM, CHROMIUM_ARGS, REPO, start, stop, wait_healthy

from index.search import Searcher

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts"
WIDGET_TIMEOUT_MS = 60_000  # the first page load compiles the widget bundles: slow on a small CI machine


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found (bash scripts/install.sh --test installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


LONG_DOC = {"id": "ledger", "title": "Annual ledger of committee minutes", "date": "2023-08-01", "topic": "Economy",
            "country": "Kestria",
            "text": "\n\n".join(f"Minute {i}: delegates reviewed agenda item {i} concerning district {i % 9} budgets, "
                                 f"harbour dredging schedules {i * 3} and ledger audits before adjourning at {i % 12 + 1} o'clock."
                                 for i in range(1, 81))}


def serve(index_dir: Path, tmp_path_factory):
    """`streamlit run explorer/app.py -- --index DIR` on a free port; yields its base URL."""
    log_path = tmp_path_factory.mktemp("logs") / "streamlit.log"
    process, base = start(index_dir, log_path)
    try:
        try:
            wait_healthy(process, base, timeout=90, poll=0.3)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log_path.read_text(errors='replace')[-3000:]}")
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The explorer on an index holding hostile markup and one long document."""
    out = tmp_path_factory.mktemp("browser") / "index"
    extra = out.parent / "ledger.jsonl"
    extra.write_text(json.dumps(LONG_DOC) + "\n", encoding="utf-8")
    explorer_corpus.build(out, extra_sources=(extra,))
    for base in serve(out, tmp_path_factory):
        yield base, Searcher(out)


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory, sample_hashing_index):
    """The explorer on the sample corpus (hashing encoder), a copy: the Map stores its layout in DIR/derived."""
    copy = tmp_path_factory.mktemp("sample-browser") / "index"
    shutil.copytree(sample_hashing_index, copy)
    for base in serve(copy, tmp_path_factory):
        yield base, Searcher(copy)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def settle(page) -> None:
    """Wait until Streamlit has finished the rerun and drawn every widget."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
        " && !document.querySelector('[data-testid=\"stSpinner\"]')",
        timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_timeout(300)


def card_ids(page, scope: str) -> list[str]:
    classes = page.locator(f'[class*="st-key-card-{scope}-"]').evaluate_all("els => els.map(e => e.className)")
    return [re.search(rf"st-key-card-{scope}-(\w+)", c).group(1) for c in classes]


def url(page) -> str:
    """The address bar (page.url can lag behind Streamlit's history.pushState)."""
    return page.evaluate("() => location.href")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_search_more_like_this_and_hostile_markup(server, page):
    base, searcher = server
    page.goto(f"{base}/?min=0.1&k=10")
    box = page.get_by_placeholder("Type a formulation", exact=False)
    box.wait_for(timeout=WIDGET_TIMEOUT_MS)
    box.fill("iron bridge")
    box.press("Enter")
    page.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    first = card_ids(page, "search")
    hostile = explorer_corpus.hit_ids(searcher, "hostile")[0]
    assert hostile in first and "q=iron+bridge" in url(page)

    card = page.locator(f".st-key-card-search-{hostile}")
    text = card.inner_text()
    assert "<script>window.__pwned=1</script>" in text
    assert '<img src=x onerror="window.__pwned=1">' in text
    assert "[click](javascript:alert(1))" in text and ":red[alarm]" in text
    assert '<b>markup</b> & "quotes" [link](javascript:alert(2))' in text
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator('img[src="x"]').count() == 0 and page.locator('a[href^="javascript"]').count() == 0
    assert page.locator("[data-testid=stMain] script").count() == 0
    assert page.dialogs == []
    shot(page, "explorer-search.png")

    page.locator(f".st-key-search-more-{first[0]} button").first.click()
    page.get_by_text("Source passage").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    after = card_ids(page, "search")
    assert after and after != first and first[0] not in after
    assert f"like={first[0]}" in url(page)
    assert page.evaluate("() => window.__pwned") is None and page.dialogs == []
    shot(page, "explorer-more-like-this.png")


def test_document_compare_and_timeline_views(server, page):
    base, searcher = server
    founders = explorer_corpus.doc_id(searcher, "founders")
    river = explorer_corpus.hit_ids(searcher, "founders")[1]
    page.goto(f"{base}/?view=document&read={founders}&p={river}&min=0.3")
    page.locator(".st-key-doc-reader").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator('[class*="st-key-card-doc-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert page.locator(".rf-para.rf-selected").inner_text().endswith(searcher.passage(river).text)
    assert len(card_ids(page, "doc")) == 4
    shot(page, "explorer-document.png")

    other = card_ids(page, "doc")[-1]  # the reworded one: "The people and the Party flow together as one mighty river."
    page.locator(f".st-key-doc-cmp-{other} button").first.click()
    page.locator("#rf-side-b").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert "view=compare" in url(page) and f"a={river}" in url(page) and f"b={other}" in url(page)
    assert page.locator("#rf-side-a mark.same").count() >= 1
    shot(page, "explorer-compare.png")

    page.goto(f"{base}/?view=timeline&q=our+people+and+our+Party+flow+together&min=0.4&by=year")
    points = page.locator("[data-testid=stVegaLiteChart] .mark-symbol path")
    points.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert points.count() == 3  # 2021, 2022, 2023: the exact phrase, in one formulation
    points.nth(1).click()
    page.locator('[class*="st-key-card-timeline1-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert "period=2022" in url(page)
    shown = card_ids(page, "timeline1")
    assert len(shown) == 2 and all(searcher.passage(pid).date.startswith("2022") for pid in shown)
    shot(page, "explorer-timeline.png")
    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-timeline-csv button").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r["period"], r["matched"], r["mode"]) for r in rows] == [("2021", "1", "phrase"), ("2022", "2", "phrase"),
                                                                     ("2023", "1", "phrase")]
    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-timeline-png button").click()
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"



def test_timeline_exports_what_the_chart_draws(server, page):
    """Two formulations overlaid per year: the CSV holds one row per point drawn, the PNG is an image, and the
    SVG is the same chart (its legend names both formulations, one symbol per point)."""
    base, _ = server
    lines = ("our people and our Party flow together", "iron bridge")
    page.goto(f"{base}/?view=timeline&t={lines[0].replace(' ', '+')}&t={lines[1].replace(' ', '+')}&by=year")
    points = page.locator("[data-testid=stVegaLiteChart] .mark-symbol path")
    points.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    drawn = points.count()

    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-timeline-csv button").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == drawn == 6  # 2021-2023 for each: the river in every year, the bridge in 2021 and 2022
    assert {r["series"] for r in rows} == set(lines)
    assert [(r["period"], r["matched"]) for r in rows if r["series"] == lines[1]] == [("2021", "1"), ("2022", "1"),
                                                                                      ("2023", "0")]

    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-timeline-png button").click()
    png = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk
    assert width >= 900 and height >= 320  # the chart's own size (900 x 320), drawn at scale 2

    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-timeline-svg button").click()
    assert download.value.suggested_filename.endswith(".svg")
    svg = ElementTree.fromstring(Path(download.value.path()).read_bytes())
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert all(line in texts for line in lines), texts
    marks = [g for g in svg.iter("{http://www.w3.org/2000/svg}g")
             if {"mark-symbol", "role-mark"} <= set((g.get("class") or "").split())]  # the points, not the legend's
    assert sum(len(list(g.iter("{http://www.w3.org/2000/svg}path"))) for g in marks) == drawn
    legend = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if "role-legend-label" in (g.get("class") or "")]
    assert legend and {"".join(t.itertext()) for g in legend for t in g.iter("{http://www.w3.org/2000/svg}text")} == set(lines)


def test_recurring_view_select_export_and_open(server, page):
    """Recurring: click a formulation's row, see its detail, download the exports, open a member's document."""
    base, searcher = server
    page.goto(f"{base}/?view=recurring&rby=year")
    grid = page.locator(".st-key-rec-table [data-testid=stDataFrame], [data-testid=stDataFrame]").first
    grid.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first row's selection box
    page.locator(".st-key-rec-detail").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator('[class*="st-key-card-rec-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert re.search(r"[?&]f=f-[0-9a-f]{12}", url(page))
    members = card_ids(page, "rec")
    assert len(members) == 4 and [searcher.passage(p).date for p in members] == ["2021-03-04", "2022", "2022-12-31", "2023-04-22"]
    assert page.locator(".rf-centre").inner_text() == explorer_corpus.RIVER
    assert page.locator("[data-testid=stVegaLiteChart]").count() == 2  # its timeline and who uses it (by topic)
    page.locator(".st-key-rec-head").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)
    shot(page, "explorer-recurring.png")

    page.locator(".st-key-rec-export button").first.click()
    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-rec-csv button").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert download.value.suggested_filename == "refrain-recurring-sentence.csv"
    assert [(r["centre"], r["documents"], r["docs_2021"], r["docs_2022"], r["docs_2023"]) for r in rows] == \
        [(explorer_corpus.RIVER, "4", "1", "2", "1")]
    with page.expect_download(timeout=WIDGET_TIMEOUT_MS) as download:
        page.locator(".st-key-rec-json button").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [m["passage_id"] for m in data["formulations"][0]["members"]] == members
    page.keyboard.press("Escape")

    chosen = members[2]
    page.locator(f".st-key-rec-open-{chosen} button").first.click()
    page.locator(".st-key-doc-reader").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert "view=document" in url(page) and f"p={chosen}" in url(page) and "level=sentence" in url(page)
    assert page.locator(".rf-para.rf-selected").inner_text().endswith(searcher.passage(chosen).text)


def test_back_forward_and_a_long_document_opened_where_it_was_chosen(server, page):
    """#13 items 1, 2 and 7: the browser's Back and Forward, "Back to results", and a chosen paragraph far down a
    long document scrolled into the reader, whose panes fill the window."""
    base, searcher = server
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{base}/?q=delegates+reviewed+agenda+item+70+concerning+district&min=0.1&k=5")
    page.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    results = card_ids(page, "search")
    chosen = next(p for p in results if searcher.passage(p).ordinal >= 60)  # far down the 80-paragraph ledger
    page.locator(f".st-key-search-open-{chosen} button").first.click()
    page.locator(".rf-para.rf-selected").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    page.wait_for_timeout(500)  # the reader scrolls once its rows are drawn
    reader = page.locator(".st-key-doc-reader").bounding_box()
    row = page.locator(".rf-para.rf-selected").bounding_box()
    assert reader["y"] <= row["y"] and row["y"] + row["height"] <= reader["y"] + reader["height"], (reader, row)
    assert reader["height"] > 600  # the window's height, not a fixed 540 px
    assert "view=document" in url(page) and f"p={chosen}" in url(page) and "back=search" in url(page)
    shot(page, "explorer-document-long.png")

    page.go_back()
    page.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert "view=document" not in url(page) and card_ids(page, "search") == results
    page.go_forward()
    page.locator(".rf-para.rf-selected").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert f"p={chosen}" in url(page)
    page.locator(".st-key-doc-back button").click()
    page.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    assert card_ids(page, "search") == results and "view=" not in url(page)


def test_a_copied_link_reruns_a_long_query_whole(server, browser):
    """#13 item 8: a 5,000-character query survives the address bar, so a copied link runs the same query."""
    base, _ = server
    query = " ".join(["our people and our Party flow together like one great river beside the iron bridge"] * 60)[:5000]
    first = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    first.goto(f"{base}/?min=0.1")
    box = first.get_by_placeholder("Type a formulation", exact=False)
    box.wait_for(timeout=WIDGET_TIMEOUT_MS)
    box.fill(query)
    box.press("Enter")
    first.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(first)
    link = url(first)
    assert len(link) > 5000
    second = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    second.goto(link)
    second.locator('[class*="st-key-card-search-"]').first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(second)
    assert second.get_by_placeholder("Type a formulation", exact=False).input_value() == query
    assert card_ids(second, "search") == card_ids(first, "search")
    first.context.close()
    second.context.close()


def test_map_hover_and_click_open_a_formulation(sample_server, page):
    base, searcher = sample_server
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{base}/?view=map")
    dots = page.locator("[data-testid=stVegaLiteChart] .mark-symbol path")
    dots.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    shot(page, "explorer-map.png")
    dots.first.hover()
    tooltip = page.locator("#vg-tooltip-element, [class*=vg-tooltip]").first
    tooltip.wait_for(timeout=WIDGET_TIMEOUT_MS)
    hovered = tooltip.inner_text()
    assert "formulation" in hovered and "first use" in hovered
    dots.first.click()
    page.wait_for_function("() => location.search.includes('view=recurring') && /[?&]f=f-/.test(location.search)",
                           timeout=WIDGET_TIMEOUT_MS)
    page.locator(".st-key-rec-detail").wait_for(timeout=WIDGET_TIMEOUT_MS)
    settle(page)
    centre = page.locator(".rf-centre").inner_text()
    assert centre and centre[:40] in hovered.replace("\n", " ")



# Several analysts at once (#13): a short, fixed version of bench/bench_concurrency.py's random walk. Each session
# searches for a planted formulation's own words (verbatim hits come first whatever their score under the hashing
# encoder, and the Timeline's exact-phrase mode charts them), then works through its plan; after every action the
# page must show what the action asked for. No timing here: the benchmark measures round trips.
SESSION_PLANS = (
    ("flow together like one great river", ("search", "open", "back", "timeline", "period")),
    ("the iron shield behind which our children sleep", ("search", "compare", "search-view", "compare", "recurring")),
    ("carry the torch that our founders lit", ("search", "more", "compare", "recurring", "map")),
    ("the principle of Kestria first", ("search", "map", "search-view", "level", "timeline")),
)
SHOWN_AFTER = {  # what must be on the page once an action has settled (a JS expression)
    "search": "document.querySelector('[class*=st-key-card-search-]')?.innerText.toLowerCase().includes(QUERY)",
    "search-view": "document.querySelector('[class*=st-key-card-search-]')?.innerText.toLowerCase().includes(QUERY)",
    "back": "document.querySelectorAll('[class*=st-key-card-search-]').length > 0",
    "more": "location.search.includes('like=') && document.querySelectorAll('[class*=st-key-card-search-]').length > 0",
    "level": "location.search.includes('level=sentence') && document.querySelectorAll('[class*=st-key-card-search-]').length > 0",
    "open": "!!document.querySelector('.st-key-doc-reader .rf-para.rf-selected')",
    "compare": "document.querySelectorAll('#rf-side-a mark.same').length > 0 && !!document.querySelector('#rf-side-b')",
    "timeline": "document.querySelectorAll('[data-testid=stVegaLiteChart] .mark-symbol path').length > 0",
    "period": "document.querySelectorAll('[class*=st-key-card-timeline1-]').length > 0",
    "recurring": "!!document.querySelector('[data-testid=stDataFrame]')",
    "map": "document.querySelectorAll('[data-testid=stVegaLiteChart] .mark-symbol path').length > 0",
}


async def _analyst(browser, base: str, query: str, plan: tuple[str, ...], delay: float) -> list[str]:
    """One session in its own browser context; returns what went wrong (nothing, when all is well)."""
    import random

    from bench.bench_concurrency import VIEWPORT, Session, SessionLog, _load

    await asyncio.sleep(delay)
    log = SessionLog()
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    page.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
    problems: list[str] = []
    try:
        if not await _load(page, base, log):
            return log.errors
        session = Session(page, base, [query], random.Random(0), log)
        for step, action in enumerate(plan):
            await session.act(action)
            shown = await page.evaluate(f"() => {{ const QUERY = {query.lower()!r}; return !!({SHOWN_AFTER[action]}); }}")
            if not shown:
                problems.append(f"{query!r}, step {step + 1} ({action}): not shown at {page.url}")
                await page.screenshot(path=str(ARTIFACTS / f"sessions-{plan[0]}-{step + 1}-{action}.png"))
                break
        done = sorted(a for a, times in log.times.items() for _ in times if a != "load")
        if not problems and done != sorted(plan):  # an action that fell back to another (no cards to open…)
            problems.append(f"{query!r}: did {done}, planned {sorted(plan)}")
    except Exception as exc:  # a timeout: the page never showed what the action asked for
        problems.append(f"{query!r}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]} at {page.url}")
    finally:
        await context.close()
    return log.errors + problems


async def _several_sessions(base: str) -> list[str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            found = await asyncio.gather(*(_analyst(browser, base, query, plan, delay=0.5 * i)
                                           for i, (query, plan) in enumerate(SESSION_PLANS)))
        finally:
            await browser.close()
    return [problem for problems in found for problem in problems]


def test_several_sessions_at_once(sample_server):
    """Four analysts on one server at the same time, five mixed actions each, every page free of errors.
    Playwright's sync API (this module's other tests) and its async API cannot share a thread: the sessions run
    with the async API in a thread of their own."""
    base, _ = sample_server
    ARTIFACTS.mkdir(exist_ok=True)
    with ThreadPoolExecutor(1) as pool:
        problems = pool.submit(asyncio.run, _several_sessions(base)).result(timeout=900)
    assert problems == [], "\n".join(problems)
