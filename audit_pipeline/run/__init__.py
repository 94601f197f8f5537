"""How reports get made: plan the work, execute section notebooks, cache, render and publish.

Owns notebook discovery and parameter checks and the execution of one notebook
(``execute``), units of work and their cache keys (``keys``), executors (local
threads or a Dask cluster, ``executors``), the run itself (``runner``), atomic
publishing (``publish``), provenance (``provenance``) and progress (``progress``).

May import: ``audit_pipeline.report``, ``audit_pipeline.measures``, ``audit_pipeline.pack``,
``audit_pipeline.errors`` and ``audit_pipeline.settings``; never ``cli``.
"""
