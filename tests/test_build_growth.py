"""An index grows at its end instead of being rebuilt: a new year of UN speeches is segmented, embedded and
appended, and the grown index is the one a full build of the whole corpus writes (rows, ids, vectors, content
hash, search answers). Anything but growth at the end is a full build, with the reason reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.embed.encoder import HashingEncoder
from index.ingest.records import ReadOptions
from index.levels import LEVELS
from index.progress import BuildProgress
from index.search import Searcher
from index.store import layout
from index.store.writer import rewrite_manifest
from tests.build_digest import digests
from tests.conftest import UN_DIR, quick_build, require

OPTIONS = ReadOptions(date_pattern=r"_(?P<year>\d{4})\.txt$", meta_pattern=r"^(?P<country>[A-Z]{3})_")


def encoder() -> HashingEncoder:
    return HashingEncoder(dim=64, max_tokens=40)


def speeches(year: int, n: int) -> list[Path]:
    return sorted(require(UN_DIR).glob(f"*_{year}.txt"))[:n]


def corpus(folder: Path, files: list[Path]) -> Path:
    """A folder of links to the speeches (a corpus folder that gains files, as an archive does)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        if not (folder / path.name).exists():
            (folder / path.name).symlink_to(path)
    return folder


def build(folder: Path, out: Path, events: list | None = None, on_progress=None, **settings):
    listener = events.append if events is not None else on_progress
    return quick_build([folder], out, encoder(), OPTIONS, on_progress=listener, workers=1, **settings)


@pytest.fixture(scope="module")
def grown_and_full(tmp_path_factory):
    """2023's first 30 speeches built, then 2024's first 20 added to the same folder and built again into the same
    index (grown); and the 50 built at once into another (full)."""
    tmp = tmp_path_factory.mktemp("growth")
    folder = corpus(tmp / "speeches", speeches(2023, 30))
    first = build(folder, tmp / "grown")
    corpus(folder, speeches(2024, 20))
    events: list[BuildProgress] = []
    grown = build(folder, tmp / "grown", events)
    full = build(folder, tmp / "full")
    return tmp, first, grown, full, events


def test_growth_adds_only_the_new_speeches(grown_and_full):
    _, first, grown, full, events = grown_and_full
    assert first.grown_from is None and full.grown_from is None
    assert grown.grown_from == first.generation
    assert grown.growth.startswith("20 new documents after the 30 of")
    segmenting = [e for e in events if e.stage == "segmenting"]
    assert segmenting[-1].total == 20  # the 30 old speeches were not segmented again
    assert 0 < grown.distinct_texts < full.distinct_texts
    assert grown.embedded == grown.distinct_texts - grown.cached


def test_grown_index_is_the_full_build(grown_and_full):
    tmp, _, grown, full, _ = grown_and_full
    assert digests(tmp / "grown", {"tmp": tmp}) == digests(tmp / "full", {"tmp": tmp})
    assert grown.content_hash == full.content_hash
    assert grown.passages == full.passages and grown.documents == full.documents == 50
    a, b = layout.current_generation(tmp / "grown"), layout.current_generation(tmp / "full")
    for level in LEVELS:
        vectors = np.load(a / layout.vectors_file(level), allow_pickle=False)
        np.testing.assert_array_equal(vectors, np.load(b / layout.vectors_file(level), allow_pickle=False))
        assert faiss.read_index(str(a / layout.faiss_file(level))).ntotal == len(vectors) == grown.passages[level]


def test_grown_index_answers_as_the_full_build(grown_and_full):
    """Meaning, words and exact phrases, at both levels, in old and new speeches alike."""
    tmp, _, _, _, _ = grown_and_full
    grown, full = Searcher(tmp / "grown", encoder=encoder()), Searcher(tmp / "full", encoder=encoder())
    new_sentence = full.db.query("SELECT p.text FROM passages p JOIN documents d ON d.doc_id = p.doc_id "
                                 "WHERE p.level = 'sentence' AND d.date >= '2024' AND length(p.text) > 80 "
                                 "ORDER BY p.row LIMIT 1")[0][0]
    words = " ".join(new_sentence.split()[2:8])
    for level in LEVELS:
        for query in ("climate change and sustainable development", "the situation in Ukraine", words):
            got = grown.search_result(query, k=15, level=level)
            want = full.search_result(query, k=15, level=level)
            assert [(h.passage_id, h.score) for h in got.hits] == [(h.passage_id, h.score) for h in want.hits]
            assert (got.verbatim_total, got.verbatim_documents) == (want.verbatim_total, want.verbatim_documents)
        found = grown.phrase_result(words, level=level)
        assert found.hits and [h.passage_id for h in found.hits] == [h.passage_id for h in full.phrase_result(words, level=level).hits]
        assert any(h.date.startswith("2024") for h in found.hits)


@pytest.mark.parametrize("change, reason", [
    ("edited", "document"),
    ("earlier", "sort among the old ones"),
    ("full", "a full build was asked for"),
    ("settings", "settings differ"),
    ("unchanged", "no new documents"),
    ("rules", "segmented by other rules"),
])
def test_anything_but_growth_at_the_end_is_a_full_build(tmp_path, change, reason):
    folder = corpus(tmp_path / "speeches", speeches(2022, 8))
    first = build(folder, tmp_path / "index")
    settings = {}
    if change == "edited":
        edited = folder / sorted(p.name for p in folder.iterdir())[3]
        text = edited.read_text(encoding="utf-8")
        edited.unlink()
        edited.write_text(text.replace(".", ";", 1), encoding="utf-8")
        corpus(folder, speeches(2024, 3))
    elif change == "earlier":
        corpus(folder, speeches(2020, 3))  # dated before every speech already indexed
    elif change == "full":
        corpus(folder, speeches(2024, 3))
        settings["full"] = True
    elif change == "settings":
        corpus(folder, speeches(2024, 3))
        settings["boilerplate_min_docs"] = 7
    elif change == "rules":  # an index made by a Refrain whose segmentation rules were older
        live = layout.current_generation(tmp_path / "index")
        manifest = json.loads((live / layout.MANIFEST).read_text(encoding="utf-8"))
        rewrite_manifest(live, {**manifest, "segmentation": "2|pysbd-0.3.4"})
        corpus(folder, speeches(2024, 3))
    report = build(folder, tmp_path / "index", **settings)
    assert report.grown_from is None and reason in report.growth
    build(folder, tmp_path / "fresh", **settings)
    assert digests(tmp_path / "index", {"tmp": tmp_path}) == digests(tmp_path / "fresh", {"tmp": tmp_path})
    assert report.generation != first.generation


def test_an_approximate_index_takes_the_new_vectors_untrained_until_it_outgrows_its_lists(tmp_path):
    folder = corpus(tmp_path / "speeches", speeches(2021, 40))
    build(folder, tmp_path / "index", index_kind="ivf")
    first = _faiss_specs(tmp_path / "index")
    corpus(folder, speeches(2022, 8))
    grown = build(folder, tmp_path / "index", index_kind="ivf")
    assert grown.grown_from
    assert _faiss_specs(tmp_path / "index") == first  # the trained lists were kept, not retrained
    searcher = Searcher(tmp_path / "index", encoder=encoder())
    hit = searcher.search("nuclear disarmament", k=5, level="sentence")
    assert hit and len(searcher.doc_rows("sentence")) == grown.passages["sentence"]
    corpus(folder, speeches(2023, 80))  # ~3× the vectors: a fresh build would train over twice the lists
    regrown = build(folder, tmp_path / "index", index_kind="ivf")
    assert regrown.grown_from
    after = _faiss_specs(tmp_path / "index")
    assert all(after[level]["nlist"] > 2 * first[level]["nlist"] for level in LEVELS)


def _faiss_specs(root: Path) -> dict:
    manifest = json.loads((layout.current_generation(root) / layout.MANIFEST).read_text(encoding="utf-8"))
    return {level: manifest["levels"][level]["faiss"] for level in LEVELS}


def test_the_cli_says_what_it_grew(tmp_path, capsys):
    from index.cli.main import main

    folder = corpus(tmp_path / "speeches", speeches(2023, 5))
    args = ["build", str(folder), "--out", str(tmp_path / "index"), "--model", "builtin:hashing-64", "--quiet",
            "--date-pattern", r"_(?P<year>\d{4})\.txt$", "--workers", "1"]
    assert main(args) == 0
    corpus(folder, speeches(2024, 2))
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "grown: 2 new documents after the 5 of gen-" in out
    assert main([*args, "--full"]) == 0
    assert "full build: a full build was asked for" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "index")


def _growth_failing(tmp_path: Path, stage: str, fault, error: type, match: str, already: int) -> tuple[Path, object]:
    """`already` speeches of 2023 built, two of 2024 added, and the growth hit by fault(tmp_path) at `stage`:
    it fails with `error`, and the index is byte for byte the one before. Returns the folder and the first build."""
    folder = corpus(tmp_path / "speeches", speeches(2023, already))
    first = build(folder, tmp_path / "index")
    before = digests(tmp_path / "index", {"tmp": tmp_path})
    corpus(folder, speeches(2024, 2))

    def at_stage(progress: BuildProgress) -> None:
        if progress.stage == stage:
            fault(tmp_path)

    with pytest.raises(error, match=match):
        build(folder, tmp_path / "index", on_progress=at_stage)
    assert layout.current_generation(tmp_path / "index").name == first.generation
    assert digests(tmp_path / "index", {"tmp": tmp_path}) == before
    return folder, first


@pytest.mark.parametrize("stage", ["database-copied", "vectors-paragraph", "faiss-sentence", "manifest-written"])
def test_a_growth_that_fails_leaves_the_live_index_as_it_was(tmp_path, stage):
    def stop(_: Path) -> None:
        raise RuntimeError(f"stopped at {stage}")

    folder, first = _growth_failing(tmp_path, stage, stop, RuntimeError, f"stopped at {stage}", already=6)
    assert [p.name for p in (tmp_path / "index").iterdir() if p.name.startswith(layout.GEN_PREFIX)] == [first.generation]
    assert not (tmp_path / "index" / layout.STAGING).exists()
    assert build(folder, tmp_path / "index").grown_from == first.generation


def _disk_full_in_sqlite(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full", for real: a database allowed two pages."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "small.sqlite")
    db.execute("PRAGMA max_page_count = 2")
    db.execute("CREATE TABLE t (x BLOB)")
    db.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))


def _disk_full_in_a_file(tmp_path: Path) -> None:
    """The kernel's ENOSPC, for real: a write to /dev/full."""
    with open("/dev/full", "wb", buffering=0) as full:
        full.write(b"vectors")


@pytest.mark.parametrize("stage, fill", [("segmenting", _disk_full_in_sqlite), ("embedding", _disk_full_in_a_file),
                                         ("vectors-paragraph", _disk_full_in_a_file)])
def test_a_full_disk_is_one_clear_error_and_the_live_index_stays(tmp_path, stage, fill):
    """The disk filling up while passages are staged, embedded or written reaches the user as a RefrainError that
    names the index; the live generation is untouched and the next build goes on from there."""
    from index.errors import RefrainError

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    folder, first = _growth_failing(tmp_path, stage, fill, RefrainError,
                                    r"cannot (build|write) the new index in .*index.*(full|No space left)", already=4)
    assert not (tmp_path / "index" / layout.STAGING).exists()
    assert build(folder, tmp_path / "index").grown_from == first.generation
