"""Refrain as an installed package: the `refrain` command, the sample found through the package wherever Python
runs, a wheel that carries the sample corpus and the explorer's theme, and `refrain explore` bound to localhost."""

import argparse
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from index.cli.explore import DEFAULT_ADDRESS, streamlit_command

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("build", "info", "search", "similar", "phrase", "document", "recurring", "phrases", "explore")


def _refrain() -> Path:
    script = Path(sys.executable).with_name("refrain")
    if not script.exists():
        pytest.fail(f"{script} is missing: install Refrain with `pip install -e .` (scripts/install.sh does)")
    return script


def test_the_refrain_command_lists_every_command(tmp_path):
    done = subprocess.run([str(_refrain()), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout


def test_python_dash_m_index_still_works(tmp_path):
    done = subprocess.run([sys.executable, "-m", "index", "info", str(tmp_path / "none")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: no index in") and "Traceback" not in done.stderr


def test_the_sample_is_found_through_the_package_from_any_folder(tmp_path):
    code = ("from explorer.logic.sample import SAMPLE_CORPUS, GROUND_TRUTH; "
            "print(len(list(SAMPLE_CORPUS.glob('*.txt'))), GROUND_TRUTH.is_file())")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["48", "True"]


@pytest.mark.slow
def test_the_wheel_carries_the_sample_and_the_explorer_theme(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(REPO),
                           "-w", str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("refrain-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    corpus = {n for n in names if n.startswith("explorer/sample/corpus/") and n.endswith(".txt")}
    assert len(corpus) == 48
    assert {"explorer/sample/ground_truth.json", "explorer/.streamlit/config.toml", "explorer/app.py",
            "index/cli/main.py", "explorer/sample/korean/corpus.jsonl", "explorer/sample/korean/ground_truth.json",
            "explorer/sample/korean/README.md"} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "refrain = index.cli.main:console" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_pyproject_ranges_admit_the_pinned_requirements():
    """requirements.txt is the exact tested set; pyproject's ranges must allow every one of those pins."""
    from packaging.requirements import Requirement

    ranges = {Requirement(r).name: Requirement(r) for r in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    pins = [Requirement(line.split("#")[0].strip()) for line in (REPO / "requirements.txt").read_text().splitlines()
            if line.split("#")[0].strip()]
    assert {p.name for p in pins} <= set(ranges), set(p.name for p in pins) - set(ranges)
    for pin in pins:
        (version,) = [s.version for s in pin.specifier]
        assert ranges[pin.name].specifier.contains(version, prereleases=True), (pin, ranges[pin.name])


def test_explore_serves_the_explorer_on_localhost_by_default():
    args = argparse.Namespace(index="some/index", model=None, address=DEFAULT_ADDRESS, port=8600, headless=True)
    command = streamlit_command(args)
    assert command[1:4] == ["-m", "streamlit", "run"] and Path(command[4]) == REPO / "explorer" / "app.py"
    assert "--server.address=127.0.0.1" in command and "--server.port=8600" in command
    assert command[-3:] == ["--", "--index", str((Path.cwd() / "some/index").resolve())]
