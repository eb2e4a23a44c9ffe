"""Where the explorer finds its index (index/app_config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.logic.config import resolve
from index.errors import RefrainError
from explorer.logic.sample import DEFAULT_SAMPLE_INDEX


def test_default_is_the_bundled_sample():
    config = resolve([], {})
    assert config.is_sample and config.index == DEFAULT_SAMPLE_INDEX.resolve() and config.model is None


def test_argument_beats_environment(tmp_path):
    config = resolve(["--index", str(tmp_path / "a")], {"REFRAIN_INDEX": str(tmp_path / "b"), "REFRAIN_MODEL": "m"})
    assert config.index == (tmp_path / "a").resolve() and not config.is_sample and config.model == "m"
    assert resolve([], {"REFRAIN_INDEX": str(tmp_path / "b")}).index == (tmp_path / "b").resolve()


def test_sample_location_and_cache_can_move(tmp_path):
    config = resolve([], {"REFRAIN_SAMPLE_INDEX": str(tmp_path / "s"), "REFRAIN_CACHE": "/c.sqlite"})
    assert config.is_sample and config.index == (tmp_path / "s").resolve() and config.cache == "/c.sqlite"


def test_unknown_arguments_are_ignored_and_bad_ones_explained(tmp_path):
    assert resolve(["tests/x.py", "-q", "--index", str(tmp_path)], {}).index == Path(tmp_path).resolve()
    with pytest.raises(RefrainError, match="--index"):
        resolve(["--index"], {})
    with pytest.raises(RefrainError, match="needs a folder"):
        resolve([], {"REFRAIN_INDEX": " "})
