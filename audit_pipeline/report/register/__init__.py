"""The figure register: every number the report shows, with where it came from.

Design
------
*One registry.* Each section notebook's ``Context`` holds a ``Register``
(``ctx.register``). A section never formats a number itself: it calls
``reg.add(id, value, display, ...)`` (or a helper of ``catalogue`` for the key
figures of metrics.json, or ``reg.cells`` for a table's cells), which records an
entry and returns the display text wrapped in invisible *marks*
(``mark``): private-use characters around the figure id and its display text.

*Entry.* ``id`` (stable: ``costs.total_to_date``; table cells
``table.<table>.<row key>.<column>``), ``label``, exact ``value``, ``unit``,
``display`` (and ``displays``, every form it was shown in), ``complete``
(false for an "at least" total; ``add`` and ``again`` then return the display with
"at least" before it, so the text and the register agree; see ``collation``), ``definition`` (one sentence, the words of
docs/OUTPUTS.md), ``inputs`` (per input table: file name, the lines as the user
sees them in that file from the typed tables' ``_line``, the filter in words,
the count of rows and the distinct ``source`` values of those rows; for
transactions the filter and the count only), ``function`` (the measure that
computed it) and ``check`` (how ``run.figurecheck`` re-derives it from the
listed rows by its own simple path: ``sum``, ``count``, ``nunique``, ``value``,
``median``, ``programme``, ``days``; ``None`` names a figure that cannot be
re-derived, with ``why``). Measures stay pure: the inputs are recorded here, at
the boundary, from row masks over the same typed tables.

*Charts.* ``charts`` registers every data point a chart draws as
``chart.<chart>.<series>.<point>`` (the point a period id), with its rows, so the numbers
behind a chart are traceable like a table's cells; the image is unchanged. The auditor's
commentary (``report.commentary``) registers the figures its ``{{id}}`` references show.

*Cost.* ``Register.rows`` selects lines and sources from arrays (no copy of the table per
figure), and what many figures share (trackers, onboarding state, periods) is computed once
per register (``Register.memo``).

*Out of the kernel.* ``section`` decorates every section function: the entries
registered (or shown again) during the call travel with its display output, in
the output's metadata (``METADATA_KEY``), which the report template never shows.
``collect.collect_notebooks`` reads them back from the executed notebooks in
order and merges them (same id, same value; a conflict is an error), so the
parent process gets one register per period: ``run.figures`` publishes it as
figures.json and figures.xlsx, and ``report.render`` lists it in the "Figure
register" appendix.

*In the page.* ``linkify`` turns the marks of an escaped text into links to the
appendix (``#fig-<id>``) for prose and tiles; ``plain`` drops them (alt texts,
table cells, captions). No JavaScript; WeasyPrint keeps internal links.
"""

from audit_pipeline.report.register.core import (  # noqa: F401
    METADATA_KEY,
    Register,
    anchor,
    linkify,
    mark,
    plain,
    section,
)
