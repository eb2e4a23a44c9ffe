"""What the AppTest modules share: the app's path, fresh Streamlit caches per test, and small readers."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "explorer" / "app.py"


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts like a new server process: no cached model, index, data or mined results in memory."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.html)
