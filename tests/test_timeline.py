"""Counting matches per period (explorer/logic/timeline.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from explorer.logic.timeline import count_by_period, in_period, period_of, periods_between


def test_period_of_respects_the_date_precision():
    assert period_of("2024-03-09", "month") == "2024-03"
    assert period_of("2024-03", "month") == "2024-03"
    assert period_of("2024", "month") is None
    assert period_of("2024", "year") == "2024"
    assert period_of(None, "year") is None
    with pytest.raises(ValueError):
        period_of("2024", "week")


def test_periods_between_crosses_year_ends():
    assert periods_between("2023-11", "2024-02", "month") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert periods_between("2019-05-01", "2021-01-01", "year") == ["2019", "2020", "2021"]


def test_counts_documents_not_passages_and_fills_empty_periods():
    documents = [("d1", "2024-01-05"), ("d2", "2024-01-20"), ("d3", "2024-03-02"), ("d4", "2024-04-30"),
                 ("d5", "2024"), ("d6", None)]
    matches = [("d1", "2024-01-05"), ("d1", "2024-01-05"), ("d3", "2024-03-02"), ("d5", "2024"), ("d6", None)]
    timeline = count_by_period(matches, documents, "month")
    rows = {p.period: (p.count.documents, p.count.passages, p.total) for p in timeline.periods}
    assert rows == {"2024-01": (1, 2, 2), "2024-02": (0, 0, 0), "2024-03": (1, 1, 1), "2024-04": (0, 0, 1)}
    assert timeline.unplaced_matched == 2 and timeline.unplaced_documents == 2
    assert [p.period for p in timeline.nonempty()] == ["2024-01", "2024-03"]
    assert timeline.periods[0].count.share == 0.5 and timeline.periods[1].count.share == 0.0
    assert timeline.periods[0].start == "2024-01-01"


def test_yearly_counts_place_year_only_dates():
    documents = [("d1", "2023-06-01"), ("d2", "2024"), ("d3", "2024-02-02")]
    timeline = count_by_period([("d2", "2024"), ("d3", "2024-02-02")], documents, "year")
    assert [(p.period, p.count.documents, p.total, p.count.share) for p in timeline.periods] == [("2023", 0, 1, 0.0), ("2024", 2, 2, 1.0)]
    assert timeline.periods[1].start == "2024-01-01" and timeline.matched == 2


def test_no_dates_at_all():
    timeline = count_by_period([("d1", None)], [("d1", None)], "year")
    assert timeline.periods == [] and timeline.unplaced_matched == 1


def test_in_period_filters_hits():
    hits = [SimpleNamespace(date=d) for d in ("2024-01-02", "2024-02-03", "2024", None, "2024-01-30")]
    assert [h.date for h in in_period(hits, "2024-01", "month")] == ["2024-01-02", "2024-01-30"]
    assert len(in_period(hits, "2024", "year")) == 4
