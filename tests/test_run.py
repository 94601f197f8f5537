"""`pipeline.py run` end to end: real Papermill runs of the real notebooks in fresh kernels."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from audit_pipeline.errors import UsageError
from audit_pipeline.run import notebooks

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2013-14-Q4"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory) -> Path:
    """One real run of the seed period (HTML only: the PDF has its own tests)."""
    out = tmp_path_factory.mktemp("reports")
    result = run_cli("run", "--period", PERIOD, "--out", str(out), "--format", "html")
    assert result.returncode == 0, result.stderr
    return out / "ngss" / PERIOD


def test_period_folder_layout(seed_run):
    names = {p.name for p in seed_run.iterdir()}
    assert {"report.html", "metrics.json", "manifest.json", "notebooks"} <= names
    executed = sorted(p.name for p in (seed_run / "notebooks").glob("*.ipynb"))
    assert executed == [p.name for p in notebooks.section_notebooks()]
    assert (seed_run.parent / "index.html").exists()
    assert not [p for p in seed_run.parent.iterdir() if p.name.startswith((".staging", ".retired"))]


def test_seed_facts_at_2013_14_q4(seed_run):
    """The published facts of NAO HC 1101 (31 March 2014), reproduced from the sample pack."""
    m = json.loads((seed_run / "metrics.json").read_text())
    assert m["period_id"] == PERIOD and m["period_label"] == "2013-14 Q4"
    assert m["costs"]["central_programme_to_date_gbp_m"] == 9.8
    assert m["costs"]["departmental_not_collated_bodies"] > 0  # "has not been collated"
    assert m["costs"]["departmental_to_date_gbp_m"] == 0.0
    estimates = {(e["measure"], e["scope"]): (e["low_gbp_m"], e["high_gbp_m"]) for e in m["estimates"]}
    assert estimates[("annual_savings", "whole strategy")] == (400.0, 600.0)
    assert estimates[("implementation_cost", "whole strategy")] == (44.0, 95.0)
    assert m["onboarding"]["customers_served"] == 140000
    assert len(m["service"]) == 2  # two shared service centres
    assert m["recommendations"]["by_source"]["PAC 2012"] == {"total": 7, "implemented": 2}
    pac = m["recommendations"]["by_source"]
    assert "NAO 2014" in pac
    assert m["recommendations"]["in_progress"] == 5  # the five PAC 2012 ones still being implemented


def test_executed_notebooks_have_outputs_and_no_timings(seed_run):
    for path in (seed_run / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert "papermill" not in nb.metadata
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.outputs for c in code), path.name
        assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in code)


def test_manifest_records_provenance(seed_run):
    manifest = json.loads((seed_run / "manifest.json").read_text())
    files = manifest["inputs"]["files"]
    assert files["costs.csv"]["read"] == "rows of this period and earlier ones, and forecast rows"
    assert len(files["costs.csv"]["digest"]) == 64
    assert files["transactions.csv"]["read"] == "whole file"  # checkable with sha256sum
    transactions = ROOT / "data" / "ngss" / "transactions.csv"
    assert files["transactions.csv"]["digest"] == hashlib.sha256(transactions.read_bytes()).hexdigest()
    # The report's provenance shows the same, input by input, with what of it was read.
    html = (seed_run / "report.html").read_text(encoding="utf-8")
    assert "digest of rows of this period and earlier ones, and forecast rows" in html
    assert files["costs.csv"]["digest"] in html and files["transactions.csv"]["digest"] in html
    assert "Input transactions.csv" in html and "SHA-256 of the file" in html
    assert manifest["parameters"] == {"data_dir": str((ROOT / "data" / "ngss").resolve()), "period_id": PERIOD}
    assert set(manifest["notebooks"]) == {p.name for p in notebooks.section_notebooks()}
    assert manifest["packages"]["papermill"] != "not installed"
    assert manifest["code_revision"]


def test_rerun_is_byte_identical(seed_run, tmp_path):
    result = run_cli("run", "--period", PERIOD, "--out", str(tmp_path), "--format", "html")
    assert result.returncode == 0, result.stderr
    again = tmp_path / "ngss" / PERIOD
    for name in ["report.html", "metrics.json", *[f"notebooks/{p.name}" for p in notebooks.section_notebooks()]]:
        assert (again / name).read_bytes() == (seed_run / name).read_bytes(), name


def _broken_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder, ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints"))
    nb = nbformat.read(folder / "02_costs_savings.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('deliberate failure for the test')"))
    nbformat.write(nb, folder / "02_costs_savings.ipynb")
    return folder


def test_failing_notebook_names_the_cell_and_keeps_the_previous_report(seed_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(seed_run.parent, out / "ngss")
    before = {p.relative_to(out): p.read_bytes() for p in (out / "ngss" / PERIOD).rglob("*") if p.is_file()}
    result = run_cli(
        "run",
        "--period",
        PERIOD,
        "--out",
        str(out),
        "--format",
        "html",
        "--notebooks",
        str(_broken_notebooks(tmp_path)),
    )
    assert result.returncode == 1, result.stderr
    assert f"period {PERIOD}" in result.stderr and "02_costs_savings.ipynb" in result.stderr
    assert "ValueError: deliberate failure for the test" in result.stderr and "cell" in result.stderr
    assert "Traceback" not in result.stderr
    kept = out / "ngss" / "failed" / PERIOD / "02_costs_savings.ipynb"
    assert str(kept) in result.stderr and kept.exists()
    after = {p.relative_to(out): p.read_bytes() for p in (out / "ngss" / PERIOD).rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (out / "ngss").iterdir() if p.name.startswith((".staging", ".retired"))]


def test_unknown_period_exits_2_listing_valid_ones(tmp_path):
    result = run_cli("run", "--period", "2099-00-Q9", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "unknown period '2099-00-Q9'" in result.stderr and "2013-14-Q4" in result.stderr
    assert not (tmp_path / "ngss").exists()


def test_invalid_pack_exits_2_and_runs_nothing(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "data" / "ngss", pack)
    costs = (pack / "costs.csv").read_text().splitlines()
    header = costs[0].split(",")
    row = costs[1].split(",")
    row[header.index("amount_gbp_m")] = "9.8m"
    (pack / "costs.csv").write_text("\n".join([costs[0], ",".join(row), *costs[2:]]) + "\n")
    result = run_cli("run", "--data", str(pack), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert (
        "costs.csv" in result.stderr
        and "line 2" in result.stderr
        and "amount_gbp_m" in result.stderr
        and "9.8m" in result.stderr
    )
    assert "Nothing was run" in result.stderr
    assert not (tmp_path / "out" / "ngss").exists()


def test_parameters_are_checked_before_any_kernel_starts(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("data_dir = None\n")  # declares no period_id
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("import time; time.sleep(600)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "01_only.ipynb")
    result = run_cli("run", "--period", PERIOD, "--out", str(tmp_path / "out"), "--notebooks", str(folder))
    assert result.returncode == 2
    assert "01_only.ipynb has no parameter 'period_id'" in result.stderr
    assert not (tmp_path / "out" / "ngss" / PERIOD).exists()


def test_mistyped_parameter_is_an_error():
    notebook = notebooks.section_notebooks()[0]
    with pytest.raises(UsageError, match="must be Optional\\[str\\], not int"):
        notebooks.check_parameters(notebook, {"data_dir": None, "period_id": 2014})
    with pytest.raises(UsageError, match="has no parameter 'period'"):
        notebooks.check_parameters(notebook, {"period": "x"})
    notebooks.check_parameters(notebook, {"data_dir": None, "period_id": "2013-14-Q4"})


def test_usage_errors_exit_2_without_traceback(tmp_path):
    result = run_cli("run", "--period", PERIOD, "--all", "--out", str(tmp_path))
    assert result.returncode == 2 and "either --period or --all" in result.stderr
    result = run_cli("run", "--format", "docx", "--out", str(tmp_path))
    assert result.returncode == 2 and "--format" in result.stderr
    result = run_cli("run", "--jobs", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
