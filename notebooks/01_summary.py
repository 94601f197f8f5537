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
#     - recommendations
#     - recommendation_status
#     - delivery_confidence
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
# ## Summary
#
# Where the programme stands at the end of the period: the headline figures with
# the points they are judged against, then a summary written from the figures.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import summary as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary, conclusion

ctx = load_context(data_dir, period_id)

# %%
S.title_block(ctx)

# %% [markdown]
# ### Headline figures

# %%
S.headlines(ctx)

# %% [markdown]
# ### Executive summary
#
# Generated from the figures in this report. Totals that miss returns not yet
# collated are stated as "at least".

# %%
S.summary_text(ctx)

# %% [markdown]
# ### Conclusion
#
# The auditor's own conclusion, from the data pack's commentary.md.

# %%
conclusion(ctx)

# %% [markdown]
# ### Delivery confidence
#
# The official rating comes from the data pack. The derived rating is the
# pipeline's own, from documented rules, and is never presented as official.

# %%
S.ratings(ctx)

# %%
commentary(ctx, "Summary")
