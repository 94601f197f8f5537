"""`pipeline.py verify`: a published period re-executed from its manifest and compared byte for byte.

Real runs of the real notebooks on the hand-computable pack (period A, HTML only), through the
command line as people use it.
"""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest
from pipeline_runs import NOTEBOOKS, cli, code_snapshot, copy_pack, run_args, units_logged

pytestmark = pytest.mark.slow

FILES = (
    11  # html-only period folder: report.html, metrics.json, manifest.json, figures.json, figures.xlsx, six notebooks
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A snapshot of the code, a copy of the hand pack, and period A published from it."""
    base = tmp_path_factory.mktemp("verify")
    code = code_snapshot(base / "code")
    pack = copy_pack(base / "pack")
    out = base / "out"
    result = cli(code, *run_args(pack, out, "--period", "A", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    return SimpleNamespace(base=base, code=code, pack=pack, out=out, period=out / "hand" / "A")


def snapshot(folder):
    """Every file and folder under ``folder`` with its bytes (files) and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted([folder, *folder.rglob("*")])
    }


def test_a_fresh_period_reproduces_and_its_folder_is_left_untouched(site):
    before = snapshot(site.period)
    result = cli(site.code, "verify", str(site.period))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"reproduced: {FILES} of {FILES} files identical" in result.stdout
    assert "pack: all 14 inputs the report read match the manifest" in result.stdout
    assert "differs from the manifest" not in result.stdout  # same code, Python and packages
    assert units_logged(result.stderr, "executed") == {("A", nb) for nb in NOTEBOOKS}  # no unit reused
    assert snapshot(site.period) == before


def test_a_copied_report_folder_reproduces_with_data(site):
    """The report folder and the pack both moved: --data names the pack; --all finds the period."""
    elsewhere = site.base / "elsewhere"
    shutil.copytree(site.period, elsewhere / "hand" / "A")
    moved = copy_pack(site.base / "moved" / "pack")  # the same folder name: the report shows it
    result = cli(site.code, "verify", "--all", "--out", str(elsewhere), "--data", str(moved))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"the pack is read from {moved.resolve()}, not from {site.pack.resolve()}" in result.stdout
    assert f"reproduced: {FILES} of {FILES} files identical" in result.stdout
    assert "1 of 1 periods reproduced" in result.stdout
    missing = cli(site.code, "verify", str(elsewhere / "hand" / "A"), "--data", str(site.base / "nowhere"))
    assert missing.returncode == 2 and "--data" in missing.stderr and "Traceback" not in missing.stderr


def test_a_changed_pack_is_named_and_nothing_runs(site):
    changed = copy_pack(site.base / "changed" / "pack")
    costs = changed / "costs.csv"
    costs.write_text(
        costs.read_text(encoding="utf-8").replace("A,b1,central_programme,1.1", "A,b1,central_programme,1.2")
    )
    (changed / "notes.txt").write_text("added after publication\n", encoding="utf-8")
    (changed / "kpi_values.csv").unlink()
    result = cli(site.code, "verify", str(site.period), "--data", str(changed))
    assert result.returncode == 1, result.stdout + result.stderr
    for line in ("changed: costs.csv", "removed: kpi_values.csv", "nothing was run"):
        assert line in result.stdout, result.stdout
    assert "notes.txt" not in result.stdout  # no section reads it: not an input of this report
    assert not units_logged(result.stderr, "executed")


def test_a_change_the_period_never_read_leaves_it_reproducible(site):
    """Period A reads its own rows of costs.csv (and forecasts), not period C's: a correction to C's
    return is not a change to A's report, which still reproduces from the corrected pack."""
    later = copy_pack(site.base / "later" / "pack")
    costs = later / "costs.csv"
    text = costs.read_text(encoding="utf-8")
    (row,) = [line for line in text.splitlines() if line.startswith("C,") and ",actual," in line][:1]
    fields = row.split(",")
    fields[3] = f"{float(fields[3]) + 0.5:.1f}"
    costs.write_text(text.replace(row, ",".join(fields)), encoding="utf-8")
    result = cli(site.code, "verify", str(site.period), "--data", str(later))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inputs the report read match the manifest" in result.stdout
    assert f"reproduced: {FILES} of {FILES} files identical" in result.stdout


def test_a_hand_edited_published_file_is_named_with_its_figures(site):
    edited = site.base / "edited" / "hand" / "A"
    shutil.copytree(site.period, edited)
    metrics = json.loads((edited / "metrics.json").read_text(encoding="utf-8"))
    metrics["costs"]["central_programme_to_date_gbp_m"] = 9.9
    metrics["onboarding"]["customers_served"] = 1234
    (edited / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    html = (edited / "report.html").read_text(encoding="utf-8")
    (edited / "report.html").write_text(html.replace("</main>", "<p>Added by hand.</p></main>"), encoding="utf-8")
    result = cli(site.code, "verify", str(edited))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "differs: metrics.json" in out and "differs: report.html" in out
    assert "costs.central_programme_to_date_gbp_m: 9.9 -> 1.1" in out
    assert "onboarding.customers_served: 1234 -> 1000" in out
    assert f"not reproduced: {FILES - 2} of {FILES} files identical" in out
    assert "notebooks/" not in out  # the rest reproduced


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify"], "either PERIOD_DIR or --all"),
        (["verify", "no/such/folder"], "no such folder"),
        (["verify", "{base}"], "not a published period folder"),
    ],
)
def test_bad_usage_exits_2_with_one_line(site, args, message):
    result = cli(site.code, *[a.format(base=site.base) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
