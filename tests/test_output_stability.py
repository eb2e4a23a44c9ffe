"""The CLI's tables, JSON and CSV on the sample corpus are byte-identical to the copies stored before the
code was reorganised (tests/golden, made by tests/golden/capture.py from the earlier layout).

A change that alters an output on purpose updates the stored copy in the same commit, so the diff shows it.
"""

import pytest

from tests.golden.capture import COMMANDS, HERE, capture
from tests.conftest import SAMPLE_CORPUS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return capture(SAMPLE_CORPUS, tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_matches_stored_copy(outputs, name):
    stored = (HERE / name).read_text(encoding="utf-8")
    assert outputs[name] == stored, f"{name} differs from tests/golden/{name}"
