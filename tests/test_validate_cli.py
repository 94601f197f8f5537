"""``pipeline.py validate``: exit status 0/2, findings grouped by file, JSON for machines, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from packbuilder import PROGRAMME_YAML, write_pack

from audit_pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent

THREE_ERRORS = {
    ("costs", 0, "amount_gbp_m"): "9.8m",
    ("costs", 2, "period_id"): "P9",
    ("bodies", 1, "customers"): "-5",
}


def test_valid_pack_exits_0(pack_dir, capsys):
    write_pack(pack_dir)
    assert main(["validate", "--data", str(pack_dir)]) == 0
    out = capsys.readouterr().out
    assert "valid (0 error(s), 0 warning(s))" in out
    assert "INVALID" not in out


def test_warnings_alone_exit_0_and_are_listed(pack_dir, capsys):
    write_pack(pack_dir, extra_columns={"costs": {"Notes": ["a", "b", "c"]}})
    assert main(["validate", "--data", str(pack_dir)]) == 0
    out = capsys.readouterr().out
    assert "costs.csv\n  WARNING line 1, column Notes: unknown column" in out
    assert "valid (0 error(s), 1 warning(s))" in out


def test_invalid_pack_exits_2_with_findings_grouped_by_file(pack_dir, capsys):
    write_pack(pack_dir, cells=THREE_ERRORS)
    assert main(["validate", "--data", str(pack_dir)]) == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "bodies.csv"
    assert lines[1].startswith("  ERROR   line 3, column customers: must be at least 0: value '-5'")
    assert lines[2] == "costs.csv"
    assert lines[3].startswith("  ERROR   line 2, column amount_gbp_m: not an amount in £ million")
    assert lines[3].endswith("value '9.8m'")
    assert lines[4] == "  ERROR   line 4, column period_id: must be a period_id listed in periods.csv: value 'P9'"
    assert lines[-1] == f"Data pack {pack_dir}: INVALID (3 error(s), 0 warning(s))."
    assert lines.count("costs.csv") == 1
    assert "Traceback" not in captured.out + captured.err


def test_json_format(pack_dir, capsys):
    write_pack(pack_dir, cells=THREE_ERRORS, extra_columns={"savings": {"x": ["1", "2", "3"]}})
    assert main(["validate", "--data", str(pack_dir), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["data"] == str(pack_dir)
    assert {(f["severity"], f["file"], f["line"], f["column"], f["value"]) for f in report["findings"]} == {
        ("error", "bodies.csv", 3, "customers", "-5"),
        ("error", "costs.csv", 2, "amount_gbp_m", "9.8m"),
        ("error", "costs.csv", 4, "period_id", "P9"),
        ("warning", "savings.csv", 1, "x", None),
    }
    assert all(f["rule"] for f in report["findings"])


def test_json_format_for_a_valid_pack(pack_dir, capsys):
    write_pack(pack_dir)
    assert main(["validate", "--data", str(pack_dir), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"data": str(pack_dir), "valid": True, "findings": []}


def test_json_keeps_pound_sign_and_markup_as_text(pack_dir, capsys):
    write_pack(pack_dir, cells={("costs", 0, "amount_gbp_m"): "£<b>9</b>"})
    assert main(["validate", "--data", str(pack_dir), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert [f["value"] for f in report["findings"]] == ["£<b>9</b>"]


def test_nonexistent_folder_exits_2_with_a_clear_message(tmp_path, capsys):
    missing = tmp_path / "no-such-pack"
    assert main(["validate", "--data", str(missing)]) == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert f"{missing}" in text
    assert "is not a folder" in text
    assert "Traceback" not in text


def test_a_file_instead_of_a_folder_exits_2(tmp_path, capsys):
    path = tmp_path / "costs.csv"
    path.write_text("a,b\n", encoding="utf-8")
    assert main(["validate", "--data", str(path), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["findings"][0]["rule"].startswith("is not a folder")


def test_unknown_format_is_a_usage_error(pack_dir, capsys):
    write_pack(pack_dir)
    assert main(["validate", "--data", str(pack_dir), "--format", "xml"]) == 2
    captured = capsys.readouterr()
    assert "xml" in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_unsafe_yaml_is_reported_not_run(pack_dir, tmp_path, capsys):
    marker = tmp_path / "pwned"
    write_pack(
        pack_dir, programme=PROGRAMME_YAML + f'description: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    assert main(["validate", "--data", str(pack_dir)]) == 2
    out = capsys.readouterr().out
    assert not marker.exists()
    assert "programme.yaml\n  ERROR   line 8: is not safe, plain YAML" in out


def test_real_command_line(pack_dir):
    write_pack(pack_dir, cells=THREE_ERRORS)
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "validate", "--data", str(pack_dir)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 2, result.stderr
    assert "costs.csv\n  ERROR   line 2, column amount_gbp_m" in result.stdout
    assert "INVALID (3 error(s)" in result.stdout
    assert "Traceback" not in result.stderr


def _entry_in_a_process(argv: list[str], teardown: str) -> subprocess.CompletedProcess:
    """Run ``entry()`` in a fresh interpreter after arranging ``teardown`` to happen at its exit."""
    script = (
        "import atexit, os, signal, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from audit_pipeline.cli import entry\n"
        f"{teardown}\n"
        f"sys.argv = ['pipeline.py', *{argv!r}]\n"
        "entry()\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_a_finished_command_is_not_undone_by_an_abort_in_interpreter_teardown(pack_dir):
    """pyarrow's and DuckDB's thread pools can abort while the interpreter tears down (apache/arrow#34314):
    the work is done and printed, yet the process dies with SIGABRT (-6). ``entry`` ends the process
    once the command's output is flushed, so no teardown runs; here an abort at exit stands in for it."""
    write_pack(pack_dir)
    abort_at_exit = "atexit.register(lambda: os.kill(os.getpid(), signal.SIGABRT))"
    done = _entry_in_a_process(["validate", "--data", str(pack_dir), "--format", "json"], abort_at_exit)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] is True  # all of the output arrived, flushed before the end
    bad = _entry_in_a_process(["validate", "--data", str(pack_dir / "missing")], abort_at_exit)
    assert bad.returncode == 2 and "is not a folder" in bad.stdout
    # and the stand-in does abort a process that exits the ordinary way
    plain = subprocess.run([sys.executable, "-c", f"import atexit, os, signal\n{abort_at_exit}"], timeout=60)
    assert plain.returncode == -6
