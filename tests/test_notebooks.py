"""Section notebooks: paired with py:percent files, committed without outputs, thin, and runnable
top to bottom with their default parameters (the sample pack, its latest period)."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbformat
import papermill
import pytest

from audit_pipeline.run import notebooks

NOTEBOOKS = notebooks.section_notebooks()


def test_there_are_six_sections():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_summary",
        "02_costs_savings",
        "03_onboarding",
        "04_service",
        "05_recommendations",
        "06_data_quality",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_has_not_drifted(path: Path):
    """The .ipynb and its .py:percent twin hold the same cells (run `jupytext --sync` after editing either)."""
    paired = path.with_suffix(".py")
    assert paired.exists(), f"{paired.name} is missing: run jupytext --set-formats ipynb,py:percent {path.name}"
    ipynb = nbformat.read(path, as_version=4)
    text = jupytext.read(paired)
    assert [(c.cell_type, c.source) for c in ipynb.cells] == [(c.cell_type, c.source) for c in text.cells]
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert ipynb.metadata.get("audit_pipeline") == text.metadata.get("audit_pipeline"), "the declared reads differ"
    assert ipynb.metadata["audit_pipeline"]["reads"], "declare what the section reads (see README)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_thin(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    for cell in code:
        tree = ast.parse(cell.source)
        assert not any(isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While) for n in ast.walk(tree)), (
            cell.source
        )
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("## ")


def test_every_notebook_runs_with_its_defaults(tmp_path):
    """As an analyst would open and run it: no parameters given."""
    for path in NOTEBOOKS:
        out = tmp_path / path.name
        papermill.execute_notebook(str(path), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
        nb = nbformat.read(out, as_version=4)
        assert any(o for c in nb.cells if c.cell_type == "code" for o in c.outputs), path.name
