"""Sign-off bound to bytes: who cleared which report, recorded beside it in ``signoff.json``.

``pipeline.py signoff PERIOD_DIR --name NAME --role preparer|reviewer|approver [--note TEXT]``
appends a record (name, role, UTC time, note, and the SHA-256 of report.html, report.pdf and
metrics.json as they are now) to ``<period>/signoff.json``. That file is not part of the
report: ``verify`` and republication ignore it.

Status: *Cleared* when an approver's record names the current bytes of all three files,
*Draft* otherwise. A republication with different content moves the whole folder, this file
with it, into history: its sign-offs are void there and the new version starts as Draft.

Design choice on the circularity (a sign-off comes after the bytes it signs): the report and
its PDF running header state the status *at publication*, which is always Draft, and never
change afterwards, so the signed bytes stay the published bytes. Clearance is recorded
beside them: this file, the programme index and ``pipeline.py list``.

This is an audit trail, not a signature: anyone who can write to the folder can add or edit
a record. It binds a name to bytes by their hashes; identity is the business of whoever
controls write access to the reports folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from audit_pipeline.errors import UsageError

ROLES = ("preparer", "reviewer", "approver")
SIGNED_FILES = ("report.html", "report.pdf", "metrics.json")
SIGNOFF = "signoff.json"
NOTICE = "An audit trail of who signed which bytes (SHA-256); not a cryptographic signature."


def file_hashes(folder: Path) -> dict[str, str | None]:
    """SHA-256 of the signed files as they are now (``None`` for one that is absent, e.g. no PDF)."""
    hashes: dict[str, str | None] = {}
    for name in SIGNED_FILES:
        path = folder / name
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return hashes


def records(folder: Path) -> list[dict]:
    """The sign-off records of a period folder, oldest first (none when there is no signoff.json)."""
    try:
        data = json.loads((folder / SIGNOFF).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder / SIGNOFF}: not readable as JSON ({exc})") from None
    return list(data.get("records", []))


def current(folder: Path) -> list[dict]:
    """The records that sign the folder's current bytes."""
    now = file_hashes(folder)
    return [r for r in records(folder) if r.get("sha256") == now]


def status(folder: Path) -> str:
    """``Cleared`` when an approver has signed the current bytes, else ``Draft``."""
    try:
        signed = current(folder)
    except UsageError:
        return "Draft"
    return "Cleared" if any(r.get("role") == "approver" for r in signed) else "Draft"


def check_period_folder(folder: Path) -> Path:
    """The folder, resolved, when it is a current published period folder; else a ``UsageError``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    if not (folder / "manifest.json").is_file() or not (folder / "report.html").is_file():
        raise UsageError(f"{folder}: not a published period folder (no manifest.json and report.html)")
    folder = folder.resolve()
    if folder.parent.parent.name == "history":
        raise UsageError(f"{folder}: a superseded version kept in history; only the current version can be signed")
    return folder


def sign(folder: Path, name: str, role: str, note: str | None = None, now: datetime | None = None) -> dict:
    """Append a sign-off of the folder's current bytes; return the record.

    Holds the programme folder's run lock, so the bytes cannot be republished while they are
    hashed and the record written."""
    from audit_pipeline.run.lock import run_lock

    folder = check_period_folder(folder)
    if role not in ROLES:
        raise UsageError(f"--role takes {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise UsageError("--name must not be empty")
    with run_lock(folder.parent):
        existing = records(folder)
        record = {
            "name": name.strip(),
            "role": role,
            "time": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "note": note or "",
            "sha256": file_hashes(folder),
        }
        data = {"period_id": folder.name, "notice": NOTICE, "records": [*existing, record]}
        temporary = folder.parent / f".{folder.name}-{SIGNOFF}.{os.getpid()}.tmp"  # swept if left behind
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        temporary.replace(folder / SIGNOFF)
    return record
