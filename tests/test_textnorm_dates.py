import pytest

from index.dates import DateError, bounds, iso_date_in, normalise_bound, parse_date
from index.textnorm import normalise, text_hash


def test_normalise_unifies_newlines_spaces_and_forms():
    raw = "Cafe\u0301\u00a0 au\tlait\r\nsecond  line \rthird\u200b\n\n\n\nnext\x00para "
    assert normalise(raw) == "Café au lait\nsecond line\nthird\n\nnextpara"


def test_normalise_keeps_blank_line_paragraph_breaks_and_strips_edges():
    assert normalise("  one \n\n two\n") == "one\n\ntwo"
    assert normalise("\ufeffBOM start") == "BOM start"
    assert normalise(" \t\n ") == ""


def test_equal_texts_hash_equal_after_normalisation():
    assert text_hash(normalise("a\u00a0b\r\n")) == text_hash(normalise("a b"))
    assert text_hash("a") != text_hash("b")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-01-02", "2024-01-02"),
        ("2024-01-02T23:10:00+09:00", "2024-01-02"),
        ("2024", "2024"),
        (2020, "2020"),
        ("2024-3", "2024-03"),
        (1704153600000, "2024-01-02"),  # epoch milliseconds (KCNA's `date`)
        ("1704153600000", "2024-01-02"),
        ("10 September 2024", "2024-09-10"),
        ("September 2024", "2024-09"),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_date_formats(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2023-02-30", "2024-13", "yesterday-ish nonsense", "0000", True, [2024], "June 5"])
def test_parse_date_rejects_impossible_or_unparseable(value):
    with pytest.raises(DateError):
        parse_date(value)


def test_bounds_keep_precision():
    assert bounds("2020") == ("2020-01-01", "2020-12-31")
    assert bounds("2024-02") == ("2024-02-01", "2024-02-29")
    assert bounds("2024-02-03") == ("2024-02-03", "2024-02-03")
    assert normalise_bound("2023", end=True) == "2023-12-31"
    assert normalise_bound("", end=False) is None


def test_iso_date_in_file_names():
    assert iso_date_in("2019-04-22_founders-day.txt") == "2019-04-22"
    assert iso_date_in("USA_75_2020.txt") is None
    assert iso_date_in("draft-2019-02-30-then-2019-03-01.txt") == "2019-03-01"
