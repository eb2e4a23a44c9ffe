"""The embedding cache: compact on disk, the first format migrated, damage moved aside, safe across threads
and processes, every committed chunk kept."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading

import numpy as np
import pytest

from conftest import SAMPLE_CORPUS, quick_build
from index.embed import cache as cache_module
from index.embed.cache import EmbeddingCache
from index.embed.encoder import HashingEncoder, l2_normalise
from index.textnorm import text_hash

MODEL = "builtin:hashing-384|fp32"


def vectors(n: int, dim: int = 384, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    return [text_hash(f"text {seed} {i}") for i in range(n)], l2_normalise(rng.standard_normal((n, dim)))


def disk_bytes(path) -> int:
    return sum(os.path.getsize(str(path) + s) for s in ("", "-wal") if os.path.exists(str(path) + s))


def test_a_vector_takes_at_most_1_3_times_its_raw_bytes(tmp_path):
    hashes, data = vectors(6000)
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    for i in range(0, len(hashes), 512):  # committed chunk by chunk, as a build does
        cache.put_vectors(MODEL, hashes[i:i + 512], data[i:i + 512])
    cache.close()
    assert disk_bytes(tmp_path / "cache.sqlite") <= 1.3 * data.nbytes
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    found = cache.get_vectors(MODEL, hashes, 384)
    assert len(found) == 6000 and all(np.array_equal(found[h], data[i]) for i, h in enumerate(hashes))
    assert cache.hashes(MODEL) == set(hashes) and cache.count(MODEL) == cache.count() == 6000
    assert cache.get_vectors("another model", hashes[:5], 384) == {}


def write_first_format(path, model: str, hashes: list[str], data: np.ndarray) -> None:
    """A cache as the first format wrote it: WITHOUT ROWID, hex text keys, 4 KiB pages."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("""
        CREATE TABLE embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL,
                                 PRIMARY KEY (model, hash)) WITHOUT ROWID;
        CREATE TABLE splits (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE segments (key TEXT PRIMARY KEY, spans TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE models (model TEXT PRIMARY KEY, dimension INTEGER NOT NULL) WITHOUT ROWID;
    """)
    with db:
        db.executemany("INSERT INTO embeddings VALUES (?, ?, ?)", ((model, h, data[i].tobytes()) for i, h in enumerate(hashes)))
        db.execute("INSERT INTO models VALUES (?, ?)", (model, data.shape[1]))
        db.execute("INSERT INTO splits VALUES ('k', '[[0,5]]')")
    db.close()


def test_a_first_format_cache_is_migrated_in_place_and_shrinks(tmp_path):
    path = tmp_path / "cache.sqlite"
    hashes, data = vectors(3000)
    write_first_format(path, MODEL, hashes, data)
    old_size = disk_bytes(path)
    cache = EmbeddingCache(path)
    assert cache.dimension(MODEL) == 384 and cache.get_splits(["k"]) == {"k": [(0, 5)]}
    found = cache.get_vectors(MODEL, hashes, 384)
    assert len(found) == 3000 and all(np.array_equal(found[h], data[i]) for i, h in enumerate(hashes))
    cache.close()
    assert disk_bytes(path) <= 1.3 * data.nbytes < old_size / 2
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == cache_module.FORMAT
    assert db.execute("PRAGMA page_size").fetchone()[0] == cache_module.PAGE_SIZE
    assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'embeddings'").fetchone()


def test_a_build_reuses_every_vector_of_a_first_format_cache(tmp_path):
    first = quick_build([SAMPLE_CORPUS], tmp_path / "a", HashingEncoder(dim=64, max_tokens=40))
    old = tmp_path / "old.sqlite"
    held = EmbeddingCache(tmp_path / "a" / "cache.sqlite")
    model = HashingEncoder(dim=64, max_tokens=40).cache_key
    hashes = sorted(held.hashes(model))
    data = np.stack([held.get_vectors(model, [h], 64)[h] for h in hashes])
    held.close()
    write_first_format(old, model, hashes, data)
    again = quick_build([SAMPLE_CORPUS], tmp_path / "b", HashingEncoder(dim=64, max_tokens=40), cache_path=str(old))
    assert again.embedded == 0 and again.cached == first.distinct_texts


def test_a_row_of_garbage_bytes_counts_as_missing(tmp_path):
    hashes, data = vectors(4)
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cache.put_vectors(MODEL, hashes, data)
    cache.close()
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    with db:
        db.execute("UPDATE vectors SET vector = ? WHERE hash = ?", (b"\xa5" * 384 * 4, bytes.fromhex(hashes[1])))
        db.execute("UPDATE vectors SET vector = ? WHERE hash = ?", (b"\x00" * 7, bytes.fromhex(hashes[2])))
    db.close()
    found = EmbeddingCache(tmp_path / "cache.sqlite").get_vectors(MODEL, hashes, 384)
    assert sorted(found) == sorted([hashes[0], hashes[3]])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "scribbled"])
def test_a_damaged_cache_is_moved_aside_with_a_warning_and_work_goes_on(tmp_path, capsys, damage):
    path = tmp_path / "cache.sqlite"
    hashes, data = vectors(2000)
    cache = EmbeddingCache(path)
    cache.put_vectors(MODEL, hashes, data)
    cache.close()
    raw = bytearray(path.read_bytes())
    if damage == "garbage":
        raw = bytearray(os.urandom(len(raw)))
    elif damage == "truncated":
        raw = raw[:5000]
    else:  # the b-tree pages (the key index is written last, at the end of the file) scribbled over
        for start in range(len(raw) - 16384 * 6, len(raw), 16384):
            raw[start:start + 200] = b"\xa5" * 200
    path.write_bytes(bytes(raw))
    cache = EmbeddingCache(path)
    found = cache.get_vectors(MODEL, hashes, 384)
    cache.put_vectors(MODEL, hashes[:10], data[:10])
    assert len(cache.get_vectors(MODEL, hashes[:10], 384)) == 10
    cache.close()
    aside = list(tmp_path.glob("cache.sqlite.damaged-*"))
    warning = capsys.readouterr().err
    if found:  # scribbling may spare what a query reads: then nothing was wrong for this cache to see
        assert damage == "scribbled" and len(found) <= len(hashes)
        return
    assert len(aside) == 1
    moved = aside[0].read_bytes()
    assert (b"\xa5" * 200 in moved) if damage == "scribbled" else moved[:4000] == bytes(raw[:4000])
    assert f"the embedding cache {path} is damaged" in warning and str(aside[0]) in warning


def test_threads_share_one_cache(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    errors = []

    def work(seed):
        try:
            hashes, data = vectors(300, seed=seed)
            for i in range(0, 300, 50):
                cache.put_vectors(MODEL, hashes[i:i + 50], data[i:i + 50])
                assert len(cache.get_vectors(MODEL, hashes[: i + 50], 384)) == i + 50
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and cache.count(MODEL) == 1800
    cache.close()


def _write_from_process(path: str, seed: int) -> None:
    cache = EmbeddingCache(path)
    hashes, data = vectors(400, seed=seed)
    for i in range(0, 400, 40):
        cache.put_vectors(MODEL, hashes[i:i + 40], data[i:i + 40])
    cache.close()


def test_processes_write_one_cache_at_once(tmp_path):
    path = str(tmp_path / "cache.sqlite")
    EmbeddingCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_from_process, args=(path, seed)) for seed in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    cache = EmbeddingCache(path)
    assert cache.count(MODEL) == 1200
    for seed in range(3):
        hashes, data = vectors(400, seed=seed)
        found = cache.get_vectors(MODEL, hashes, 384)
        assert all(np.array_equal(found[h], data[i]) for i, h in enumerate(hashes))


def test_a_build_interrupted_while_segmenting_keeps_the_segmentations_it_committed(tmp_path, monkeypatch):
    from index import build
    from index.ingest.segment import Segmenter

    encoder = HashingEncoder(dim=64, max_tokens=40)
    monkeypatch.setattr(build, "SEGMENT_COMMIT", 10)
    real_segment, calls = Segmenter.segment, []

    def segment_then_die(self, *args, **kwargs):  # the process dies at the 25th document, as under SIGKILL
        calls.append(1)
        if len(calls) == 25:
            raise KeyboardInterrupt
        return real_segment(self, *args, **kwargs)

    monkeypatch.setattr(Segmenter, "segment", segment_then_die)
    with pytest.raises(KeyboardInterrupt):
        quick_build([SAMPLE_CORPUS], tmp_path / "index", encoder)
    with sqlite3.connect(tmp_path / "index" / "cache.sqlite") as db:
        kept = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    assert kept == 20  # two commits of ten; the four segmented after the last commit are lost
    calls.clear()
    monkeypatch.setattr(Segmenter, "segment", lambda self, *a, **k: calls.append(1) or real_segment(self, *a, **k))
    report = quick_build([SAMPLE_CORPUS], tmp_path / "index", encoder)
    assert report.documents == 48 and len(calls) == 48 - 20


def test_a_cache_from_a_newer_format_is_refused_with_a_clear_message(tmp_path):
    from index.errors import RefrainError

    path = tmp_path / "cache.sqlite"
    EmbeddingCache(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={cache_module.FORMAT + 1}")
    with pytest.raises(RefrainError, match="newer Refrain"):
        EmbeddingCache(path)
    assert path.exists() and not list(tmp_path.glob("*.damaged-*"))  # refused, not moved aside
