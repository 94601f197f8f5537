"""Read and validate a whole data pack: the pipeline's front door.

``validate_pack`` collects every finding in the pack; ``load_pack`` returns
the typed tables of a valid pack or raises ``DataPackError`` with them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from audit_pipeline.errors import ERROR, WARNING, DataPackError, Finding
from audit_pipeline.pack import rules
from audit_pipeline.pack.commentary import read_commentary, section_headings
from audit_pipeline.pack.contract import COMMENTARY_FILE, TABLES
from audit_pipeline.pack.limits import LIMITS, LimitError, check_size, safe_entry
from audit_pipeline.pack.programme import FILE as PROGRAMME_FILE
from audit_pipeline.pack.programme import read_programme
from audit_pipeline.pack.readers import ReadError, read_table_file
from audit_pipeline.pack.tables import empty_frame, parse_raw
from audit_pipeline.pack.transaction_files import read_transactions
from audit_pipeline.pack.transactions import validate_transactions
from audit_pipeline.settings import NOTEBOOK_DIR

TABLE_SUFFIXES = (".csv", ".xlsx")
IGNORED_FILES = {"readme.md", "readme.txt", ".ds_store", "thumbs.db"}


@dataclass
class Pack:
    """A valid data pack: programme metadata, typed tables, and what was noticed on the way."""

    directory: Path
    programme: dict
    tables: dict[str, pd.DataFrame]
    transactions: pa.Table | None
    files: dict[str, Path]
    findings: list[Finding] = field(default_factory=list)
    commentary: dict = field(default_factory=dict)  # {period_id: {heading: Part}} (pack.commentary)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def periods(self) -> pd.DataFrame:
        """Periods ordered by start date (the order "previous period" and "to date" use)."""
        return self.tables["periods"].sort_values("start_date", kind="stable").reset_index(drop=True)


def discover(directory: Path, findings: list[Finding], duplicated: set[str] | None = None) -> dict[str, Path]:
    """Map each table (and ``programme``) to its one file; note duplicates, unknown and missing files.

    A table given in more than one file, or in a file that must not be read (a link outside the
    pack, a pipe or device, a file over its size limit), is left out of the map (and added to
    ``duplicated``: present, but unread).
    """
    candidates: dict[str, list[Path]] = {}
    refused: set[str] = set()
    for path in sorted(directory.iterdir()):
        name, suffix = path.stem.lower(), path.suffix.lower()
        table = None
        if path.name == PROGRAMME_FILE:
            table = "programme"
        elif path.name == COMMENTARY_FILE:
            table = "commentary"
        elif name in TABLES and (suffix in TABLE_SUFFIXES or (suffix == ".parquet" and TABLES[name].parquet)):
            table = name
        if table is not None:
            reason = safe_entry(directory, path)
            if reason is None:
                reason = _too_large(path, table)
            if reason is not None:
                findings.append(Finding(ERROR, path.name, reason))
                refused.add(table)
                continue
            candidates.setdefault(table, []).append(path)
        elif path.name.lower() not in IGNORED_FILES and not path.name.startswith("."):
            findings.append(Finding(WARNING, path.name, "not a file of the data contract: ignored"))
    files: dict[str, Path] = {}
    for table, paths in candidates.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            findings.append(Finding(ERROR, paths[0].name, f"exactly one file per table is allowed; found {names}"))
            if duplicated is not None:
                duplicated.add(table)
        else:
            files[table] = paths[0]
    if duplicated is not None:
        duplicated.update(refused)  # present but unread, like a table given twice
    if "programme" not in candidates and "programme" not in refused:
        findings.append(Finding(ERROR, PROGRAMME_FILE, "required file is missing from the data pack"))
    for name, spec in TABLES.items():
        if spec.required and name not in candidates and name not in refused:
            findings.append(
                Finding(ERROR, f"{name}.csv", "required file is missing from the data pack (as .csv or .xlsx)")
            )
    return files


def _too_large(path: Path, table: str) -> str | None:
    """Why a contract file is too large to read, from its size alone (``None`` when it is not)."""
    limit = {"programme": LIMITS.programme_bytes, "transactions": LIMITS.transactions_file_bytes}.get(
        table, LIMITS.table_file_bytes
    )
    try:
        check_size(path, limit)
    except LimitError as exc:
        return exc.finding.rule
    return None


def validate_pack(directory: str | Path) -> tuple[Pack | None, list[Finding]]:
    """Check every rule of the contract; return the pack (``None`` if any error) and all findings."""
    directory = Path(directory)
    findings: list[Finding] = []
    if not directory.is_dir():
        return None, [Finding(ERROR, str(directory), "is not a folder: a data pack is one folder of files")]
    duplicated: set[str] = set()
    files = discover(directory, findings, duplicated)
    programme = read_programme(files["programme"], findings) if "programme" in files else None
    # A table given twice is present but unread (None), as is one that cannot be read.
    frames: dict[str, pd.DataFrame | None] = dict.fromkeys(duplicated - {"programme", "transactions"})
    for name in TABLES:
        if name == "transactions" or name not in files:
            continue
        try:
            raw = read_table_file(files[name], findings)
        except ReadError as exc:
            findings.append(exc.finding)
            frames[name] = None
            continue
        frames[name] = parse_raw(raw, TABLES[name], findings)
    file_names = {name: path.name for name, path in files.items()}
    findings.extend(rules.apply_rules(frames, file_names))
    transactions = None
    if "transactions" in files:
        raw_tx, sheet_lines = _read_transactions(files["transactions"], findings)
        if raw_tx is not None:
            centres, bodies = frames.get("centres"), frames.get("bodies")
            first_new = len(findings)
            transactions = validate_transactions(
                raw_tx,
                files["transactions"].name,
                set(centres["centre_id"].dropna()) if centres is not None else None,
                set(bodies["body_id"].dropna()) if bodies is not None else None,
                findings,
            )
            if sheet_lines is not None:
                findings[first_new:] = [_sheet_line(f, sheet_lines) for f in findings[first_new:]]
    commentary = {}
    if "commentary" in files:  # the auditor's commentary (optional): checked against the tables read
        commentary = read_commentary(files["commentary"], findings, frames, programme, section_headings(NOTEBOOK_DIR))
    findings = sort_findings(findings)
    if any(f.severity == ERROR for f in findings) or programme is None:
        return None, findings
    tables = {
        name: frames[name] if frames.get(name) is not None else empty_frame(spec)
        for name, spec in TABLES.items()
        if name != "transactions"
    }
    return Pack(directory, programme, tables, transactions, files, findings, commentary), findings


def _read_transactions(path: Path, findings: list[Finding]) -> tuple[pa.Table | None, list[int] | None]:
    """Transactions as Arrow: CSV and Parquet in bulk; XLSX (at most a sheet) as text cells.

    For XLSX also return the sheet row of each record (blank rows are skipped), so that
    findings can name sheet rows rather than record positions.
    """
    if path.suffix.lower() != ".xlsx":
        return read_transactions(path, findings), None
    try:
        raw = read_table_file(path, findings)
    except ReadError as exc:
        findings.append(exc.finding)
        return None, None
    named = [(i, name) for i, name in enumerate(raw.header) if str(name).strip()]
    arrays = [pa.array([cells[i] for _, cells in raw.rows], type=pa.string()) for i, _ in named]
    return pa.Table.from_arrays(arrays, names=[name for _, name in named]), [line for line, _ in raw.rows]


def _sheet_line(finding: Finding, sheet_lines: list[int]) -> Finding:
    """A finding on record ``n`` (line ``n + 1``) moved to the sheet row that record came from."""

    def row(line: int) -> int:
        return sheet_lines[line - 2] if 2 <= line < len(sheet_lines) + 2 else line

    rule = re.sub(r"(?<=line )(\d+)", lambda m: str(row(int(m[1]))), finding.rule)
    return replace(finding, line=row(finding.line) if finding.line else finding.line, rule=rule)


def load_pack(directory: str | Path) -> Pack:
    """The typed pack; raises ``DataPackError`` listing every finding when the pack is invalid."""
    pack, findings = validate_pack(directory)
    if pack is None:
        raise DataPackError(str(directory), findings)
    return pack


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Group by file, then line; errors before warnings on the same line.

    A table with no rows that other tables refer to (``rules.EMPTY_TARGET``) comes first: it is
    the root cause of their errors.
    """
    roots = {m[1] for f in findings if (m := rules.EMPTY_TARGET.match(f.rule))}
    return sorted(
        findings, key=lambda f: (f.file not in roots, f.file, f.line or 0, f.severity != ERROR, f.column or "")
    )


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
