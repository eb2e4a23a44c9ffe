"""Layering: the library never imports the explorer or Streamlit, explorer logic never imports Streamlit, and no
two modules import each other (directly or in a loop). The checker is itself checked on planted bad modules."""

from pathlib import Path

from tests.layering import cycles, import_graph, violations

REPO = Path(__file__).resolve().parents[1]


def test_the_project_keeps_its_layers():
    graph = import_graph(REPO, ("index", "explorer"))
    assert len(graph) > 40  # the scan saw the whole project, not an empty folder
    assert "index.search" in graph and "explorer.logic.viewstate" in graph
    assert violations(graph) == []


def test_the_project_has_no_import_cycles():
    assert cycles(import_graph(REPO, ("index", "explorer"))) == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_finds_a_library_module_that_imports_the_explorer(tmp_path):
    root = _plant(tmp_path, {
        "index/__init__.py": "",
        "index/good.py": "import numpy\n",
        "index/bad.py": "def later():\n    from explorer.logic import viewstate\n",
        "index/worse.py": "import streamlit as st\n",
        "explorer/__init__.py": "",
        "explorer/logic/__init__.py": "",
        "explorer/logic/viewstate.py": "from index import good\n",
        "explorer/logic/drawing.py": "from streamlit import columns\n",
        "explorer/app.py": "import streamlit\n",  # allowed: outside explorer.logic
    })
    found = violations(import_graph(root, ("index", "explorer")))
    assert found == ["explorer.logic.drawing imports streamlit", "index.bad imports explorer.logic.viewstate",
                     "index.worse imports streamlit"]


def test_the_checker_finds_cycles_through_relative_and_lazy_imports(tmp_path):
    root = _plant(tmp_path, {
        "index/__init__.py": "",
        "index/cli/__init__.py": "",
        "index/cli/main.py": "from . import recurring\n",
        "index/cli/recurring.py": "def f():\n    from index.cli.main import parse\n",
        "index/a.py": "from index import b\n",
        "index/b.py": "import index.c\n",
        "index/c.py": "from .a import thing\n",
        "index/d.py": "from index import a\n",  # imports into the loop, not part of it
    })
    assert cycles(import_graph(root, ("index",))) == [["index.a", "index.b", "index.c"],
                                                       ["index.cli.main", "index.cli.recurring"]]
