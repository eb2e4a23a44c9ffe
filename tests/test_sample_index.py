"""The sample index built on the explorer's first start (explorer/logic/sample.py), and the progress it shows:
the build's own events, with exact counts, drawn as the first-start bar."""

from __future__ import annotations

import shutil

import pytest

from index.embed.encoder import HashingEncoder
from explorer.logic.sample import SAMPLE_CORPUS, build_sample_index, first_start_bar, has_index
from index.progress import COUNTED, STAGES
from index.search import Searcher


@pytest.fixture
def small_corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in sorted(SAMPLE_CORPUS.glob("*.txt"))[:6]:
        shutil.copy(path, folder / path.name)
    return folder


def _check_counted(events, stage: str) -> list[int]:
    """A counted stage's done values: from 0, strictly rising, one total, ending at done == total."""
    mine = [e for e in events if e.stage == stage]
    done = [e.done for e in mine]
    assert len({e.total for e in mine}) == 1, mine
    assert done[0] == 0 and done[-1] == mine[0].total and done == sorted(set(done)), done
    return done


def test_first_start_progress_is_the_builds_own_events_with_exact_counts(tmp_path, small_corpus):
    out = tmp_path / "index"
    assert not has_index(out)
    events = []
    report = build_sample_index(out, corpus=small_corpus, on_progress=events.append, encoder=HashingEncoder(64))
    # every stage, in order (a fresh build segments and embeds everything)
    assert [s for i, s in enumerate(e.stage for e in events) if i == 0 or events[i - 1].stage != s] == list(STAGES)
    for stage in COUNTED:
        _check_counted(events, stage)
    milestones = {e.stage: e.done for e in events if e.stage not in COUNTED}
    assert all(e.done == e.total for e in events if e.stage not in COUNTED)
    n_passages = sum(report.passages.values())
    assert milestones["read"] == report.records == 6
    assert next(e.total for e in events if e.stage == "segmenting") == report.documents == 6
    assert milestones["segmented"] == n_passages
    assert next(e.total for e in events if e.stage == "embedding") == report.embedded == report.distinct_texts
    assert milestones["embedded"] == report.distinct_texts and milestones["sqlite-rows"] == report.documents
    for level, rows in report.passages.items():
        assert milestones[f"vectors-{level}"] == milestones[f"faiss-{level}"] == rows
    assert events[-1].stage == "collected" and events[-1].done == events[-1].total

    bar = [first_start_bar(e) for e in events]
    fractions = [f for f, _ in bar]
    assert 0 < fractions[0] and fractions == sorted(fractions) and fractions[-1] == 1.0
    messages = [m for _, m in bar]
    assert f"Embedding passages… {report.embedded:,} of {report.embedded:,}" in messages
    assert "Cutting speeches into paragraphs and sentences… 6 of 6" in messages
    assert f"{n_passages:,} passages; embedding them…" in messages

    assert has_index(out) and report.documents == 6
    searcher = Searcher(out)
    assert searcher.model_name == "builtin:hashing-64" and len(searcher.documents()) == 6
    boilerplate = [line for line, _ in searcher.info()["boilerplate"]]
    assert "Issued by the Kestrian State Press Bureau." in boilerplate


def test_rebuild_from_cache_embeds_nothing_and_says_so(tmp_path, small_corpus):
    cache = tmp_path / "cache.sqlite"
    build_sample_index(tmp_path / "a", corpus=small_corpus, cache_path=str(cache), encoder=HashingEncoder(64))
    events = []
    report = build_sample_index(tmp_path / "b", corpus=small_corpus, cache_path=str(cache), on_progress=events.append,
                                encoder=HashingEncoder(64))
    assert report.embedded == 0
    stages = [e.stage for e in events]
    assert "embedding" not in stages and "segmenting" not in stages  # nothing to do: no counted stage at all
    assert stages == [s for s in STAGES if s not in COUNTED]
    fractions = [first_start_bar(e)[0] for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert not any("Embedding" in first_start_bar(e)[1] for e in events)
