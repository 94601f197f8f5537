"""Whether a row's ``source`` cites a published report, so that the row is shown as a published fact.

A data pack's ``source`` column says where each row came from: a departmental return, the
programme's accounts, or a published report (a National Audit Office report, a Committee of
Public Accounts report, the government's published strategy). Tables that show a source mark the
rows that cite a published report (``display.table_html`` does it for a column named ``source``)
and say under the table what the mark means (``KEY``). Pure text functions, no pandas.
"""

from __future__ import annotations

import re

MARK = "Published"
KEY = (
    f"{MARK}: the row's source cites a published report (a National Audit Office or Committee of Public "
    "Accounts report, or the government's published strategy), so its figures are published facts. "
    "Rows without the mark come from the data pack's own returns and records."
)

# A House of Commons paper (HC 1101), the NAO or the Committee of Public Accounts by name, or a
# department's published strategy ("Cabinet Office, Next Generation Shared Services strategy").
_CITATION = re.compile(
    r"\bHC\s?\d+\b|\bNAO\b|\bNational Audit Office\b|\bCommittee of Public Accounts\b|\bPAC\b"
    r"|\b(?:Cabinet Office|HM Treasury|Department\b[^,;]*)[^;]*\bstrategy\b",
    re.IGNORECASE,
)
# A row that calls itself illustrative as a whole ("... return (illustrative)"), even if it names a report.
_ILLUSTRATIVE = re.compile(r"\(\s*illustrative\s*\)", re.IGNORECASE)


def is_published(source: object) -> bool:
    """``True`` when ``source`` cites a published report and does not call the row illustrative."""
    if not isinstance(source, str) or not source.strip():
        return False
    return bool(_CITATION.search(source)) and not _ILLUSTRATIVE.search(source)


def marked(source: str) -> str:
    """The source as shown in a table: ``Published: <source>`` when it cites a published report."""
    return f"{MARK}: {source}" if is_published(source) else source
