"""The Timeline of formulations and the Map (issue #13, item 4 and the new views), driven through AppTest.

The Timeline runs on the explorer's small test corpus (hashing encoder); the Map on the bundled sample corpus
indexed with the hashing stand-in, which holds enough recurring formulations to lay out.
"""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

import explorer_corpus
from apptest_support import card_ids, fresh_caches, html, app, index_dir, run, searcher, texts  # noqa: F401  (fixtures)
from index.mining.map import formulation_map
from index.mining.recurring import MiningParams, recurring
from index.mining.select import FURNITURE
from index.search import Searcher
from index.store import layout

RIVER_QUERY = "our people and our Party flow together like one great river"


def chart_data(at: AppTest) -> list[dict]:
    """The rows the first chart draws: Streamlit sends each data set apart from the spec, as Arrow."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[0].proto
    tables = [dataset.data.data for dataset in proto.datasets] + ([proto.data.data] if proto.data.data else [])
    return [row for table in tables for row in pa.ipc.open_stream(table).read_all().to_pylist()]


def series_lines(at: AppTest) -> list[str]:
    return [h.value for h in at.html if 'class="rf-series"' in h.value and "containing" in h.value
            or 'class="rf-series"' in h.value and "scoring" in h.value]


# ---------------------------------------------------------------- Timeline


def test_timeline_charts_the_exact_phrase_by_default(app, searcher):
    at = app({"view": "timeline", "q": RIVER_QUERY, "min": "0.1", "by": "year"})
    assert at.multiselect(key="t").value == [RIVER_QUERY] and at.query_params["t"] == RIVER_QUERY
    assert at.session_state["tmode"] == "phrase"
    line = series_lines(at)[0]
    assert "3 paragraphs containing the phrase in 3 of 8 documents" in line  # not the 0.1 minimum score's topic
    drawn = {r["period"]: (r["matched"], r["documents"]) for r in chart_data(at) if r["series"] == RIVER_QUERY}
    assert drawn == {"2021": (1, 2), "2022": (1, 3), "2023": (1, 2)}
    assert "Results (k)" not in [w.label for w in at.number_input]  # the Timeline counts every match


def test_meaning_mode_has_its_own_minimum_score(app, searcher):
    at = app({"view": "timeline", "t": RIVER_QUERY, "min": "0.1", "tmode": "meaning", "by": "year"})
    matched = searcher.matching(RIVER_QUERY, 0.6)
    docs = {h.doc_id for h in matched}
    exact = docs & {h.doc_id for h in searcher.phrase(RIVER_QUERY)}
    assert (len(matched), len(docs), len(exact)) == (4, 4, 3)
    assert (f"4 paragraphs scoring at least 0.60 in 4 of 8 documents, 3 of which hold the exact words"
            in series_lines(at)[0])
    at.slider(key="tmin").set_value(0.4)
    run(at)
    assert "5 paragraphs scoring at least 0.40 in 5 of 8 documents" in series_lines(at)[0]
    assert at.query_params["tmin"] == "0.4" and at.session_state["min_score"] == 0.1  # the Search's is untouched


def test_several_formulations_share_one_chart_and_a_period_lists_each(app, searcher):
    at = app({"view": "timeline", "t": [RIVER_QUERY, "iron bridge"], "by": "year"})
    rows = chart_data(at)
    assert {r["series"] for r in rows} == {RIVER_QUERY, "iron bridge"}
    assert {(r["period"], r["matched"]) for r in rows if r["series"] == "iron bridge"} == \
        {("2021", 1), ("2022", 1), ("2023", 0)}
    at.selectbox(key="period").set_value("2022")
    run(at)
    river, bridge = card_ids(at, "timeline1"), card_ids(at, "timeline2")
    assert [searcher.passage(p).doc_id for p in river] == [explorer_corpus.doc_id(searcher, "newyear")]
    assert [searcher.passage(p).doc_id for p in bridge] == [explorer_corpus.doc_id(searcher, "hostile")]
    assert at.query_params["period"] == "2022" and at.query_params["t"] == [RIVER_QUERY, "iron bridge"]
    for key in ("timeline-csv", "timeline-png", "timeline-svg", "timeline1-csv", "timeline2-csv"):
        assert at.get("download_button") and any(b.proto.id and key in b.proto.id for b in at.get("download_button")), key


def test_share_mode_marks_periods_with_few_documents(app):
    at = app({"view": "timeline", "t": RIVER_QUERY, "norm": "1"})
    rows = chart_data(at)
    assert rows and all(r["small"] for r in rows)  # one or no document a month in this corpus
    assert "Hollow points: months with fewer than 5 documents" in texts(at)
    assert "per year reads better" in texts(at)
    at.selectbox(key="smooth").set_value(2)
    run(at)
    assert at.query_params["smooth"] == "2" and "5-month window" in json.dumps(json.loads(
        at.get("vega_lite_chart")[0].proto.spec)["layer"][-1]["encoding"]["y"])


def test_timeline_explains_when_there_is_nothing_to_chart(app):
    at = app({"view": "timeline"})
    assert "Type a formulation above" in html(at) and not at.error
    at = app({"view": "timeline", "t": "zebra quantum"})
    assert "Nothing matches" in texts(at) and not at.error


def test_the_timeline_exports_its_chart_as_png_and_svg(searcher):
    from explorer.logic.series import find_series
    from explorer.logic.timeline import chart_points
    from explorer.logic.viewstate import ViewState
    from explorer.views import timeline as view

    s = ViewState(lines=(RIVER_QUERY, "iron bridge"), by="year")
    population = [(d["doc_id"], d["date"]) for d in searcher.documents()]
    series = [find_series(searcher, t, "phrase", "paragraph", s.filters(), 0.6, population, "year") for t in s.lines]
    points = [p for one in series for p in chart_points(one.text, one.timeline, False)]
    chart = view._chart(points, s, None, legend=True).properties(title=view._title(s))
    png, svg = view._render_png(chart), view._render_svg(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert svg.lstrip().startswith("<svg") and "iron bridge" in svg and "Documents per year" in svg


# ---------------------------------------------------------------- Map


@pytest.fixture
def sample_copy(tmp_path, sample_hashing_index):
    copy = tmp_path / "sample"
    shutil.copytree(sample_hashing_index, copy)
    return copy


def test_map_lays_out_the_formulations_once_and_stores_the_layout(app, sample_copy):
    at = app({"view": "map"}, index=sample_copy)
    searcher = Searcher(sample_copy)
    result = recurring(searcher, MiningParams(level="sentence"))
    rows = chart_data(at)
    dots = list({r["id"]: r for r in rows if "documents" in r and "first" in r}.values())  # labels repeat some
    furniture = {f.id for f in result.formulations if f.category in FURNITURE}
    assert furniture and len(result.formulations) - len(furniture) >= 5  # the sample plants stock phrases
    assert {r["id"] for r in dots} == {f.id for f in result.formulations} - furniture  # hidden, as in Recurring
    assert f"titles, names and stock phrases: {len(furniture)} hidden" in texts(at)
    assert all(-1.0 <= r["x"] <= 1.0 and -1.0 <= r["y"] <= 1.0 for r in dots)
    stored = sorted((sample_copy / layout.DERIVED).glob("map-*.json"))
    assert len(stored) == 1
    before = stored[0].stat().st_mtime_ns
    again = app({"view": "map", "mcol": "last"}, index=sample_copy)  # a new process: read back, not computed
    assert stored[0].stat().st_mtime_ns == before
    fmap = formulation_map(searcher, result)
    assert {(p.formulation, p.x, p.y) for p in fmap.points if p.formulation not in furniture} == {
        (r["id"], r["x"], r["y"]) for r in chart_data(again) if "documents" in r and "first" in r}
    everything = app({"view": "map", "furniture": "1"}, index=sample_copy)  # the switch shows them, same layout
    assert {(p.formulation, p.x, p.y) for p in fmap.points} == {
        (r["id"], r["x"], r["y"]) for r in chart_data(everything) if "documents" in r and "first" in r}
    assert "colour: last use" in texts(again)


def test_map_places_the_search_hits_among_the_formulations(app, sample_copy):
    searcher = Searcher(sample_copy)
    query = "flow together like one great river"
    at = app({"view": "map", "q": query, "k": "6", "min": "0"}, index=sample_copy)
    hits = searcher.search(query, k=6, min_score=0)
    placed = [r for r in chart_data(at) if "passage_id" in r]
    assert [r["passage_id"] for r in placed] == [h.passage_id for h in hits]
    assert all(-1.0 <= r["x"] <= 1.0 and -1.0 <= r["y"] <= 1.0 for r in placed)
    assert "6 hits of the Search query" in texts(at)


def test_map_with_too_few_formulations_says_so(app):
    at = app({"view": "map"})  # the small test corpus: one formulation recurs
    assert "too few to map" in texts(at) and not at.get("vega_lite_chart")
