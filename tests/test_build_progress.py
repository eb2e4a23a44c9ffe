"""The build's one progress callback (index/progress.py): exact counts, reported when the work is really done,
and the command line's bars drawn from it."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import quick_build
from reliability_support import cli, words_corpus

from index.embed.encoder import HashingEncoder
from index.progress import BuildProgress
from index.search import Searcher
from index.store import layout


@pytest.fixture
def corpus(tmp_path):
    return words_corpus(tmp_path / "corpus", 5)


def _cached_vectors(cache) -> int:
    conn = sqlite3.connect(cache)
    try:
        return conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
    finally:
        conn.close()


def test_embedding_is_reported_after_each_chunk_is_committed_to_the_cache(tmp_path, corpus):
    cache = tmp_path / "cache.sqlite"
    seen: list[tuple[int, int, int]] = []

    def listen(progress: BuildProgress) -> None:
        if progress.stage == "embedding":  # read by another connection: only committed rows count
            seen.append((progress.done, progress.total, _cached_vectors(cache)))

    report = quick_build([corpus], tmp_path / "index", HashingEncoder(64), cache_path=str(cache), embed_chunk=7,
                         on_progress=listen)
    total = report.embedded
    assert total > 3 * 7
    assert [done for done, _, _ in seen] == [*range(0, total, 7), total]
    assert all(t == total and stored == done for done, t, stored in seen)


def test_a_listener_that_fails_stops_the_build_and_leaves_the_index(tmp_path, corpus):
    out = tmp_path / "index"
    quick_build([corpus], out, HashingEncoder(64))
    before = [h.passage_id for h in Searcher(out).search("harvest", k=5)]
    generations = sorted(p.name for p in out.iterdir() if p.name.startswith(layout.GEN_PREFIX))
    words_corpus(corpus, 1, seed=7, prefix="new")

    def stop(progress: BuildProgress) -> None:
        if progress.stage == "faiss-paragraph":
            raise KeyboardInterrupt  # the user pressing Ctrl-C in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        quick_build([corpus], out, HashingEncoder(64), on_progress=stop)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(layout.GEN_PREFIX)) == generations  # no half-written one
    assert [h.passage_id for h in Searcher(out).search("harvest", k=5)] == before
    assert quick_build([corpus], out, HashingEncoder(64)).documents == 6


def test_the_command_line_draws_bars_unless_quiet(tmp_path, corpus):
    loud = cli("build", corpus, "--out", tmp_path / "a", "--model", "builtin:hashing", "--embed-chunk", "16")
    assert loud.returncode == 0, loud.stderr
    assert "segmenting: 100%" in loud.stderr and "5/5" in loud.stderr
    assert "embedding: 100%" in loud.stderr and "Indexed 5 documents" in loud.stdout
    quiet = cli("build", corpus, "--out", tmp_path / "b", "--model", "builtin:hashing", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    bad = cli("build", corpus, "--out", tmp_path / "c", "--model", "builtin:hashing", "--embed-chunk", "0")
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --embed-chunk must be at least 1"
