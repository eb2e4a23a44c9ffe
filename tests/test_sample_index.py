"""The sample index built on the explorer's first start (index/sample.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from index.embed.encoder import HashingEncoder
from explorer.logic.sample import SAMPLE_CORPUS, ReportingEncoder, build_sample_index, estimate_passages, has_index
from index.search import Searcher


@pytest.fixture
def small_corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in sorted(SAMPLE_CORPUS.glob("*.txt"))[:6]:
        shutil.copy(path, folder / path.name)
    return folder


def test_builds_with_progress_from_zero_to_one(tmp_path, small_corpus):
    out = tmp_path / "index"
    assert not has_index(out)
    seen: list[tuple[float, str]] = []
    report = build_sample_index(out, corpus=small_corpus, on_progress=lambda f, m: seen.append((f, m)),
                                encoder=HashingEncoder(64))
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("Embedding passages" in m for _, m in seen) and "6 speeches" in seen[-1][1]
    assert has_index(out) and report.documents == 6
    searcher = Searcher(out)
    assert searcher.model_name == "builtin:hashing-64" and len(searcher.documents()) == 6
    boilerplate = [line for line, _ in searcher.info()["boilerplate"]]
    assert "Issued by the Kestrian State Press Bureau." in boilerplate


def test_rebuild_from_cache_embeds_nothing(tmp_path, small_corpus):
    cache = tmp_path / "cache.sqlite"
    build_sample_index(tmp_path / "a", corpus=small_corpus, cache_path=str(cache), encoder=HashingEncoder(64))
    encoded = []
    report = build_sample_index(tmp_path / "b", corpus=small_corpus, cache_path=str(cache),
                                on_progress=lambda f, m: encoded.append(m), encoder=HashingEncoder(64))
    assert report.embedded == 0 and not any("Embedding" in m for m in encoded)


def test_reporting_encoder_gives_the_inner_vectors_in_batches():
    inner = HashingEncoder(32)
    batches: list[int] = []
    outer = ReportingEncoder(inner, batches.append)
    texts = [f"speech number {i} about rivers" for i in range(70)]
    assert np.array_equal(outer.encode(texts, batch_size=32), inner.encode(texts))
    assert batches == [32, 32, 6]
    assert (outer.name, outer.dim, outer.cache_key) == (inner.name, inner.dim, inner.cache_key)
    assert outer.encode([]).shape == (0, 32)


@pytest.mark.model
def test_estimate_is_in_the_right_range(sample_index):
    _, report = sample_index
    estimate = estimate_passages(SAMPLE_CORPUS)
    actual = report.passages["paragraph"] + report.passages["sentence"]
    assert 0.6 * actual <= estimate <= 1.6 * actual
