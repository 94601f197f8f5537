# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - commentary
#     - periods
#     - estimates
#     - costs
#     - savings
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
# ### Savings by attribution
#
# Only savings caused by shared services count as programme savings. Savings from
# reduced activity under spending constraints, and unattributed savings, are
# shown apart and never added in.

# %%
S.savings_table(ctx)

# %%
S.savings_chart(ctx)

# %%
commentary(ctx, "Costs and savings")
