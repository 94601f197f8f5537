"""`pipeline.py figure-check PERIOD_DIR`: every registered figure re-derived from its listed rows (issue 9, item 5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from fixtures_register import REGISTER_PERIODS, ROOT

from audit_pipeline.run.figurecheck import check_period

pytest_plugins = ["fixtures_register"]


def figure_check(folder) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "figure-check", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("period", REGISTER_PERIODS)
def test_every_figure_of_the_sample_pack_checks_out(register_run, period):
    done = figure_check(register_run / period)
    assert done.returncode == 0, done.stdout + done.stderr
    result = check_period(register_run / period)
    assert not result.mismatches
    assert len(result.checked) > 50
    # What cannot be re-derived is named, not skipped: the pack's warnings come from validation.
    assert any(u.startswith("quality.warnings") for u in result.underivable)
    assert "could not be re-derived" in done.stdout


def _copy(register_run, tmp_path, period="2013-14-Q4"):
    folder = tmp_path / period
    shutil.copytree(register_run / period, folder)
    return folder


def test_a_corrupted_figures_json_is_caught(register_run, tmp_path):
    folder = _copy(register_run, tmp_path)
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    entry = next(e for e in document["figures"] if e["id"] == "costs.central_programme_to_date")
    entry["value"] = round(entry["value"] + 1.0, 6)
    (folder / "figures.json").write_text(json.dumps(document), encoding="utf-8")
    done = figure_check(folder)
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if x.startswith("MISMATCH costs.central_programme_to_date"))
    assert "costs.csv lines" in line and "register" in line and "re-derived" in line


def test_a_corrupted_metrics_value_is_caught(register_run, tmp_path):
    folder = _copy(register_run, tmp_path)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    metrics["onboarding"]["customers_served"] += 100
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    done = figure_check(folder)
    assert done.returncode == 1
    assert "MISMATCH onboarding.customers_served: metrics.json onboarding.customers_served" in done.stdout


def test_listed_lines_that_do_not_add_up_are_caught(register_run, tmp_path):
    """Dropping a row from a figure's listed inputs changes the re-derived value."""
    folder = _copy(register_run, tmp_path)
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    entry = next(e for e in document["figures"] if e["id"] == "onboarding.customers_served")
    entry["inputs"][0]["lines"] = entry["inputs"][0]["lines"][1:]
    (folder / "figures.json").write_text(json.dumps(document), encoding="utf-8")
    assert figure_check(folder).returncode == 1


def test_a_folder_without_a_register_is_a_usage_error(tmp_path):
    done = figure_check(tmp_path)
    assert done.returncode == 2
    assert "figures.json" in done.stderr and "Traceback" not in done.stderr
