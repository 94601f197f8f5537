"""Users' mistakes and the machine's failures end in one clear line and the right exit status, never
a traceback (unless ``--debug`` asks for one), and never change what was published."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from packbuilder import COLUMNS, write_pack

ROOT = Path(__file__).resolve().parent.parent
HAND = ROOT / "tests" / "fixtures" / "hand_pack"


def pipeline(*args: str, cache: Path | None = None, timeout: int = 300) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache is not None:
        env["AUDIT_PIPELINE_CACHE"] = str(cache)
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), *args], capture_output=True, text=True, timeout=timeout, env=env
    )
    return result.returncode, result.stdout + result.stderr


def assert_clean(output: str) -> None:
    assert "Traceback" not in output, output
    assert "Exception ignored" not in output, output


@pytest.mark.parametrize("command", ["run", "list"])
def test_missing_data_folder(tmp_path, command):
    status, output = pipeline(command, "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert status == 2
    assert "--data" in output and "no such folder" in output
    assert_clean(output)


@pytest.mark.parametrize("command", ["run", "list"])
def test_data_that_is_a_file(tmp_path, command):
    (tmp_path / "pack.csv").write_text("x\n")
    status, output = pipeline(command, "--data", str(tmp_path / "pack.csv"), "--out", str(tmp_path / "out"))
    assert status == 2
    assert "is a file, not a data pack folder" in output
    assert_clean(output)


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "out").write_text("x\n")
    status, output = pipeline("run", "--data", str(HAND), "--out", str(tmp_path / "out" / "reports"))
    assert status == 2
    assert "is a file, not a folder" in output
    assert_clean(output)


def test_debug_shows_the_traceback(tmp_path):
    status, output = pipeline("--debug", "run", "--data", str(tmp_path / "nowhere"))
    assert status == 2
    assert "Traceback" in output and "no such folder" in output


def _mount_tmpfs(path: Path, options: str) -> None:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True, capture_output=True)


@pytest.fixture
def mounts():
    """Mount points made by a test, unmounted afterwards (a full or read-only disk needs a real file system:
    the test suite runs as root, as make test and CI do)."""
    made: list[Path] = []
    yield made
    for path in made:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_read_only_out(tmp_path, mounts):
    out = tmp_path / "ro"
    _mount_tmpfs(out, "ro,size=1m")
    mounts.append(out)
    status, output = pipeline("run", "--data", str(HAND), "--out", str(out), "--format", "html", cache=tmp_path / "c")
    assert status == 1, output
    assert "read-only" in output and "nothing was published" in output
    assert_clean(output)


def test_full_disk_keeps_the_published_report(tmp_path, mounts):
    out = tmp_path / "out"
    _mount_tmpfs(out, "size=32m")
    mounts.append(out)
    args = ("run", "--data", str(HAND), "--out", str(out), "--format", "html", "--period", "A")
    status, output = pipeline(*args, cache=tmp_path / "c")
    assert status == 0, output
    before = _snapshot(out / "hand" / "A")
    with (out / "filler").open("wb", buffering=0) as handle:  # fill the disk to the last block
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    status, output = pipeline(*args, "--force", cache=tmp_path / "c")
    assert status == 1, output
    assert "the disk is full" in output
    assert_clean(output)
    assert _snapshot(out / "hand" / "A") == before


def test_parquet_column_of_lists(tmp_path):
    pack = write_pack(tmp_path / "pack", drop_files={"transactions"})
    table = pa.table({c: ([["a", "b"]] if c == "transaction_id" else ["x"]) for c in COLUMNS["transactions"]})
    pq.write_table(table, pack / "transactions.parquet")
    status, output = pipeline("validate", "--data", str(pack))
    assert status == 2
    assert "column transaction_id: column holds list<" in output
    assert_clean(output)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({("costs", 0, "amount_gbp_m"): "1e308"}, "not an amount in £ million"),
        ({("costs", 0, "amount_gbp_m"): "2000000000"}, "more than the limit of 1,000,000,000"),
        ({("periods", 0, "period_id"): "failed"}, "is a name the tool reserves"),
        ({("periods", 0, "period_id"): "History"}, "is a name the tool reserves"),
        ({("periods", 0, "period_id"): "index.html"}, "is a name the tool reserves"),
    ],
)
def test_values_refused(tmp_path, cells, expected):
    pack = write_pack(tmp_path / "pack", cells=cells)
    status, output = pipeline("validate", "--data", str(pack))
    assert status == 2, output
    assert expected in output
    assert_clean(output)


def test_period_ids_that_differ_only_by_case(tmp_path):
    extra = {"period_id": "p1", "label": "2013-14 Q3", "start_date": "2013-10-01", "end_date": "2013-12-31"}
    pack = write_pack(tmp_path / "pack", add_rows={"periods": [extra]})
    status, output = pipeline("validate", "--data", str(pack))
    assert status == 2, output
    assert "line 4, column period_id: differs from another period_id only by case" in output
    assert_clean(output)
