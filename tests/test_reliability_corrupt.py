"""Corrupt and incompatible indexes: every damage gives one clear sentence naming the problem and the fix.

Each case damages a copy of a good index. All cases are opened and queried through the library and the
CLI's main() inside one child process (a segfault would show as a negative return code and name the
case it happened in), and a few go through `python -m index` itself, checking exit 2 and no traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from conftest import SAMPLE_CORPUS, quick_build

from index import FORMAT_VERSION
from index.store import layout
from index.embed.encoder import HashingEncoder
from reliability_support import REPO, assert_clean_user_error, cli, env, record

ENCODER = HashingEncoder(dim=64, max_tokens=40)


def _gen(root: Path) -> Path:
    return layout.current_generation(root)


def _truncate(name: str, keep: float | int):
    def damage(root: Path) -> None:
        path = _gen(root) / name
        size = path.stat().st_size
        path.write_bytes(path.read_bytes()[: keep if isinstance(keep, int) else int(size * keep)])
    return damage


def _remove(name: str):
    def damage(root: Path) -> None:
        (_gen(root) / name).unlink()
    return damage


def _edit_manifest(change):
    def damage(root: Path) -> None:
        path = _gen(root) / layout.MANIFEST
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest = change(manifest)
        path.write_text(json.dumps(manifest), encoding="utf-8")
    return damage


def _set(path: tuple, value):
    def change(manifest):
        target = manifest
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return manifest
    return change


_DELETE = object()


def _replace_vectors(level: str, rows_delta: int = 0, dim_delta: int = 0, dtype=np.float32):
    def damage(root: Path) -> None:
        path = _gen(root) / layout.vectors_file(level)
        old = np.load(path)
        new = np.random.default_rng(0).random((old.shape[0] + rows_delta, old.shape[1] + dim_delta)).astype(dtype)
        np.save(path, new, allow_pickle=False)
    return damage


def _replace_faiss(level: str, rows_delta: int = 0, dim_delta: int = 0):
    def damage(root: Path) -> None:
        vectors = np.load(_gen(root) / layout.vectors_file(level))
        matrix = np.random.default_rng(0).random((vectors.shape[0] + rows_delta, vectors.shape[1] + dim_delta)).astype("float32")
        index = faiss.IndexFlatIP(matrix.shape[1])
        index.add(matrix)
        faiss.write_index(index, str(_gen(root) / layout.faiss_file(level)))
    return damage


def _docrows_out_of_range(root: Path) -> None:
    path = _gen(root) / layout.doc_rows_file("sentence")
    rows = np.load(path)
    rows[-1] = 10_000
    np.save(path, rows, allow_pickle=False)


def _pickled_docrows(root: Path) -> None:
    path = _gen(root) / layout.doc_rows_file("paragraph")
    np.save(path, np.array([{"payload": "os.system"}], dtype=object), allow_pickle=True)


def _scribble_sqlite(root: Path) -> None:
    """Overwrite the middle of the database with garbage (same size: not a truncation)."""
    path = _gen(root) / layout.DATABASE
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page * 2, len(data) - page, page * 3):
        data[start + 8: start + 400] = b"\xa5" * 392
    path.write_bytes(bytes(data))


def _drop_passage_rows(root: Path) -> None:
    """A database that still opens but has lost rows: only the counts can tell."""
    import sqlite3

    with sqlite3.connect(_gen(root) / layout.DATABASE) as connection:
        connection.execute("DELETE FROM passages WHERE rowid IN (SELECT rowid FROM passages WHERE level = 'paragraph' LIMIT 4)")


def _current(text: str):
    def damage(root: Path) -> None:
        (root / layout.CURRENT).write_text(text, encoding="utf-8")
    return damage


def _only_cache(root: Path) -> None:
    for child in root.iterdir():
        if child.name.startswith(layout.GEN_PREFIX):
            shutil.rmtree(child)
    (root / layout.CURRENT).unlink()


REBUILD = "rebuild with: refrain build"

# name: (damage, words the message must contain, model to ask for)
CASES = {
    "faiss truncated to 0 bytes": (_truncate(layout.faiss_file("paragraph"), 0), ["faiss-paragraph.index", "damaged", REBUILD], None),
    "faiss truncated in its header": (_truncate(layout.faiss_file("paragraph"), 20), ["faiss-paragraph.index", REBUILD], None),
    "faiss truncated by half": (_truncate(layout.faiss_file("sentence"), 0.5), ["faiss-sentence.index", REBUILD], None),
    "faiss short by one byte": (_truncate(layout.faiss_file("sentence"), -1), ["faiss-sentence.index", REBUILD], None),
    "faiss missing": (_remove(layout.faiss_file("paragraph")), ["faiss-paragraph.index", "missing", REBUILD], None),
    "faiss with other vectors": (_replace_faiss("paragraph", rows_delta=-3), ["faiss-paragraph.index", "expected", REBUILD], None),
    "faiss of another dimension": (_replace_faiss("sentence", dim_delta=5), ["faiss-sentence.index", "dimension", REBUILD], None),
    "vectors truncated in header": (_truncate(layout.vectors_file("paragraph"), 30), ["vectors-paragraph.npy", "damaged", REBUILD], None),
    "vectors truncated by half": (_truncate(layout.vectors_file("paragraph"), 0.5), ["vectors-paragraph.npy", REBUILD], None),
    "vectors missing": (_remove(layout.vectors_file("sentence")), ["vectors-sentence.npy", "missing", REBUILD], None),
    "vectors count disagrees": (_replace_vectors("paragraph", rows_delta=1), ["vectors-paragraph.npy", "passages", REBUILD], None),
    "vectors dimension disagrees": (_replace_vectors("sentence", dim_delta=-1), ["vectors-sentence.npy", "dimension", REBUILD], None),
    "vectors of another type": (_replace_vectors("sentence", dtype=np.float64), ["vectors-sentence.npy", REBUILD], None),
    "document rows truncated": (_truncate(layout.doc_rows_file("sentence"), 0.5), ["docrows-sentence.npy", REBUILD], None),
    "document rows missing": (_remove(layout.doc_rows_file("paragraph")), ["docrows-paragraph.npy", "missing", REBUILD], None),
    "document rows out of range": (_docrows_out_of_range, ["docrows-sentence.npy", REBUILD], None),
    "document rows pickled": (_pickled_docrows, ["docrows-paragraph.npy", "not a plain numeric array", REBUILD], None),
    "database truncated to 0 bytes": (_truncate(layout.DATABASE, 0), ["index.sqlite", "damaged", REBUILD], None),
    "database truncated in its header": (_truncate(layout.DATABASE, 60), ["index.sqlite", REBUILD], None),
    "database truncated by half": (_truncate(layout.DATABASE, 0.5), ["index.sqlite", "truncated", REBUILD], None),
    "database short by one byte": (_truncate(layout.DATABASE, -1), ["index.sqlite", "truncated", REBUILD], None),
    "database scribbled over": (_scribble_sqlite, ["index.sqlite", "damaged", REBUILD], None),
    "database lost passages": (_drop_passage_rows, ["index.sqlite", "damaged", "paragraph", REBUILD], None),
    "database missing": (_remove(layout.DATABASE), ["index.sqlite", "missing", REBUILD], None),
    "manifest truncated": (_truncate(layout.MANIFEST, 0.5), ["manifest.json", "damaged", REBUILD], None),
    "manifest missing": (_remove(layout.MANIFEST), ["manifest.json", "missing", REBUILD], None),
    "manifest not an object": (_edit_manifest(lambda m: [m]), ["manifest.json", REBUILD], None),
    "manifest from a newer format": (_edit_manifest(_set(("format_version",), FORMAT_VERSION + 1)),
                                     ["newer", str(FORMAT_VERSION + 1), "upgrade Refrain or rebuild"], None),
    "manifest from an older format": (_edit_manifest(_set(("format_version",), FORMAT_VERSION - 1)), ["old format", REBUILD], None),
    "manifest without a model": (_edit_manifest(_set(("model",), _DELETE)), ["manifest.json", "model", REBUILD], None),
    "manifest without a level": (_edit_manifest(_set(("levels", "sentence"), _DELETE)), ["manifest.json", "sentence", REBUILD], None),
    "manifest row count disagrees": (_edit_manifest(_set(("levels", "paragraph", "rows"), 3)), ["paragraph", REBUILD], None),
    "manifest dimension disagrees": (_edit_manifest(_set(("model", "dimension"), 65)), ["dimension", REBUILD], None),
    "model unknown to this install": (_edit_manifest(_set(("model", "name"), "builtin:hashing-abc")), ["builtin:hashing-abc"], None),
    "model gives other dimensions": (_edit_manifest(_set(("model", "name"), "builtin:hashing-32")), ["32", "64", REBUILD], None),
    "built with another model than asked": (lambda root: None, ["built with model", "builtin:hashing-64", "--model builtin:hashing-128"],
                                            "builtin:hashing-128"),
    "CURRENT names a missing generation": (_current("gen-20990101T000000-abcdef\n"), ["missing generation", REBUILD], None),
    "CURRENT names a path outside": (_current("../../etc\n"), ["missing generation", REBUILD], None),
    "CURRENT empty": (_current(""), ["missing generation", REBUILD], None),
    "no generation at all": (_only_cache, ["no index", "refrain build"], None),
}

# A damaged model entry only matters to commands that embed the query; the others rightly still work.
WORKS_WITHOUT_MODEL = {
    "model unknown to this install": ("phrase",),
    "model gives other dimensions": ("phrase",),
    "built with another model than asked": ("phrase", "search sentence"),  # only `search --model` asks for one
}

PROBE = r'''
import contextlib, io, json, sys, traceback

from index.search import Searcher, Filters
from index.errors import RefrainError
from index.cli.main import main

cases = json.loads(sys.argv[1])
out = {}
for name, (root, model) in cases.items():
    print("CASE", name, file=sys.stderr, flush=True)
    result = {}
    try:
        s = Searcher(root, model=model)
        s.search("harvest festival", k=5)
        s.search("harvest", k=5, level="sentence", filters=Filters.make(date_from="2020"))
        s.phrase("the people", k=5)
        s.similar(s.search("harvest", k=1)[0].passage_id, k=3)
        s.info()
        result["library"] = ["no error", ""]
    except RefrainError as exc:
        result["library"] = [type(exc).__name__, str(exc)]
    except BaseException as exc:
        result["library"] = ["CRASH " + type(exc).__name__, traceback.format_exc()]
    result["cli"] = {}
    for args in (["search", root, "harvest festival"] + (["--model", model] if model else []),
                 ["phrase", root, "the people"], ["search", root, "harvest", "--level", "sentence", "--from", "2020"]):
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main([str(a) for a in args])
        except BaseException as exc:
            code, err = "CRASH", io.StringIO(traceback.format_exc())
        result["cli"][args[0] + (" sentence" if "--from" in args else "")] = [code, err.getvalue()]
    out[name] = result
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, sample_hashing_index):
    base = tmp_path_factory.mktemp("corrupt")
    good = base / "good" / "index"
    shutil.copytree(sample_hashing_index, good)
    roots = {}
    for i, (name, (damage, _needles, model)) in enumerate(CASES.items()):
        root = base / f"case-{i:02d}" / "index"
        shutil.copytree(good, root)
        damage(root)
        roots[name] = (str(root), model)
    return good, roots


def test_every_damage_gives_a_clear_error_in_library_and_cli(damaged):
    good, roots = damaged
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(roots)], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=env())
    last = [line for line in proc.stderr.splitlines() if line.startswith("CASE")][-1:]
    assert proc.returncode == 0, f"the probe died ({proc.returncode}) in {last}: {proc.stderr[-3000:]}"
    results = json.loads(proc.stdout)
    failures = []
    for name, (_damage, needles, _model) in CASES.items():
        kind, message = results[name]["library"]
        if kind not in ("IndexUnavailable", "RefrainError"):
            failures.append(f"{name}: library gave {kind}: {message[-800:]}")
            continue
        missing = [n for n in needles if n.lower() not in message.lower()]
        if missing or "\n" in message:
            failures.append(f"{name}: library message {message!r} lacks {missing}")
        for command, (code, err) in results[name]["cli"].items():
            if code == 0 and command in WORKS_WITHOUT_MODEL.get(name, ()):
                continue  # phrase search reads no vectors of the query: the model does not matter
            lines = [line for line in err.splitlines() if line.strip()]
            if code != 2 or len(lines) != 1 or not lines[0].startswith("error: ") or "Traceback" in err:
                failures.append(f"{name}: cli {command} gave {code}: {err[-800:]}")
    assert not failures, "\n".join(failures)
    record("corrupt_index", cases=len(CASES), library_checks=len(CASES), cli_checks=3 * len(CASES), crashes=0,
           tracebacks=0, case_names=list(CASES))


@pytest.mark.parametrize("name", ["faiss truncated by half", "database scribbled over", "manifest from a newer format",
                                  "built with another model than asked"])
def test_real_cli_process_exits_2_without_traceback(damaged, name):
    _good, roots = damaged
    root, model = roots[name]
    result = cli("search", root, "harvest festival", *(["--model", model] if model else []))
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_clean_user_error(result, *CASES[name][1])


def test_the_fix_works_rebuilding_over_a_damaged_index(damaged, tmp_path):
    """The advice in the messages is right: building again into the same folder gives a working index."""
    _good, roots = damaged
    for name in ("faiss truncated by half", "database scribbled over", "CURRENT names a missing generation",
                 "manifest from a newer format"):
        root = tmp_path / name.replace(" ", "-")
        shutil.copytree(roots[name][0], root)
        quick_build([SAMPLE_CORPUS], root, ENCODER)
        from index.search import Searcher

        assert Searcher(root).search("harvest festival", k=3)


EXPLORER_CASES = ["faiss truncated by half", "faiss missing", "vectors truncated by half", "vectors count disagrees",
                  "document rows out of range", "database short by one byte", "database scribbled over", "manifest truncated",
                  "manifest without a model", "manifest from a newer format", "model gives other dimensions",
                  "built with another model than asked", "CURRENT names a missing generation"]


def test_the_explorer_shows_a_message_for_every_kind_of_damage(damaged, monkeypatch):
    """The same damaged indexes opened in the explorer (AppTest): an error message with the fix, no exception."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    _good, all_roots = damaged
    roots = {name: all_roots[name] for name in EXPLORER_CASES}
    failures, shown = [], 0
    for name, (root, model) in roots.items():
        monkeypatch.setenv("REFRAIN_INDEX", root)
        if model:
            monkeypatch.setenv("REFRAIN_MODEL", model)
        else:
            monkeypatch.delenv("REFRAIN_MODEL", raising=False)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(REPO / "explorer" / "app.py"), default_timeout=60)
        at.query_params.update({"q": "harvest festival", "view": "search"})
        at.run()
        if at.exception:
            failures.append(f"{name}: exception {[e.value for e in at.exception]}")
            continue
        errors = " ".join(e.value for e in at.error)
        if not errors:
            failures.append(f"{name}: no message")
        shown += bool(errors)
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not failures, "\n".join(failures)
    record("corrupt_index_explorer", cases=len(roots), messages_shown=shown, exceptions=0)


def _scribble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for start in range(4096 * 2, len(data) - 4096, 4096 * 3):
        data[start + 8: start + 400] = b"\xa5" * 392
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["scribbled", "truncated"])
def test_a_damaged_embedding_cache_is_moved_aside_and_the_build_goes_on(damaged, tmp_path, damage):
    good, _roots = damaged
    root = tmp_path / "index"
    shutil.copytree(good, root)
    from index.search import Searcher

    cache = root / layout.CACHE
    if damage == "scribbled":
        _scribble(cache)
    else:
        cache.write_bytes(cache.read_bytes()[:5000])
    result = cli("build", SAMPLE_CORPUS, "--out", root, "--model", "builtin:hashing-64", "--quiet", "--json")
    assert result.returncode == 0, result.stderr
    aside = sorted(root.glob(layout.CACHE + ".damaged-*"))
    assert len(aside) == 1 and re.fullmatch(r"cache\.sqlite\.damaged-\d{8}T\d{6}", aside[0].name), aside
    assert f"the embedding cache {cache} is damaged" in result.stderr and str(aside[0]) in result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["embedded"] > 0  # what the damaged cache held is embedded again
    assert len(Searcher(root).search("harvest festival", k=5)) == 5
    again = cli("build", SAMPLE_CORPUS, "--out", root, "--model", "builtin:hashing-64", "--quiet", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["embedded"] == 0 and "damaged" not in again.stderr