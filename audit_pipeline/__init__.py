"""Audit report pipeline: read a programme data pack, evaluate a period, render reports.

Packages by role; arrows point down only (``tests/test_layering.py`` checks it)::

    cli -> run -> report -> measures -> pack -> (errors, settings)

- ``settings``: where things are and how long they may take; ``errors``: what people see.
- ``pack``: reading and validating a data pack.
- ``measures``: pure functions from the pack's tables to figures.
- ``report``: what reviewers read: sections, narrative, number style, display, rendering.
- ``run``: how reports get made: plan, execute notebooks, cache, publish.
- ``cli``: the command line, which parses and delegates.

See docs/ARCHITECTURE.md for where a new section, table or figure goes.
"""

__version__ = "0.1.0"
