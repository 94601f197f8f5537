"""`pipeline.py verify`: re-execute a published period from its manifest and compare byte for byte.

1. The pack: every input the period read (its rows of a table keyed by period, or a whole
   file's SHA-256, as the manifest lists them) is checked against the manifest first. When
   one changed, the changed, added and removed inputs are named and nothing is run. A change
   the period never read (a later period's rows, a file no section reads) is not a change to
   this report.
2. The environment: a code revision, package code, Python or package version, or section
   notebook that differs from the manifest is said before comparing (the result may still
   reproduce, or the difference may explain why it does not).
3. The period is run again into a temporary folder with the same notebooks, parameters and
   formats, ``--force`` and an empty unit cache (cached units are never reused: the point is an
   independent reproduction; the validated-pack cache, keyed on the files' hashes, is). The
   version block of the manifest (sequence, superseded version, changes) is history, not a
   result, so it is given to the rebuild as recorded.
4. Every published file is compared byte for byte (``signoff.json`` aside); for metrics.json
   and manifest.json each differing value is shown as ``old -> new``.

When the pack is read from another place than the one recorded (``--data``), the path is
part of the notebooks' parameters: the rebuilt notebooks and manifest are compared with the
recorded path put back, and the unit and render keys (hashes over that path) are left out.
Nothing is ever written to the published folder.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path

from audit_pipeline.errors import NotebookExecutionError, UsageError
from audit_pipeline.run import history
from audit_pipeline.settings import NOTEBOOK_DIR

SHOWN = 20  # differing values shown per JSON file


def read_manifest(folder: Path) -> dict:
    """The manifest of a published period folder, or a ``UsageError`` saying why there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"{folder}: not a published period folder (no readable manifest.json)") from None
    if not isinstance(manifest, dict) or "period_id" not in manifest.get("parameters", {}):
        raise UsageError(f"{folder}: not a published period folder (its manifest names no period)")
    return manifest


def pack_differences(manifest: dict, data_dir: Path) -> list[str]:
    """``changed: costs.csv`` lines for every input the period read that differs now from the
    manifest (its rows of the period, or the whole file, as the manifest lists it)."""
    from audit_pipeline.errors import ERROR, DataPackError
    from audit_pipeline.measures.periods import period_of
    from audit_pipeline.pack.cache import load_pack_cached
    from audit_pipeline.run.inputs import period_inputs
    from audit_pipeline.run.keys import SliceCache

    reads = manifest.get("render", {}).get("reads")
    if not isinstance(reads, dict):
        return ["unknown: this report was published by an earlier version, which did not record its reads"]
    try:
        pack = load_pack_cached(data_dir)
        period = period_of(pack.tables["periods"], manifest["parameters"]["period_id"])
    except DataPackError as exc:
        errors = sum(1 for f in exc.findings if f.severity == ERROR)
        return [f"invalid: the pack no longer validates ({errors} error(s); run `pipeline.py validate`)"]
    except UsageError:
        return [f"removed: period {manifest['parameters']['period_id']} is no longer in periods"]
    slices = SliceCache(pack)
    current = period_inputs(pack, period, {name: slices.get(period, name) for name in reads})
    recorded = manifest.get("inputs", {}).get("files", {})
    return [f"{row['change']}: {row['file']}" for row in history.input_changes(recorded, current)]


def environment_differences(manifest: dict, notebook_dir: Path) -> list[str]:
    """How the code, Python, packages and notebooks here differ from those the manifest records."""
    from audit_pipeline.pack.load import file_sha256
    from audit_pipeline.run.provenance import code_revision, package_versions
    from audit_pipeline.settings import code_digest

    notes = []
    if (revision := code_revision()) != manifest.get("code_revision"):
        notes.append(f"code revision: {manifest.get('code_revision')} -> {revision}")
    if (digest := code_digest()) != manifest.get("package_code_sha256"):
        notes.append(f"package code: {manifest.get('package_code_sha256', '')[:12]} -> {digest[:12]}")
    if (python := platform.python_version()) != manifest.get("python"):
        notes.append(f"Python: {manifest.get('python', 'not recorded')} -> {python}")
    versions = package_versions()
    for name, version in sorted(manifest.get("packages", {}).items()):
        if versions.get(name, "not recorded") != version:
            notes.append(f"package {name}: {version} -> {versions.get(name, 'not recorded')}")
    here = {p.name: file_sha256(p) for p in sorted(notebook_dir.glob("[0-9]*.ipynb"))}
    for row in history.input_changes(manifest.get("notebooks", {}), here):
        notes.append(f"notebook {row['file']}: {row['change']} since publication")
    return notes


def _files(folder: Path) -> dict[str, Path]:
    """A period folder's files by relative path, ``signoff.json`` aside (it is not part of the report)."""
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() != history.SIGNOFF
    }


def _put_back_path(data: bytes, actual: str, recorded: str) -> bytes:
    """The pack's path as recorded, where the rebuild wrote the path it was read from."""
    return data.replace(json.dumps(actual)[1:-1].encode(), json.dumps(recorded)[1:-1].encode())


def _without_path_keys(manifest: dict) -> dict:
    """A manifest without the unit and render keys, which hash the pack's path among other things."""
    manifest = json.loads(json.dumps(manifest))
    for unit in manifest.get("units", {}).values():
        unit.pop("key", None)
    manifest.get("render", {}).pop("key", None)
    return manifest


def json_differences(old: bytes, new: bytes) -> list[str]:
    """``figure: old -> new`` for every value that differs between two JSON documents."""
    try:
        changes = history.figure_changes(json.loads(old), json.loads(new))
    except ValueError:
        return ["(not readable as JSON)"]

    def show(value) -> str:
        return "absent" if value is None else json.dumps(value, ensure_ascii=False)

    return [f"{c['figure']}: {show(c['old'])} -> {show(c['new'])}" for c in changes]


def compare(published: Path, rebuilt: Path, actual: str | None = None, recorded: str | None = None) -> tuple[int, list]:
    """Compare two period folders: (identical files, [(name, why, [detail lines])]) over both sets of files.

    With ``actual`` and ``recorded`` pack paths, the rebuild's path is put back first."""
    old, new = _files(published), _files(rebuilt)
    identical, differing = 0, []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            differing.append((name, "published but not rebuilt", []))
            continue
        if name not in old:
            differing.append((name, "rebuilt but not published", []))
            continue
        before, after = old[name].read_bytes(), new[name].read_bytes()
        if actual and recorded and actual != recorded and name.endswith((".json", ".ipynb")):
            after = _put_back_path(after, actual, recorded)
            if name == "manifest.json" and before != after:
                try:
                    if _without_path_keys(json.loads(before)) == _without_path_keys(json.loads(after)):
                        after = before  # equal but for keys that hash the pack's path
                except ValueError:
                    pass
        if before == after:
            identical += 1
            continue
        details = json_differences(before, after) if name.endswith(".json") else []
        differing.append((name, "differs", details))
    return identical, differing


def verify_period(
    folder: Path,
    data_dir: Path | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    say: Callable[[str], None] = print,
    progress_stream=None,
    jobs: int | None = None,
) -> bool:
    """Verify one published period folder (see the module's docstring); ``True`` when it reproduces."""
    from audit_pipeline.run.runner import RunOptions, run

    folder = Path(folder)
    manifest = read_manifest(folder)
    period_id = manifest["parameters"]["period_id"]
    recorded = manifest.get("inputs", {}).get("data_dir", "")
    data = Path(data_dir) if data_dir is not None else Path(recorded)
    if not data.is_dir():
        where = "given with --data" if data_dir is not None else "recorded in the manifest"
        raise UsageError(f"the data pack {where} is not there: {data} (give its place with --data DIR)")
    data = data.resolve()
    say(f"verifying period {period_id}: {folder}")
    changed = pack_differences(manifest, data)
    if changed:
        say(f"the data pack {data} differs from the one this report was built from:")
        for line in changed:
            say(f"  {line}")
        say("not reproduced: the pack changed since publication; nothing was run")
        return False
    say(f"pack: all {len(manifest['inputs']['files'])} inputs the report read match the manifest ({data})")
    for note in environment_differences(manifest, notebook_dir):
        say(f"differs from the manifest: {note}")
    if str(data) != recorded:
        say(f"the pack is read from {data}, not from {recorded}: paths are compared as recorded")
    formats = tuple(manifest.get("render", {}).get("formats") or ("html", "pdf"))
    say(f"re-executing period {period_id} ({', '.join(formats)}) in a temporary folder, with no cached unit")
    with tempfile.TemporaryDirectory(prefix="audit-verify-") as temporary:
        out = Path(temporary)
        from audit_pipeline.pack.cache import load_pack_cached

        programme_dir = out / load_pack_cached(data).programme["programme_id"]
        history.pin(programme_dir, period_id, manifest.get("version"))
        options = RunOptions(
            data_dir=data,
            out_dir=out,
            period_ids=[period_id],
            formats=formats,
            jobs=jobs or os.cpu_count() or 1,
            force=True,
            notebook_dir=notebook_dir,
            progress_stream=progress_stream,
        )
        try:
            run(options)
        except NotebookExecutionError as exc:
            say(f"not reproduced: the re-execution failed: {exc}")
            return False
        identical, differing = compare(folder, programme_dir / period_id, str(data), recorded)
    total = identical + len(differing)
    for name, why, details in differing:
        say(f"{why}: {name}")
        for line in details[:SHOWN]:
            say(f"  {line}")
        if len(details) > SHOWN:
            say(f"  ... and {len(details) - SHOWN} more")
    say(f"{'reproduced' if not differing else 'not reproduced'}: {identical} of {total} files identical")
    return not differing


def period_folders(out_dir: Path) -> list[Path]:
    """Every current published period folder under ``out_dir`` (``<out>/<programme>/<period>``)."""
    if not Path(out_dir).is_dir():
        raise UsageError(f"{out_dir}: no such folder")
    return [
        period
        for programme in sorted(Path(out_dir).iterdir())
        if programme.is_dir() and not programme.name.startswith(".")
        for period in sorted(programme.iterdir())
        if history.is_period_folder(period)
    ]


def verify_all(out_dir: Path, say: Callable[[str], None] = print, **options) -> bool:
    """Verify every published period under ``out_dir``; ``True`` when every one reproduces."""
    folders = period_folders(out_dir)
    if not folders:
        raise UsageError(f"{out_dir}: no published period folder in it")
    failed = [folder for folder in folders if not verify_period(folder, say=say, **options)]
    say(f"{len(folders) - len(failed)} of {len(folders)} periods reproduced")
    for folder in failed:
        say(f"  not reproduced: {folder}")
    return not failed
