"""The "Chart data" appendix: every chart's data table, for print.

On screen each chart's data table sits under it in a closed ``<details>`` ("Data for this chart",
``display.chart_data_html``). A ``<details>`` cannot be opened on paper, and its table printed
under every chart would push charts apart and leave pages half blank; so the print stylesheet
hides those and shows this appendix instead: the same tables, in the order of the charts, placed
before the figure register (or at the end of the report). A line under each printed chart points
here. On screen the appendix is hidden (the tables are already under their charts).

Light on purpose (no pandas): ``render`` calls ``with_appendix`` on the finished page.
"""

from __future__ import annotations

import re

ANCHOR = "chart-data"
_DETAILS = re.compile(r'<details class="chart-data"><summary>Data for this chart</summary>(.*?)</details>', re.S)
# where the appendix goes: before the figure register's section (nbconvert may reorder its attributes), else
# before the end of ``main``
_BEFORE = (re.compile(r'<section [^>]*\bid="figure-register"'), re.compile(r"</main>"))


def tables(page: str) -> list[str]:
    """The data tables of a page's charts, in order."""
    return _DETAILS.findall(page)


def appendix_html(found: list[str]) -> str:
    """The appendix section holding ``found`` (print only: ``report.css``)."""
    return (
        f'<section id="{ANCHOR}" class="report-section chart-data-appendix">\n<h2>Chart data</h2>\n'
        "<p>The figures each chart draws, one table per chart in the order of the charts. Every number "
        "is a figure of the register; amounts not collated are stated as such, never as zero, and "
        "totals that miss a return are stated as at least what is shown.</p>\n" + "\n".join(found) + "\n</section>\n"
    )


def with_appendix(page: str) -> str:
    """``page`` with the "Chart data" appendix before the figure register (or the end of ``main``);
    unchanged when it has no chart data table."""
    found = tables(page)
    if not found:
        return page
    for marker in _BEFORE:
        at = marker.search(page)
        if at:
            return page[: at.start()] + appendix_html(found) + page[at.start() :]
    return page + appendix_html(found)
