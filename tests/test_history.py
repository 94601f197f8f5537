"""Versions kept: a republished period's previous folder moves whole into history, atomically.

End to end on the hand-computable pack (period A, HTML only) through the command line, and the
publication's kill-safety on real folders: each moment between its renames, then the sweep.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from pipeline_runs import cli, period_a_published, run_args, tree

from audit_pipeline.run import publish

CENTRAL = "A,b1,central_programme,{}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Period A published once, then checked before and after a corrected return."""
    return period_a_published(tmp_path_factory.mktemp("history"))


def correct(pack, old: str, new: str) -> None:
    costs = pack / "costs.csv"
    text = costs.read_text(encoding="utf-8")
    assert text.count(CENTRAL.format(old)) == 1
    costs.write_text(text.replace(CENTRAL.format(old), CENTRAL.format(new)), encoding="utf-8")


@pytest.mark.slow
def test_a_first_version_names_nothing_and_lists_no_changes(site):
    manifest = json.loads((site.period / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == {"sequence": 1, "supersedes": None, "changes": None}
    html = (site.period / "report.html").read_text(encoding="utf-8")
    assert "Changes since the previous version" not in html
    assert "Status at publication: Draft · version 1" in html


@pytest.mark.slow
def test_an_unchanged_rerun_publishes_nothing_and_adds_no_version(site):
    before = tree(site.period)
    inode = site.period.stat().st_ino
    again = cli(site.code, *run_args(site.pack, site.out, "--period", "A"))
    assert again.returncode == 0 and "Nothing to rebuild" in again.stdout
    forced = cli(site.code, *run_args(site.pack, site.out, "--period", "A", "--force", "--jobs", "2"))
    assert forced.returncode == 0, forced.stderr
    assert "A: rebuilt the very bytes published: nothing to publish" in forced.stderr
    assert "Up to date:" in forced.stdout and "Published" not in forced.stdout
    assert tree(site.period) == before and site.period.stat().st_ino == inode
    assert not (site.programme / "history").exists()


@pytest.mark.slow
def test_a_correction_keeps_the_old_version_whole_and_lists_the_changes(site):
    old = tree(site.period)
    old_version = f"0001-{hashlib.sha256(old['report.html']).hexdigest()[:12]}"
    correct(site.pack, "1.1", "1.3")
    result = cli(site.code, *run_args(site.pack, site.out, "--period", "A", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    kept = site.programme / "history" / "A" / old_version
    assert tree(kept) == old  # moved whole, byte for byte
    manifest = json.loads((site.period / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"]["sequence"] == 2 and manifest["version"]["supersedes"] == old_version
    assert manifest["version"]["changes"] == {
        "figures": [{"figure": "costs.central_programme_to_date_gbp_m", "old": 1.1, "new": 1.3}],
        "inputs": [{"file": "costs.csv", "change": "changed"}],
    }
    html = (site.period / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="changes"') :]
    section = section[: section.index("</section>")]
    assert "Changes since the previous version" in section and old_version in section
    assert "costs.central_programme_to_date_gbp_m</th><td>1.1</td><td>1.3</td>" in section
    assert '<th scope="row">costs.csv</th><td>changed</td>' in section
    assert '<a href="#changes">Changes since the previous version</a>' in html  # in the contents
    assert "Status at publication: Draft · version 2" in html

    # A second correction: version 3 supersedes version 2, whose changes it no longer repeats.
    second = f"0002-{hashlib.sha256((site.period / 'report.html').read_bytes()).hexdigest()[:12]}"
    correct(site.pack, "1.3", "1.4")
    result = cli(site.code, *run_args(site.pack, site.out, "--period", "A", "--jobs", "2"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (site.programme / "history" / "A").iterdir()) == [old_version, second]
    version = json.loads((site.period / "manifest.json").read_text(encoding="utf-8"))["version"]
    assert version["sequence"] == 3 and version["supersedes"] == second
    assert version["changes"]["figures"] == [
        {"figure": "costs.central_programme_to_date_gbp_m", "old": 1.3, "new": 1.4}
    ]

    listing = cli(site.code, "list", "--data", str(site.pack), "--out", str(site.out), "--history")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("A "))
    assert "Draft" in lines[start]
    assert old_version in lines[start + 1] and "superseded" in lines[start + 1] and "published 20" in lines[start + 1]
    assert second in lines[start + 2] and "superseded" in lines[start + 2]
    assert "current" in lines[start + 3] and lines[start + 3].strip().startswith("0003-")
    rows = json.loads(
        cli(site.code, "list", "--data", str(site.pack), "--out", str(site.out), "--history", "--format", "json").stdout
    )
    versions = next(r for r in rows if r["period_id"] == "A")["versions"]
    assert [v["version"][:4] for v in versions] == ["0001", "0002", "0003"]
    assert [v["current"] for v in versions] == [False, False, True]
    assert all(v["published"].endswith("UTC") for v in versions)
    index = (site.programme / "index.html").read_text(encoding="utf-8")
    assert "2 earlier in <code>history/A/</code>; 1 key figure changed" in index


def test_history_is_not_a_period_and_a_period_cannot_be_mistaken_for_it(tmp_path):
    from audit_pipeline.run import history

    (tmp_path / "history" / "A" / "0001-abcdefabcdef").mkdir(parents=True)
    (tmp_path / "history" / "manifest.json").write_text("{}", encoding="utf-8")
    assert not history.is_period_folder(tmp_path / "history")
    assert history.versions(tmp_path, "A")[0]["version"] == "0001-abcdefabcdef"


def _folder(path, text: str):
    path.mkdir(parents=True, exist_ok=True)  # staging_dir() makes its folder
    (path / "report.html").write_text(text, encoding="utf-8")
    (path / "manifest.json").write_text(json.dumps({"version": {"sequence": 1}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("killed_after", ["rename to outgoing", "exchange"])
def test_a_publication_killed_between_its_renames_is_finished_by_the_next_sweep(tmp_path, killed_after):
    """The steps of ``publish`` done one by one, stopping where a kill could: the next run's sweep
    leaves the old state (before the swap) or the new one with the old kept in history (after)."""
    programme = tmp_path / "hand"
    final = _folder(programme / "A", "old")
    staging = _folder(publish.staging_dir(final), "new")
    version = f"0001-{hashlib.sha256(b'old').hexdigest()[:12]}"
    outgoing = programme / f"{publish.OUTGOING_PREFIX}A-{final.stat().st_ino}-{version}"
    os.rename(staging, outgoing)
    if killed_after == "exchange":
        publish.exchange(outgoing, final)
    assert (final / "report.html").exists()  # never is the period missing
    publish.sweep(programme)
    assert not [p for p in programme.iterdir() if p.name.startswith(".")]
    kept = programme / "history" / "A" / version
    if killed_after == "exchange":
        assert (final / "report.html").read_text() == "new" and (kept / "report.html").read_text() == "old"
    else:
        assert (final / "report.html").read_text() == "old" and not kept.exists()


def test_publish_keeps_the_replaced_folder_and_skips_identical_bytes(tmp_path):
    programme = tmp_path / "hand"
    final = _folder(programme / "A", "old")
    (final / "signoff.json").write_text("{}", encoding="utf-8")
    same = _folder(publish.staging_dir(final), "old")
    assert publish.publish(same, final) is False and not same.exists()
    assert (final / "signoff.json").exists()
    new = _folder(publish.staging_dir(final), "new")
    assert publish.publish(new, final) is True
    kept = programme / "history" / "A" / f"0001-{hashlib.sha256(b'old').hexdigest()[:12]}"
    assert (kept / "report.html").read_text() == "old" and (kept / "signoff.json").exists()
    assert (final / "report.html").read_text() == "new" and not (final / "signoff.json").exists()


def test_input_changes_compare_what_was_read_and_its_digest():
    from audit_pipeline.run.history import input_changes

    whole = {"read": "whole file", "digest": "a" * 64}
    rows = {"read": "rows of periods up to B, and forecast rows", "digest": "b" * 64}
    old = {"bodies.csv": "a" * 64, "costs.csv": "c" * 64, "kpis.csv": whole}  # bodies, costs: an older manifest
    new = {"bodies.csv": whole, "costs.csv": rows, "savings.csv": rows}
    assert input_changes(old, new) == [
        {"file": "costs.csv", "change": "changed"},  # the file's hash then, its rows' digest now: not comparable
        {"file": "kpis.csv", "change": "removed"},
        {"file": "savings.csv", "change": "added"},
    ]  # bodies.csv: the same whole file, whichever way it was written
    assert input_changes(new, {**new, "costs.csv": {**rows, "digest": "d" * 64}}) == [
        {"file": "costs.csv", "change": "changed"}
    ]
