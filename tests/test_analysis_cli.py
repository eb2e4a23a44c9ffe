"""`lineage`, `compare-periods` and `recurring --by FIELD` as a user runs them (stand-in encoder, a small corpus in
which four countries give up an old slogan for a new one, each in its own year: planted_succession.lexical_speeches)."""

from __future__ import annotations

import csv
import json
from functools import partial

import pytest

import planted_succession as planted
from reliability_support import assert_clean_user_error, cli as run_cli

cli = partial(run_cli, timeout=300)
OLD, NEW, FLAT = planted.LEXICAL_OLD, planted.LEXICAL_NEW, planted.LEXICAL_FLAT
ADOPTS = planted.LEXICAL_ADOPTS


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    corpus = planted.write_lexical(tmp_path_factory.mktemp("c"))
    out = tmp_path_factory.mktemp("i") / "index"
    built = cli("build", corpus, "--out", out, "--model", planted.LEXICAL_MODEL, "--id-field", "id",
                "--meta-field", "country", "--quiet")
    assert built.returncode == 0, built.stderr
    return out


def ids(index_dir) -> dict[str, str]:
    """Formulation id by its centre text."""
    data = json.loads(cli("recurring", index_dir, "--json").stdout)
    return {f["centre"]["text"]: f["id"] for f in data["formulations"]}


def test_recurring_by_country_lists_the_adopters_in_order(index_dir, tmp_path):
    new = ids(index_dir)[NEW]
    table = cli("recurring", index_dir, "--by", "country", "--contains", "self-development")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "by country (4 values among 32 mined documents)" in lines[0] and new in table.stdout
    rows = [line.split() for line in lines if line.strip().startswith(tuple(ADOPTS))]
    assert [(r[0], r[1], r[3], r[4], r[6]) for r in rows] == [
        ("KES", "4", "8", "50.0%", "2020-09-20"), ("MAV", "4", "8", "50.0%", "2020-09-21"),
        ("TAR", "3", "8", "37.5%", "2021-09-22"), ("ORN", "2", "8", "25.0%", "2022-09-23")]
    data = json.loads(cli("recurring", index_dir, "--by", "country", "--json", "--contains", "self-development").stdout)
    (f,) = data["formulations"]
    adopters = f["adoption"]["adopters"]
    assert f["id"] == new and data["field"] == "country" and data["values_mined"] == 4
    assert [(a["value"], a["documents"], a["first_seen"]["date"]) for a in adopters] == \
        [("KES", 4, "2020-09-20"), ("MAV", 4, "2020-09-21"), ("TAR", 3, "2021-09-22"), ("ORN", 2, "2022-09-23")]
    assert sum(a["documents"] for a in adopters) == f["n_documents"] == 13
    out = tmp_path / "adopters.csv"
    assert cli("recurring", index_dir, "--by", "country", "--csv", out).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    mine = [r for r in rows if r["formulation"] == new]
    assert [r["value"] for r in mine] == list(ADOPTS) and mine[3]["doc_ids"].count(" ") == 1
    assert {r["value"] for r in rows if r["centre"] == FLAT} == set(ADOPTS)


def test_recurring_by_an_unknown_field_is_a_clean_error(index_dir):
    assert_clean_user_error(cli("recurring", index_dir, "--by", "colour"), "unknown metadata field 'colour'", "country")
    assert_clean_user_error(cli("recurring", index_dir, "--by", "country", "--csv", "-", "--members"), "--members")


def test_lineage_of_the_new_slogan_names_the_old_one(index_dir):
    found = ids(index_dir)
    old, new = found[OLD], found[NEW]
    table = cli("lineage", index_dir, new)
    assert table.returncode == 0, table.stderr
    text = table.stdout
    assert "per year" in text and "Predecessors (1)" in text and "Successors (0)" in text and old in text
    assert "took over in 2021; the earlier one's share of documents: 90.0% before 2021, 8.3% from then on" in text  # 18 of 20 speeches before, 1 of 12 after
    data = json.loads(cli("lineage", index_dir, new, "--json").stdout)
    (link,) = data["links"]
    assert (link["earlier"], link["later"], link["handover"]) == (old, new, "2021")  # 2020: two each
    assert link["curves"][0]["documents"] == [4, 4, 4, 4, 2, 1, 0, 0]
    assert link["curves"][1]["documents"] == [0, 0, 0, 0, 2, 3, 4, 4]
    assert data["band"] == [0.55, 1.0] and data["formulation"] == new and 0.55 <= link["similarity"] < 0.8
    every = cli("lineage", index_dir)
    assert f"{old} → {new}" in every.stdout and "1 links among 3 formulations" in every.stdout
    narrow = cli("lineage", index_dir, "--min-similarity", "0.78")  # the slogans are 0.77 apart
    assert "0 links among 3 formulations" in narrow.stdout
    assert_clean_user_error(cli("lineage", index_dir, "f-000000000000"), "no formulation 'f-000000000000'")


def test_compare_periods_table_json_and_csv(index_dir, tmp_path):
    found = ids(index_dir)
    table = cli("compare-periods", index_dir, "--first", "2016", "2017", "--second", "2022", "2023")
    assert table.returncode == 0, table.stderr
    assert "2016-01-01 – 2017-12-31 (8 documents) vs 2022-01-01 – 2023-12-31 (8 documents)" in table.stdout
    assert "1 new, 0 rising, 0 falling, 1 vanished, 1 steady" in table.stdout
    data = json.loads(cli("compare-periods", index_dir, "--first", "2016", "2017", "--second", "2022", "2023",
                          "--json").stdout)
    status = {c["formulation"]: c["status"] for c in data["changes"]}
    assert status == {found[NEW]: "new", found[OLD]: "vanished", found[FLAT]: "steady"}
    new = next(c for c in data["changes"] if c["status"] == "new")
    assert (new["first"]["documents"], new["second"]["documents"], new["second"]["share"]) == (0, 8, 1.0)
    assert len(new["second"]["passage_ids"]) == 8 and new["change"] == 1.0
    out = tmp_path / "changes.csv"
    assert cli("compare-periods", index_dir, "--first", "2016", "2017", "--second", "2022", "2023",
               "--status", "vanished", "--csv", out).returncode == 0
    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert (row["status"], row["centre"], row["first_documents"], row["second_documents"]) == ("vanished", OLD, "8", "0")
    assert len(row["first_passage_ids"].split()) == 8


def test_compare_periods_refuses_overlapping_or_reversed_ranges(index_dir):
    assert_clean_user_error(cli("compare-periods", index_dir, "--first", "2016", "2019", "--second", "2019-06", "2023"),
                            "overlap")
    assert_clean_user_error(cli("compare-periods", index_dir, "--first", "2019", "2016", "--second", "2022", "2023"),
                            "ends (2016-12-31) before it starts (2019-01-01)")
    assert_clean_user_error(cli("compare-periods", index_dir, "--first", "soon", "2017", "--second", "2022", "2023"),
                            "bad date in the first period")
