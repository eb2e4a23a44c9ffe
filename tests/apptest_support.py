"""What the AppTest modules share: the app's path, fresh Streamlit caches per test, the test index, and
small readers of what a run drew.

Import the fixtures by name; each importing module gets its own index folder (module scope), so mining
results one module stores in DIR/derived never reach another.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import explorer_corpus
from index.search import Searcher

APP = Path(__file__).resolve().parents[1] / "explorer" / "app.py"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    """The explorer's small test corpus, indexed with the hashing encoder."""
    return explorer_corpus.built(tmp_path_factory, "explorer")


@pytest.fixture(scope="module")
def searcher(index_dir) -> Searcher:
    return Searcher(index_dir)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts like a new server process: no cached model, index, data or mined results in memory."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def app_on(view: str | None = None, timeout: float = 120):
    """An `app` fixture: the explorer in AppTest on an index (the module's by default), opened with these URL
    parameters, on `view` unless they name another."""
    @pytest.fixture
    def app(monkeypatch, index_dir):
        def make(params: dict | None = None, index=None, timeout: float = timeout) -> AppTest:
            monkeypatch.setenv("REFRAIN_INDEX", str(index or index_dir))
            at = AppTest.from_file(str(APP), default_timeout=timeout)
            at.query_params.update({**({"view": view} if view else {}), **(params or {})})
            return run(at)
        return make
    return app


app = app_on()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.html)


def texts(at: AppTest) -> str:
    """Every message and caption the run drew, as one string."""
    return " ".join(str(e.value) for kind in (at.error, at.info, at.warning, at.caption, at.markdown) for e in kind)


def plain(markdown: str) -> str:
    """Message text with the markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def card_ids(at: AppTest, scope: str) -> list[str]:
    """Passage ids of the cards shown in a scope, in order (their Open buttons carry the id)."""
    prefix = f"{scope}-open-"
    return [b.key[len(prefix):] for b in at.button if b.key and b.key.startswith(prefix)]
