"""The Recurring view's data (explorer/logic/recurring_rows.py), its exports (index/export.py) and its URL state
(explorer/logic/viewstate.py), on formulations mined from the explorer's test corpus with the hashing encoder."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

import explorer_corpus
from explorer.logic import recurring_rows as rv
from index.export import (MEMBER_FIELDS, formulation_fields, formulation_rows, member_rows, recurring_json,
                          rows_to_csv)
from index.mining.recurring import MiningParams, MiningResult, recurring
from index.mining.select import select
from index.mining.types import Centre, Formulation, PeriodTotals
from index.search import Searcher
from explorer.logic.viewstate import DEFAULT, ViewState, bound_day, from_params, to_params

RIVER = explorer_corpus.RIVER


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    return Searcher(explorer_corpus.built(tmp_path_factory, "recurring-view"))


@pytest.fixture(scope="module")
def result(searcher) -> MiningResult:
    return recurring(searcher, MiningParams("sentence"))


@pytest.fixture(scope="module")
def river(result) -> Formulation:
    (f,) = result.formulations
    return f


def test_the_test_corpus_holds_one_sentence_formulation_in_four_documents(river):
    assert river.centre.text == RIVER
    assert (river.n_documents, river.n_passages, river.n_variants) == (4, 4, 3)
    assert river.first_seen.date == "2021-03-04" and river.first_seen.title == "Iron bridge opens at Tarsk"
    assert river.last_seen.date == "2023-04-22" and river.last_seen.title == "Founders day"


def test_mining_params_follow_the_state_and_its_filters():
    state = ViewState(mine="phrase", threshold=0.7, min_docs=5, date_from="2022", date_to="2023-06",
                      meta=(("topic", ("Politics",)),), docs=("ignored",))
    params = rv.mining_params(state)
    assert (params.level, params.threshold, params.min_docs) == ("phrase", 0.7, 5)
    assert (params.date_from, params.date_to, params.meta) == ("2022", "2023-06", (("topic", ("Politics",)),))
    assert rv.mining_params(DEFAULT).threshold == 0.8  # None: the level's default


def test_granularity_and_periods_cover_the_whole_mined_span(result):
    totals = result.period_totals
    assert totals.years == {"2021": 2, "2022": 3, "2023": 2}
    assert rv.auto_granularity(totals) == "month"  # three years: monthly trends say more
    assert rv.auto_granularity(PeriodTotals({"2019": 8, "2024": 8}, {"2019-01": 8, "2024-01": 8}, 0)) == "year"
    assert rv.auto_granularity(PeriodTotals({}, {}, 0)) == "year"
    assert rv.periods(totals, "year") == ["2021", "2022", "2023"]
    months = rv.periods(totals, "month")
    assert months[0] == "2021-03" and months[-1] == "2023-05" and len(months) == 27  # empty months included


def test_table_rows_and_trends_are_read_from_the_formulation(result, river):
    totals = result.period_totals
    (row,) = rv.table_rows([river], totals, "year")
    assert row["formulation"] == RIVER and (row["documents"], row["passages"], row["variants"]) == (4, 4, 3)
    assert (row["first_seen"], row["last_seen"], row["rise"]) == ("2021-03-04", "2023-04-22", -10.0)  # points
    assert row["trend"] == [1, 2, 1] and sum(row["trend"]) == river.n_documents
    assert rv.trend(river, ["2021", "2022", "2023"], "year", share=True) == [0.5, 0.6667, 0.5]
    monthly = rv.trend(river, rv.periods(totals, "month"), "month")
    assert sum(monthly) == 3  # the year-only document has no month
    assert rv.uncharted_documents(river, "month") == 1 and rv.uncharted_documents(river, "year") == 0


def test_chart_rows_count_documents_passages_and_the_periods_totals(result, river):
    rows = rv.chart_rows(river, result.period_totals, "year")
    assert [(r["period"], r["documents"], r["passages"], r["total"]) for r in rows] == \
        [("2021", 1, 1, 2), ("2022", 2, 2, 3), ("2023", 1, 1, 2)]
    assert rows[1]["share"] == round(2 / 3, 4) and rows[0]["start"] == "2021-01-01"
    by_month = rv.chart_rows(river, result.period_totals, "month")
    assert by_month[0]["start"] == "2021-03-01" and sum(r["documents"] for r in by_month) == 3


def test_every_figure_is_recomputable_from_the_members(river):
    members = river.members
    assert len(members) == river.n_passages and len({m.doc_id for m in members}) == river.n_documents
    dated = [m.date for m in members]
    assert dated == ["2021-03-04", "2022", "2022-12-31", "2023-04-22"]  # date order, as the cards show them
    for variant in rv.variant_rows(river):
        holding = [m for m in members if river.variant_of(m) == variant["wording"]]
        assert len(holding) == variant["passages"] and len({m.doc_id for m in holding}) == variant["documents"]


def test_centre_passage_variants_and_shown_members(river):
    centre = rv.centre_passage(river)
    assert centre == river.members[0].passage_id and river.members[0].text == RIVER
    assert {river.variant_of(m) for m in river.members} == {v.text for v in river.variants}
    many = replace(river, members=river.members * 20)
    assert len(rv.shown_members(many, show_all=False)) == rv.MEMBER_LIMIT
    assert len(rv.shown_members(many, show_all=True)) == 80
    assert rv.option_label(river) == f"4 documents · {RIVER}"
    assert rv.option_label(replace(river, label="x" * 300)).endswith("…")  # the label, clipped


def test_variant_note_says_how_the_variant_rows_add_up(river):
    assert sum(v.passages for v in river.variants) == river.n_passages
    assert rv.variant_note(river).startswith(f"Each passage is counted once, so the Passages column adds up to {river.n_passages}")
    two = replace(river, multi_variant_documents=1, variants=tuple(replace(v, documents=v.documents + 1) if i == 0 else v
                                                                   for i, v in enumerate(river.variants)))
    documents = sum(v.documents for v in two.variants)
    assert rv.variant_note(two).endswith(f"1 of its 4 documents uses more than one variant and counts under each, "
                                         f"so the Docs column adds up to {documents}.")
    assert rv.hidden_note(0, False) == "" and rv.hidden_note(3, False) == "titles, names and stock phrases: 3 hidden"


def test_describe_params():
    assert rv.describe_params(MiningParams("phrase", 0.75, 3)) == \
        "phrases, similarity ≥ 0.75 to the centre, in ≥ 3 documents"
    text = rv.describe_params(MiningParams("sentence", 0.8, 4, "2022", None, (("topic", ("Economy", "Politics")),)))
    assert text.endswith("documents dated 2022 to …, topic = Economy or Politics")


# ---------------------------------------------------------------- exports


def test_formulation_csv_has_one_row_each_with_documents_per_year(result, river):
    totals = result.period_totals
    text = rows_to_csv(formulation_rows([river], totals), formulation_fields(totals))
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["id"] == river.id and row["centre"] == RIVER and row["documents"] == "4"
    assert (row["first_seen"], row["last_seen"], row["rise"]) == ("2021-03-04", "2023-04-22", "-0.1")
    assert (row["docs_2021"], row["docs_2022"], row["docs_2023"]) == ("1", "2", "1")
    empty = rows_to_csv(formulation_rows([], totals), formulation_fields(totals))
    assert empty.strip().split(",")[-1] == "docs_2023"  # the header, even without rows


def test_formulation_csv_per_month_has_a_column_for_every_month(result, river):
    totals = result.period_totals
    fields = formulation_fields(totals, "month")
    (row,) = list(csv.DictReader(io.StringIO(rows_to_csv(formulation_rows([river], totals, "month"), fields))))
    months = [f for f in fields if f.startswith("docs_")]
    assert months == [f"docs_{m}" for m in totals.months] and "docs_2021" not in row
    assert [row[m] for m in months if row[m] != "0"] == ["1", "1", "1"]  # the year-only document has no month
    assert (row["docs_2021-03"], row["docs_2022-12"], row["docs_2023-04"]) == ("1", "1", "1")


def test_rise_is_in_points_and_never_minus_zero(river):
    assert rv.rise(river) == -10.0 and rv.rise_label(river) == "−10.0 pt"
    tiny = replace(river, rise=-0.0004)  # -0.04 points: the table and the detail must agree on +0.0
    assert rv.rise(tiny) == 0.0 and str(rv.rise(tiny)) == "0.0" and rv.rise_label(tiny) == "+0.0 pt"
    assert rv.rise_label(replace(river, rise=0.0251)) == "+2.5 pt"
    assert "from 2024-08-13 on (the latest quarter" in rv.rise_help("2024-08-13")
    assert "too few" in rv.rise_help(None)


def test_member_csv_and_json_hold_every_member(result, river):
    rows = list(csv.DictReader(io.StringIO(rows_to_csv(member_rows([river]), MEMBER_FIELDS))))
    assert [r["passage_id"] for r in rows] == [m.passage_id for m in river.members]
    assert rows[0]["text"] == RIVER and rows[0]["variant"] == RIVER and rows[0]["formulation"] == river.id
    data = json.loads(recurring_json(result, [river], rv.selection("docs", "2021", None, "river")))
    assert data["params"]["level"] == "sentence" and data["stats"]["formulations"] == 1
    assert data["selection"] == {"sort": "docs", "since": "2021", "until": None, "contains": "river", "furniture": False}
    assert data["variant_counts"].startswith("exclusive: each member passage counts under one variant")
    assert data["formulations"][0]["members"] == [m.to_dict() for m in river.members]


def test_csv_cells_that_look_like_formulas_are_defused():
    text = rows_to_csv([{"a": "=1+1", "b": -0.5, "c": "-x"}])
    assert text.splitlines() == ["a,b,c", "'=1+1,-0.5,'-x"]


# ---------------------------------------------------------------- URL state


def test_recurring_state_round_trips_through_the_url():
    state = ViewState(view="recurring", mine="phrase", threshold=0.7, min_docs=4, rsort="rising", since="2024-06-01",
                      until="2024-09", contains="people-first", formulation="f-0123456789ab", rby="year", furniture=True)
    params = to_params(state)
    assert params == {"view": "recurring", "rlevel": "phrase", "thr": "0.7", "mindocs": "4", "rsort": "rising",
                      "furniture": "1", "since": "2024-06-01", "until": "2024-09", "has": "people-first",
                      "f": "f-0123456789ab", "rby": "year"}
    assert from_params(params) == state
    assert "furniture" not in to_params(replace(state, furniture=False))  # hidden is the default


def test_bad_recurring_values_fall_back_to_defaults():
    state = from_params({"view": "recurring", "rlevel": "chapter", "thr": "nan", "mindocs": "lots", "rsort": "random",
                         "since": "yesterday", "until": "2024-02-30", "f": "f-<script>", "rby": "week",
                         "has": "x" * 500})
    assert (state.mine, state.threshold, state.min_docs, state.rsort) == ("sentence", None, 3, "salience")
    assert (state.since, state.until, state.formulation, state.rby) == (None, None, None, None)
    assert len(state.contains) == 200
    clamped = from_params({"thr": "0.1", "mindocs": "1"})
    assert (clamped.threshold, clamped.min_docs) == (0.5, 2)
    assert from_params({"thr": "1.7", "mindocs": "99999"}).min_docs == 1000
    assert from_params({"thr": "0.80"}).threshold is None  # the sentence default
    assert from_params({"thr": "0.8", "rlevel": "phrase"}).threshold == 0.8  # not the phrase default (0.75)


def test_bound_days_for_the_date_pickers():
    import datetime as dt

    assert bound_day("2024", "2023-12-24", "2024-11-10", end=False) == dt.date(2024, 1, 1)
    assert bound_day("2024", "2023-12-24", "2024-11-10", end=True) == dt.date(2024, 11, 10)  # clipped to the span
    assert bound_day("2024-02", "2023-12-24", "2024-11-10", end=True) == dt.date(2024, 2, 29)
    assert bound_day(None, "2023-12-24", "2024-11-10", end=True) is None


def test_select_is_what_the_view_lists(result):
    formulations = result.formulations
    assert [f.id for f in select(formulations, "docs")] == [formulations[0].id]
    assert select(formulations, "first", since="2021-03-05") == []
    assert len(select(formulations, "last", until="2023-04-22")) == 1 and select(formulations, "last", until="2023-04-21") == []
    assert select(formulations, "docs", text="MIGHTY") == [] and len(select(formulations, "docs", text="said the chairman")) == 1
