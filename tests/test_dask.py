"""Distributed runs: units sent to a Dask cluster give byte-identical reports to local runs.

The cluster is a ``LocalCluster`` of two worker processes with one thread each. Results come
back to the submitting process, which alone writes the unit cache and publishes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_runs import HAND_PACK, PERIODS, ROOT, assert_complete, every_unit, published, units_logged

from audit_pipeline.errors import UsageError
from audit_pipeline.run.runner import RunOptions, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local, client


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dask") / "pack"
    shutil.copytree(HAND_PACK, folder)
    return folder


@pytest.fixture(scope="module")
def local_reference(pack, tmp_path_factory):
    """Every period run locally, three notebooks at a time."""
    out = tmp_path_factory.mktemp("local")
    folders = run(RunOptions(data_dir=pack, out_dir=out, all_periods=True, formats=("html",), jobs=3))
    assert sorted(f.name for f in folders) == list(PERIODS)
    return published(out / "hand")


def test_units_on_the_cluster_publish_what_a_local_run_publishes(cluster, pack, local_reference, tmp_path, capsys):
    _, client = cluster
    folders = run(
        RunOptions(
            data_dir=pack, out_dir=tmp_path, period_ids=["B", "C"], formats=("html",), executor="dask", client=client
        )
    )
    assert sorted(f.name for f in folders) == ["B", "C"]
    log = capsys.readouterr().err
    assert units_logged(log, "executed") == every_unit(["B", "C"])
    assert _units_done_on_cluster(client) == 12
    assert published(tmp_path / "hand") == {p: local_reference[p] for p in ("B", "C")}
    assert client.run(lambda: 1)  # the client still works: the run did not close what it was given


def _units_done_on_cluster(client) -> int:
    """How many ``run_unit`` tasks the cluster has completed so far."""
    counts = client.run_on_scheduler(
        lambda dask_scheduler: dict(getattr(dask_scheduler.task_prefixes.get("run_unit"), "state_counts", {}))
    )
    return counts.get("memory", 0)


def test_command_line_sends_units_to_the_scheduler(cluster, pack, local_reference, tmp_path):
    """`--scheduler ADDRESS` (Dask implied) runs the units on the cluster's workers."""
    local, client = cluster
    before = _units_done_on_cluster(client)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "pipeline.py"),
            "run",
            "--data",
            str(pack),
            "--out",
            str(tmp_path),
            "--period",
            "A",
            "--format",
            "html",
            "--scheduler",
            local.scheduler_address,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert units_logged(result.stderr, "executed") == every_unit(["A"])
    assert _units_done_on_cluster(client) - before == 6
    assert_complete(tmp_path / "hand" / "A")
    assert published(tmp_path / "hand") == {"A": local_reference["A"]}


def test_an_unreachable_scheduler_is_a_usage_error(pack, tmp_path):
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(UsageError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    ):
        run(
            RunOptions(
                data_dir=pack,
                out_dir=tmp_path,
                period_ids=["A"],
                formats=("html",),
                executor="dask",
                scheduler="tcp://127.0.0.1:9",
                force=True,
            )
        )
    assert not (tmp_path / "hand" / "A").exists()


def test_dask_without_a_scheduler_is_a_usage_error(pack, tmp_path):
    with pytest.raises(UsageError, match="--scheduler"):
        run(RunOptions(data_dir=pack, out_dir=tmp_path, formats=("html",), executor="dask"))
