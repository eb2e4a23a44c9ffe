"""The Recurring view's analysis panels, driven through AppTest on the lexical succession corpus
(planted_succession.lexical_speeches, indexed with the hashing stand-in): four countries drop an old slogan for
a new one, each in its own year, while a third formulation is said by all every year.

Lineage: the new slogan's predecessor is the old one, both curves on one chart, and "Show" moves to it.
Who uses it: the new slogan's adopters by country, first adopters first. Compare periods: new, vanished, steady.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import planted_succession as planted
from apptest_support import app_on, fresh_caches, html, plain, run, texts  # noqa: F401  (fixture)
from index.build import BuildSettings, build_index
from index.embed.encoder import HashingEncoder
from index.ingest.records import ReadOptions
from index.mining.recurring import MiningParams, recurring
from index.search import Searcher


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    corpus = planted.write_lexical(tmp_path_factory.mktemp("lexical"))
    out = tmp_path_factory.mktemp("lexical-index") / "index"
    build_index([str(corpus)], out, ReadOptions(id_field="id", meta_fields=("country",)), BuildSettings(),
                encoder=HashingEncoder(256))
    return out


@pytest.fixture(scope="module")
def ids(index_dir) -> dict[str, str]:
    return {f.centre.text: f.id for f in recurring(Searcher(index_dir), MiningParams("sentence")).formulations}


app = app_on("recurring", timeout=60)


def chart_rows(at: AppTest, mark: str) -> list[dict]:
    """The data of the one chart of this mark (the timeline's are bars of documents, the adopters' bars of values)."""
    (found,) = [c.proto for c in at.get("vega_lite_chart") if _mark(json.loads(c.proto.spec)) == mark]
    return pa.ipc.open_stream(found.datasets[0].data.data).read_all().to_pylist()


def _mark(spec: dict) -> str:
    mark = spec["mark"]["type"] if isinstance(spec["mark"], dict) else spec["mark"]
    return f"bar-{spec['encoding']['y']['field']}" if mark == "bar" else mark


def frame_with(at: AppTest, column: str):
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_the_new_slogans_lineage_names_its_predecessor_on_one_chart(app, ids):
    old, new = ids[planted.LEXICAL_OLD], ids[planted.LEXICAL_NEW]
    at = app({"f": new})
    body = html(at)
    assert 'Lineage <span class="rf-muted">(1)</span>' in body and planted.LEXICAL_OLD in body
    assert "predecessor" in body and "took over in 2021: the earlier one was in 90.0% of the documents before, 8.3% from then on" in body
    rows = chart_rows(at, "line")
    lines = {}
    for row in rows:
        lines.setdefault(row["formulation"], []).append(row["documents"])
    assert lines == {"this formulation": [0, 0, 0, 0, 2, 3, 4, 4],
                     f"predecessor: {planted.LEXICAL_OLD[:60]}": [4, 4, 4, 4, 2, 1, 0, 0]}
    at.button(key=f"rec-link-show-{old}").click()
    run(at)
    assert at.session_state["f"] == old and at.query_params["f"] == old
    assert 'Lineage <span class="rf-muted">(1)</span>' in html(at) and "successor" in html(at)


def test_show_reaches_a_formulation_the_list_filters_hide(app, ids):
    old, new = ids[planted.LEXICAL_OLD], ids[planted.LEXICAL_NEW]
    at = app({"f": new, "has": "self-development"})  # the list shows only the new slogan
    at.button(key=f"rec-link-show-{old}").click()
    run(at)
    assert at.session_state["f"] == old and at.session_state["has"] == "" and "has" not in at.query_params


def test_a_formulation_without_lineage_says_so(app, ids):
    at = app({"f": ids[planted.LEXICAL_FLAT]})
    assert 'Lineage <span class="rf-muted">(0)</span>' in html(at)
    assert "No predecessor or successor found" in texts(at)
    assert [_mark(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")] == ["bar-documents", "bar-value"]  # no lines


def test_who_uses_the_new_slogan_by_country(app, ids):
    at = app({"f": ids[planted.LEXICAL_NEW]})
    assert at.segmented_control(key="rec-by-field").value == "country"
    frame = frame_with(at, "since")
    assert list(frame["value"]) == ["KES", "MAV", "TAR", "ORN"]
    assert list(frame["documents"]) == [4, 4, 3, 2] and list(frame["total"]) == [8, 8, 8, 8]
    assert list(frame["since"]) == ["2020-09-20", "2020-09-21", "2021-09-22", "2022-09-23"]
    assert list(frame["share"]) == [0.5, 0.5, 0.375, 0.25]
    assert "Used by 4 of the 4 values of country" in texts(at)
    assert [r["documents"] for r in chart_rows(at, "bar-value")] == [4, 4, 3, 2]


def test_compare_two_periods(app, ids):
    at = app()
    assert not [d for d in at.date_input if d.key == "rec-cmp-first"]  # closed: nothing compared on every rerun
    at.session_state["rec-compare"] = True  # the user opens the panel
    run(at)
    assert at.date_input(key="rec-cmp-first").value == (dt.date(2016, 9, 20), dt.date(2019, 12, 31))
    assert at.date_input(key="rec-cmp-second").value == (dt.date(2020, 1, 1), dt.date(2023, 9, 23))
    at.date_input(key="rec-cmp-first").set_value((dt.date(2016, 9, 20), dt.date(2017, 12, 31)))
    at.date_input(key="rec-cmp-second").set_value((dt.date(2022, 1, 1), dt.date(2023, 9, 23)))
    run(at)
    frame = frame_with(at, "p_value")
    status = dict(zip(frame["id"], frame["status"]))
    assert status == {ids[planted.LEXICAL_NEW]: "new", ids[planted.LEXICAL_OLD]: "vanished",
                      ids[planted.LEXICAL_FLAT]: "steady"}
    new_row = frame[frame["status"] == "new"].iloc[0]
    assert (new_row["first_documents"], new_row["second_documents"], new_row["second_share"]) == (0, 8, 100.0)
    assert "8 documents in the first period, 8 in the second. 1 new, 0 rising, 0 falling, 1 vanished, 1 steady" \
        in plain(texts(at))
    at.date_input(key="rec-cmp-second").set_value((dt.date(2017, 6, 1), dt.date(2023, 9, 23)))
    run(at)
    assert at.error and "the periods overlap" in plain(at.error[0].value)


def test_panels_follow_a_change_of_mining(app, ids):
    """The centre vectors and metadata values are kept per index and mining: another level is not read with the
    first one's (the phrase level has other formulations, in another number)."""
    at = app({"f": ids[planted.LEXICAL_NEW]})
    assert 'Lineage <span class="rf-muted">(1)</span>' in html(at)
    at.segmented_control(key="rlevel").set_value("phrase")
    run(at)
    phrases = at.selectbox(key="f").options
    assert len(phrases) > 3
    at.selectbox(key="f").select_index(0)
    run(at)
    assert not at.exception and "Lineage" in html(at) and "Who uses it" in html(at)
