"""Rules that span rows, columns or tables (the contract's "rule" column).

Each rule takes typed frames (see ``tables.py``) and appends findings; none
changes a frame. Frames may be ``None`` when their file could not be read;
rules that need them then say nothing (the reading error already did).
"""

from __future__ import annotations

import re

import pandas as pd

from audit_pipeline.errors import ERROR, WARNING, Finding
from audit_pipeline.pack.contract import REFERENCES, RESERVED_NAMES, TABLES

Frames = dict[str, pd.DataFrame | None]
# The one finding per referring column when the table referred to has no rows (its file is group 1).
EMPTY_TARGET = re.compile(r"refers to (\S+), which has no rows")


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 50, as a person writes it, not 50.0
    return str(value)


def check_unique(frames: Frames, files: dict[str, str], findings: list[Finding]) -> None:
    """Key columns hold each value (or combination) once."""
    for name, spec in TABLES.items():
        frame = frames.get(name)
        if frame is None or not spec.key or name == "transactions":
            continue
        keyed = frame.dropna(subset=list(spec.key))
        duplicated = keyed[keyed.duplicated(list(spec.key), keep=False)]
        for _, group in duplicated.groupby(list(spec.key), sort=False):
            first = int(group["_line"].iloc[0])
            for _, row in group.iloc[1:].iterrows():
                findings.append(
                    Finding(
                        ERROR,
                        files[name],
                        f"{' + '.join(spec.key)} must be unique; already used on line {first}",
                        line=int(row["_line"]),
                        column=spec.key[-1],
                        value=" + ".join(_fmt(row[k]) for k in spec.key),
                    )
                )


def check_references(frames: Frames, files: dict[str, str], findings: list[Finding]) -> None:
    """Each reference names a row that exists in the table it points to.

    When the table pointed to has no rows, every reference into it fails for that one reason:
    one finding per referring column says so (on its first row), not one per row, so that the
    root cause (say, a ``periods.csv`` with a header only) is not buried under follow-on errors.
    """
    for (name, column), (target, target_column) in REFERENCES.items():
        frame, target_frame = frames.get(name), frames.get(target)
        if frame is None or target_frame is None or name == "transactions":
            continue
        known = set(target_frame[target_column].dropna())
        bad = frame[frame[column].notna() & ~frame[column].isin(known)]
        target_file = files.get(target, f"{target}.csv")
        if target_frame.empty and not bad.empty:
            first = bad.iloc[0]
            others = len(bad) - 1
            more = f" (and {others:,} more row{'s' if others > 1 else ''} of this file)" if others else ""
            findings.append(
                Finding(
                    ERROR,
                    files[name],
                    f"refers to {target_file}, which has no rows{more}: fill in {target_file} first",
                    line=int(first["_line"]),
                    column=column,
                    value=first[column],
                )
            )
            continue
        for _, row in bad.iterrows():
            findings.append(
                Finding(
                    ERROR,
                    files[name],
                    f"must be a {target_column} listed in {target_file}",
                    line=int(row["_line"]),
                    column=column,
                    value=row[column],
                )
            )


def _row_finding(frames: Frames, files, findings, table, mask, column, rule, severity=ERROR) -> None:
    frame = frames[table]
    for _, row in frame[mask].iterrows():
        findings.append(
            Finding(severity, files[table], rule, line=int(row["_line"]), column=column, value=_fmt(row[column]))
        )


def check_periods(frames: Frames, files, findings) -> None:
    """``end_date >= start_date``; periods do not overlap."""
    periods = frames.get("periods")
    if periods is None:
        return
    _row_finding(
        frames,
        files,
        findings,
        "periods",
        periods["end_date"] < periods["start_date"],
        "end_date",
        "must be on or after start_date",
    )
    ordered = periods.dropna(subset=["start_date", "end_date"]).sort_values(["start_date", "_line"])
    previous = None
    for _, row in ordered.iterrows():
        if previous is not None and row["start_date"] <= previous["end_date"]:
            findings.append(
                Finding(
                    ERROR,
                    files["periods"],
                    f"periods must not overlap: starts on or before the end of {previous['period_id']} (line {previous['_line']})",
                    line=int(row["_line"]),
                    column="start_date",
                    value=_fmt(row["start_date"]),
                )
            )
        if previous is None or row["end_date"] > previous["end_date"]:
            previous = row
    if periods.empty:
        findings.append(Finding(ERROR, files["periods"], "must list at least one period"))


def check_period_names(frames: Frames, files, findings) -> None:
    """A ``period_id`` names a folder: never a name the tool uses beside it, never the same as another
    but for case (two such folders are one on case-insensitive file systems)."""
    periods = frames.get("periods")
    if periods is None:
        return
    ids = periods["period_id"]
    reserved = ids.notna() & ids.astype(str).str.lower().isin(RESERVED_NAMES)
    names = ", ".join(sorted(RESERVED_NAMES))
    _row_finding(frames, files, findings, "periods", reserved, "period_id", f"is a name the tool reserves ({names})")
    folded = ids.astype(str).str.lower()
    clash = ids.notna() & folded.duplicated(keep="first") & ~ids.duplicated(keep="first")
    _row_finding(
        frames,
        files,
        findings,
        "periods",
        clash,
        "period_id",
        "differs from another period_id only by case: the two would be one folder on many file systems",
    )


def check_estimates(frames: Frames, files, findings) -> None:
    """``high_gbp_m >= low_gbp_m``."""
    estimates = frames.get("estimates")
    if estimates is not None:
        bad = estimates["high_gbp_m"] < estimates["low_gbp_m"]
        _row_finding(frames, files, findings, "estimates", bad, "high_gbp_m", "must be at least low_gbp_m")


def check_bodies(frames: Frames, files, findings) -> None:
    """``variations`` is 0 when the standard operating model is ``adopted``."""
    bodies = frames.get("bodies")
    if bodies is None:
        return
    bad = (bodies["som_status"] == "adopted") & (bodies["variations"].fillna(0) != 0)
    _row_finding(frames, files, findings, "bodies", bad, "variations", "must be 0 when som_status is adopted")
    unassigned = bodies["centre_id"].isna() & bodies["actual_onboard_date"].notna()
    _row_finding(
        frames,
        files,
        findings,
        "bodies",
        unassigned,
        "centre_id",
        "onboarded but assigned to no centre",
        severity=WARNING,
    )


def check_amounts(frames: Frames, files, findings) -> None:
    """``amount_gbp_m`` is empty only when ``status`` is ``not_collated``."""
    for table in ("costs", "savings"):
        frame = frames.get(table)
        if frame is None:
            continue
        amount_empty = frame["amount_gbp_m"].isna()
        not_collated = frame["status"] == "not_collated"
        # An amount that failed to parse already has its own finding; only truly empty cells count here.
        invalid = frame.attrs.get("invalid", set())
        unparsed = {line for line, column in invalid if column == "amount_gbp_m"}
        was_blank = ~frame["_line"].isin(unparsed)
        _row_finding(
            frames,
            files,
            findings,
            table,
            amount_empty & was_blank & ~not_collated & frame["status"].notna(),
            "amount_gbp_m",
            "may be empty only when status is not_collated",
        )
        _row_finding(
            frames,
            files,
            findings,
            table,
            ~amount_empty & not_collated,
            "amount_gbp_m",
            "status is not_collated but an amount is given: the amount is ignored",
            severity=WARNING,
        )


def check_recommendation_status(frames: Frames, files, findings) -> None:
    """A revised target date (differing from the original) needs a ``revision_reason``."""
    status, recs = frames.get("recommendation_status"), frames.get("recommendations")
    if status is None or recs is None:
        return
    # A repeated rec_id has its own finding; its first row holds the original target date.
    targets = recs.dropna(subset=["rec_id"]).drop_duplicates("rec_id").set_index("rec_id")["target_date"]
    original = status["rec_id"].map(targets.to_dict())
    current = status["current_target_date"]
    differs = current.notna() & (original.isna() | (current != original))
    bad = differs & status["revision_reason"].isna()
    _row_finding(
        frames,
        files,
        findings,
        "recommendation_status",
        bad,
        "revision_reason",
        "required when current_target_date differs from the recommendation's original target_date",
    )


def check_kpi_values(frames: Frames, files, findings) -> None:
    """``kpi_values`` needs ``kpis``; a repeated (period, centre, KPI) is ambiguous."""
    values = frames.get("kpi_values")
    if values is None:
        return
    if "kpis" not in files and "kpis" not in frames:  # absent, not merely unreadable
        findings.append(Finding(ERROR, files["kpi_values"], "needs kpis.csv (or kpis.xlsx) to define its KPIs"))
    key = ["period_id", "centre_id", "kpi_id"]
    dup = values.duplicated(key, keep="first") & values[key].notna().all(axis=1)
    _row_finding(
        frames,
        files,
        findings,
        "kpi_values",
        dup,
        "kpi_id",
        "repeats a period, centre and KPI: the last value is used",
        WARNING,
    )


ALL_RULES = (
    check_unique,
    check_references,
    check_periods,
    check_estimates,
    check_bodies,
    check_amounts,
    check_period_names,
    check_recommendation_status,
    check_kpi_values,
)


def apply_rules(frames: Frames, files: dict[str, str]) -> list[Finding]:
    """Run every cross-row and cross-table rule; return the findings."""
    findings: list[Finding] = []
    for rule in ALL_RULES:
        rule(frames, files, findings)
    return findings
