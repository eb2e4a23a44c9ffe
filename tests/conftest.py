"""Shared fixtures: paths to the real corpora, small corpora written per test, and session-wide indexes.

Real-model indexes (KCNA 2024, the sample corpus) are built once per session and shared; their
embedding cache can be kept between local runs with REFRAIN_TEST_CACHE=/some/file.sqlite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.build import BuildSettings, build_index
from index.embed.encoder import HashingEncoder
from index.ingest.records import ReadOptions
from index.progress import ProgressBars
from explorer.logic.sample import GROUND_TRUTH, SAMPLE_CORPUS  # noqa: F401 (tests import them from here)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KCNA_JSON = SHARED / "corpora" / "kcna-2024" / "headlines_2024-11-11.json"
UN_DIR = SHARED / "corpora" / "un-general-debate-2020-2024"
SEED_DIR = SHARED / "seeds"
KCNA_OPTIONS = ReadOptions(text_field="story_text", title_field="headline", date_field="date_str", meta_fields=("topic",))
KCNA_CLI_OPTIONS = ["--text-field", "story_text", "--title-field", "headline", "--date-field", "date_str", "--meta-field", "topic"]


def require(path: Path) -> Path:
    """Shared corpora must exist in CI; elsewhere a missing one skips the test with the reason."""
    if not path.exists():
        message = f"shared corpus not found: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def hashing() -> HashingEncoder:
    return HashingEncoder(dim=64, max_tokens=40)


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def quick_build(sources, out, encoder, options: ReadOptions | None = None, on_progress=None, **settings):
    """Build with a given encoder (no progress bars unless on_progress draws them)."""
    return build_index([str(s) for s in sources], out, options or ReadOptions(), BuildSettings(**settings), encoder=encoder,
                       on_progress=on_progress)


@pytest.fixture(scope="session")
def sample_hashing_index(tmp_path_factory) -> Path:
    """The sample corpus indexed with the 64-d hashing stand-in (seconds), shared read-only: copy it to damage it."""
    out = tmp_path_factory.mktemp("sample-hashing") / "index"
    quick_build([SAMPLE_CORPUS], out, HashingEncoder(dim=64, max_tokens=40))
    return out


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> str:
    return os.environ.get("REFRAIN_TEST_CACHE") or str(tmp_path_factory.mktemp("model-cache") / "cache.sqlite")


@pytest.fixture(scope="session")
def real_encoder():
    from index.embed.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def kcna_index(tmp_path_factory, model_cache, real_encoder):
    """The KCNA 2024 corpus indexed with the real bundled model (a few minutes, once per session)."""
    require(KCNA_JSON)
    out = tmp_path_factory.mktemp("kcna") / "index"
    report = quick_build([KCNA_JSON], out, real_encoder, KCNA_OPTIONS, cache_path=model_cache, on_progress=ProgressBars())
    return out, report


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, model_cache, real_encoder):
    """The bundled sample corpus indexed with the real model."""
    out = tmp_path_factory.mktemp("sample") / "index"
    report = quick_build([SAMPLE_CORPUS], out, real_encoder, cache_path=model_cache)
    return out, report


_SESSION = os.environ.setdefault("REFRAIN_TEST_SESSION", f"{os.getpid()}-{__import__('time').time_ns()}")


def pytest_terminal_summary(terminalreporter):
    """Print the reliability figures this run recorded (tests/reliability_support.py writes them)."""
    import json

    path = REPO / "test-artifacts" / "reliability.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    fresh = {k: v for k, v in sorted(data.items()) if v.get("session") == _SESSION}
    if not fresh:
        return
    terminalreporter.section("reliability figures (test-artifacts/reliability.json)")
    for section, figures in fresh.items():
        shown = ", ".join(f"{k}={v}" for k, v in figures.items()
                          if k not in ("recorded_at", "session") and not isinstance(v, (list, dict)))
        terminalreporter.write_line(f"{section}: {shown}")
