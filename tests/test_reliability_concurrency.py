"""Concurrent use: many reader threads, a rebuild in another process, and two builds at once.

- 8 threads x 1,000 mixed queries against one shared Searcher: no errors, every answer identical to
  the same query run alone, while another process rebuilds the same index with one more document.
- Reloading readers meanwhile answer from the old index until `is_stale()` says to reopen, then from
  the new one: every answer equals the old or the new baseline of its generation, never a mix.
- Two builds at once on one directory: the second fails at once with the lock message (exit 2) or
  waits with --wait; neither damages the index.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import time
from collections import Counter

import pytest

from conftest import SAMPLE_CORPUS, quick_build

from index.store import layout
from index.embed.encoder import load_encoder
from index.errors import RefrainError
from index.search import Filters, Searcher
from build_runner import MARKER
from reliability_support import assert_clean_user_error, hits_key, record, start_cli, start_paused_build

THREADS = 8
QUERIES_PER_THREAD = 1000
ENCODER = load_encoder("builtin:hashing")  # what `python -m index build --model builtin:hashing` uses
EXTRA_DOC = "2024-12-12_kessel-falls-power-station.txt"  # the one document the rebuild adds


def _query_pool(searcher: Searcher, seed: int = 0) -> list[tuple]:
    """About 300 distinct queries of every kind; each is (kind, args) and runs on any Searcher."""
    rng = random.Random(seed)
    words = sorted({w.strip(".,;:!?\"'()").lower() for (t,) in searcher.db.query("SELECT text FROM passages LIMIT 400")
                    for w in t.split() if len(w) > 4})
    ids = [pid for (pid,) in searcher.db.query("SELECT passage_id FROM passages ORDER BY passage_id LIMIT 120")]
    docs = [d["doc_id"] for d in searcher.documents()]
    pool = []
    for i in range(300):
        kind = ("search", "search-sentence", "similar", "phrase", "filtered", "documents")[i % 6]
        text = " ".join(rng.sample(words, rng.randint(1, 5)))
        if kind == "search":
            pool.append(("search", text, rng.choice([1, 5, 10, 50])))
        elif kind == "search-sentence":
            pool.append(("search-sentence", text, rng.choice([3, 20])))
        elif kind == "similar":
            pool.append(("similar", rng.choice(ids), rng.choice([5, 15])))
        elif kind == "phrase":
            pool.append(("phrase", " ".join(rng.choice(words) for _ in range(rng.randint(1, 2))), 100))
        elif kind == "filtered":
            start = rng.choice(["2019", "2020-06", "2021-01-15", "2022"])
            pool.append(("filtered", text, start, rng.choice(["2022", "2023-06", "2024"]), tuple(rng.sample(docs, 5))))
        else:
            pool.append(("documents",))
    pool.append(("bad-k", "harvest"))  # an error is an answer too: the same one every time
    return pool


def _run(searcher: Searcher, query: tuple):
    kind = query[0]
    try:
        if kind == "search":
            return hits_key(searcher.search(query[1], k=query[2]))
        if kind == "search-sentence":
            return hits_key(searcher.search(query[1], k=query[2], level="sentence"))
        if kind == "similar":
            return hits_key(searcher.similar(query[1], k=query[2]))
        if kind == "phrase":
            return hits_key(searcher.phrase(query[1], k=query[2]))
        if kind == "filtered":
            half = hits_key(searcher.search(query[1], k=10, filters=Filters.make(date_from=query[2], date_to=query[3])))
            return half + hits_key(searcher.search(query[1], k=10, filters=Filters.make(doc_ids=query[4])))
        if kind == "documents":
            return [d["doc_id"] for d in searcher.documents()]
        if kind == "bad-k":
            return hits_key(searcher.search(query[1], k=0))
    except RefrainError as exc:  # a user error is a deterministic answer ("no passage ..." for a new index)
        return ("RefrainError", str(exc))
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    base = tmp_path_factory.mktemp("concurrency")
    old = base / "old" / "corpus"
    shutil.copytree(SAMPLE_CORPUS, old)
    (old / EXTRA_DOC).unlink()
    new = base / "new" / "corpus"
    shutil.copytree(SAMPLE_CORPUS, new)
    reference_old, reference_new = base / "ref-old" / "index", base / "ref-new" / "index"
    quick_build([old], reference_old, ENCODER)
    quick_build([new], reference_new, ENCODER)
    return base, old, new, reference_old, reference_new


def test_8_threads_1000_queries_each_while_another_process_rebuilds(corpora, tmp_path):
    _base, old_corpus, new_corpus, ref_old, ref_new = corpora
    root = tmp_path / "index"
    shutil.copytree(ref_old, root)
    alone_old, alone_new = Searcher(ref_old), Searcher(ref_new)
    pool = _query_pool(alone_old)
    baseline_old = [_run(alone_old, q) for q in pool]  # every query run alone, one at a time
    baseline_new = [_run(alone_new, q) for q in pool]
    differing = sum(a != b for a, b in zip(baseline_old, baseline_new))
    assert differing > 30  # the extra document changes many answers, so a mix would show
    old_generation = layout.current_generation(root).name
    new_content = alone_new.manifest["content_hash"]

    shared = Searcher(root, encoder=ENCODER)  # fresh: its caches fill under contention
    errors: list[str] = []
    counts: Counter = Counter()
    lock = threading.Lock()
    build_running = threading.Event()
    stop_reloaders = threading.Event()

    def fixed_reader(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(QUERIES_PER_THREAD):
            i = rng.randrange(len(pool))
            try:
                got = _run(shared, pool[i])
            except Exception as exc:  # noqa: BLE001 - any error fails the test
                with lock:
                    errors.append(f"fixed reader: {type(exc).__name__}: {exc}")
                continue
            with lock:
                counts["fixed queries"] += 1
                counts["fixed queries during rebuild"] += build_running.is_set()
                if got != baseline_old[i]:
                    errors.append(f"fixed reader: {pool[i]} differs from the same query run alone")

    def reloading_reader(seed: int) -> None:
        rng = random.Random(seed)
        searcher = Searcher(root, encoder=ENCODER)
        on_new = 0
        while on_new < 300 and not stop_reloaders.is_set():
            if rng.random() < 0.2 and searcher.is_stale():
                searcher = Searcher(root, encoder=ENCODER)
                with lock:
                    counts["reloads"] += 1
            fresh = searcher.generation != old_generation
            if fresh:
                assert searcher.manifest["content_hash"] == new_content
            i = rng.randrange(len(pool))
            try:
                got = _run(searcher, pool[i])
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"reloading reader: {type(exc).__name__}: {exc}")
                continue
            expected = baseline_new[i] if fresh else baseline_old[i]
            with lock:
                counts["reloading queries"] += 1
                counts["reloading queries on the new index" if fresh else "reloading queries on the old index"] += 1
                counts["reloading queries during rebuild"] += build_running.is_set()
                if got != expected:
                    errors.append(f"reloading reader ({'new' if fresh else 'old'} index): {pool[i]} is a mix")
            on_new += fresh

    threads = [threading.Thread(target=fixed_reader, args=(s,)) for s in range(THREADS)]
    threads += [threading.Thread(target=reloading_reader, args=(100 + s,)) for s in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(0.5)
    build_running.set()
    proc = start_cli("build", new_corpus, "--out", root, "--model", "builtin:hashing", "--quiet")
    out, err = proc.communicate(timeout=240)
    build_running.clear()
    assert proc.returncode == 0, err
    for t in threads[:THREADS]:
        t.join(timeout=300)
    stop_after = time.monotonic() + 60
    for t in threads[THREADS:]:
        t.join(timeout=max(1, stop_after - time.monotonic()))
    stop_reloaders.set()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    seconds = time.perf_counter() - started

    assert not errors, f"{len(errors)} errors, first: {errors[:5]}"
    assert counts["fixed queries"] == THREADS * QUERIES_PER_THREAD
    assert counts["fixed queries during rebuild"] > 0 and counts["reloading queries during rebuild"] > 0
    assert counts["reloads"] >= 2 and counts["reloading queries on the new index"] >= 600
    assert Searcher(root).manifest["content_hash"] == new_content
    assert [_run(shared, q) for q in pool] == baseline_old  # the shared reader never changed under its users
    record("concurrency", threads=THREADS, queries_per_thread=QUERIES_PER_THREAD,
           distinct_queries=len(pool), **{k.replace(" ", "_"): v for k, v in sorted(counts.items())},
           answers_differing_old_vs_new=differing, errors=len(errors), seconds=round(seconds, 1))


def test_two_builds_at_once_one_waits_or_fails_clearly(corpora, tmp_path):
    _base, old_corpus, new_corpus, ref_old, ref_new = corpora
    root = tmp_path / "index"
    shutil.copytree(ref_old, root)
    expected = [_run(Searcher(ref_new), q) for q in _query_pool(Searcher(ref_new), seed=3)[:60]]
    build = ("build", new_corpus, "--out", root, "--model", "builtin:hashing", "--quiet")

    # the holder pauses with the lock held and the embedding cache open (its -wal and -shm files exist)
    holder = start_paused_build(*build, pause_at="segmented", pause_seconds=6)
    line = holder.stderr.readline()
    assert MARKER in line, line
    started = time.monotonic()
    second = start_cli(*build)  # no --wait: fails at once, naming the holder
    impatient = start_cli(*build, "--wait", "1")  # waits a second, then fails the same way
    patient = start_cli(*build, "--wait", "60")  # waits for the holder, then builds
    for proc, waits in ((second, False), (impatient, True)):
        out, err = proc.communicate(timeout=60)
        assert_clean_user_error(subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                                "another build is running", str(holder.pid), "--wait")
        assert holder.poll() is None  # the holder still had the lock
    assert time.monotonic() - started >= 1.0
    assert holder.wait(60) == 0, holder.stderr.read()
    assert patient.wait(60) == 0, patient.stderr.read()
    for proc in (holder, patient):
        proc.stdout.close()
        proc.stderr.close()
    pool = _query_pool(Searcher(ref_new), seed=3)[:60]
    assert [_run(Searcher(root), q) for q in pool] == expected

    races = 3
    outcomes = Counter()
    for _ in range(races):  # truly simultaneous starts
        procs = [start_cli(*build) for _ in range(2)]
        results = [(p.wait(120), p.stderr.read()) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        for code, err in results:
            assert code in (0, 2), err
            assert "Traceback" not in err
            if code == 2:
                assert "another build is running" in err, err
            outcomes["built" if code == 0 else "refused (locked)"] += 1
        assert any(code == 0 for code, _ in results)
        assert [_run(Searcher(root), q) for q in pool] == expected
        assert len([p for p in root.iterdir() if p.name.startswith(layout.GEN_PREFIX)]) <= 2
    record("concurrent_builds", held_lock_refusals=2, waited_and_built=1, simultaneous_pairs=races,
           **{k.replace(" ", "_").replace("(", "").replace(")", ""): v for k, v in outcomes.items()}, index_damaged=0)
