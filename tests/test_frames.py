"""DataFrames and Parquet files of hits, documents, formulations, variants, members and per-period counts: every
row traces to the typed result it came from, the counts add up across tables, and a Parquet file reads back as the
frame it was written from (also when the CLI writes it)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict

import pandas as pd
import pytest

from index import frames
from index.errors import RefrainError
from index.mining.recurring import MiningParams, recurring
from index.search import Filters, Searcher
from tests.conftest import REPO, quick_build, write_corpus

QUERY = "the people and the Party are united"


@pytest.fixture(scope="module")
def searcher(sample_hashing_index):
    return Searcher(sample_hashing_index)


@pytest.fixture(scope="module")
def mined(searcher):
    return recurring(searcher, MiningParams("sentence"), use_cache=False)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "index", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_hits_frame_is_the_hits_in_order(searcher):
    hits = searcher.search(QUERY, k=7, level="sentence")
    frame = frames.hits_frame(hits)
    assert list(frame.columns) == list(frames.HIT_COLUMNS)
    assert frame["rank"].tolist() == list(range(1, 8))
    assert frame["passage_id"].tolist() == [h.passage_id for h in hits]
    assert frame["score"].tolist() == [h.score for h in hits]
    assert frame["text"].tolist() == [h.text for h in hits]
    assert frame["year"].tolist() == [int(h.date[:4]) for h in hits]
    doc = searcher.document(hits[0].doc_id)
    assert doc.text[frame["start"][0]:frame["end"][0]] == hits[0].text  # offsets point into the document


def test_phrase_hits_have_no_score_and_empty_results_keep_their_columns(searcher):
    frame = frames.hits_frame(searcher.phrase("the people", k=5))
    assert len(frame) == 5 and frame["score"].isna().all()
    empty = frames.hits_frame([])
    assert empty.empty and list(empty.columns) == list(frames.HIT_COLUMNS)
    assert list(frames.members_frame([]).columns) == list(frames.MEMBER_COLUMNS)


def test_metadata_becomes_one_list_column_per_field(tmp_path, hashing):
    corpus = write_corpus(tmp_path / "corpus", {"stories.jsonl": "\n".join(json.dumps(r) for r in [
        {"text": "The harvest was plentiful in every province this year.", "date": "2024-07-14", "topic": "Economy"},
        {"text": "The harvest was plentiful in every province this year.", "date": "2024-07-14", "topic": "Top"},
        {"text": "Ships sailed to the northern ports before the winter came.", "date": "2024", "region": "North"},
    ])})
    from index.ingest.records import ReadOptions

    quick_build([corpus], tmp_path / "index", hashing, ReadOptions(meta_fields=("topic", "region")))
    searcher = Searcher(tmp_path / "index")
    frame = frames.hits_frame(searcher.search("harvest in the provinces", k=2, level="paragraph"))
    assert list(frame.columns) == [*frames.HIT_COLUMNS, "meta_region", "meta_topic"]
    assert frame["meta_topic"].tolist() == [["Economy", "Top"], []]
    assert frame["meta_region"].tolist() == [[], ["North"]]
    assert frame["date"].tolist() == ["2024-07-14", "2024"]  # a year stays a year
    docs = frames.documents_frame(searcher)
    assert sorted(docs["copies"]) == [1, 2] and docs["year"].tolist() == [2024, 2024]
    assert len(frames.documents_frame(searcher, Filters.make(meta={"region": ["North"]}))) == 1
    path = frames.write_parquet(frame, tmp_path / "hits.parquet")
    back = pd.read_parquet(path)
    assert [list(v) for v in back["meta_topic"]] == [["Economy", "Top"], []]
    (tmp_path / "plain").touch()
    assert path.stat().st_mode == (tmp_path / "plain").stat().st_mode  # an ordinary file, readable as any other
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_formulation_tables_add_up(mined):
    formulations = frames.formulations_frame(mined)
    members = frames.members_frame(mined)
    variants = frames.variants_frame(mined)
    periods = frames.periods_frame(mined)
    assert len(formulations) == len(mined.formulations) > 5
    assert formulations["id"].tolist() == [f.id for f in mined.formulations]
    by_id = formulations.set_index("id")
    for f in mined.formulations:
        mine = members[members["formulation"] == f.id]
        assert len(mine) == by_id.loc[f.id, "passages"] == f.n_passages
        assert mine["doc_id"].nunique() == by_id.loc[f.id, "documents"] == f.n_documents
        assert mine["date"].min() == by_id.loc[f.id, "first_seen"] and mine["date"].max() == by_id.loc[f.id, "last_seen"]
        wordings = variants[variants["formulation"] == f.id]
        assert len(wordings) == f.n_variants and wordings["passages"].sum() == f.n_passages
        assert set(mine["variant"]) == set(wordings["text"])
        counted = periods[periods["formulation"] == f.id].set_index("period")
        assert list(counted.index) == sorted(mined.period_totals.years)  # every year, zeros included
        docs_per_year = defaultdict(set)
        for doc_id, year in zip(mine["doc_id"], mine["year"]):
            docs_per_year[str(year)].add(doc_id)
        for period, row in counted.iterrows():
            assert row["documents"] == len(docs_per_year.get(period, ()))
            assert row["period_documents"] == mined.period_totals.years[period]
            assert row["share"] == round(row["documents"] / row["period_documents"], 4)


def test_periods_by_month_and_a_selection(mined):
    chosen = list(mined.formulations[:2])
    months = frames.periods_frame(mined, "month", chosen)
    assert set(months["formulation"]) == {f.id for f in chosen}
    assert len(months) == 2 * len(mined.period_totals.months)
    assert months.groupby("formulation")["passages"].sum().to_dict() == {f.id: f.n_passages for f in chosen}
    with pytest.raises(RefrainError, match="'year' or 'month'"):
        frames.periods_frame(mined, "week")


def test_write_parquet_names_the_file_it_cannot_write(tmp_path, mined):
    with pytest.raises(RefrainError, match="cannot write .*no-such-folder"):
        frames.write_parquet(frames.formulations_frame(mined), tmp_path / "no-such-folder" / "f.parquet")


def test_cli_parquet_files_read_back_as_the_library_frames(tmp_path, sample_hashing_index, searcher, mined):
    hits_file, formulations_file, members_file = (tmp_path / n for n in ("hits.pq", "formulations.pq", "members.pq"))
    done = run_cli("search", sample_hashing_index, QUERY, "-k", 5, "--parquet", hits_file)
    assert done.returncode == 0 and done.stdout == "" and "wrote 5 rows" in done.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(hits_file), frames.hits_frame(searcher.search(QUERY, k=5)),
                                  check_dtype=False)
    everything = ("--furniture", "--sort", "docs")  # every formulation, in the order mining lists them
    assert run_cli("recurring", sample_hashing_index, *everything, "--parquet", formulations_file).returncode == 0
    assert run_cli("recurring", sample_hashing_index, *everything, "--parquet", members_file, "--members").returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(formulations_file), frames.formulations_frame(mined), check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(members_file), frames.members_frame(mined), check_dtype=False)
    bad = run_cli("recurring", sample_hashing_index, "--parquet", tmp_path / "missing" / "f.pq")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot write" in bad.stderr
