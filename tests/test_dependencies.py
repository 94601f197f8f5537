"""Dynamic dependencies: a unit depends on what its kernel read through the context, not on what
its notebook declares; code, notebooks and templates rerun what they should.

Each test compares runs of one code snapshot (so the code digest cannot change under it), on the
hand pack, HTML only.
"""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import nbformat
import pytest
from pipeline_runs import (
    HAND_PACK,
    PERIODS,
    cli,
    code_snapshot,
    copy_pack,
    every_unit,
    published,
    run_args,
    units_logged,
)

from audit_pipeline.measures.summary import key_figures
from audit_pipeline.report import reads
from audit_pipeline.report.context import load_context

pytestmark = pytest.mark.slow

OPENS_A_FILE = """
from pathlib import Path
from audit_pipeline.report.context import load_context
ctx = load_context(data_dir, period_id)
print(len((Path(data_dir) / "kpis.csv").read_text(encoding="utf-8").splitlines()), "lines of kpis.csv")
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A snapshot of the code, a copy of the hand pack, and one cold run of all its periods."""
    base = tmp_path_factory.mktemp("dependencies")
    code = code_snapshot(base / "code")
    pack = copy_pack(base / "pack")
    out = base / "out"
    cold = cli(code, *run_args(pack, out, "--all", "--jobs", "2"))
    assert cold.returncode == 0, cold.stderr
    return SimpleNamespace(base=base, code=code, pack=pack, out=out, programme=out / "hand")


def recorded_reads(folder, notebook: str) -> list[str]:
    """The reads a published period's manifest records for one of its notebooks."""
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["units"][notebook]["reads"]


def copy_site(site, name: str):
    """A copy of the site's output (units cache included), so tests do not disturb one another."""
    out = site.base / name
    shutil.copytree(site.out, out, symlinks=True)
    return out


def test_manifest_records_reads_beyond_the_declaration(site):
    """03_onboarding declares periods, bodies and programme; it also reads centres (for the centre
    names) and every table the key figures come from: all recorded, none declared."""
    declared = nbformat.read(site.code / "notebooks" / "03_onboarding.ipynb", as_version=4).metadata
    assert "centres" not in declared["audit_pipeline"]["reads"]
    recorded = recorded_reads(site.programme / "C", "03_onboarding.ipynb")
    assert {"centres", "bodies", "periods", "programme:thresholds"} <= set(recorded)
    assert "files" not in recorded and "findings" not in recorded
    assert "findings" in recorded_reads(site.programme / "C", "06_data_quality.ipynb")


def test_corrected_centre_name_reaches_the_onboarding_section(site, tmp_path):
    """The bug of issue 8: a centre renamed in centres.csv stayed under its old name in onboarding."""
    pack = site.base / "pack-centres"
    shutil.copytree(site.pack, pack)
    out = tmp_path / "out"
    first = cli(site.code, *run_args(pack, out, "--all", "--jobs", "2"))
    assert first.returncode == 0, first.stderr
    centres = pack / "centres.csv"
    centres.write_text(centres.read_text(encoding="utf-8").replace("Centre One", "Centre Uno"), encoding="utf-8")
    again = cli(site.code, *run_args(pack, out, "--all", "--jobs", "2"))
    assert again.returncode == 0, again.stderr
    executed = units_logged(again.stderr, "executed")
    assert {(p, "03_onboarding.ipynb") for p in PERIODS} <= executed
    assert not any(nb in ("02_costs_savings.ipynb", "05_recommendations.ipynb") for _, nb in executed)
    for period in PERIODS:
        onboarding = (out / "hand" / period / "notebooks" / "03_onboarding.ipynb").read_text(encoding="utf-8")
        assert "Centre Uno" in onboarding and "Centre One" not in onboarding
        report = (out / "hand" / period / "report.html").read_text(encoding="utf-8")
        assert "Centre Uno" in report and "Centre One" not in report


def test_a_notebook_opening_a_pack_file_depends_on_the_whole_pack(site, tmp_path):
    """A notebook reading kpis.csv itself, around the context, is rerun when any pack file changes."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    source = nbformat.read(site.code / "notebooks" / "03_onboarding.ipynb", as_version=4)
    nb = nbformat.v4.new_notebook(metadata=source.metadata)
    nb.cells = [source.cells[i] for i, c in enumerate(source.cells) if "parameters" in c.metadata.get("tags", [])]
    nb.cells.append(nbformat.v4.new_code_cell(OPENS_A_FILE))
    nbformat.write(nb, notebooks / "01_opens_a_file.ipynb")
    pack = tmp_path / "pack"
    shutil.copytree(site.pack, pack)
    out = tmp_path / "out"
    first = cli(site.code, *run_args(pack, out, "--period", "C", "--notebooks", str(notebooks)))
    assert first.returncode == 0, first.stderr
    assert "files" in recorded_reads(out / "hand" / "C", "01_opens_a_file.ipynb")
    status = pack / "delivery_confidence.csv"  # read by nothing else of this notebook
    status.write_text(status.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = cli(site.code, *run_args(pack, out, "--period", "C", "--notebooks", str(notebooks)))
    assert again.returncode == 0, again.stderr
    assert units_logged(again.stderr, "executed") == {("C", "01_opens_a_file.ipynb")}


def test_changed_template_rerenders_every_period_and_runs_no_notebook(site):
    """Templates are package data, but notebooks never read them: the units' environment leaves
    them out (keys.code_without_templates) and the render key has their digest."""
    code = site.base / "code-template"
    shutil.copytree(site.code, code, symlinks=True)
    css = code / "audit_pipeline" / "report" / "templates" / "report" / "report.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* a template change for the test */\n", encoding="utf-8")
    out = copy_site(site, "out-template")
    result = cli(code, *run_args(site.pack, out, "--all", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    assert units_logged(result.stderr, "executed") == set()
    assert units_logged(result.stderr, "reused") == every_unit()
    for period in PERIODS:
        assert "report: templates changed" in result.stderr
        assert f"Published: {out / 'hand' / period / 'report.html'}" in result.stdout
        assert "a template change for the test" in (out / "hand" / period / "report.html").read_text(encoding="utf-8")


def test_changed_package_source_reruns_every_unit(site):
    """The package's code is part of every unit's base (settings.code_digest): a change reruns all."""
    code = site.base / "code-source"
    shutil.copytree(site.code, code, symlinks=True)
    source = code / "audit_pipeline" / "report" / "fmt.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# a source change for the test\n", encoding="utf-8")
    out = copy_site(site, "out-source")
    result = cli(code, *run_args(site.pack, out, "--all", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    assert units_logged(result.stderr, "executed") == every_unit()
    assert "code or dependencies changed: every notebook" in result.stderr
    assert published(out / "hand").keys() == set(PERIODS)


def test_lazy_figures_agree_with_metrics_and_record_their_inputs(monkeypatch, tmp_path):
    """The context's figures, group by group, are exactly ``key_figures`` (what metrics.json holds),
    and each group records only the inputs it is computed from."""
    monkeypatch.setenv("AUDIT_PIPELINE_CACHE", str(tmp_path / "cache"))
    for period_id in PERIODS:
        ctx = load_context(HAND_PACK, period_id)
        expected = key_figures(ctx.raw_pack, ctx.period)
        assert list(ctx.figures) == list(expected)
        assert dict(ctx.figures) == expected
    ctx = load_context(HAND_PACK, "B")
    with reads.capture() as names:
        ctx.figures["onboarding"]
    assert names == {"bodies"}
    with reads.capture() as names:
        ctx.figures["costs"]
    assert names == {"costs", "periods"}
