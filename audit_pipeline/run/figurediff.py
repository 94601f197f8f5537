"""Print a published register (``pipeline.py figures``) and compare two (``pipeline.py diff``).

A register is a folder's ``figures.json`` (a period folder, or a kept earlier version of one:
any folder holding figures.json). ``diff`` matches figures by id: each one added, removed or
changed (value, display, completeness or inputs), with the old and new display, and for each
input table the lines only in the old register, only in the new, and the row counts.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from pathlib import Path

from audit_pipeline.errors import UsageError
from audit_pipeline.report.register.collect import inputs_text, line_ranges
from audit_pipeline.report.register.core import shown_text

CSV_COLUMNS = ("id", "label", "value", "unit", "display", "complete", "definition", "inputs", "function")


def load_register(folder: Path) -> dict:
    """The figures.json document of ``folder``; ``UsageError`` when there is none or it is not a register."""
    path = Path(folder) / "figures.json"
    if not path.is_file():
        raise UsageError(f"{folder}: no figures.json here (give a published period folder)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a figure register ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("figures"), list):
        raise UsageError(f"{path}: not a figure register (no list of figures)")
    return document


def select(entries: list[dict], pattern: str | None) -> list[dict]:
    """The entries whose id matches the glob ``pattern`` (all when ``None``), sorted by id."""
    chosen = [e for e in entries if pattern is None or fnmatch.fnmatchcase(e["id"], pattern)]
    return sorted(chosen, key=lambda e: e["id"])


def _shown(entry: dict) -> str:
    """As the report shows it: "at least" before an incomplete figure, never before "not collated"."""
    return shown_text({**entry, "display": str(entry.get("display", ""))})


def register_text(document: dict, entries: list[dict]) -> str:
    """The register for people: one block per figure (id, display, label, definition, inputs)."""
    lines = [f"Figure register of {document.get('programme_id', '?')} {document.get('period_id', '?')}: "]
    lines[0] += f"{len(entries)} figure{'' if len(entries) == 1 else 's'}"
    for entry in entries:
        lines += [
            "",
            f"{entry['id']} = {_shown(entry)}",
            f"  {entry.get('label', '')}",
            f"  Definition: {entry.get('definition', '')}",
            f"  Inputs: {inputs_text(entry)}",
        ]
        if entry.get("function"):
            lines.append(f"  Computed by: {entry['function']}")
    return "\n".join(lines)


def register_csv(entries: list[dict]) -> str:
    """The register as CSV (one row per figure, inputs in words)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        values = {**entry, "inputs": inputs_text(entry), "complete": "yes" if entry.get("complete", True) else "no"}
        writer.writerow(["" if values.get(c) is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()


def register_json(document: dict, entries: list[dict]) -> str:
    """The register as JSON (figures.json's shape, only the chosen figures)."""
    return json.dumps({**document, "figures": entries}, indent=2, ensure_ascii=False)


def _inputs_by_table(entry: dict) -> dict[str, dict]:
    """An entry's inputs merged by (table, file): lines, row count and filters."""
    merged: dict[str, dict] = {}
    for item in entry.get("inputs") or []:
        key = f"{item.get('file', item.get('table'))}"
        seen = merged.setdefault(key, {"lines": set(), "rows": 0, "filters": []})
        seen["lines"].update(int(x) for x in item.get("lines") or [])
        seen["rows"] += int(item.get("rows") or 0)
        if item.get("filter"):
            seen["filters"].append(item["filter"])
    return merged


def input_changes(old: dict, new: dict) -> list[dict]:
    """Per input file whose rows differ: lines only in the old entry, only in the new, the row counts and filters."""
    a, b = _inputs_by_table(old), _inputs_by_table(new)
    changes = []
    for file in sorted(set(a) | set(b)):
        x = a.get(file, {"lines": set(), "rows": 0, "filters": []})
        y = b.get(file, {"lines": set(), "rows": 0, "filters": []})
        if x["lines"] == y["lines"] and x["rows"] == y["rows"]:
            continue  # the same rows (a filter naming another period is no change of its own)
        changes.append(
            {
                "file": file,
                "lines_removed": sorted(x["lines"] - y["lines"]),
                "lines_added": sorted(y["lines"] - x["lines"]),
                "rows": [x["rows"], y["rows"]],
                "filters": [x["filters"], y["filters"]],
            }
        )
    return changes


def diff_registers(old: dict, new: dict) -> dict:
    """Figures added, removed and changed between two register documents (matched by id)."""
    a = {e["id"]: e for e in old["figures"]}
    b = {e["id"]: e for e in new["figures"]}
    changed = []
    for figure_id in sorted(set(a) & set(b)):
        x, y = a[figure_id], b[figure_id]
        inputs = input_changes(x, y)
        what = [k for k in ("value", "display", "complete") if x.get(k) != y.get(k)]
        if what or inputs:
            changed.append(
                {
                    "id": figure_id,
                    "label": y.get("label", ""),
                    "changed": what + (["inputs"] if inputs else []),
                    "old": {"value": x.get("value"), "display": _shown(x)},
                    "new": {"value": y.get("value"), "display": _shown(y)},
                    "inputs": inputs,
                }
            )
    return {
        "old": {"programme_id": old.get("programme_id"), "period_id": old.get("period_id")},
        "new": {"programme_id": new.get("programme_id"), "period_id": new.get("period_id")},
        "added": [{"id": i, "display": _shown(b[i]), "label": b[i].get("label", "")} for i in sorted(set(b) - set(a))],
        "removed": [
            {"id": i, "display": _shown(a[i]), "label": a[i].get("label", "")} for i in sorted(set(a) - set(b))
        ],
        "changed": changed,
    }


def diff_text(diff: dict, old_name: str, new_name: str) -> str:
    """The comparison for people: a count, then each figure added, removed or changed, with its rows."""
    lines = [
        f"Comparing {old_name} ({diff['old']['period_id']}) with {new_name} ({diff['new']['period_id']}): "
        f"{len(diff['added'])} added, {len(diff['removed'])} removed, {len(diff['changed'])} changed"
    ]
    lines += [f"added    {d['id']}: {d['display']}" for d in diff["added"]]
    lines += [f"removed  {d['id']}: was {d['display']}" for d in diff["removed"]]
    for d in diff["changed"]:
        lines.append(f"changed  {d['id']}: {d['old']['display']} -> {d['new']['display']}")
        for item in d["inputs"]:
            parts = []
            if item["lines_removed"]:
                parts.append(f"lines only in old {line_ranges(item['lines_removed'])}")
            if item["lines_added"]:
                parts.append(f"lines only in new {line_ranges(item['lines_added'])}")
            if item["rows"][0] != item["rows"][1]:
                parts.append(f"rows {item['rows'][0]:,} -> {item['rows'][1]:,}")
            lines.append(f"           {item['file']}: {', '.join(parts)}")
    if len(lines) == 1:
        lines.append("The two registers hold the same figures.")
    return "\n".join(lines)
