"""Reading and validating a data pack: the front door (``load.load_pack``) and what it uses.

Owns the data contract (``contract``), the cell parsers (``parsers``, the single
definition of a valid cell), the file readers (``readers``), typed tables
(``tables``), the cross-table rules (``rules``), transaction-level MI
(``transaction_files`` reads the file, ``transactions`` validates it), the
programme file (``programme``), findings as text (``findings``) and the on-disk
cache of validated packs (``cache``).

May import: ``audit_pipeline.errors`` and ``audit_pipeline.settings`` only; never
``measures``, ``report``, ``run`` or ``cli``.
"""
