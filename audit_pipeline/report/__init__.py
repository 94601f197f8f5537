"""What reviewers read: the report's sections, their words, numbers, tables, charts and pages.

Owns the notebook's starting point (``context.load_context``), one module per section
beside its notebook (``sections``), the generated sentences (``narrative``), the number
style (``fmt``), accessible HTML pieces (``display``), charts (``charts``), the nbconvert
exporters, which own the template configuration (``exporters``), the whole report as
HTML and PDF (``render``, which uses the exporters), and the templates and stylesheet as
package data (``templates/``). The programme's index page is ``run.index``: it shows each
period's versions and sign-off status, which belong to publishing.

May import: ``audit_pipeline.measures``, ``audit_pipeline.pack``, ``audit_pipeline.errors``
and ``audit_pipeline.settings``; never ``run`` or ``cli``.
"""
