"""The auditor's commentary, ``commentary.md``: optional, one ``## <period_id>`` part per period.

Inside a period's part, each ``### <heading>`` starts the text shown under the report section of
that heading (``### Summary``, ``### Costs and savings``, ...), and ``### Conclusion`` is the
conclusion the summary shows. The text is Markdown, kept here as written with the line in the
file where it starts; ``report.commentary`` renders it (as text: no raw HTML, no images, links
only to ``https:`` addresses) and puts live figures in place of ``{{figure.id}}`` references.

``read_commentary`` parses the file and checks what can be checked from the pack alone, each
finding with its line: a period not in the pack (warning: the text is not shown), a heading no
section has (warning), text outside a ``###`` part or a part given twice (error), and each
``{{id}}`` against the ids the pack's figures can have (``referable_ids``: the static ids and
patterns of ``contract.COMMENTARY_FIGURES``), an unknown one an error naming the closest known ids.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from audit_pipeline.errors import ERROR, WARNING, Finding
from audit_pipeline.pack.contract import COMMENTARY_CONCLUSION, COMMENTARY_FIGURES, COMMENTARY_PATTERNS

FILE = "commentary.md"
REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
MARKS = re.compile("[\ue000-\ue002]")  # the report's figure-mark characters (report.register.core)
MAX_BYTES = 1024 * 1024
REQUIRED_FOR_IDS = ("periods", "centres", "recommendations", "estimates")  # tables the ids are made from


@dataclass(frozen=True)
class Part:
    """The text under one ``###`` heading of one period: Markdown, and the file line of its first line."""

    heading: str
    text: str
    line: int
    period_line: int = 0  # the line of the part's "## <period_id>" heading
    heading_line: int = 0  # the line of its "### <heading>"


def slug(text) -> str:
    """An id part from free text (as the register's ids use it): lower case, non-alphanumerics ``_``."""
    return "".join(ch if ch.isalnum() else "_" for ch in str(text).lower()).strip("_")


def referable_ids(tables: dict, programme: dict) -> list[str]:
    """Every figure id a commentary may reference for this pack (``contract.COMMENTARY_FIGURES`` and patterns)."""
    ids = list(COMMENTARY_FIGURES)
    values = {
        "centre_id": sorted(str(c) for c in tables["centres"]["centre_id"].dropna()),
        "threshold": sorted((programme.get("thresholds") or {}).keys()),
        "source": sorted({slug(s) for s in tables["recommendations"]["source_report"].dropna()}),
        "estimate": sorted(
            {
                f"{m}.{slug(s)}"
                for m, s in zip(tables["estimates"]["measure"], tables["estimates"]["scope"], strict=True)
            }
        ),
    }
    for pattern in COMMENTARY_PATTERNS:
        name = re.search(r"<(\w+)>", pattern).group(1)
        ids += [pattern.replace(f"<{name}>", value, 1) for value in values[name]]
    expanded = []
    for figure_id in ids:  # a pattern may end in a choice: "{low,high}"
        choice = re.search(r"\{([^}]*)\}", figure_id)
        if choice:
            expanded += [
                figure_id[: choice.start()] + c + figure_id[choice.end() :] for c in choice.group(1).split(",")
            ]
        else:
            expanded.append(figure_id)
    return expanded


def parse_commentary(text: str, findings: list[Finding], file: str = FILE) -> dict[str, dict[str, Part]]:
    """``{period_id: {heading: Part}}`` from the text of commentary.md; structural faults as findings."""
    parts: dict[str, dict[str, Part]] = {}
    period, heading, start, lines, fenced, preamble = None, None, 0, [], False, False
    period_lines: dict[str, int] = {}

    def close() -> None:
        if period is not None and heading is not None:
            skipped = next((i for i, text in enumerate(lines) if text.strip()), len(lines))
            body = "\n".join(lines[skipped:]).rstrip()
            if body:
                parts[period][heading] = Part(heading, body, start + skipped, period_lines[period], start - 1)

    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
        level = None if fenced else re.match(r"^(#{2,3})\s+(.*?)\s*#*\s*$", line)
        if level and len(level.group(1)) == 2:
            close()
            period, heading, lines = level.group(2).strip(), None, []
            if period in parts:
                findings.append(Finding(ERROR, file, f"period {period} has a second ## part", number, value=period))
            parts.setdefault(period, {})
            period_lines.setdefault(period, number)
            continue
        if level:
            close()
            heading, start, lines = level.group(2).strip(), number + 1, []
            if period is None:
                findings.append(Finding(ERROR, file, "### heading before any ## <period_id> heading", number))
            elif heading in parts[period]:
                findings.append(
                    Finding(ERROR, file, f"### {heading} is given twice for period {period}", number, value=heading)
                )
            continue
        if MARKS.search(line):
            findings.append(Finding(ERROR, file, "private-use characters U+E000-U+E002 are not allowed", number))
        if heading is None and line.strip():
            if period is None:  # a preamble: notes for the team, never shown
                if not preamble:
                    findings.append(Finding(WARNING, file, "text before the first ## <period_id> is not shown", number))
                preamble = True
            else:
                findings.append(
                    Finding(
                        ERROR,
                        file,
                        f"text under ## {period} must be under a ### <section heading>",
                        number,
                        value=line[:60],
                    )
                )
            continue
        lines.append(line)
    close()
    return parts


def check_commentary(
    parts: dict[str, dict[str, Part]],
    findings: list[Finding],
    period_ids: list[str],
    known_ids: list[str],
    sections: list[str] | None,
    file: str = FILE,
) -> None:
    """Findings for periods not in the pack, unknown headings, and unknown or malformed figure references."""
    known, headings = set(known_ids), None if sections is None else {*sections, COMMENTARY_CONCLUSION}
    for period, by_heading in parts.items():
        first = min((p.period_line for p in by_heading.values()), default=None)
        if period not in period_ids:
            findings.append(
                Finding(
                    WARNING, file, f"period {period} is not in the pack: its text is not shown", first, value=period
                )
            )
        for part in by_heading.values():
            if headings is not None and part.heading not in headings:
                findings.append(
                    Finding(
                        WARNING,
                        file,
                        f"no section of the report is headed {part.heading!r}: this text is not shown "
                        f"(headings: {', '.join(sorted(headings))})",
                        part.heading_line,
                        value=part.heading,
                    )
                )
            for offset, line in enumerate(part.text.splitlines()):
                number = part.line + offset
                if "![" in line:
                    findings.append(Finding(WARNING, file, "images are not shown: only the link text is", number))
                for match in REFERENCE.finditer(line):
                    figure_id = match.group(1)
                    if figure_id not in known:
                        close = difflib.get_close_matches(figure_id, known_ids, n=3, cutoff=0.5)
                        hint = f"; closest known: {', '.join(close)}" if close else ""
                        findings.append(
                            Finding(ERROR, file, f"unknown figure id {figure_id!r}{hint}", number, value=figure_id)
                        )
                rest = REFERENCE.sub("", line)
                if "{{" in rest or "}}" in rest:
                    findings.append(Finding(ERROR, file, "unclosed figure reference: write {{figure.id}}", number))


def read_commentary(
    path: Path, findings: list[Finding], tables: dict | None, programme: dict | None, sections: list[str] | None = None
) -> dict[str, dict[str, Part]]:
    """commentary.md parsed and checked (references only when the tables are readable)."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        findings.append(Finding(ERROR, path.name, f"larger than {MAX_BYTES:,} bytes"))
        return {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.append(Finding(ERROR, path.name, f"not UTF-8 text (byte {exc.start})"))
        return {}
    parts = parse_commentary(text, findings, path.name)
    if tables is not None and programme is not None and all(tables.get(t) is not None for t in REQUIRED_FOR_IDS):
        period_ids = [str(p) for p in tables["periods"]["period_id"]]
        check_commentary(parts, findings, period_ids, referable_ids(tables, programme), sections, path.name)
    return parts


def section_headings(notebook_dir: Path) -> list[str]:
    """The heading of each section notebook (the first Markdown heading of its first cell)."""
    import json

    headings = []
    for path in sorted(notebook_dir.glob("[0-9]*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells") or []
        source = "".join(cells[0].get("source", "")) if cells else ""
        found = re.search(r"^#{1,6}\s+(.+?)\s*$", source, flags=re.M)
        if found:
            headings.append(found.group(1))
    return headings
