"""Repairs to the tag tree WeasyPrint writes, for PDF/UA-1 (ISO 14289-1), through pikepdf's public API.

WeasyPrint (70) tags headings, paragraphs, tables, lists and figures, but:

- it marks the text of page margin boxes (the running header, the page numbers) as content with
  an MCID whose structure element is left out of the tree ("Artifact is PDF 2.0 only", its
  comment says; PDF 1.7 allows ``/Artifact`` marked content, which is what 7.8 asks for);
- it gives header cells an ``/ID`` and data cells ``/Headers``, but no header cell a ``/Scope``, so
  a column header over a column of row headers is associated with nothing (7.5);
- it maps ``<dl>`` to ``/L`` and ``<dt>``/``<dd>`` to ``/LI``, so a ``<div>`` grouping a term with its
  definitions becomes ``L > Div > LI``, a list item outside a list (7.6);
- its link annotations lack the Print flag, so print and screen differ (7.18.1).

``repair`` mends these in the written PDF, and nothing else: the page content is unchanged except
for the marking of margin-box text, and the result is deterministic (same bytes in, same bytes out).
"""

from __future__ import annotations

import io
import re

# How WeasyPrint (pydyf) opens marked content with an MCID: "/Span\n<</MCID 12>>\nBDC".
_MARKED = re.compile(rb"/(\w+)\n<</MCID (\d+)>>\nBDC")
_PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"
_PRINT = 4  # annotation flag bit 3: print the annotation


def _kids(element) -> list:
    """An element's ``/K`` as a list (one kid may be stored bare)."""
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_element(kid) -> bool:
    import pikepdf

    return isinstance(kid, pikepdf.Dictionary) and "/S" in kid


def _tree(root) -> tuple[list, set]:
    """Every structure element reachable from the StructTreeRoot, parents before their children, and
    their object numbers."""
    seen, order, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        for kid in reversed(_kids(node)):
            if _is_element(kid) and kid.objgen not in seen:
                seen.add(kid.objgen)
                order.append(kid)
                stack.append(kid)
    return order, seen


def _margin_text_as_artifacts(pdf, root, reachable: set) -> int:
    """Mark the text of margin boxes (MCIDs whose element is outside the tree) as pagination artifacts."""
    import pikepdf

    nums = root.ParentTree.Nums
    orphans: dict[int, set[int]] = {}
    for i in range(0, len(nums), 2):
        key, value = int(nums[i]), nums[i + 1]
        if isinstance(value, pikepdf.Array):
            gone = {m for m, ref in enumerate(value) if _is_element(ref) and ref.objgen not in reachable}
            for m in gone:
                value[m] = None  # PDF null: this MCID is no longer content
            if gone:
                orphans[key] = gone
    for index, mcids in orphans.items():
        page = pdf.pages[index].obj
        contents = page.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        for stream in streams:
            data = stream.read_bytes()
            new = _MARKED.sub(lambda m: _PAGINATION if int(m.group(2)) in mcids else m.group(0), data)  # noqa: B023
            if new != data:
                stream.write(new)
    return sum(len(m) for m in orphans.values())


def _scope_header_cells(elements: list) -> int:
    """Give every ``/TH`` a ``/Scope``: ``/Column`` in a ``/THead`` or when data cells of other rows
    name it in their ``/Headers``; ``/Row`` otherwise (the HTML's ``<th scope="row">``)."""
    import pikepdf

    cells = [e for e in elements if e.get("/S") in ("/TH", "/TD")]
    referenced_from: dict[str, set] = {}
    for cell in cells:
        attributes = cell.get("/A")
        headers = attributes.get("/Headers") if isinstance(attributes, pikepdf.Dictionary) else None
        for header in headers or []:
            referenced_from.setdefault(str(header), set()).add(cell.get("/P").objgen)
    count = 0
    for cell in cells:
        if cell.get("/S") != "/TH":
            continue
        row = cell.get("/P")
        group = row.get("/P") if row is not None else None
        in_head = group is not None and group.get("/S") == "/THead"
        other_rows = referenced_from.get(str(cell.get("/ID", "")), set()) - {row.objgen if row is not None else None}
        scope = pikepdf.Name.Column if in_head or other_rows else pikepdf.Name.Row
        attributes = cell.get("/A")
        if not isinstance(attributes, pikepdf.Dictionary):
            attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
            cell.A = attributes
        if attributes.get("/O") != "/Table":
            continue  # another owner's attributes: leave them
        attributes.Scope = scope
        count += 1
    return count


def _lists_without_divs(elements: list) -> int:
    """``L > Div > LI`` (a ``<dl>`` whose groups are ``<div>``) becomes ``L > LI``: the items move up."""
    count = 0
    for element in elements:
        if element.get("/S") != "/L":
            continue
        kids, changed = [], False
        for kid in _kids(element):
            inner = _kids(kid) if _is_element(kid) and kid.get("/S") == "/Div" else []
            if inner and all(_is_element(k) and k.get("/S") == "/LI" for k in inner):
                for item in inner:
                    item.P = element
                kids += inner
                changed = True
                count += 1
            else:
                kids.append(kid)
        if changed:
            import pikepdf

            element.K = pikepdf.Array(kids)
    return count


def _printable_links(pdf) -> None:
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots") or []:
            if annotation.get("/Subtype") == "/Link":
                annotation.F = int(annotation.get("/F", 0)) | _PRINT


def repair(data: bytes) -> bytes:
    """``data`` (a tagged PDF from WeasyPrint) with the repairs above; an untagged PDF is returned as it is."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return data
        elements, reachable = _tree(root)
        _margin_text_as_artifacts(pdf, root, reachable)
        _scope_header_cells(elements)
        _lists_without_divs(elements)
        _printable_links(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()
