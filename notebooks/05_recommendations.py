# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - bodies
#     - commentary
#     - costs
#     - periods
#     - recommendations
#     - recommendation_status
#     - programme
#     - savings
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
# ## Recommendations
#
# How far past recommendations have been implemented. The auditor's assessed
# status is kept apart from the status the responsible body reported.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import recommendations as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary

ctx = load_context(data_dir, period_id)

# %%
S.source_table(ctx)

# %%
S.recommendation_chart(ctx)

# %% [markdown]
# ### Tracker

# %%
S.tracker_table(ctx)

# %% [markdown]
# ### Evidence behind the assessments

# %%
S.evidence_list(ctx)

# %% [markdown]
# ### Overdue recommendations

# %%
S.overdue_list(ctx)

# %% [markdown]
# ### Reported implemented, not confirmed

# %%
S.not_confirmed_list(ctx)

# %% [markdown]
# ### Revised target dates

# %%
S.revisions_table(ctx)

# %% [markdown]
# ### Changes since the previous period
#
# The headline figures then and now, and every recommendation that changed: a new
# assessed status, a target date moved, or a move onto or off the overdue list.

# %%
S.headline_changes(ctx)

# %%
S.changes_table(ctx)

# %%
commentary(ctx, "Recommendations")
