"""Dates of documents: parsed leniently, stored as ISO strings that keep their precision.

A date is 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'. A speech known only by its year (the UN corpus) stays
'2020' rather than pretending to be 1 January; comparisons use the period's first and last day.

Korean dates ('2024년 7월 14일', '2024년 7월') and North Korean Juche-era years ('주체113(2024)년 7월 14일',
'주체113년': Juche 1 is 1912) are read in any corpus: their form cannot be mistaken for anything else, and
a Korean date in an English corpus's date field is still a date. Date and datetime values (Parquet, Arrow)
are days.

Dates written in words in another language ('14 juillet 2024', '12 апреля 2021 г.') are read by dateparser in
the language the build is given (`--language`), and only in it: absolute dates only (never 'yesterday', which
would be a date relative to the build), with the precision the text states. Without a language such a date is
refused with a hint, not guessed at: a wrong date costs an analyst's trust more than a skipped record.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

from dateutil import parser as dateutil_parser

_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_YEAR_MONTH_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_EPOCH = re.compile(r"^\s*-?\d{10,13}\s*$")
_ISO_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_KOREAN = re.compile(
    r"^(?:주체\s*(?P<juche>\d{1,3})\s*(?:\(\s*(?P<stated>\d{4})\s*\))?|(?P<year>\d{4}))\s*년"
    r"(?:\s*(?P<month>\d{1,2})\s*월(?:\s*(?P<day>\d{1,2})\s*일(?:\s*\(?[월화수목금토일](?:요일)?\)?)?)?)?$"
)  # the weekday after a day ('2024년 7월 14일 (일)', '... 일요일') is allowed and ignored
JUCHE_OFFSET = 1911  # Juche year 1 is 1912, the year of Kim Il Sung's birth
_MIN_YEAR, _MAX_YEAR = 1000, 2999
_MAX_DATE_CHARS = 100  # longer strings are scraped text in the wrong field, not dates


class DateError(ValueError):
    """A value that is not a date we can trust."""


def _show(raw: object) -> str:
    """A value for an error message: its repr, clipped (a scraped 'date' can be megabytes long)."""
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_year(year: int, raw: object) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise DateError(f"year out of range in date {_show(raw)}")


def from_parts(year: int | str, month: int | str | None = None, day: int | str | None = None) -> str:
    """Build an ISO date of the given precision, rejecting impossible dates like 2023-02-30."""
    raw = (year, month, day)
    try:
        y = int(year)
        _check_year(y, raw)
        if month in (None, ""):
            return f"{y:04d}"
        m = int(month)
        if day in (None, ""):
            if not 1 <= m <= 12:
                raise DateError(f"impossible month in date {_show(raw)}")
            return f"{y:04d}-{m:02d}"
        return dt.date(y, m, int(day)).isoformat()
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DateError):
            raise
        raise DateError(f"impossible date {_show(raw)}: {exc}") from None


def _from_epoch_ms(value: float, raw: object) -> str:
    # Values below 1e11 are seconds (until year 5138 in ms that is ambiguous, so we pick the plausible one).
    try:
        seconds = value / 1000.0 if abs(value) >= 1e11 else float(value)  # huge ints overflow here
        day = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        raise DateError(f"epoch timestamp out of range: {_show(raw)}") from None
    _check_year(day.year, raw)
    return day.isoformat()


def parse_date(value: object, language: str | None = None) -> str | None:
    """Parse ISO strings, 'YYYY', 'YYYY-MM', epoch milliseconds (or seconds), and common written dates (English,
    or the given language's: an ISO 639-1 code).

    Returns None for empty values and raises DateError for values that are present but not a date.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DateError(f"not a date: {_show(value)}")
    if isinstance(value, dt.date):  # datetime too (a subclass): the day it names, as written
        _check_year(value.year, value)
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value != value:  # NaN
            return None
        if isinstance(value, int) and _MIN_YEAR <= value <= _MAX_YEAR:
            return f"{value:04d}"
        return _from_epoch_ms(value, value)
    if not isinstance(value, str):
        raise DateError(f"not a date: {_show(value)}")
    text = value.strip()
    if len(text) > _MAX_DATE_CHARS:
        raise DateError(f"unparseable date {_show(value)} (too long to be a date)")
    if m := _YEAR.match(text):
        return from_parts(m.group(1))
    if m := _YEAR_MONTH.match(text):
        return from_parts(m.group(1), m.group(2))
    if m := _YEAR_MONTH_DAY.match(text):
        return from_parts(*m.groups())
    if _EPOCH.match(text):
        return _from_epoch_ms(int(text), value)
    if m := _KOREAN.match(text):
        return _from_korean(m, value)
    try:
        day = dateutil_parser.isoparse(text).date()
    except (ValueError, OverflowError):
        return _parse_written(text, value, language)
    _check_year(day.year, value)
    return day.isoformat()


def _from_korean(m: re.Match, raw: object) -> str:
    """'2024년 7월 14일', '주체113(2024)년 7월', '주체113년': the precision is what the text states."""
    year = m.group("year")
    if m.group("juche") is not None:
        juche = int(m.group("juche"))
        if juche < 1:
            raise DateError(f"impossible Juche year in date {_show(raw)}")
        year = juche + JUCHE_OFFSET
        stated = m.group("stated")
        if stated is not None and int(stated) != year:
            raise DateError(f"Juche year {juche} is {year}, not {stated}, in date {_show(raw)}")
    return from_parts(year, m.group("month"), m.group("day"))


def _parse_written(text: str, raw: object, language: str | None = None) -> str:
    """Dates like '10 September 2024' or 'September 2024'; precision is what the text states."""
    first = dt.datetime(2000, 1, 1)
    second = dt.datetime(2001, 2, 2)
    try:
        a = dateutil_parser.parse(text, default=first)
        b = dateutil_parser.parse(text, default=second)
    except (ValueError, OverflowError, dateutil_parser.ParserError):
        if language and language != "en":
            return _parse_in_language(text, raw, language)
        hint = " (a date written in another language needs --language)" if any(c.isalpha() for c in text) else ""
        raise DateError(f"unparseable date {_show(raw)}{hint}") from None
    if a.year != b.year:
        raise DateError(f"date without a year: {_show(raw)}")
    _check_year(a.year, raw)
    if a.month != b.month:
        return f"{a.year:04d}"
    if a.day != b.day:
        return f"{a.year:04d}-{a.month:02d}"
    return a.date().isoformat()


def _parse_in_language(text: str, raw: object, language: str) -> str:
    """A date written in words in `language` ('14 juillet 2024' -> '2024-07-14', 'juillet 2024' -> '2024-07'), by
    dateparser: absolute dates only, a year required, and the precision it reports (day, month or year)."""
    try:
        found = _date_parser(language).get_date_data(text)
    except ValueError:
        raise DateError(f"unparseable date {_show(raw)} (no date rules for language {language!r})") from None
    if found.date_obj is None:
        raise DateError(f"unparseable date {_show(raw)} (read as {language})")
    day = found.date_obj
    _check_year(day.year, raw)
    if found.period == "year":
        return f"{day.year:04d}"
    if found.period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.date().isoformat()


@lru_cache(maxsize=8)
def _date_parser(language: str):
    """One dateparser parser per language, made on first use (most corpora never need one) and kept: a build
    parses a date per record."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=[language], settings=_DATEPARSER_SETTINGS)


_DATEPARSER_SETTINGS = {
    "PARSERS": ["custom-formats", "absolute-time"],  # no relative dates ('hier'), no timestamps
    "REQUIRE_PARTS": ["year"],
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def iso_date_in(name: str) -> str | None:
    """The first valid YYYY-MM-DD date inside a file name, if any."""
    for m in _ISO_IN_NAME.finditer(name):
        try:
            return from_parts(*m.groups())
        except DateError:
            continue
    return None


def bounds(date: str) -> tuple[str, str]:
    """First and last day ('YYYY-MM-DD') of the period a date of any precision names."""
    if len(date) == 4:
        return f"{date}-01-01", f"{date}-12-31"
    if len(date) == 7:
        year, month = int(date[:4]), int(date[5:7])
        return f"{date}-01", f"{date}-{calendar.monthrange(year, month)[1]:02d}"
    return date, date


def normalise_bound(value: str | None, *, end: bool) -> str | None:
    """A user's date-range bound (any precision) as an inclusive day; None stays None."""
    if value is None or not str(value).strip():
        return None
    parsed = parse_date(str(value))
    assert parsed is not None
    first, last = bounds(parsed)
    return last if end else first
