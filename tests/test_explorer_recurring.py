"""The explorer's Recurring view, driven through Streamlit's AppTest (widgets found by key).

The index is the explorer's small test corpus built with the hashing encoder (tests/explorer_corpus.py):
"Our people and our Party flow together like one great river." recurs, verbatim or reworded, in four
documents (2021-03-04 to 2023-04-22, one of them dated only by its year), which the mining finds as
one sentence formulation; at the phrase level a few recurring phrases come out, "Hardship is the
forge" among them (two documents of 2022).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import explorer_corpus
from apptest_support import (APP, app_on, card_ids, fresh_caches, html, index_dir, plain, run,  # noqa: F401  (fixtures)
                             searcher, texts)
from explorer.logic import recurring_rows as rv
from index.errors import RefrainError
from index.mining.recurring import MiningParams, recurring
from index.mining.types import Formulation
from index.search import Searcher
from index.textnorm import clip

RIVER = explorer_corpus.RIVER


@pytest.fixture(scope="module")
def river(searcher) -> Formulation:
    (f,) = recurring(searcher, MiningParams("sentence")).formulations
    return f


@pytest.fixture(scope="module")
def phrases(searcher) -> dict[str, Formulation]:
    """Phrase formulations in at least two documents, by label."""
    return {f.label: f for f in recurring(searcher, MiningParams("phrase", min_docs=2)).formulations}


app = app_on("recurring", timeout=60)


def table(at: AppTest):
    """The formulations table (the first dataframe of the view)."""
    return at.dataframe[0].value


def keys(widgets) -> set[str]:
    return {w.key for w in widgets if w.key}


def chart_spec(at: AppTest) -> dict:
    return json.loads(at.get("vega_lite_chart")[0].proto.spec)


def choose(at: AppTest, formulation_id: str) -> AppTest:
    at.selectbox(key="f").set_value(formulation_id)
    return run(at)


# ---------------------------------------------------------------- the list


def test_lists_the_formulation_with_its_counts_dates_and_trend(app, river):
    at = app()
    frame = table(at)
    assert list(frame["formulation"]) == [RIVER]
    row = frame.iloc[0]
    assert (row["documents"], row["passages"], row["variants"]) == (4, 4, 3)
    assert (row["first_seen"], row["last_seen"], row["rise"]) == ("2021-03-04", "2023-04-22", -10.0)  # points
    assert len(row["trend"]) == 27 and sum(row["trend"]) == 3  # per month, Mar 2021 to May 2023; one year-only date
    body = html(at)
    assert "<b>1</b> formulation in 8 documents" in body and "sentences, similarity ≥ 0.80 to the centre" in body
    assert at.selectbox(key="f").value is None and not at.get("vega_lite_chart")
    assert [n.key for n in at.number_input] == ["mindocs"]  # mining controls; search's k is hidden meanwhile
    assert dict(at.query_params) == {"view": "recurring"}


def test_controls_change_the_listing_and_live_in_the_url(app, phrases):
    at = app()
    at.segmented_control(key="rlevel").set_value("phrase")
    run(at)
    assert at.slider(key="thr").value == 0.75  # the phrase level's own default
    assert len(table(at)) == 3 and at.query_params["rlevel"] == "phrase" and "thr" not in at.query_params
    at.number_input(key="mindocs").set_value(2)
    run(at)
    frame = table(at)
    assert set(frame["formulation"]) == set(phrases) and "Hardship is the forge" in set(frame["formulation"])
    assert list(frame["documents"]) == sorted(frame["documents"], reverse=True)
    at.selectbox(key="rsort").set_value("first")  # newest first appearance first
    run(at)
    assert table(at)["formulation"][0] == "Hardship is the forge" and at.query_params["rsort"] == "first"
    at.selectbox(key="rsort").set_value("rising")
    run(at)
    rises = list(table(at)["rise"])
    assert rises == sorted(rises, reverse=True) and table(at)["formulation"].iloc[-1] == "Hardship is the forge"
    at.date_input(key="since").set_value(dt.date(2022, 1, 1))
    run(at)
    assert list(table(at)["formulation"]) == ["Hardship is the forge"] and at.query_params["since"] == "2022-01-01"
    at.date_input(key="since").set_value(None)
    at.date_input(key="until").set_value(dt.date(2023, 1, 1))  # not seen since
    run(at)
    assert list(table(at)["formulation"]) == ["Hardship is the forge"] and "since" not in at.query_params
    at.date_input(key="until").set_value(None)
    at.text_input(key="has").input("GREAT RIVER")
    run(at)
    assert len(table(at)) == 2 and all("great river" in t for t in table(at)["formulation"])
    assert at.query_params["has"] == "GREAT RIVER"
    at.slider(key="thr").set_value(0.9)
    at.number_input(key="mindocs").set_value(5)
    run(at)
    assert not at.dataframe and "No phrase recurs in 5 or more documents at similarity 0.90" in plain(texts(at))
    assert (at.query_params["thr"], at.query_params["mindocs"]) == ("0.9", "5")


def test_filters_that_leave_nothing_explain_themselves(app):
    at = app({"has": "zebra"})
    assert not at.dataframe and "None of the 1 formulations matches" in plain(texts(at))
    at = app({"from": "2021-04-01", "to": "2021-05-01"})  # no document in that month
    assert "No document passes the sidebar's filters" in plain(texts(at)) and not at.error


def test_sidebar_metadata_filters_choose_the_mined_documents(app):
    at = app()
    at.multiselect(key="meta.topic").set_value(["Politics"])
    run(at)
    frame = table(at)  # bridge (Economy) is no longer mined: the river is said in three Politics documents
    assert list(frame["documents"]) == [3] and frame["first_seen"][0] == "2022"
    assert "topic = Politics" in html(at) and at.query_params["meta.topic"] == "Politics"
    at.multiselect(key="meta.topic").set_value(["Science"])
    run(at)
    assert "No sentence recurs in 3 or more documents" in plain(texts(at))


# ---------------------------------------------------------------- one formulation


def test_choosing_a_formulation_shows_variants_timeline_and_members(app, river):
    at = choose(app(), river.id)
    assert at.query_params["f"] == river.id
    body = html(at)
    assert f'<div class="rf-centre">{RIVER}</div>' in body
    assert "<b>4</b>documents" in body and "<b>4</b>passages" in body and "<b>3</b>variants" in body
    assert "−10.0 pt" in body and "2021-03-04" in body and "Iron bridge opens at Tarsk" in body and "Founders day" in body
    variants = body[body.index('<div class="rf-variants">'):]
    assert variants.count("<tr><td") == 3 and variants.index(RIVER) < variants.index("said the")
    assert card_ids(at, "rec") == [m.passage_id for m in river.members]  # by date, every member
    assert '<mark class="hl">people and our Party flow together like one great river</mark>' in body
    spec = chart_spec(at)
    assert spec["encoding"]["y"]["field"] == "documents"
    assert "1 of its documents have no month and are not charted." in texts(at)
    at.segmented_control(key="rby").set_value("year")
    at.toggle(key="norm").set_value(True)
    run(at)
    spec = chart_spec(at)
    assert spec["encoding"]["y"]["field"] == "share" and spec["encoding"]["x"]["field"] == "period"
    assert (at.query_params["rby"], at.query_params["norm"]) == ("year", "1")
    assert list(table(at)["trend"][0]) == [0.5, 0.6667, 0.5]  # the trends follow: share of each year's documents
    assert "have no month" not in texts(at)


def test_long_formulations_wrap_and_variants_read_in_full_with_their_own_words_marked(app, river):
    """#13.3: the table's cells wrap over three lines, and every variant shows in full, the words that are not in the
    shared wording marked (the press-review variants differed only in their cut-off end)."""
    at = app()
    assert at.dataframe[0].proto.row_height == rv.TABLE_ROW_HEIGHT > 64  # Streamlit wraps only rows above 4rem
    at = choose(at, river.id)
    body = html(at)
    variants = body[body.index('<div class="rf-variants">'):]
    assert "Our people and our Party flow together like one great river, " \
           '<mark class="diff">said the Chairman</mark>.' in variants  # the whole wording, its own words marked
    assert f'<td class="rf-wording">{RIVER}</td>' in variants  # the centre holds only shared words
    assert "<mark" not in variants.split("<tbody>")[0]  # nothing marked in the header


def test_rise_is_read_in_points_with_its_cut_off_date_everywhere(app, river):
    """#13.5: one unit and one wording (the latest quarter, from its first day) in the help texts, the header, the
    table and the detail."""
    at = app()
    help_text = json.loads(at.dataframe[0].proto.columns)["rise"]["help"]
    assert help_text == rv.rise_help("2023-04-22") and "latest quarter" in help_text and "2023-04-22" in help_text
    assert json.loads(at.dataframe[0].proto.columns)["rise"]["type_config"]["format"] == "%+.1f pt"
    assert "rise: from 2023-04-22 on vs before" in html(at)
    assert "latest quarter" in at.selectbox(key="rsort").help and "latest year" not in at.selectbox(key="rsort").help
    assert table(at)["rise"][0] == -10.0
    at = choose(at, river.id)
    assert f'title="{rv.rise_help("2023-04-22")}"><b>−10.0 pt</b>rise' in html(at)


def test_the_list_csv_follows_per_month_or_per_year(app, monkeypatch):
    """#13.6: the CSV's documents per period are per month when the view shows months."""
    offered = {}
    real = st.download_button

    def recording(label, data, *args, **kwargs):
        offered[kwargs["key"]] = data() if callable(data) else data
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    at = app()  # three years: per month by default
    header = offered["rec-csv"].splitlines()[0].split(",")
    assert at.segmented_control(key="rby").value == "month"
    assert "docs_2021-03" in header and "docs_2023-05" in header and "docs_2021" not in header
    at.segmented_control(key="rby").set_value("year")
    run(at)
    header = offered["rec-csv"].splitlines()[0].split(",")
    assert [h for h in header if h.startswith("docs_")] == ["docs_2021", "docs_2022", "docs_2023"]


def test_the_table_marks_the_chosen_row(app, river):
    """A click on a row is browser-only (tests/test_explorer_browser.py); here the other way round: a formulation
    chosen in the list (or by a link) shows as the table's selected row, and clearing it clears the row."""
    at = choose(app(), river.id)
    assert at.session_state["rec-table"]["selection"]["rows"] == [0]
    at.selectbox(key="f").set_value(None)
    run(at)
    assert at.session_state["rec-table"]["selection"]["rows"] == [] and "f" not in at.query_params
    assert not at.get("vega_lite_chart")


def test_phrase_members_mark_the_phrase_inside_the_sentence(app, phrases):
    hardship = phrases["Hardship is the forge"]
    at = app({"rlevel": "phrase", "mindocs": "2", "f": hardship.id})
    assert at.selectbox(key="f").value == hardship.id
    body = html(at)
    assert body.count('<mark class="hl">Hardship is the forge</mark>') == 2
    assert len(card_ids(at, "rec")) == 2 and "Core wording" not in body  # one variant: no separate core wording
    assert "Shared wording" not in body  # and no wording shared with a distinct line


def test_open_document_from_a_member_selects_the_passage(app, river):
    member = river.members[2]  # New year address, 2022-12-31
    at = choose(app(), river.id)
    at.button(key=f"rec-open-{member.passage_id}").click()
    run(at)
    ss = at.session_state
    assert (ss["view"], ss["read"], ss["passage"], ss["level"]) == ("document", member.doc_id, member.passage_id, "sentence")
    assert at.query_params["p"] == member.passage_id and at.query_params["view"] == "document"
    assert "rf-selected" in html(at) and "New year address" in html(at)


def test_first_seen_opens_its_document_and_compare_with_centre(app, river):
    at = choose(app(), river.id)
    at.button(key="rec-first-open").click()
    run(at)
    assert (at.session_state["read"], at.session_state["passage"]) == \
        (river.first_seen.doc_id, river.first_seen.passage_id)
    centre = rv.centre_passage(river)
    other = river.members[1].passage_id  # "Like one great river, our people and our Party flow together."
    at = choose(app(), river.id)
    assert f"rec-cmp-{centre}" not in keys(at.button)  # the centre is not compared with itself
    at.button(key=f"rec-cmp-{other}").click()
    run(at)
    assert at.session_state["view"] == "compare" and (at.query_params["a"], at.query_params["b"]) == (centre, other)
    assert '<mark class="moved">Like one great river</mark>' in html(at)


def test_export_buttons_are_offered(app, river):
    at = app()
    assert at.download_button(key="rec-csv").label == "CSV" and at.download_button(key="rec-json").label == "JSON"
    assert "rec-members-csv" not in keys(at.download_button)
    at = choose(at, river.id)
    assert at.download_button(key="rec-members-csv").label == "Passages CSV"


def test_exports_hold_the_listing_and_every_member(app, river, monkeypatch):
    """What each download button was given (its data is made on click, so call it), read back."""
    offered = {}
    real = st.download_button

    def recording(label, data, *args, **kwargs):
        offered[kwargs["key"]] = (data() if callable(data) else data, kwargs["file_name"])
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    at = app({"f": river.id, "rsort": "last", "has": "river"})
    (row,) = list(csv.DictReader(io.StringIO(offered["rec-csv"][0])))
    assert (row["id"], row["centre"], row["documents"], row["passages"], row["variants"]) == (river.id, RIVER, "4", "4", "3")
    assert (row["docs_2021-03"], row["docs_2022-12"], row["docs_2023-04"]) == ("1", "1", "1")  # per month, as shown
    assert offered["rec-csv"][1] == "refrain-recurring-sentence.csv"
    data = json.loads(offered["rec-json"][0])
    assert data["params"]["min_docs"] == 3 and data["selection"] == {"sort": "last", "since": None, "until": None,
                                                                     "contains": "river", "furniture": False}
    assert data["formulations"][0]["members"] == [m.to_dict() for m in river.members]
    members = list(csv.DictReader(io.StringIO(offered["rec-members-csv"][0])))
    assert [m["passage_id"] for m in members] == [m.passage_id for m in river.members]
    assert [m["date"] for m in members] == ["2021-03-04", "2022", "2022-12-31", "2023-04-22"]
    assert offered["rec-members-csv"][1].startswith(f"refrain-recurring-{river.id}-our-people")
    assert not at.exception


# ---------------------------------------------------------------- URL state and errors


def test_a_copied_url_reopens_the_same_listing_and_formulation(app, phrases):
    hardship = phrases["Hardship is the forge"]
    params = {"view": "recurring", "rlevel": "phrase", "thr": "0.9", "mindocs": "2", "rsort": "last",
              "since": "2021-06-01", "until": "2023-01-31", "has": "forge", "f": hardship.id, "rby": "year", "norm": "1"}
    at = app(params)
    ss = at.session_state
    assert (ss["rlevel"], ss["thr"], ss["mindocs"], ss["rsort"], ss["has"], ss["f"], ss["rby"]) == \
        ("phrase", 0.9, 2, "last", "forge", hardship.id, "year")
    assert (ss["since"], ss["until"]) == (dt.date(2021, 6, 1), dt.date(2023, 1, 31))
    assert list(table(at)["formulation"]) == ["Hardship is the forge"] and at.selectbox(key="f").value == hardship.id
    assert dict(at.query_params) == params


def test_bad_url_values_fall_back_without_errors(app):
    at = app({"rlevel": "chapter", "thr": "abc", "mindocs": "-4", "rsort": "zzz", "since": "never", "until": "2023-02-30",
              "f": "f-<script>", "rby": "week", "index": "/etc"})
    ss = at.session_state
    assert (ss["rlevel"], ss["thr"], ss["mindocs"], ss["rsort"], ss["since"], ss["until"], ss["f"]) == \
        ("sentence", 0.8, 2, "salience", None, None, None)
    assert not at.error and list(table(at)["formulation"]) == [RIVER]
    assert dict(at.query_params) == {"view": "recurring", "mindocs": "2"}
    at = app({"f": "f-0123456789ab"})  # well formed, but no such formulation here: dropped quietly
    assert at.selectbox(key="f").value is None and "f" not in at.query_params and not at.error


def test_a_mining_error_is_a_message(app, monkeypatch):
    from explorer import resources

    def broken(*_args, **_kwargs):
        raise RefrainError("cannot read the index's vectors (disk error)")

    monkeypatch.setattr(resources, "recurring", broken)
    at = app({"mindocs": "4"})  # parameters not mined yet in this index folder
    assert at.error and "cannot read the index" in plain(at.error[0].value)
    assert at.status and at.status[0].label == "Mining failed" and not at.dataframe


def test_a_stored_result_opens_without_mining(app, monkeypatch):
    import index.mining.recurring

    app({"mindocs": "2"})  # mined now and stored in DIR/derived
    st.cache_resource.clear()  # a new server process: nothing in memory
    monkeypatch.setattr(index.mining.recurring, "mine", lambda *a, **k: pytest.fail("mined again"))
    at = app({"mindocs": "2"})
    assert not at.status and list(table(at)["formulation"]) == [RIVER]


def test_a_stored_result_too_large_to_read_says_what_to_do(app, searcher, monkeypatch):
    from index.mining.recurring import stored_bytes

    app({"mindocs": "2"})  # mined now and stored in DIR/derived
    st.cache_resource.clear()  # a new server process: nothing in memory
    size = stored_bytes(searcher, MiningParams("sentence", min_docs=2))
    monkeypatch.setattr(rv, "OPEN_LIMIT_BYTES", size - 1)  # stands for a whole archive's phrase level (2.9 GB)
    at = app({"mindocs": "2"})
    assert at.warning and "too large to read into the explorer" in at.warning[0].value
    assert "--level sentence --csv FILE" in at.warning[0].value and not at.dataframe and not at.status
    monkeypatch.setattr(rv, "OPEN_LIMIT_BYTES", size)
    assert list(table(app({"mindocs": "2"}))["formulation"]) == [RIVER]  # at the limit it opens


def test_search_settings_wait_in_the_sidebar_while_mining(app):
    at = app({"k": "7", "level": "sentence", "q": "iron bridge"})
    assert "Dates and metadata choose the documents that are mined." in texts(at)
    assert "docs" not in keys(at.multiselect)  # mining looks across documents: no document filter
    at.segmented_control(key="view").set_value("search")
    run(at)
    assert (at.number_input(key="k").value, at.segmented_control(key="level").value) == (7, "sentence")
    assert at.query_params["k"] == "7" and at.query_params["q"] == "iron bridge"
    at.segmented_control(key="view").set_value("recurring")
    run(at)
    assert list(table(at)["formulation"]) == [RIVER] and at.query_params["view"] == "recurring"


# ---------------------------------------------------------------- titles and stock phrases, shared wording


@pytest.fixture(scope="module")
def sample_dir(sample_hashing_index, tmp_path_factory):
    """The sample corpus (hashing encoder), copied: mining writes its results into DIR/derived."""
    out = tmp_path_factory.mktemp("sample-recurring") / "index"
    shutil.copytree(sample_hashing_index, out)
    return out


def test_titles_and_stock_phrases_are_hidden_until_switched_on(monkeypatch, sample_dir):
    monkeypatch.setenv("REFRAIN_INDEX", str(sample_dir))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"view": "recurring", "rlevel": "phrase"})
    run(at)
    labels = list(table(at)["formulation"])
    furniture = {"respected Chairman Tamsin", "Arvo Tamsin, first secretary of the Kestrian Unity Party",
                 "message read as follows"}
    assert labels and not furniture & set(labels)
    hidden = int(re.search(r"titles, names and stock phrases: (\d+) hidden", html(at)).group(1))
    assert hidden >= 3
    at.toggle(key="furniture").set_value(True)
    run(at)
    frame = table(at)
    assert len(frame) == len(labels) + hidden and at.query_params["furniture"] == "1"
    assert list(frame["formulation"][:len(labels)]) == labels  # formulations first, in the same order
    kinds = dict(zip(frame["formulation"], frame["category"]))
    assert {kinds[x] for x in furniture} == {"title or name", "stock phrase"}
    assert set(frame["category"][len(labels):]) <= {"title or name", "stock phrase"}


def test_a_line_shows_the_wording_it_shares_with_its_successor(monkeypatch, sample_dir):
    result = recurring(Searcher(sample_dir), MiningParams("phrase"))
    old = next(f for f in result.formulations if f.label.endswith("and coastal fortification"))
    new = next(f for f in result.formulations if f.label.endswith("building the strategic rocket forces"))
    monkeypatch.setenv("REFRAIN_INDEX", str(sample_dir))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"view": "recurring", "rlevel": "phrase", "f": old.id})
    run(at)
    body = html(at)
    assert "Shared wording" in body and "“simultaneously pushing forward economic construction”" in body
    assert f"also in</span> {clip(new.label, 60)}" in body
    assert "Each passage is counted once, under the longest variant its sentence holds" in plain(texts(at))
