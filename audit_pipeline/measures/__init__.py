"""Pure functions from the validated tables of a pack to the report's figures.

Each module takes DataFrames (see ``audit_pipeline.pack.tables`` for their types)
and a ``Period``; none reads files or keeps state. ``key_figures`` gathers the
figures of ``metrics.json`` exactly as OUTPUTS.md defines them.
"""

from audit_pipeline.measures.periods import Period, period_of, previous_period  # noqa: F401
