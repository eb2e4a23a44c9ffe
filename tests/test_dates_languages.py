"""Dates written in words in the corpus language (`--language`): read by dateparser in that language only, with the
precision the text states; relative dates and dates in an unknown language are refused; without a language the
error says what to give."""

import json

import pytest

from index.dates import DateError, parse_date
from index.ingest.records import ReadOptions
from index.search import Searcher
from tests.conftest import quick_build


@pytest.mark.parametrize("value, language, expected", [
    ("14 juillet 2024", "fr", "2024-07-14"),
    ("juillet 2024", "fr", "2024-07"),
    ("1er mai 2019", "fr", "2019-05-01"),
    ("12 апреля 2021 г.", "ru", "2021-04-12"),
    ("3. Oktober 2023", "de", "2023-10-03"),
    ("2 de mayo de 2020", "es", "2020-05-02"),
    ("2024-07-14", "fr", "2024-07-14"),  # ISO stays ISO in any language
    ("14 July 2024", "fr", "2024-07-14"),  # English words are still read by the English rules first
])
def test_dates_in_the_corpus_language(value, language, expected):
    assert parse_date(value, language) == expected


@pytest.mark.parametrize("value, language, message", [
    ("hier", "fr", "read as fr"),  # relative to the day of the build: never a document's date
    ("juillet", "fr", "read as fr"),  # no year
    ("14 juillet 2024", None, "needs --language"),
    ("14 juillet 2024", "xx", "no date rules for language 'xx'"),
])
def test_dates_that_cannot_be_trusted_are_refused_with_the_reason(value, language, message):
    with pytest.raises(DateError, match=message):
        parse_date(value, language)


def test_a_french_corpus_builds_with_its_dates_only_when_told_its_language(tmp_path, hashing):
    records = [{"id": f"r{i}", "date": date, "text": f"Discours numéro {i}. La paix et la coopération entre les peuples."}
               for i, date in enumerate(["14 juillet 2024", "juillet 2023", "12 mars 2022"])]
    corpus = tmp_path / "discours.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    options = ReadOptions(id_field="id")
    told = quick_build([corpus], tmp_path / "told", hashing, options, language="fr")
    assert told.records == 3 and not told.skipped
    assert sorted(d["date"] for d in Searcher(tmp_path / "told").documents()) == ["2022-03-12", "2023-07", "2024-07-14"]
    with pytest.raises(Exception, match="needs --language"):  # every record refused: nothing to index, said why
        quick_build([corpus], tmp_path / "untold", hashing, options)
