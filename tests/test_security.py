"""Security: nothing from disk is unpickled, SQL is parameterised, the index never comes from a URL, and
the explorer listens on 127.0.0.1 only.

(Corpus HTML/script shown as text in every view is checked in the real browser by
tests/test_explorer_browser.py and through AppTest by tests/test_explorer_apptest.py.)
"""

from __future__ import annotations

import ast
import pickle
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

import explorer_corpus
from index.store import layout
from index.errors import IndexUnavailable, RefrainError
from index.search import Filters, Searcher
from reliability_support import REPO, env, record

CODE_DIRS = [REPO / "index", REPO / "explorer"]


def _python_files() -> list[Path]:
    return sorted(p for d in CODE_DIRS if d.exists() for p in d.rglob("*.py"))


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return explorer_corpus.built(tmp_path_factory, "security")


# ------------------------------------------------------------------ nothing read from disk is unpickled

class _Payload:
    """Unpickling this creates a file: proof that something was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_index_files_are_refused_and_never_unpickled(index_dir, tmp_path):
    marker = tmp_path / "UNPICKLED"
    for name in (layout.vectors_file("paragraph"), layout.doc_rows_file("sentence")):
        root = tmp_path / name / "index"
        shutil.copytree(index_dir, root)
        path = layout.current_generation(root) / name
        np.save(path, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
        assert pickle.loads(pickle.dumps(_Payload(tmp_path / "self-test"))) and (tmp_path / "self-test").exists()
        with pytest.raises(IndexUnavailable, match="damaged.*rebuild"):
            Searcher(root)
        assert not marker.exists(), f"{name} was unpickled"


UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal", "jsonpickle"}


def test_no_code_can_unpickle_or_evaluate_what_it_reads():
    """A guard over index/ and explorer/: no pickle-like module, np.load only with allow_pickle=False, no eval."""
    problems = []
    calls = 0
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import):
                problems += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
                problems.append(f"{where} imports from {node.module}")
            elif isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("np.load", "numpy.load"):
                    calls += 1
                    flag = next((k.value for k in node.keywords if k.arg == "allow_pickle"), None)
                    if not (isinstance(flag, ast.Constant) and flag.value is False):
                        problems.append(f"{where} calls {name} without allow_pickle=False")
                elif name in ("torch.load", "pd.read_pickle", "pandas.read_pickle", "yaml.load", "yaml.unsafe_load",
                              "eval", "exec", "os.system", "faiss.deserialize_index"):
                    problems.append(f"{where} calls {name}")
                elif any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords):
                    problems.append(f"{where} runs a shell")
    assert calls >= 1  # the searcher's loads are found, so the scan works
    assert not problems, problems


# ------------------------------------------------------------------ SQL is parameterised

SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE ", "MATCH ")
SAFE_INTERPOLATIONS = {"marks", "table", "columns", "PASSAGE_COLUMNS"}  # placeholders, fixed names and column lists


def test_sql_text_is_never_built_from_values():
    """A guard: SQL strings interpolate only placeholder lists and fixed names, never with % or .format()."""
    problems = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.JoinedStr):
                literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if not any(w in literal.upper() for w in SQL_WORDS) or "?" not in literal and "FROM" not in literal.upper():
                    continue
                for value in node.values:
                    if isinstance(value, ast.FormattedValue):
                        expr = ast.unparse(value.value)
                        if expr not in SAFE_INTERPOLATIONS and not (expr.startswith("','.join('?'") or expr.startswith('",".join("?"')):
                            problems.append(f"{where} puts {expr} into SQL text")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
                    and isinstance(node.left.value, str) and any(w in node.left.value.upper() for w in SQL_WORDS):
                problems.append(f"{where} formats SQL with %")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                    and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str) \
                    and any(w in node.func.value.value.upper() for w in SQL_WORDS):
                problems.append(f"{where} formats SQL with .format()")
    assert not problems, problems


INJECTIONS = ["' OR '1'='1", "x') OR 1=1 --", "'; DROP TABLE documents; --", '" OR ""="', "Politics' --",
              "1; SELECT * FROM passages", "%", "_", "*", "\\", "NULL", "\x00"]


def test_sql_injection_in_every_query_input_is_inert(index_dir):
    searcher = Searcher(index_dir)
    documents = searcher.n_documents
    politics = searcher.search("people", k=50, filters=Filters.make(meta={"topic": ["Politics"]}))
    assert politics  # the filter works for a real value
    tried = 0
    for bad in INJECTIONS:
        tried += 1
        assert searcher.search("people", k=50, filters=Filters.make(meta={"topic": [bad]})) == []
        assert searcher.search("people", k=50, filters=Filters.make(meta={"topic": ["Politics", bad]})) == politics
        assert searcher.search("people", k=50, filters=Filters.make(doc_ids=[bad])) == []
        assert searcher.documents(Filters.make(doc_ids=[bad])) == []
        with pytest.raises(RefrainError, match="unknown metadata field"):
            searcher.search("people", filters=Filters.make(meta={bad: ["Politics"]}))
        for date in (f"2020{bad}", bad):  # parsed into an ISO date (or refused) before it reaches SQL
            try:
                searcher.search("people", filters=Filters.make(date_from=date))
            except RefrainError as exc:
                assert "bad date" in str(exc)
        for lookup in (searcher.passage, searcher.similar, searcher.context, searcher.document):
            with pytest.raises(RefrainError, match="no passage|no document"):
                lookup(bad)
        if any(ch.isalnum() for ch in bad):
            words = [w for w in "".join(ch if ch.isalnum() else " " for ch in bad).split()]
            hits = searcher.phrase(bad, k=100)
            assert all(all(w.lower() in h.text.lower() for w in words) for h in hits)
        else:
            try:
                assert searcher.phrase(bad) == []
            except RefrainError as exc:
                assert "empty query" in str(exc)
        searcher.search(bad + " people", k=5)
    assert Searcher(index_dir).n_documents == documents
    record("security_sql", injection_strings=len(INJECTIONS), inputs_tried=tried * 12, errors_other_than_clear_ones=0)


# ------------------------------------------------------------------ the index location never comes from a URL

def test_url_parameters_cannot_choose_the_index(index_dir, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import streamlit as st

    other = tmp_path / "EVILINDEX" / "index"
    shutil.copytree(index_dir, other)
    monkeypatch.setenv("REFRAIN_INDEX", str(index_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    params = {key: str(other) for key in ("index", "root", "dir", "path", "db", "REFRAIN_INDEX", "read", "doc", "a", "b")}
    params.update({"q": "iron bridge", "view": "search"})
    at = AppTest.from_file(str(REPO / "explorer" / "app.py"), default_timeout=60)
    at.query_params.update(params)
    at.run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join([h.value for h in at.html] + [m.value for m in at.markdown] + [e.value for e in at.error])
    assert "EVILINDEX" not in shown
    assert f'title="{index_dir}"' in shown  # the sidebar names the index it opened: the configured one
    from explorer.logic import viewstate

    fields = set(viewstate.ViewState.__dataclass_fields__)
    assert not fields & {"index", "root", "dir", "path", "db"}, fields


# ------------------------------------------------------------------ the server binds to 127.0.0.1

CONFIG = REPO / "explorer" / ".streamlit" / "config.toml"


def test_streamlit_config_binds_to_localhost():
    if not CONFIG.exists():
        pytest.skip(".streamlit/config.toml does not exist yet")
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config.get("server", {}).get("address") == "127.0.0.1"
    from index.cli.explore import DEFAULT_ADDRESS

    assert DEFAULT_ADDRESS == "127.0.0.1"  # `refrain explore` passes it to Streamlit unless told otherwise
    launchers = [REPO / "scripts" / "explore.sh", *_python_files()]
    for path in launchers:
        text = path.read_text(encoding="utf-8")
        assert "0.0.0.0" not in text, path
        if path.name != "explore.py":
            assert "server.address" not in text, path


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp* shows them) of sockets listening on port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_the_running_explorer_listens_on_127_0_0_1_only(index_dir):
    if not CONFIG.exists():
        pytest.skip(".streamlit/config.toml does not exist yet")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "index", "explore", "--headless", "--port", str(port)],
                            cwd=REPO, env=env(REFRAIN_INDEX=index_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _listening(port):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.2)
        addresses = _listening(port)
        assert addresses == ["0100007F"], addresses  # 127.0.0.1 only: not 0.0.0.0, not ::
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stderr.close()
    record("security_server", bound_addresses=",".join(addresses), listens_on="127.0.0.1")


# Every environment variable that changes what Refrain does, and where it is documented.
DOCUMENTED_ENVIRONMENT = {
    "REFRAIN_PRECISION": "README.md",
    "REFRAIN_INDEX": "explorer/logic/config.py",
    "REFRAIN_MODEL": "explorer/logic/config.py",
    "REFRAIN_SAMPLE_INDEX": "explorer/logic/config.py",
    "REFRAIN_CACHE": "explorer/logic/config.py",
    "REFRAIN_CACHE_DIR": "README.md",
    "REFRAIN_QUERY_BACKEND": "README.md",
}


def test_no_hidden_switches_in_the_environment():
    """A guard: the code names no environment variable of its own beyond the documented ones, so nothing
    undocumented (a test hook, a debug switch) can change a build or a query from the environment. The crash
    tests stop builds through the build's progress callback (tests/build_runner.py), not the environment."""
    named = {}
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name in re.findall(r"REFRAIN_[A-Z0-9_]+", node.value):
                    named.setdefault(name, f"{path.relative_to(REPO)}:{node.lineno}")
    undocumented = {name: where for name, where in named.items() if name not in DOCUMENTED_ENVIRONMENT}
    assert not undocumented, undocumented
    assert "REFRAIN_PRECISION" in named and "REFRAIN_INDEX" in named  # the scan sees the real ones
    for name, doc in DOCUMENTED_ENVIRONMENT.items():
        assert name in (REPO / doc).read_text(encoding="utf-8"), (name, doc)
