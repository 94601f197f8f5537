"""Pure functions from the validated tables of a pack to the report's figures.

Each module takes DataFrames (see ``audit_pipeline.pack.tables`` for their types)
and a ``Period``; none reads files or keeps state. ``summary.key_figures`` gathers the
figures of ``metrics.json`` exactly as OUTPUTS.md defines them. Figures only: no
sentences and no number style (those are ``report.narrative`` and ``report.fmt``),
so every measure is tested without a kernel.

May import: ``audit_pipeline.pack``, ``audit_pipeline.errors`` and ``audit_pipeline.settings``;
never ``report``, ``run`` or ``cli``.
"""
