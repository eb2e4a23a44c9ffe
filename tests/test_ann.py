"""The approximate FAISS kinds: built through the real build, searched through the real Searcher, they must
agree with exact search (IVF-SQ8's candidates are re-scored exactly from the stored vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SAMPLE_CORPUS, quick_build

from index.store import ann
from index.embed.encoder import HashingEncoder
from index.search import Filters, Searcher


def test_auto_spec_switches_at_the_threshold():
    assert ann.choose_spec(ann.APPROX_THRESHOLD - 1) == {"kind": "flat"}
    spec = ann.choose_spec(ann.APPROX_THRESHOLD)
    assert spec["kind"] == ann.APPROX_KIND and spec["nprobe"] <= spec["nlist"]
    assert ann.choose_spec(1_000_000, "ivf-sq8")["rerank"] == ann.RERANK


@pytest.mark.parametrize("kind", ["ivf", "ivf-sq8", "hnsw"])
def test_approximate_kinds_agree_with_exact_search(tmp_path, kind, sample_hashing_index):
    encoder = HashingEncoder(dim=64, max_tokens=40)
    quick_build([SAMPLE_CORPUS], tmp_path / "approx", encoder, index_kind=kind)
    exact, approx = Searcher(sample_hashing_index, encoder=encoder), Searcher(tmp_path / "approx", encoder=encoder)
    assert approx.levels["paragraph"].spec["kind"] == kind
    if kind == "ivf-sq8":  # probe every list: then re-ranking makes the result exact, scores included
        for level in approx.levels.values():
            level.spec["nprobe"] = level.spec["nlist"]
    overlaps = []
    for query in ["iron bridge", "the harvest festival", "our people and our Party", "new year address"]:
        a = [(h.passage_id, h.score) for h in exact.search(query, k=5)]
        b = [(h.passage_id, h.score) for h in approx.search(query, k=5)]
        overlaps.append(len({p for p, _ in a} & {p for p, _ in b}) / 5)
        if kind == "ivf-sq8":  # the same scores (ties between identical texts may swap ids)
            assert [s for _, s in b] == [s for _, s in a]
        assert all(s is not None and -1 <= s <= 1 for _, s in b)
    assert np.mean(overlaps) >= 0.6
    year = Filters.make("2020", "2020")
    hits = approx.search("new year address", k=5, filters=year)
    assert hits and all(h.date.startswith("2020") for h in hits)
    source = exact.search("iron bridge", k=1)[0].passage_id
    assert source not in {h.passage_id for h in approx.similar(source, k=5)}
