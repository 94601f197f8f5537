"""``reports/<programme_id>/index.html``: every published period, newest first, with headline figures.

The page is built from each period's ``metrics.json`` and ``figures.json`` (never from the pack):
a total is shown with the register's display and completeness ("at least" when a return was not
collated, "not collated" when none was), so the index and the report agree. It uses the
template ``templates/report/programme_index.html.j2`` (autoescaped) and the report stylesheet.
Each row also shows the period's sign-off status (``run/signoff.py``: Draft, or Cleared once an
approver has signed its current bytes), its version and how many earlier versions are kept in
``history/`` (``run/history.py``), and whether it lists changes since the previous version.

As a landing page it opens with the latest period (its status, version and headline figures
beside the previous period's), then trend charts of the headline figures across the published
periods (``report/charts_index.py``: SVG, text alternatives, data tables), then the table of
every period, each headline figure with its value in the previous published period under it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from audit_pipeline.report import fmt
from audit_pipeline.report.exporters.page import LANG, TEMPLATES, stylesheet


def _period_rows(programme_dir: Path) -> list[dict]:
    """Metrics of every published period folder (staging and retired folders start with a dot)."""
    rows = []
    for metrics_path in programme_dir.glob("*/metrics.json"):
        if metrics_path.parent.name.startswith("."):
            continue
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        metrics["_folder"] = metrics_path.parent.name
        metrics["_figures"] = _register(metrics_path.parent)
        pdf = metrics_path.parent / "report.pdf"
        metrics["_pdf_bytes"] = pdf.stat().st_size if pdf.exists() else None
        metrics.update(_version_row(metrics_path.parent))
        rows.append(metrics)
    return rows


def _version_row(folder: Path) -> dict:
    """A period folder's sign-off status, version number, earlier versions kept and changes."""
    from audit_pipeline.run import history, signoff

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    version = manifest.get("version") or {}
    kept = history.history_dir(folder.parent, folder.name)
    earlier = sum(1 for p in kept.iterdir() if p.is_dir() and not p.name.startswith(".")) if kept.is_dir() else 0
    changes = version.get("changes") or {}
    return {
        "_status": signoff.status(folder),
        "_version": version.get("sequence") or earlier + 1,
        "_earlier": earlier,
        "_changed_figures": len(changes.get("figures") or []) if version.get("supersedes") else None,
    }


def _register(folder: Path) -> dict:
    """The period's figure register (figures.json) by id, or ``{}`` for a folder without one."""
    try:
        document = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {entry["id"]: entry for entry in document.get("figures", []) if isinstance(entry, dict) and "id" in entry}


def _shown(entry: dict | None, value: float, complete: bool) -> str:
    """A total as the report shows it: the register's display and completeness when it lists the
    figure ("at least" when incomplete, "not collated" when nothing was), else from metrics.json."""
    if entry is not None:
        display, complete = str(entry.get("display", fmt.money(value))), bool(entry.get("complete", True))
    else:
        display = fmt.money(value)
    if display == fmt.NOT_COLLATED or complete:
        return display
    return f"at least {display}"


def _costs_text(metrics: dict) -> str:
    """Implementation costs to date, "at least" (with what was not collated) when incomplete."""
    c, register = metrics["costs"], metrics.get("_figures") or {}
    missing = c["departmental_not_collated_bodies"]
    spent = round(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"], 10)
    text = _shown(register.get("costs.total_to_date"), spent, not missing)
    departmental = register.get("costs.departmental_to_date")
    if missing:
        noun = "body's" if missing == 1 else "bodies'"
        if departmental is not None and departmental.get("display") == fmt.NOT_COLLATED:
            return f"{text} (central programme; departmental costs not collated, {missing} {noun} returns)"
        return f"{text} ({missing} {noun} departmental costs not collated)"
    return text


def _savings_text(metrics: dict) -> str:
    """Programme savings to date (shared services), "at least" when a savings return was not collated."""
    s, register = metrics["savings"], metrics.get("_figures") or {}
    missing = s.get("not_collated_rows", 0)
    entry = register.get("savings.shared_services_to_date")
    text = _shown(entry, s["shared_services_to_date_gbp_m"], not missing)
    if text.startswith("at least"):
        return f"{text} ({missing} savings return{'' if missing == 1 else 's'} not collated)"
    return text


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1024:,.0f} KB" if n_bytes < 1024 * 1024 else f"{n_bytes / 1024 / 1024:,.1f} MB"


def _trend(metrics: dict) -> dict:
    """A period's headline figures for the trend charts and the changes: value (``None`` when not
    collated), the text the index shows (``at least`` when incomplete) and completeness."""
    c, s, register = metrics["costs"], metrics["savings"], metrics.get("_figures") or {}
    ob, rec = metrics["onboarding"], metrics["recommendations"]
    spent = round(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"], 10)
    money = {
        "costs": (register.get("costs.total_to_date"), spent, not c["departmental_not_collated_bodies"]),
        "savings": (
            register.get("savings.shared_services_to_date"),
            s["shared_services_to_date_gbp_m"],
            not s.get("not_collated_rows", 0),
        ),
    }
    point: dict = {"label": metrics["period_label"]}
    for key, (entry, value, complete) in money.items():
        text = _shown(entry, value, complete)
        complete = bool(entry.get("complete", True)) if entry is not None else complete
        point[key] = {"value": None if text == fmt.NOT_COLLATED else value, "text": text, "complete": complete}
    point["customers"] = {"value": ob["customers_served"], "text": fmt.count(ob["customers_served"])}
    point["implemented"] = {"value": rec["implemented"], "text": fmt.count(rec["implemented"])}
    point["tracked"] = {"value": _in_force(rec), "text": fmt.count(_in_force(rec))}
    point["recommendations"] = {"text": f"{rec['implemented']} of {_in_force(rec)}"}
    return point


def _in_force(rec: dict) -> int:
    """Recommendations in force: made by the period's end and not superseded (the report's denominator)."""
    return rec["total"] - rec.get("superseded", 0)


CHANGED = ("costs", "savings", "customers", "recommendations")  # the headline figures compared with the period before


def _changes(now: dict, before: dict | None) -> dict:
    """Per headline figure, its change from the previous published period in words."""
    if before is None:
        return {}
    return {
        key: "unchanged" if now[key]["text"] == before[key]["text"] else f"previously {before[key]['text']}"
        for key in CHANGED
    }


def headline_row(metrics: dict) -> dict:
    """One index row: the headline figures of a period, in the report's words."""
    ob, rec = metrics["onboarding"], metrics["recommendations"]
    rate = f" ({fmt.share(rec['implementation_rate'])})" if rec.get("implementation_rate") is not None else ""
    return {
        "label": metrics["period_label"],
        "folder": quote(metrics["_folder"]),
        "costs": _costs_text(metrics),
        "savings": _savings_text(metrics),
        "customers": fmt.count(ob["customers_served"]),
        "recommendations": f"{rec['implemented']} of {_in_force(rec)} in force{rate}",
        "pdf_size": _size(metrics["_pdf_bytes"]) if metrics["_pdf_bytes"] is not None else None,
        "status": metrics.get("_status", "Draft"),
        "version": metrics.get("_version", 1),
        "earlier": metrics.get("_earlier", 0),
        "changed_figures": metrics.get("_changed_figures"),
        "trend": _trend(metrics),
    }


def _latest(rows: list[dict]) -> dict | None:
    """The newest period for the top of the page: its headline figures beside the previous period's."""
    if not rows:
        return None
    row, before = rows[0], rows[1] if len(rows) > 1 else None
    names = {
        "costs": "Implementation costs to date",
        "savings": "Programme savings to date (shared services)",
        "customers": "Customers served",
        "recommendations": "Recommendations implemented",
    }
    figures = [
        {
            "name": name,
            "now": row["trend"][key]["text"],
            "before": before["trend"][key]["text"] if before else None,
        }
        for key, name in names.items()
    ]
    return {**row, "previous": before["label"] if before else None, "figures": figures}


def index_html(programme_dir: Path, order: list[str] | None = None, programme_name: str | None = None) -> str:
    """The index page's HTML; periods newest first (by the order of the pack when given, else by id)."""
    from jinja2 import Environment, FileSystemLoader

    rows = _period_rows(programme_dir)
    rank = {pid: i for i, pid in enumerate(order or [])}
    rows.sort(key=lambda m: (rank.get(m["period_id"], -1), m["period_id"]), reverse=True)
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES / "report"), autoescape=True, keep_trailing_newline=True
    )
    shown = [headline_row(m) for m in rows]
    for i, row in enumerate(shown):
        row["changes"] = _changes(row["trend"], shown[i + 1]["trend"] if i + 1 < len(shown) else None)
        row["previous"] = shown[i + 1]["label"] if i + 1 < len(shown) else None
    return environment.get_template("programme_index.html.j2").render(
        lang=LANG,
        programme_id=programme_dir.name,
        name=programme_name or programme_dir.name,
        css=stylesheet(),
        rows=shown,
        latest=_latest(shown),
        charts=_charts([row["trend"] for row in reversed(shown)]),
    )


def _charts(points: list[dict]) -> list[Markup]:
    """The trend charts' HTML (oldest period first), already escaped (``report.charts_index``)."""
    if len(points) < 2:
        return []  # no chart for one period: matplotlib is not even loaded
    from audit_pipeline.report.charts_index import trend_charts

    return [Markup(chart) for chart in trend_charts(points)]


def write_index(programme_dir: Path, order: list[str] | None = None, programme_name: str | None = None) -> Path:
    """Write the index atomically (write then rename)."""
    target = programme_dir / "index.html"
    temporary = programme_dir / ".index.html.tmp"
    temporary.write_text(index_html(programme_dir, order, programme_name), encoding="utf-8")
    temporary.replace(target)
    return target
