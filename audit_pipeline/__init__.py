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

import sys

# jsonschema, which nbformat imports, builds a grammar for IRI checks at import time when the
# optional ``rfc3987-syntax`` is installed (the test and lab extras bring it in through
# jupyter-events): about 1.5 s of CPU in every process that reads or writes a notebook (the
# command line, each test's subprocess, the fork server), for a check nbformat's schema never
# makes. ``None`` in ``sys.modules`` makes its import fail, as if it were not installed; jsonschema
# then leaves the "iri" format unchecked, as it does in the runtime install (requirements.txt).
sys.modules.setdefault("rfc3987_syntax", None)
