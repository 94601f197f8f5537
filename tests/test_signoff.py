"""Sign-off bound to bytes: records in signoff.json, Draft until an approver signs the current bytes,
Cleared after, voided by a republication with different content (moved to history with its version).

End to end on the hand-computable pack (period A, HTML only) through the command line.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from pipeline_runs import cli, period_a_published, run_args

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return period_a_published(tmp_path_factory.mktemp("signoff"))


def status(site) -> str:
    result = cli(site.code, "list", "--data", str(site.pack), "--out", str(site.out), "--format", "json")
    assert result.returncode == 0, result.stderr
    return next(r for r in json.loads(result.stdout) if r["period_id"] == "A")["status"]


def sha(path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_sign_offs_clear_the_report_and_a_republication_voids_them(site):
    assert status(site) == "Draft" and not (site.period / "signoff.json").exists()
    report = site.period / "report.html"
    before = report.read_bytes()

    prepared = cli(site.code, "signoff", str(site.period), "--name", "Pat Preparer", "--role", "preparer")
    assert prepared.returncode == 0, prepared.stderr
    assert "Status: Draft" in prepared.stdout and status(site) == "Draft"  # only an approver clears
    approved = cli(
        site.code, "signoff", str(site.period), "--name", "Alex Approver", "--role", "approver", "--note", "Agreed."
    )
    assert approved.returncode == 0, approved.stderr
    assert "Status: Cleared" in approved.stdout and status(site) == "Cleared"
    assert report.read_bytes() == before  # the signed bytes are the published bytes
    assert "Status at publication: Draft" in before.decode()

    trail = json.loads((site.period / "signoff.json").read_text(encoding="utf-8"))
    assert "not a cryptographic signature" in trail["notice"]
    assert [(r["name"], r["role"], r["note"]) for r in trail["records"]] == [
        ("Pat Preparer", "preparer", ""),
        ("Alex Approver", "approver", "Agreed."),
    ]
    for record in trail["records"]:
        assert record["time"].endswith("Z") and record["time"][:2] == "20"
        assert record["sha256"] == {
            "report.html": sha(report),
            "report.pdf": None,  # published as HTML only
            "metrics.json": sha(site.period / "metrics.json"),
        }
    index = (site.programme / "index.html").read_text(encoding="utf-8")
    assert "<td><strong>Cleared</strong></td>" in index
    listing = cli(site.code, "list", "--data", str(site.pack), "--out", str(site.out))
    assert "Cleared" in next(line for line in listing.stdout.splitlines() if line.startswith("A "))

    # verify ignores signoff.json: the folder still reproduces
    verified = cli(site.code, "verify", str(site.period))
    assert verified.returncode == 0 and "reproduced: 11 of 11 files identical" in verified.stdout, verified.stdout

    # A correction republishes A: the sign-offs go to history with the version they signed.
    kept = site.programme / "history" / "A" / f"0001-{hashlib.sha256(before).hexdigest()[:12]}"
    costs = site.pack / "costs.csv"
    costs.write_text(
        costs.read_text(encoding="utf-8").replace("A,b1,central_programme,1.1", "A,b1,central_programme,1.2"),
        encoding="utf-8",
    )
    result = cli(site.code, *run_args(site.pack, site.out, "--period", "A", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    assert json.loads((kept / "signoff.json").read_text(encoding="utf-8")) == trail
    assert not (site.period / "signoff.json").exists()
    assert status(site) == "Draft"
    assert "<td><strong>Draft</strong></td>" in (site.programme / "index.html").read_text(encoding="utf-8")
    history = cli(site.code, "list", "--data", str(site.pack), "--out", str(site.out), "--history")
    assert "Superseded (was Cleared)" in history.stdout

    # Only the current version can be signed.
    old = cli(site.code, "signoff", str(kept), "--name", "Alex Approver", "--role", "approver")
    assert old.returncode == 2 and "only the current version can be signed" in old.stderr


def test_an_approval_of_other_bytes_does_not_clear(site, tmp_path):
    """Bytes edited after an approval are Draft again: the record names the bytes it signed."""
    import shutil

    copy = tmp_path / "hand" / "A"
    shutil.copytree(site.period, copy)
    signed = cli(site.code, "signoff", str(copy), "--name", "Alex Approver", "--role", "approver")
    assert signed.returncode == 0 and "Status: Cleared" in signed.stdout, signed.stderr
    from audit_pipeline.run import signoff

    assert signoff.status(copy) == "Cleared"
    (copy / "metrics.json").write_text((copy / "metrics.json").read_text() + " ", encoding="utf-8")
    assert signoff.status(copy) == "Draft"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["signoff", "{period}", "--name", "X", "--role", "boss"], "Invalid value for '--role'"),
        (["signoff", "{period}", "--name", " ", "--role", "reviewer"], "--name must not be empty"),
        (["signoff", "{base}", "--name", "X", "--role", "reviewer"], "not a published period folder"),
        (["signoff", "no/such", "--name", "X", "--role", "reviewer"], "no such folder"),
    ],
)
def test_bad_sign_offs_exit_2(site, args, message):
    result = cli(site.code, *[a.format(period=site.period, base=site.base) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
