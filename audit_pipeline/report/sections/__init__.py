"""One module per report section, beside its notebook: what the section shows, one call per cell.

``notebooks/01_summary`` calls ``summary``, ``02_costs_savings`` ``costs``, ``03_onboarding``
``onboarding``, ``04_service`` ``service``, ``05_recommendations`` ``recommendations`` and
``06_data_quality`` ``quality``, as ``from audit_pipeline.report.sections import onboarding as S``
then ``S.onboarding_text(ctx)``. Each function takes the period's ``Context`` and returns a
display object; the figures come from ``measures``, the sentences from ``report.narrative``,
the number style from ``report.fmt`` and the HTML from ``report.display``. What two sections
share lives in ``common``.

Importing this package imports every section, so that the kernel server, which preloads
``audit_pipeline.report.sections``, hands each forked kernel all of them ready.
"""

from audit_pipeline.report.sections import (  # noqa: F401
    common,
    costs,
    costs_compare,
    onboarding,
    quality,
    recommendations,
    service,
    summary,
)
