"""Korean and Juche-era dates (issue #14), and the date values Parquet and Arrow hand over."""

import datetime as dt

import pytest

from index.dates import DateError, bounds, normalise_bound, parse_date


@pytest.mark.parametrize("value, expected", [
    ("주체113(2024)년 7월 14일", "2024-07-14"),
    ("주체113년 7월 14일", "2024-07-14"),  # Juche year N is N + 1911
    ("주체1년", "1912"),
    ("주체 113 (2024)년 7월", "2024-07"),
    ("주체113년", "2024"),
    ("2024년 7월 14일", "2024-07-14"),
    ("2024년7월14일", "2024-07-14"),
    ("2024년 7월 14일 (일)", "2024-07-14"),
    ("2024년 7월 14일 일요일", "2024-07-14"),
    ("2024년 7월", "2024-07"),  # a month stays a month
    ("2024년", "2024"),
    ("2024.7.14", "2024-07-14"),
    ("2024. 7. 14.", "2024-07-14"),
    (dt.date(2024, 7, 14), "2024-07-14"),
    (dt.datetime(2024, 7, 14, 23, 59, tzinfo=dt.timezone.utc), "2024-07-14"),
])
def test_korean_juche_and_date_values(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value, message", [
    ("주체113(2023)년 7월 14일", "Juche year 113 is 2024, not 2023"),  # the two years must agree
    ("주체0년 1월 1일", "impossible Juche year"),
    ("2024년 2월 30일", "impossible date"),
    ("2024년 13월", "impossible month"),
    ("2024년 7월 14일 오후 3시", "unparseable date"),
    ("7월 14일", "unparseable date"),
    (dt.date(1, 1, 1), "year out of range"),
])
def test_bad_korean_dates_are_refused_with_the_reason(value, message):
    with pytest.raises(DateError, match=message):
        parse_date(value)


def test_korean_dates_work_as_range_bounds():
    assert bounds(parse_date("주체113(2024)년 2월")) == ("2024-02-01", "2024-02-29")
    assert normalise_bound("2024년 7월", end=True) == "2024-07-31"
    assert normalise_bound("주체113년", end=False) == "2024-01-01"
