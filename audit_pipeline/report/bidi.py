"""Bidirectional text from a data pack, kept in its place: controls balanced, names isolated.

A right-to-left override (U+202E) or another bidi control in a name would otherwise reorder the
text that follows it: the figures after a KPI's name, the rest of a sentence. ``balanced`` closes
what a text opens; ``isolate`` wraps a name inserted in a sentence in FSI ... PDI (Unicode's plain
text isolate); ``html`` escapes a text and turns its isolates into ``<bdi>`` elements, which
browsers and WeasyPrint lay out as isolates (``unicode-bidi: isolate``). No pandas: ``render``
uses this module for the report's title too.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata

# Bidirectional controls (Unicode UAX #9): embeddings and overrides end at PDF, isolates at PDI.
EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO
PDF = "\u202c"
ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
FSI, PDI = "\u2068", "\u2069"
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_TO_BDI = {"\u2068": "<bdi>", "\u2066": '<bdi dir="ltr">', "\u2067": '<bdi dir="rtl">', "\u2069": "</bdi>"}
_ISOLATE_CHAR = re.compile("[\u2066-\u2069]")
_PLAIN_ISOLATE = re.compile("\u2068([^\u202a-\u202e\u2066-\u2069]*)\u2069")


def balanced(text: str) -> str:
    """``text`` with its bidirectional controls closed where they were opened.

    An embedding or override (LRE, RLE, LRO, RLO) left open is closed by PDF, an isolate (LRI,
    RLI, FSI) by PDI, at the end of the text; a closer with nothing to close is dropped. So a
    right-to-left override in a name can never reorder the text that follows the name.
    """
    if not _BIDI_CONTROL.search(text):
        return text
    out, stack = [], []
    for char in text:
        if char in EMBEDDINGS or char in ISOLATES:
            stack.append(char)
        elif char == PDF:
            if not stack or stack[-1] not in EMBEDDINGS:
                continue  # closes nothing (or would cross an isolate): dropped
            stack.pop()
        elif char == PDI:
            if not any(c in ISOLATES for c in stack):
                continue
            while stack[-1] not in ISOLATES:  # a PDI also closes the embeddings opened inside its isolate
                stack.pop()
                out.append(PDF)
            stack.pop()
        out.append(char)
    out.extend(PDI if c in ISOLATES else PDF for c in reversed(stack))
    return "".join(out)


def isolate(value: object) -> str:
    """Data text inserted in a sentence, isolated (FSI ... PDI) so that its direction cannot
    reorder the sentence around it; ``report.display`` turns the isolate into ``<bdi>``."""
    return f"{FSI}{balanced(str(value))}{PDI}"


def html(text: object) -> str:
    """Text as HTML content: escaped, its bidi controls balanced, its isolates ``<bdi>`` elements."""
    escaped = _html.escape(balanced(str(text)), quote=False)
    return _ISOLATE_CHAR.sub(lambda m: _TO_BDI[m[0]], escaped)


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def plain(text: object) -> str:
    """Text for a place without markup (a ``<title>``, an ``alt``): balanced; an isolate is kept as
    FSI ... PDI characters only where its text needs one (bidi controls or right-to-left letters)."""
    return _PLAIN_ISOLATE.sub(lambda m: m[0] if _right_to_left(m[1]) else m[1], balanced(str(text)))
