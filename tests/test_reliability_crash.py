"""Crashes mid-build: real builds (`python -m index build`, stand-in model) killed with SIGKILL at 20 moments.

16 moments are exact: the build runs through tests/build_runner.py, which listens to the build's progress
callback (index/progress.py) and, at the chosen stage, prints a marker and sleeps until killed; 4 more are
random offsets into a running build. After every kill: the previous index opens and answers exactly as before (also through a reader opened before the
kill), and the next build completes, embedding only what the embedding cache does not already hold.
"""

from __future__ import annotations

import random
import selectors
import shutil
import signal
import time
from pathlib import Path

import pytest

from conftest import quick_build

from index.store import layout
from index.embed.cache import EmbeddingCache
from index.embed.encoder import load_encoder
from index.search import Filters, Searcher
from build_runner import MARKER, MOMENTS
from reliability_support import hits_key, record, start_paused_build, words_corpus

CHUNK = 8  # --embed-chunk: the new documents' texts span several committed chunks
AFTER_PUBLISH = {"published", "collected"}
TIMED_KILLS = 4


def _queries(searcher: Searcher, probe_id: str) -> list:
    """A fixed mix of queries whose answers identify an index exactly."""
    return [
        hits_key(searcher.search("harvest people union", k=10)),
        hits_key(searcher.search("steel grain river", k=25, level="sentence")),
        hits_key(searcher.search("school railway", k=10, filters=Filters.make(date_from="2020-03", date_to="2020-08"))),
        hits_key(searcher.search("new extra material", k=10)),
        hits_key(searcher.phrase("harvest", k=200)),
        hits_key(searcher.phrase("extra material", k=200)),
        hits_key(searcher.similar(probe_id, k=10)),
        sorted(d["doc_id"] for d in searcher.documents()),
    ]


def _hashes(index: Path) -> set[str]:
    return {h for (h,) in Searcher(index).db.query("SELECT DISTINCT text_hash FROM passages")}


def _cached(index: Path, model_key: str) -> set[str]:
    cache = EmbeddingCache(index / layout.CACHE)
    try:
        return cache.hashes(model_key)
    finally:
        cache.close()


def _wait_for(proc, needle: str, timeout: float) -> float:
    """Read the build's stderr until needle appears; returns when it did."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen += line
            if needle in line:
                return time.monotonic()
    proc.kill()
    raise AssertionError(f"the build never printed {needle!r}; stderr: {seen[-2000:]}")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    encoder = load_encoder("builtin:hashing")  # what `--model builtin:hashing` loads in the subprocess
    corpus_a = words_corpus(base / "a" / "corpus", 24, seed=1)
    corpus_b = base / "b" / "corpus"
    shutil.copytree(corpus_a, corpus_b)
    words_corpus(corpus_b, 3, paragraphs=10, seed=2, prefix="extra material new")  # 3 more documents
    for path in sorted(corpus_b.glob("*extra*")):
        path.rename(path.with_name(path.name.replace(" ", "-")))
    template = base / "template" / "index"
    quick_build([corpus_a], template, encoder)
    reference = base / "reference" / "index"
    quick_build([corpus_b], reference, encoder)
    probe = Searcher(template).search("harvest people union", k=1)[0].passage_id
    baseline_a = _queries(Searcher(template), probe)
    baseline_b = _queries(Searcher(reference), probe)
    assert baseline_a != baseline_b
    hashes_a, hashes_b = _hashes(template), _hashes(reference)
    assert len(hashes_b - hashes_a) > 4 * CHUNK
    # how long the work after taking the lock lasts, for the random kills
    scratch = base / "scratch" / "index"
    shutil.copytree(template, scratch)
    proc = start_paused_build("build", corpus_b, "--out", scratch, "--model", "builtin:hashing", "--quiet",
                              "--embed-chunk", CHUNK, pause_at="locked", pause_seconds=0)
    locked = _wait_for(proc, MARKER, 60)
    assert proc.wait(60) == 0, proc.stderr.read()
    work_seconds = time.monotonic() - locked
    return dict(base=base, encoder=encoder, corpus_b=corpus_b, template=template, probe=probe, baseline_a=baseline_a,
                baseline_b=baseline_b, hashes_a=hashes_a, hashes_b=hashes_b, work_seconds=work_seconds)


def test_sigkill_at_20_moments_loses_nothing(setup):
    s = setup
    rng = random.Random(6)
    moments = [(stage, None) for stage in MOMENTS]
    moments += [("timed", rng.uniform(0.02, 0.75) * s["work_seconds"]) for _ in range(TIMED_KILLS)]
    assert len(moments) == 20
    model_key = s["encoder"].cache_key
    new_texts = len(s["hashes_b"] - s["hashes_a"])
    log = []
    for i, (stage, offset) in enumerate(moments):
        work = s["base"] / f"kill-{i:02d}" / "index"
        shutil.copytree(s["template"], work)
        reader = Searcher(work)  # a reader that stays open across the kill and the next build
        assert _queries(reader, s["probe"]) == s["baseline_a"]

        pause = dict(pause_at="locked", pause_seconds=0) if stage == "timed" else dict(pause_at=stage)
        proc = start_paused_build("build", s["corpus_b"], "--out", work, "--model", "builtin:hashing", "--quiet",
                                  "--embed-chunk", CHUNK, **pause)
        try:
            reached = _wait_for(proc, f"{MARKER} {'locked' if stage == 'timed' else stage}", 90)
            if offset is not None:
                time.sleep(max(0.0, reached + offset - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
            code = proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stderr.close()
            proc.stdout.close()
        finished = code == 0  # a timed kill may come just after the build ended
        assert code in ((-signal.SIGKILL, 0) if stage == "timed" else (-signal.SIGKILL,)), (stage, code)

        # the live index is the old one, or (killed after publishing) the complete new one: never a mix
        live = _queries(Searcher(work), s["probe"])
        if stage == "timed":
            assert live in (s["baseline_a"], s["baseline_b"]), (stage, offset)
            published = live == s["baseline_b"]
        else:
            published = stage in AFTER_PUBLISH
            assert live == (s["baseline_b"] if published else s["baseline_a"]), stage
        assert _queries(reader, s["probe"]) == s["baseline_a"], stage

        # the next build completes and embeds only what the cache lacks
        cached_before = _cached(work, model_key)
        saved = len(cached_before & (s["hashes_b"] - s["hashes_a"]))
        if stage == "embed-chunk":
            assert saved == CHUNK, saved  # the killed build's first chunk survived
        if stage in MOMENTS[MOMENTS.index("embedded"):]:
            assert saved == new_texts, (stage, saved)
        report = quick_build([s["corpus_b"]], work, s["encoder"])
        assert report.cached == len(cached_before & s["hashes_b"]), stage
        assert report.embedded == len(s["hashes_b"] - cached_before) == new_texts - saved, stage
        assert _queries(Searcher(work), s["probe"]) == s["baseline_b"], stage
        assert _queries(reader, s["probe"]) == s["baseline_a"], stage  # its generation may be deleted by now
        generations = [p for p in work.iterdir() if p.name.startswith(layout.GEN_PREFIX)]
        assert len(generations) <= 2, generations
        reader.db.close()
        log.append({"moment": stage if offset is None else f"+{offset:.2f}s", "published_before_kill": published,
                    "finished_before_kill": finished, "embedded_next": report.embedded, "cached_next": report.cached})
        shutil.rmtree(work.parent)

    killed = sum(not entry["finished_before_kill"] for entry in log)
    assert killed >= len(MOMENTS) + 1  # staged kills always land; random ones almost always do
    record("crash", kills=killed, moments=len(log), survived=len(log), stages=len(MOMENTS), timed_kills=TIMED_KILLS,
           killed_after_publish=sum(e["published_before_kill"] for e in log),
           texts_reembedded_after_kill_mid_embed=[e["embedded_next"] for e in log if e["moment"] == "embed-chunk"][0],
           new_texts_per_build=new_texts, errors=0, moments_detail=log)
