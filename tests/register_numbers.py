"""Every number a reader sees, and whether the period's figure register accounts for it.

Used by ``test_no_unregistered_numbers``. A number is a run of digits (with thousands commas and
decimals) that is not part of a word or a dashed code. It is accounted for when it is a number of
the display text of a registered figure of the period, or one of these kinds that are not figures:

- dates (``31 March 2014``), period labels and ids (``2013-14 Q4``), financial years (``2013-14``);
  in the PDF also a date that a narrow table column wraps (``31 March`` above ``2014``, or ``31``
  above ``December``);
- years (1990 to 2099) standing alone, as in a report's name (``PAC 2012``);
- page numbers (``Page 3 of 20``) in the PDF; the report's version number (``version 2``);
- the "Changes since the previous version" section, which quotes the previous version's figures
  (registered in that version's own register, kept whole in the history folder);
- identifiers: line numbers in the data-quality tables (their columns are named "Line");
- the report's form: paragraph numbers (``2.3``) and figure numbers (``Figure 4:``), marked up by
  ``report.form`` (``FORM_NUMBER_CLASSES``); in the PDF, ``Figure N`` and a paragraph number
  of the HTML at the start of a line; the methodology appendix, which quotes the register's definitions;
- text quoted from the data pack (names, recommendation text, evidence), which may hold numbers.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

NUMBER = re.compile(r"(?<![\w.,\-/])\d[\d,]*(?:\.\d+)?(?![\w\-/]|[.,]\d)")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE = re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b")
FINANCIAL_YEAR = re.compile(r"\b(?:19|20)\d\d-\d\d\b")
YEAR = re.compile(r"^(?:19|20)\d\d$")
PAGE = re.compile(r"Page \d+ of \d+")
VERSION = re.compile(r"\bversion \d+\b", re.I)
IDENTIFIER_HEADERS = {"Line", "Line in file"}
FORM_NUMBER_CLASSES = ("figure-number", "paragraph-number")  # as report.form marks them
FIGURE_LABEL = re.compile(r"\bFigure \d+\b:?")  # a figure's label, or a reference to it in the text


def numbers(text: str) -> list[str]:
    """The numbers in ``text`` (commas dropped), once dates, financial years and page numbers are removed."""
    for pattern in (DATE, PAGE, VERSION, FINANCIAL_YEAR):
        text = pattern.sub(" ", text)
    return [n.replace(",", "") for n in NUMBER.findall(text)]


def registered(document: dict) -> set[str]:
    """Every number of every display form of every registered figure."""
    found = set()
    for entry in document["figures"]:
        for display in entry.get("displays") or [entry["display"]]:
            found.update(numbers(display))
    return found


def pack_text_numbers(pack) -> set[str]:
    """Numbers inside the pack's own text cells (quoted, not computed)."""
    found = set()
    for frame in pack.tables.values():
        for column in frame.columns:
            if frame[column].dtype == object:
                for value in frame[column].dropna():
                    if isinstance(value, str):
                        found.update(numbers(value))
    found.update(numbers(str(pack.programme.get("name", ""))))
    return found


def quoted_texts(pack) -> list[str]:
    """The pack's own text cells that hold a number (quoted, not computed), longest first."""
    return sorted(
        {
            v
            for f in pack.tables.values()
            for c in f.columns
            if f[c].dtype == object
            for v in f[c].dropna()
            if isinstance(v, str) and numbers(v)
        },
        key=len,
        reverse=True,
    )


def strip_labels(text: str, labels: list[str]) -> str:
    """``text`` without the pack's period labels and ids (longest first)."""
    for label in sorted(labels, key=len, reverse=True):
        text = text.replace(label, " ")
    return text


def visible_html_text(html: str) -> tuple[str, set[str]]:
    """The visible text of a report (no register appendix, no provenance), and the identifier numbers."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "head"]):
        tag.decompose()
    for tag in soup.find_all(class_=FORM_NUMBER_CLASSES):
        tag.decompose()
    for section_id in ("figure-register", "provenance", "changes", "methodology"):
        found = soup.find(id=section_id)
        if found is not None:
            found.decompose()
    identifiers = set()
    for table in soup.find_all("table"):
        headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
        columns = [i for i, h in enumerate(headers) if h in IDENTIFIER_HEADERS]
        for row in table.select("tbody tr"):
            cells = row.find_all(["th", "td"])
            for i in columns:
                if i < len(cells):
                    identifiers.update(numbers(cells[i].get_text(" ", strip=True)))
                    cells[i].decompose()
    parts = [soup.get_text(" ")]
    parts += [img.get("alt", "") for img in soup.find_all("img")]
    return " ".join(parts), identifiers


def unaccounted(text: str, allowed: set[str], labels: list[str]) -> list[str]:
    """The numbers of ``text`` that are neither figures nor an allowed kind."""
    return [n for n in numbers(strip_labels(text, labels)) if n not in allowed and not YEAR.match(n)]


CONTENTS_LINE = re.compile(r"^\s*\d+\. .*?\.{3,}\s*\d+\s*$", re.M)
DAY_MONTH = re.compile(rf"\b\d{{1,2}} (?:{MONTHS})\b")
DAY = re.compile(r"(?<!\S)\d{1,2}(?!\S)")
MONTH = re.compile(rf"(?:{MONTHS})\b")
LINE_END_DAY = re.compile(r"(?<!\S)\d{1,2}(?=\s*$)")


def wrapped_dates(layout_text: str) -> str:
    """pdftotext ``-layout`` text without the days of dates that a table column wraps.

    A narrow column breaks ``31 March 2014`` over lines: ``31 March`` with the year below it (the
    year alone is allowed anyway), or ``31`` with ``December`` below it, at the same column; and a
    sentence wraps after the day (``31`` ending a line, ``March 2013`` starting the next).
    """
    lines = DAY_MONTH.sub(lambda m: " " * len(m.group()), layout_text).split("\n")
    for i, line in enumerate(lines[:-1]):
        below = lines[i + 1]
        days = [m for m in DAY.finditer(line) if MONTH.match(below, m.start())]
        end = LINE_END_DAY.search(line)  # prose wrapped after the day: "... in force at 31" / "March 2013"
        if end and MONTH.match(below.lstrip()) and all(end.start() != m.start() for m in days):
            days.append(end)
        for m in sorted(days, key=lambda m: m.start(), reverse=True):
            line = line[: m.start()] + " " * len(m.group()) + line[m.end() :]
        lines[i] = line
    return "\n".join(lines)


def form_numbers(html: str) -> set[str]:
    """The paragraph numbers of a report's HTML (``report.form``)."""
    soup = BeautifulSoup(html, "html.parser")
    return {tag.get_text(strip=True) for tag in soup.find_all(class_="paragraph-number")}


def pdf_body(pdf_text: str, paragraphs: set[str] = frozenset()) -> str:
    """pdftotext output without the contents' page numbers, wrapped dates, figure labels (``Figure 4:``) and
    the HTML's paragraph numbers at the start of a line, up to the first appendix after the parts."""
    text = wrapped_dates(CONTENTS_LINE.sub(" ", pdf_text))
    text = FIGURE_LABEL.sub(" ", text)
    if paragraphs:
        numbers_ = "|".join(re.escape(p) for p in sorted(paragraphs, key=len, reverse=True))
        text = re.sub(rf"^(\s*)(?:{numbers_})(?=\s)", r"\1", text, flags=re.M)
    cut = re.search(
        r"^\s*(Methodology|Glossary|Figure register|Changes since the previous version)\s*$", text, flags=re.M
    )
    return text[: cut.start()] if cut else text
