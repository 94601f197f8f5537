"""A hostile corpus for ``validate``: each case is a valid pack with one hostile change.

Every case runs the real command in a child process under a memory limit and a
time limit (generous: they guard against unbounded work, not speed) and asserts
exit status 2, a located message naming the cause, no traceback, and nothing
raw from the file (escape codes) echoed to the terminal.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from packbuilder import PROGRAMME_YAML, write_pack

ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 3 * 1024**3  # bytes of address space the child may take
TIME_LIMIT = 60  # seconds


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def validate(pack: Path) -> tuple[int, str, float]:
    """Exit status, everything printed, and seconds taken by ``pipeline.py validate``."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "pipeline.py"), "validate", "--data", str(pack)],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limit_memory,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def _programme(pack: Path, text: str) -> None:
    (pack / "programme.yaml").write_text(text, encoding="utf-8")


def _xlsx_with(pack: Path, table: str, edit) -> None:
    """Write ``table`` as XLSX, then let ``edit(sheet_xml) -> sheet_xml`` change its first sheet's XML."""
    write_pack(pack, formats={table: "xlsx"})
    (pack / f"{table}.csv").unlink(missing_ok=True)
    path = pack / f"{table}.xlsx"
    with zipfile.ZipFile(path) as book:
        entries = {info.filename: book.read(info) for info in book.infolist()}
    sheet = next(name for name in entries if name.startswith("xl/worksheets/sheet"))
    entries[sheet] = edit(entries[sheet])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in entries.items():
            book.writestr(name, data)


def _formula_without_value(xml: bytes) -> bytes:
    # Row 2, column D of bodies is planned_onboard_date: a formula whose result was never saved.
    import re

    return re.sub(rb'<c r="D2"([^>]*)>.*?</c>', rb'<c r="D2"><f>DATE(2014,1,1)</f></c>', xml, count=1, flags=re.S)


def _merged(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>')


def _huge_dimension(xml: bytes) -> bytes:
    import re

    return re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', xml, count=1)


def _zip_bomb(pack: Path) -> None:
    write_pack(pack, formats={"centres": "xlsx"})
    (pack / "centres.csv").unlink(missing_ok=True)
    path = pack / "centres.xlsx"
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))


def _fifo(pack: Path) -> None:
    write_pack(pack, drop_files={"centres"})
    os.mkfifo(pack / "centres.csv")


def _link_outside(pack: Path) -> None:
    write_pack(pack, drop_files={"centres"})
    secret = pack.parent / "secret.csv"
    secret.write_text("centre_id,name\nTOP-SECRET-LINE,x\n", encoding="utf-8")
    (pack / "centres.csv").symlink_to(secret)


def _dev_zero(pack: Path) -> None:
    write_pack(pack)
    (pack / "programme.yaml").unlink()
    (pack / "programme.yaml").symlink_to("/dev/zero")


def _billion_laughs(pack: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    _programme(pack, PROGRAMME_YAML.replace("name: Next Generation Shared Services", "name: *a8") + "\n".join(lines))


def _deep_yaml(pack: Path) -> None:
    _programme(pack, PROGRAMME_YAML + "description: " + "[" * 500 + "]" * 500 + "\n")


def _big_cell(pack: Path) -> None:
    write_pack(pack, cells={("centres", 0, "name"): "x" * (50 * 1024 * 1024)})


def _escape_in_header(pack: Path) -> None:
    write_pack(pack, extra_columns={"costs": {"\x1b[31mRED\x1b[0m": ["a", "b", "c"]}})


def _escape_in_cell(pack: Path) -> None:
    write_pack(pack, cells={("centres", 0, "name"): "Centre\x1b]0;pwned\x07"})


def _nul_in_cell(pack: Path) -> None:
    write_pack(pack, cells={("centres", 0, "name"): "Cen\x00tre"})


def _register_marks(pack: Path) -> None:
    write_pack(pack, cells={("centres", 0, "name"): "Centre \ue000costs.total\ue001£1 billion\ue002"})


def _utf16(pack: Path) -> None:
    write_pack(pack)
    text = (pack / "centres.csv").read_text(encoding="utf-8")
    (pack / "centres.csv").write_bytes(text.encode("utf-16"))


def _escape_file_name(pack: Path) -> None:
    write_pack(pack, cells={("costs", 0, "amount_gbp_m"): "9.8m"})
    (pack / "notes\x1b[2J.csv").write_text("x\n", encoding="utf-8")


def _threshold(value: str, key: str = "onboarding_slip_days_red"):
    """A maker that sets one threshold (replacing it where the default programme.yaml has it)."""

    def make(pack: Path) -> None:
        if f"{key}:" in PROGRAMME_YAML:
            _programme(pack, PROGRAMME_YAML.replace(f"{key}: 180", f"{key}: {value}"))
        else:
            _programme(pack, PROGRAMME_YAML + f"  {key}: {value}\n")

    return make


def _share_order(pack: Path) -> None:
    _programme(
        pack,
        PROGRAMME_YAML + "  recommendations_overdue_share_amber: 0.6\n  recommendations_overdue_share_red: 0.4\n",
    )


def _many_columns(pack: Path) -> None:
    write_pack(pack, extra_columns={"centres": {f"c{i}": ["1", "2"] for i in range(300)}})


def _huge_file(pack: Path) -> None:
    write_pack(pack)
    with (pack / "costs.csv").open("ab") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: a 300 MiB file that takes no disk


CASES = {
    "xlsx formula with no saved value": (
        lambda p: _xlsx_with(p, "bodies", _formula_without_value),
        "cell D2 holds a formula with no saved value",
    ),
    "xlsx merged cells": (lambda p: _xlsx_with(p, "bodies", _merged), "merged cells (B2:B3)"),
    "xlsx declared dimension XFD1048576": (
        lambda p: _xlsx_with(p, "bodies", _huge_dimension),
        "declares the range A1:XFD1048576",
    ),
    "xlsx zip bomb": (_zip_bomb, "inflates"),
    "FIFO named centres.csv": (_fifo, "is not a regular file"),
    "link to a file outside the pack": (_link_outside, "is a link to something outside the data pack"),
    "programme.yaml linked to /dev/zero": (_dev_zero, "is a link to something outside"),
    "YAML alias expansion": (_billion_laughs, "anchors and aliases (& and *) are not allowed"),
    "YAML nested 500 deep": (_deep_yaml, "nested more than 20 levels deep"),
    "50 MB cell": (_big_cell, "column name: cell has 52,428,800 characters"),
    "escape codes in a header name": (_escape_in_header, "\\x1b[31mRED"),
    "escape codes in a cell": (_escape_in_cell, "control or reserved character (U+001B)"),
    "NUL byte in a cell": (_nul_in_cell, "control or reserved character (U+0000)"),
    "UTF-16 file": (_utf16, "is UTF-16 text"),
    "the report's figure marks in a cell": (_register_marks, "reserved character (U+E000)"),
    "escape codes in a file name": (_escape_file_name, "notes\\x1b[2J.csv"),
    "NaN threshold": (_threshold(".nan"), "must be a finite number"),
    "infinite threshold": (_threshold(".inf"), "must be a finite number"),
    "negative threshold": (_threshold("-5"), "must be a finite number"),
    "share threshold above 1": (_threshold("1.5", "recommendations_overdue_share_red"), "(a share)"),
    "amber above red (days)": (_threshold("30"), "onboarding_slip_days_amber must not exceed"),
    "amber above red (shares)": (_share_order, "recommendations_overdue_share_amber must not exceed"),
    "300 columns": (_many_columns, "columns, more than the limit of 200"),
    "table file over its size limit": (_huge_file, "more than the limit of 256 MiB"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_pack_is_refused_clearly(tmp_path, case):
    make, expected = CASES[case]
    pack = tmp_path / "pack"
    pack.mkdir()
    if case not in ("FIFO named centres.csv", "link to a file outside the pack"):
        write_pack(pack)
    make(pack)
    status, output, seconds = validate(pack)
    assert status == 2, output
    assert expected in output, output
    assert "Traceback" not in output
    assert "\x1b" not in output and "\x00" not in output, "raw control characters reached the terminal"
    assert "TOP-SECRET-LINE" not in output, "a file outside the pack was read"
    assert seconds < TIME_LIMIT


def test_limits_leave_the_sample_pack_valid():
    status, output, _ = validate(ROOT / "data" / "ngss")
    assert status == 0, output
