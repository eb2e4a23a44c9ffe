"""Counting matches per period (explorer/logic/timeline.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from explorer.logic.timeline import (EXPORT_FIELDS, Timeline, chart_points, count_by_period, export_rows, in_period,
                                     period_of, periods_between, scale_top)


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


# ---------------------------------------------------------------- what the chart draws (issue #13, item 4)


def _timeline(rows: dict[str, tuple[int, int]]) -> "Timeline":
    """A monthly timeline from {period: (matching documents, documents)}."""
    documents = [(f"{p}-{i}", f"{p}-15") for p, (_, n) in rows.items() for i in range(n)]
    matches = [(f"{p}-{i}", f"{p}-15") for p, (m, _) in rows.items() for i in range(m)]
    return count_by_period(matches, documents, "month")


def test_a_period_of_one_document_does_not_set_the_scale():
    timeline = _timeline({"2024-01": (5, 50), "2024-02": (1, 1), "2024-03": (10, 50)})
    points = chart_points("deterrent", timeline, norm=True)
    assert [(p.period, p.value, p.small) for p in points] == \
        [("2024-01", 0.1, False), ("2024-02", 1.0, True), ("2024-03", 0.2, False)]
    assert scale_top(points) == 0.2  # the lone 100% month is marked, not the scale
    assert scale_top(chart_points("deterrent", timeline, norm=False)) == 10
    only_small = chart_points("x", _timeline({"2024-01": (1, 2), "2024-02": (1, 4)}), norm=True)
    assert scale_top(only_small) == 0.5  # nothing rests on enough documents: every period counts


def test_smoothing_pools_documents_over_the_window():
    timeline = _timeline({"2024-01": (5, 50), "2024-02": (1, 1), "2024-03": (10, 50), "2024-04": (0, 3)})
    shares = chart_points("x", timeline, norm=True, smooth=1)
    # matching documents over documents in each window (fewer periods at the ends), not a mean of shares
    assert [p.value for p in shares] == [round(6 / 51, 4), round(16 / 101, 4), round(11 / 54, 4), round(10 / 53, 4)]
    assert [p.small for p in shares] == [False, False, False, False]  # every window holds enough documents
    assert [p.share for p in shares] == [0.1, 1.0, 0.2, 0.0]  # the period's own figures stay in the export
    counts = chart_points("x", timeline, norm=False, smooth=1)
    assert [p.value for p in counts] == [3.0, round(16 / 3, 4), round(11 / 3, 4), 5.0]
    with pytest.raises(ValueError):
        chart_points("x", timeline, norm=True, smooth=4)


def test_a_month_without_documents_has_no_share():
    points = chart_points("x", _timeline({"2024-01": (1, 10), "2024-02": (0, 0), "2024-03": (2, 10)}), norm=True)
    assert [p.value for p in points] == [0.1, None, 0.2] and points[1].small


def test_export_rows_say_how_they_were_counted():
    points = chart_points("deterrent", _timeline({"2024-01": (5, 50)}), norm=True, smooth=0)
    rows = export_rows(points, "meaning", 0.65, "sentence", "month", 0)
    assert set(rows[0]) == set(EXPORT_FIELDS)
    assert (rows[0]["series"], rows[0]["mode"], rows[0]["min_score"], rows[0]["matched"], rows[0]["documents"],
            rows[0]["share"], rows[0]["smoothing"]) == ("deterrent", "meaning", 0.65, 5, 50, 0.1, 1)
    assert export_rows(points, "phrase", 0.65, "sentence", "month", 2)[0]["min_score"] == ""
