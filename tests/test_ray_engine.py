"""`build --engine ray`: a local Ray cluster embeds what the cache lacks, and the index is the one the local
engine builds (same passages, same vectors, same search results); finished blocks stay in the cache when a
build is stopped; a missing Ray or an unreachable cluster is a one-line error.

Tests marked `ray` skip when Ray is not installed (pip install -r requirements-ray.txt)."""

from __future__ import annotations

import json
import sqlite3
import sys
import tomllib

import numpy as np
import pytest
from packaging.requirements import Requirement

from index.build import BuildSettings, build_index
from index.embed.cache import EmbeddingCache
from index.embed.encoder import HashingEncoder
from index.embed.engines import ActorPlan, plan_actors
from index.errors import RefrainError
from index.ingest.records import ReadOptions
from index.levels import LEVELS
from index.search import Searcher
from index.store import layout
from reliability_support import assert_clean_user_error, cli
from tests.conftest import REPO, SAMPLE_CORPUS

QUERIES = ("the harvest was the largest in the history of the republic", "cooperation between neighbouring states",
           "we will never forget the martyrs", "modernising the railways and ports")


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray cluster of two CPUs, shared by this module's builds (each build joins it, none stops it)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-ray.txt")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install -r requirements-ray.txt")
    ray.init(num_cpus=2, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


def _build(out, encoder=None, **settings):
    return build_index([str(SAMPLE_CORPUS)], out, ReadOptions(), BuildSettings(**settings), encoder=encoder)


def _vectors(root) -> dict[str, tuple[list[str], np.ndarray]]:
    """Each level's passage ids, in row order, and the stored vectors."""
    generation = layout.live_generation(root)
    db = sqlite3.connect(generation / layout.DATABASE)
    out = {}
    for level in LEVELS:
        ids = [r[0] for r in db.execute("SELECT passage_id FROM passages WHERE level = ? ORDER BY row", (level,))]
        out[level] = (ids, np.load(generation / f"vectors-{level}.npy", allow_pickle=False))
    db.close()
    return out


def _same_index(local_root, ray_root, min_cosine: float) -> None:
    local, ray = _vectors(local_root), _vectors(ray_root)
    for level in LEVELS:
        assert local[level][0] == ray[level][0] and len(local[level][0]) > 100
        cosines = np.sum(local[level][1] * ray[level][1], axis=1)
        assert cosines.min() >= min_cosine, (level, cosines.min())
    a, b = Searcher(local_root), Searcher(ray_root)
    for level in LEVELS:
        for query in QUERIES:
            hits_a, hits_b = a.search(query, k=10, level=level), b.search(query, k=10, level=level)
            assert [h.passage_id for h in hits_a] == [h.passage_id for h in hits_b], (level, query)
            assert np.allclose([h.score for h in hits_a], [h.score for h in hits_b], atol=1e-4)


@pytest.mark.ray
def test_ray_builds_the_index_the_local_engine_builds(tmp_path, ray_cluster):
    encoder = HashingEncoder(dim=64, max_tokens=40)
    local = _build(tmp_path / "local", encoder, cache_path=str(tmp_path / "local.sqlite"))
    ray = _build(tmp_path / "ray", encoder, engine="ray", embed_chunk=64, cache_path=str(tmp_path / "ray.sqlite"))
    assert ray.embedded == local.embedded == ray.distinct_texts > 500 and ray.cached == 0
    assert ray.content_hash == local.content_hash  # same passages, same model key: derived results are shared
    assert ray.embedding == {**local.embedding, "engine": "ray", "workers": 1}
    for level, (ids, vectors) in _vectors(tmp_path / "ray").items():
        assert np.array_equal(vectors, _vectors(tmp_path / "local")[level][1])  # the same code on the same CPU
    _same_index(tmp_path / "local", tmp_path / "ray", 0.99999)
    assert "(64-d, fp32 on cpu, 1 Ray worker, reads 40 tokens)" in cli("info", tmp_path / "ray").stdout
    again = _build(tmp_path / "ray", encoder, engine="ray", cache_path=str(tmp_path / "ray.sqlite"))
    assert again.embedded == 0 and again.cached == ray.distinct_texts


@pytest.mark.ray
def test_a_stopped_ray_build_keeps_its_finished_blocks(tmp_path, ray_cluster):
    """Vectors are committed block by block as they come back; a build stopped halfway keeps them."""
    encoder = HashingEncoder(dim=64, max_tokens=40)
    cache = tmp_path / "cache.sqlite"
    seen = []

    def stop_after_three_blocks(progress):
        if progress.stage == "embedding" and progress.done:
            seen.append(progress.done)
            if len(seen) == 3:
                raise KeyboardInterrupt("stopped")

    with pytest.raises(KeyboardInterrupt):
        build_index([str(SAMPLE_CORPUS)], tmp_path / "index", ReadOptions(),
                    BuildSettings(engine="ray", embed_chunk=50, cache_path=str(cache)), encoder=encoder,
                    on_progress=stop_after_three_blocks)
    store = EmbeddingCache(cache)
    kept = store.count(encoder.cache_key)
    store.close()
    assert kept == seen[-1] == 150  # three blocks of 50, each committed before it was reported
    resumed = _build(tmp_path / "index", encoder, engine="ray", embed_chunk=50, cache_path=str(cache))
    assert resumed.cached == 150 and resumed.embedded == resumed.distinct_texts - 150


@pytest.mark.ray
def test_a_worker_that_cannot_load_the_model_is_a_one_line_error(tmp_path, ray_cluster):
    """What a worker without CUDA says when it is asked for CUDA reaches the user as that one line."""
    from index.embed.engines import Cluster, RayEngine, connect
    from index.embed.encoder import DEFAULT_MODEL, SentenceTransformerEncoder

    if ray_cluster.cluster_resources().get("GPU"):
        pytest.skip("this cluster has GPUs")
    cluster = connect(None)
    # a plan the cluster cannot keep: CUDA actors that reserve no GPU, on workers whose torch has no CUDA
    engine = RayEngine(cluster, ActorPlan("cuda", 1, 1, 0), SentenceTransformerEncoder(DEFAULT_MODEL), 32)
    with pytest.raises(RefrainError, match=r"^on a Ray worker: --device cuda: .*use --device auto or cpu$"):
        list(engine.embed(["a text", "another text"], 64))
    assert isinstance(cluster, Cluster) and ray_cluster.is_initialized()


@pytest.mark.ray
@pytest.mark.model
def test_ray_with_the_real_model_matches_the_local_build(tmp_path, ray_cluster, sample_index, real_encoder):
    """The bundled model in Ray workers (loaded offline there) gives the local build's vectors and answers."""
    local_root, local = sample_index
    ray = _build(tmp_path / "ray", real_encoder, engine="ray", cache_path=str(tmp_path / "fresh.sqlite"))
    assert ray.embedded == ray.distinct_texts == local.distinct_texts and ray.cached == 0
    assert ray.content_hash == local.content_hash
    assert ray.embedding["engine"] == "ray" and ray.embedding["precision"] == real_encoder.precision
    _same_index(local_root, tmp_path / "ray", 0.9999)


@pytest.mark.ray
@pytest.mark.slow
def test_the_cli_starts_its_own_local_cluster(tmp_path):
    """Without a running cluster, `--engine ray` starts a local one, ships the `index` package to its workers,
    and stops it again."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-ray.txt")
    out = tmp_path / "index"
    done = cli("build", SAMPLE_CORPUS, "--out", out, "--model", "builtin:hashing", "--engine", "ray", "--json",
               timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["embedding"]["engine"] == "ray" and report["embedded"] == report["distinct_texts"] > 500


def test_without_ray_the_ray_engine_is_a_one_line_error_naming_the_install(tmp_path):
    """Ray is optional: where it is missing (hidden here when it is installed), the build says how to get it."""
    import subprocess

    code = ("import sys; sys.modules['ray'] = None; from index.cli.main import main; "
            f"sys.exit(main(['build', {str(SAMPLE_CORPUS)!r}, '--out', {str(tmp_path / 'i')!r}, '--engine', 'ray', "
            "'--model', 'builtin:hashing']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert_clean_user_error(done, "--engine ray needs Ray", "pip install -r requirements-ray.txt")


def test_an_unreachable_cluster_is_a_one_line_error(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-ray.txt")
    done = cli("build", SAMPLE_CORPUS, "--out", tmp_path / "i", "--model", "builtin:hashing", "--engine", "ray",
               "--ray-address", "127.0.0.1:1", timeout=120)
    assert_clean_user_error(done, "cannot reach the Ray cluster at 127.0.0.1:1")
    assert_clean_user_error(cli("build", SAMPLE_CORPUS, "--out", tmp_path / "j", "--ray-address", "127.0.0.1:1"),
                            "--ray-address needs --engine ray")


def test_the_actor_plan_uses_gpus_when_the_cluster_has_them():
    """GPU actors (fp16) when the cluster's resources include GPUs, unless --device cpu; else two-core CPU actors."""
    gpus = {"CPU": 64.0, "GPU": 4.0, "memory": 5e11}  # as ray.cluster_resources() reports them
    assert plan_actors(gpus, "auto", "head:6379") == plan_actors(gpus, "cuda", "head:6379") == ActorPlan("cuda", 4, 1, 1)
    assert plan_actors(gpus, "cpu", "head:6379") == ActorPlan("cpu", 32, 2, 0)
    assert plan_actors({"CPU": 2.0}, "auto", "head:6379") == ActorPlan("cpu", 1, 2, 0)
    assert plan_actors({"CPU": 1.0}, "auto", "head:6379") == ActorPlan("cpu", 1, 1, 0)
    with pytest.raises(RefrainError, match="--device cuda: the Ray cluster at head:6379 has no GPUs"):
        plan_actors({"CPU": 2.0}, "cuda", "head:6379")
    with pytest.raises(RefrainError, match="--engine ray embeds on CUDA GPUs or CPUs"):
        plan_actors(gpus, "mps", "head:6379")


def test_the_ray_engine_on_this_machines_cluster(ray_cluster):
    """The same plan from a real (local) cluster's resources: two CPUs, no GPU."""
    from index.embed.engines import connect

    cluster = connect(None)  # joins the running cluster, and leaves it running
    assert not cluster.owned and cluster.plan("auto") == ActorPlan("cpu", 1, 2, 0)
    cluster.close()
    assert ray_cluster.is_initialized()


def test_the_ray_extra_admits_the_pinned_ray():
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["ray"]
    (wanted,) = [Requirement(r) for r in extra]
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements-ray.txt").read_text().splitlines()]
    (pin,) = [Requirement(line) for line in lines if line]
    assert pin.name == wanted.name == "ray" and "data" in pin.extras and "data" in wanted.extras
    (version,) = [s.version for s in pin.specifier]
    assert wanted.specifier.contains(version)
