# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - commentary
#     - periods
#     - estimates
#     - costs
#     - savings
#     - bodies
#     - programme
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: audit_pipeline
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# ## Costs and savings
#
# Actual costs and savings to date against the estimates in force. Forecasts
# never enter totals to date, and returns not collated are missing data, not zero.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import costs as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary

ctx = load_context(data_dir, period_id)

# %% [markdown]
# ### Implementation costs

# %%
S.cost_text(ctx)

# %%
S.cost_chart(ctx)

# %%
S.cost_table(ctx)

# %% [markdown]
# ### Estimates
#
# For each measure and scope, the estimate in force is the latest made on or
# before the period end.

# %%
S.estimates_table(ctx)

# %% [markdown]
# Every estimate made by the period end, the first and each revision, with the
# date it was made and its source. Estimates made later do not appear.

# %%
S.estimate_history_table(ctx)

# %%
S.estimate_chart(ctx)

# %% [markdown]
# ### Savings against the estimates, and the net position
#
# Like is set against like: savings to date against a cumulative estimate, and
# an annual estimate against the savings of the last twelve months, never a
# running total against an annual figure. A total that a return not collated
# would enter is "at least"; where that leaves a comparison open, the report
# says so rather than make it.

# %%
S.savings_against_estimates(ctx)

# %%
S.net_position(ctx)

# %% [markdown]
# ### Savings by attribution
#
# Only savings caused by shared services count as programme savings. Savings from
# reduced activity under spending constraints, and unattributed savings, are
# shown apart and never added in.

# %%
S.savings_table(ctx)

# %%
S.savings_chart(ctx)

# %% [markdown]
# ### Savings by evidence
#
# Programme savings by the auditor's grading of the evidence for each claim.
# Dis-savings (negative savings) are netted off the total and listed.

# %%
S.evidence_table(ctx)

# %%
S.dis_savings_table(ctx)

# %% [markdown]
# ### Forecast against actual
#
# Where the pack holds a forecast and an actual amount for the same period,
# body and type, the two are set side by side.

# %%
S.forecast_table(ctx)

# %%
commentary(ctx, "Costs and savings")
