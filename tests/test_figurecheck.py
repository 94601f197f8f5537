"""`pipeline.py verify --figures PERIOD_DIR`: every registered figure re-derived from its listed rows (issue 9, item 5)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from fixtures_register import REGISTER_PERIODS, ROOT

pytest_plugins = ["fixtures_register"]


def pipeline(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def verify_figures(folder, *more) -> subprocess.CompletedProcess:
    return pipeline("verify", "--figures", folder, *more)


def test_every_period_of_the_sample_pack_checks_out(register_run):
    """`verify --figures --all` over a run of every period: exit 0, each period checked in full."""
    assert sorted(p.name for p in register_run.iterdir() if (p / "figures.json").is_file()) == sorted(REGISTER_PERIODS)
    done = pipeline("verify", "--figures", "--all", "--out", register_run.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    blocks = dict(re.findall(r"^figure-check: (\S+)\n(.*?)(?=^figure-check: |\Z)", done.stdout, re.M | re.S))
    assert sorted(blocks) == sorted(str(register_run / p) for p in REGISTER_PERIODS)
    for folder, block in blocks.items():
        checked = re.search(r"^(\d+) figures re-derived, 0 mismatches, \d+ could not be re-derived$", block, re.M)
        assert checked and int(checked.group(1)) > 50, f"{folder}:\n{block}"
        # What cannot be re-derived is named, not skipped: the pack's warnings come from validation.
        assert "NOT CHECKED quality.warnings" in block, f"{folder}:\n{block}"
    assert f"{len(REGISTER_PERIODS)} of {len(REGISTER_PERIODS)} periods checked out" in done.stdout
    assert "MISMATCH" not in done.stdout


def test_one_period_checks_out_and_names_what_it_cannot_re_derive(register_run):
    done = verify_figures(register_run / "2015-16-Q4")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "NOT CHECKED quality.warnings" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].endswith("could not be re-derived")
    assert " 0 mismatches" in done.stdout


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
    done = verify_figures(folder)
    assert done.returncode == 1
    line = next(x for x in done.stdout.splitlines() if x.startswith("MISMATCH costs.central_programme_to_date"))
    assert "costs.csv lines" in line and "register" in line and "re-derived" in line
    # `figure-check`, the command's older name, says the same.
    alias = pipeline("figure-check", folder)
    assert (alias.returncode, alias.stdout) == (1, done.stdout)


def test_a_corrupted_metrics_value_is_caught(register_run, tmp_path):
    folder = _copy(register_run, tmp_path)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    metrics["onboarding"]["customers_served"] += 100
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    done = verify_figures(folder)
    assert done.returncode == 1
    assert "MISMATCH onboarding.customers_served: metrics.json onboarding.customers_served" in done.stdout


def test_a_corrupted_period_fails_verify_figures_all(register_run, tmp_path):
    """One bad period among good ones: exit 1, and the summary names it."""
    out = tmp_path / "out"
    for period in ("2012-13-Q4", "2013-14-Q4"):
        shutil.copytree(register_run / period, out / "ngss" / period)
    metrics_path = out / "ngss" / "2013-14-Q4" / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["onboarding"]["customers_served"] += 1
    metrics_path.write_text(json.dumps(metrics), encoding="utf-8")
    done = pipeline("verify", "--figures", "--all", "--out", out)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 of 2 periods checked out" in done.stdout
    assert f"mismatches in: {out / 'ngss' / '2013-14-Q4'}" in done.stdout


def test_listed_lines_that_do_not_add_up_are_caught(register_run, tmp_path):
    """Dropping a row from a figure's listed inputs changes the re-derived value."""
    folder = _copy(register_run, tmp_path)
    document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    entry = next(e for e in document["figures"] if e["id"] == "onboarding.customers_served")
    entry["inputs"][0]["lines"] = entry["inputs"][0]["lines"][1:]
    (folder / "figures.json").write_text(json.dumps(document), encoding="utf-8")
    assert verify_figures(folder).returncode == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "figures.json"),
        (("--jobs", "2"), "runs nothing"),
        (("--data", "/nonexistent/pack"), "no such folder"),
    ],
)
def test_bad_usage_is_exit_2(register_run, tmp_path, args, words):
    folder = tmp_path if not args else register_run / "2013-14-Q4"
    done = verify_figures(folder, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
