"""The figure-check: re-derive every registered figure of a published period from its listed rows.

An independent, simple path, on purpose not the measures' code: the pack files named in
figures.json are read afresh (CSV with the ``csv`` module, XLSX with openpyxl; line numbers as
the user sees them: CSV records by their starting line, sheet rows by number), the listed lines
picked out, and the figure recomputed as its ``check`` says (sum, count, distinct count, a cell's
value, days between two dates, a programme.yaml key, a rate of other figures; transactions by
their filter). Each mismatch is reported with its id, both values and its inputs; a figure that
cannot be re-derived is named, never skipped silently. The metrics.json value of a key figure
is checked too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from audit_pipeline.errors import UsageError

TOLERANCE = 1e-6


@dataclass
class CheckResult:
    checked: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    underivable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _csv_rows(path: Path) -> dict[int, dict[str, str]]:
    """Each record of a CSV file by the line it starts on (header = line 1), columns folded to lower case."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, header, start = {}, None, 1
    for record in reader:
        if header is None:
            header = [h.strip().lower() for h in record]
        elif any(cell.strip() for cell in record):
            rows[start] = dict(zip(header, record, strict=False))
        start = reader.line_num + 1
    return rows


def _xlsx_rows(path: Path) -> dict[int, dict[str, str]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows, header = {}, None
    for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if c is None else (c.date().isoformat() if isinstance(c, dt.datetime) else str(c)) for c in record]
        if header is None:
            header = [h.strip().lower() for h in cells]
        elif any(c.strip() for c in cells):
            rows[number] = dict(zip(header, cells, strict=False))
    return rows


class Pack:
    """The pack's files, read on demand by this module's own readers."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.cache: dict[str, dict[int, dict[str, str]]] = {}

    def rows(self, file: str) -> dict[int, dict[str, str]]:
        if file not in self.cache:
            path = self.directory / file
            self.cache[file] = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
        return self.cache[file]

    def listed(self, item: dict) -> list[dict[str, str]]:
        rows = self.rows(item["file"])
        missing = [line for line in item["lines"] if line not in rows]
        if missing:
            raise LookupError(f"{item['file']} has no data row at line {missing[0]}")
        return [rows[line] for line in item["lines"]]


def _number(text: str) -> float:
    return float(str(text).replace(",", "").replace("£", "").strip())


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(str(text).strip()[:10])


def _transactions(pack: Pack, item: dict, op: str):
    """Re-derive a transaction figure row by row (CSV with the csv module, XLSX with openpyxl)."""
    if not item["file"].lower().endswith((".csv", ".xlsx")):
        raise LookupError(f"transactions in {item['file']} are not re-derived by this check (CSV and XLSX only)")
    where = item["where"]
    start, end = _date(where["start"]), _date(where["end"])
    days, count, within, open_ = [], 0, 0, 0
    for row in pack.rows(item["file"]).values():
        if row.get("centre_id", "").strip() != where["centre_id"]:
            continue
        received = _date(row["received_date"])
        completed = _date(row["completed_date"]) if row.get("completed_date", "").strip() else None
        if received <= end and (completed is None or completed > end):
            open_ += 1
        if not start <= received <= end:
            continue
        count += 1
        if completed is not None:
            days.append((completed - received).days)
            if (completed - received).days <= _number(row["sla_days"]):
                within += 1
    if op == "tx_count":
        return count
    if op == "tx_open_at_end":
        return open_
    if op == "tx_within_sla_share":
        return round(within / count, 4) if count else None
    return float(statistics.median(days)) if days else None


def derive(pack: Pack, entry: dict, done: dict):
    """The figure re-derived from its inputs; ``LookupError`` when it cannot be."""
    check = entry.get("check")
    if not check:
        raise LookupError("no rows of the pack to re-derive it from")
    op, inputs = check["op"], entry.get("inputs") or []
    if op == "rate":
        total = done[check["total"]] - done[check["less"]]
        return round(done[check["numerator"]] / total, 4) if total else None
    if op.startswith("tx_"):
        return _transactions(pack, inputs[0], op)
    if op == "programme":
        import yaml

        from audit_pipeline.pack.contract import THRESHOLD_DEFAULTS

        value = yaml.safe_load((pack.directory / inputs[0]["file"]).read_text(encoding="utf-8"))
        parts = check["key"].split(".")
        for part in parts:
            if part not in (value or {}) and parts[0] == "thresholds" and part in THRESHOLD_DEFAULTS:
                return THRESHOLD_DEFAULTS[part]  # not in the file: the contract's default applies
            value = value[part]
        return value
    rows = [row for item in inputs for row in pack.listed(item)]
    if op == "count":
        return len(rows)
    if op == "nunique":
        return len({row[check["column"]].strip() for row in rows})
    if op == "sum":
        return round(sum(_number(r[check["column"]]) for r in rows if r[check["column"]].strip()), 6)
    if op == "value":
        return _number(rows[0][check["column"]])
    if op == "days":
        row = rows[0]
        end = _date(check["end"]) if check["to"] == "end" else _date(row[check["to"]])
        return (end - _date(row[check["from"]])).days
    raise LookupError(f"unknown check {op!r}")


def _metric(metrics: dict, path: str):
    value = metrics
    for part in path.split("."):
        value = value[part]
    return value


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= TOLERANCE


def check_period(period_dir: Path, data_dir: Path | None = None) -> CheckResult:
    """Check every figure of a published period folder against the pack it was made from."""
    document = json.loads((period_dir / "figures.json").read_text(encoding="utf-8"))
    metrics = json.loads((period_dir / "metrics.json").read_text(encoding="utf-8"))
    if data_dir is None:
        manifest = json.loads((period_dir / "manifest.json").read_text(encoding="utf-8"))
        data_dir = Path(manifest["inputs"]["data_dir"])
        if not data_dir.is_dir():
            raise UsageError(
                f"the data pack recorded in the manifest is not there: {data_dir} (give it with --data DIR)"
            )
    elif not Path(data_dir).is_dir():
        raise UsageError(f"--data {data_dir}: no such folder")
    pack, result, done = Pack(Path(data_dir)), CheckResult(), {}
    entries = sorted(document["figures"], key=lambda e: (e.get("check") or {}).get("op") == "rate")
    for entry in entries:
        where = "; ".join(
            f"{i['file']} lines {i['lines']}" if i.get("lines") else f"{i['file']} ({i.get('filter', '')})"
            for i in entry.get("inputs") or []
        )
        try:
            value = derive(pack, entry, done)
        except (LookupError, KeyError, ValueError, OSError) as exc:
            result.underivable.append(f"{entry['id']}: cannot re-derive ({exc})")
            continue
        done[entry["id"]] = value
        result.checked.append(entry["id"])
        if not _same(value, entry["value"]):
            result.mismatches.append(f"{entry['id']}: register {entry['value']!r}, re-derived {value!r} from {where}")
        if entry.get("metric"):
            try:
                shown = _metric(metrics, entry["metric"])
            except (KeyError, TypeError):
                result.mismatches.append(f"{entry['id']}: metrics.json has no {entry['metric']}")
                continue
            if not _same(value, shown):
                result.mismatches.append(
                    f"{entry['id']}: metrics.json {entry['metric']} = {shown!r}, re-derived {value!r} from {where}"
                )
    return result


def report_lines(result: CheckResult) -> list[str]:
    """What the command prints: mismatches, figures not re-derived, and a count."""
    lines = [f"MISMATCH {m}" for m in result.mismatches]
    lines += [f"NOT CHECKED {u}" for u in result.underivable]
    lines.append(
        f"{len(result.checked)} figures re-derived, {len(result.mismatches)} mismatches, "
        f"{len(result.underivable)} could not be re-derived"
    )
    return lines
