# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - commentary
#     - periods
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
# ## Onboarding and the standard operating model
#
# Which bodies have moved to the shared service centres against plan, and how far
# they adopted the standard operating model without variations.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import onboarding as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary

ctx = load_context(data_dir, period_id)

# %%
S.onboarding_text(ctx)

# %%
S.onboarding_chart(ctx)

# %% [markdown]
# ### Onboarding by body

# %%
S.onboarding_body_table(ctx)

# %% [markdown]
# ### Standard operating model

# %%
S.som_table(ctx)

# %%
commentary(ctx, "Onboarding and the standard operating model")
