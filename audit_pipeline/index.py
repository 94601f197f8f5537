"""``reports/<programme_id>/index.html``: every published period, newest first, with headline figures."""

from __future__ import annotations

import html
import json
from pathlib import Path

from . import fmt
from .render import CSS


def _period_rows(programme_dir: Path) -> list[dict]:
    rows = []
    for metrics_path in programme_dir.glob("*/metrics.json"):
        if metrics_path.parent.name.startswith("."):
            continue
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        metrics["_folder"] = metrics_path.parent.name
        metrics["_pdf"] = (metrics_path.parent / "report.pdf").exists()
        rows.append(metrics)
    return rows


def index_html(programme_dir: Path, order: list[str] | None = None) -> str:
    """The index page's HTML; periods newest first (by the order of the pack when given, else by id)."""
    rows = _period_rows(programme_dir)
    rank = {pid: i for i, pid in enumerate(order or [])}
    rows.sort(key=lambda m: (rank.get(m["period_id"], -1), m["period_id"]), reverse=True)
    programme_id = programme_dir.name
    body = []
    for m in rows:
        c, s, ob, rec = m["costs"], m["savings"], m["onboarding"], m["recommendations"]
        spent = fmt.at_least(c["central_programme_to_date_gbp_m"] + c["departmental_to_date_gbp_m"], c["departmental_not_collated_bodies"])
        folder = html.escape(m["_folder"], quote=True)
        pdf = f'<a href="{folder}/report.pdf">PDF<span class="visually-hidden"> for {html.escape(m["period_label"])}</span></a>' if m["_pdf"] else "No PDF"
        body.append(
            "<tr>"
            f'<th scope="row"><a href="{folder}/report.html">{html.escape(m["period_label"])}</a></th>'
            f"<td>{html.escape(spent)}</td>"
            f"<td>{html.escape(fmt.money(s['shared_services_to_date_gbp_m']))}</td>"
            f"<td class=\"num\">{html.escape(fmt.count(ob['customers_served']))}</td>"
            f"<td>{rec['implemented']} of {rec['total']}</td>"
            f"<td>{pdf}</td>"
            "</tr>"
        )
    empty = '<tr><td colspan="6">No period has been published yet.</td></tr>'
    css = CSS.read_text(encoding="utf-8") + ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Audit reports: {html.escape(programme_id)}</title>\n<style>\n{css}\n</style>\n</head>\n<body>\n"
        f'<header class="report-header"><h1>Audit reports: {html.escape(programme_id)}</h1>'
        '<p class="subtitle">Every published period, newest first. Figures are to the end of each period.</p></header>\n<main>\n'
        '<table class="report-table"><caption>Published period reports with headline figures</caption>'
        '<thead><tr><th scope="col">Period (HTML report)</th><th scope="col">Implementation costs to date</th>'
        '<th scope="col">Programme savings to date</th><th scope="col" class="num">Customers served</th>'
        '<th scope="col">Recommendations implemented</th><th scope="col">PDF</th></tr></thead>'
        f"<tbody>{''.join(body) or empty}</tbody></table>\n</main>\n</body>\n</html>\n"
    )


def write_index(programme_dir: Path, order: list[str] | None = None) -> Path:
    """Write the index atomically (write then rename)."""
    target = programme_dir / "index.html"
    temporary = programme_dir / ".index.html.tmp"
    temporary.write_text(index_html(programme_dir, order), encoding="utf-8")
    temporary.replace(target)
    return target
