"""The auditor's commentary (issue 9, item 6): commentary.md parsed, checked and rendered as text.

Validation: an unknown figure id is an error with file, line and the closest known ids; text for a
period not in the pack is a warning; structure faults are located. Rendering: Markdown as text (no
raw HTML, no images, https links only), live figures linked to the register. Unit keys: a changed
commentary.md reruns the notebooks of that period only.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from packbuilder import write_pack
from pipeline_runs import cli, code_snapshot, run_args, units_logged

from audit_pipeline.errors import ERROR, WARNING
from audit_pipeline.pack.commentary import parse_commentary, referable_ids
from audit_pipeline.pack.load import validate_pack
from audit_pipeline.report.commentary import render
from audit_pipeline.report.context import load_context
from audit_pipeline.settings import DEFAULT_DATA, ROOT


def _validate(tmp_path, text: str):
    pack, findings = validate_pack(write_pack(tmp_path / "pack", extra_files={"commentary.md": text}))
    return pack, [f for f in findings if f.file == "commentary.md"]


def test_parts_by_period_and_heading_with_their_lines():
    findings = []
    parts = parse_commentary(
        "## P1\n\n### Summary\n\nFirst line.\n\n```\n## not a heading\n```\n\n### Conclusion\nDone.\n", findings
    )
    assert findings == []
    assert set(parts) == {"P1"} and set(parts["P1"]) == {"Summary", "Conclusion"}
    summary = parts["P1"]["Summary"]
    assert summary.line == 5 and summary.text.splitlines()[0] == "First line."
    assert "## not a heading" in summary.text  # inside a code fence: text, not a period
    assert parts["P1"]["Conclusion"].text == "Done."


def test_an_unknown_figure_id_is_an_error_with_line_and_closest_ids(tmp_path):
    pack, found = _validate(tmp_path, "## P2\n\n### Summary\n\nCosts were {{costs.total_to_dat}}.\n")
    assert pack is None
    (error,) = found
    assert error.severity == ERROR and error.line == 5
    assert "unknown figure id 'costs.total_to_dat'" in error.rule and "closest known: costs.total_to_date" in error.rule
    done = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "validate", "--data", str(tmp_path / "pack")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "commentary.md" in done.stdout and "line 5" in done.stdout


def test_text_for_a_period_not_in_the_pack_is_a_warning(tmp_path):
    pack, found = _validate(tmp_path, "## P9\n\n### Summary\n\nLater.\n\n## P1\n\n### Costs and savings\n\nNow.\n")
    assert pack is not None
    (warning,) = found
    assert warning.severity == WARNING and warning.line == 1 and "P9 is not in the pack" in warning.rule
    assert set(pack.commentary) == {"P9", "P1"}


@pytest.mark.parametrize(
    ("text", "rule", "line"),
    [
        ("## P1\nLoose text.\n", "must be under a ### <section heading>", 2),
        ("## P1\n### Summary\nA\n### Summary\nB\n", "### Summary is given twice", 4),
        ("## P1\n### Summary\nA\n## P1\n### Conclusion\nB\n", "second ## part", 4),
        ("## P1\n### Summary\nSee {{costs.total_to_date\n", "unclosed figure reference", 3),
        ("## P1\n### Summary\nA \ue000 mark\n", "private-use characters", 3),
    ],
)
def test_structure_faults_are_located_errors(tmp_path, text, rule, line):
    pack, found = _validate(tmp_path, text)
    assert pack is None
    assert any(f.severity == ERROR and rule in f.rule and f.line == line for f in found), found


def test_an_unknown_heading_is_a_warning(tmp_path):
    _, found = _validate(tmp_path, "## P1\n\n### Risks\n\nText.\n")
    assert (
        [f.severity for f in found] == [WARNING] and "'Risks'" in found[0].rule and "Costs and savings" in found[0].rule
    )


def test_referable_ids_cover_the_patterns():
    ctx = load_context(DEFAULT_DATA, "2013-14-Q4")
    ids = referable_ids(ctx.tables, ctx.pack.programme)
    assert {"costs.total_to_date", "service.issc1.volume", "thresholds.mi_late_days"} <= set(ids)
    assert "estimates.implementation_cost.whole_strategy.high" in ids
    assert "recommendations.by_source.pac_2012.total" in ids


def test_every_referable_id_renders_as_a_registered_figure_or_says_it_is_not_available():
    ctx = load_context(DEFAULT_DATA, "2015-16-Q4")
    for figure_id in referable_ids(ctx.tables, ctx.pack.programme):
        out = render(ctx, f"See {{{{{figure_id}}}}}.")
        assert f'href="#fig-{figure_id}"' in out or "no such figure for this period" in out, figure_id
        if "href" in out:
            assert figure_id in ctx.register.entries
    assert "costs.total_to_date" in ctx.register.entries


def test_markdown_is_rendered_as_text():
    ctx = load_context(DEFAULT_DATA, "2013-14-Q4")
    out = render(
        ctx,
        "<img src=x onerror=alert(1)> ![p](https://e.org/p.png) [x](javascript:alert(1)) [y](http://e.org) "
        "[z](https://e.org/a?b=1&c=2) **{{costs.central_programme_to_date}}**\n\n# Title",
    )
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert 'href="javascript' not in out and 'href="http://' not in out
    assert 'href="https://e.org/a?b=1&amp;c=2"' in out
    assert '<strong><a class="figure-ref" href="#fig-costs.central_programme_to_date">£9.8 million</a></strong>' in out
    assert "<h4>Title</h4>" in out


def test_a_changed_commentary_reruns_that_period_only(tmp_path):
    code = code_snapshot(tmp_path / "code")
    pack = write_pack(tmp_path / "pack", extra_files={"commentary.md": "## P1\n\n### Summary\n\nFirst words.\n"})
    out = tmp_path / "out"
    first = cli(code, *run_args(pack, out, "--all"), timeout=600)
    assert first.returncode == 0, first.stderr
    (pack / "commentary.md").write_text("## P1\n\n### Summary\n\nSecond words.\n", encoding="utf-8")
    second = cli(code, *run_args(pack, out, "--all"), timeout=600)
    assert second.returncode == 0, second.stderr
    executed = units_logged(second.stderr + second.stdout, "executed")
    assert executed and {period for period, _ in executed} == {"P1"}
    assert "Second words." in (out / "ngss" / "P1" / "report.html").read_text(encoding="utf-8")
