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
#     - kpis
#     - kpi_values
#     - centres
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
# Where the programme stands at the end of the period: the key facts, the headline
# figures with the points they are judged against, a summary written from the figures,
# the auditor's conclusion, the signals and the official delivery confidence rating.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import summary as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary, conclusion

ctx = load_context(data_dir, period_id)

# %% [markdown]
# ### Key facts

# %%
S.key_facts(ctx)

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
# The auditor's own conclusion, from the data pack's commentary.md. This report
# writes no conclusion of its own: where the auditor has recorded none for the
# period, it says so.

# %%
conclusion(ctx)

# %% [markdown]
# ### Signals
#
# Each signal is a rule of this pipeline applied to the period's figures: its
# threshold (from the data pack's programme.yaml where it sets one, otherwise the
# pipeline's documented default), this period's value, and whether the threshold is
# met. The signals are not a rating and are not combined into one.

# %%
S.signals_table(ctx)

# %% [markdown]
# ### Delivery confidence
#
# The official rating, from the data pack, is the only rating in this report; the
# table says who gave it, for which period and where it comes from.

# %%
S.delivery_confidence(ctx)

# %%
commentary(ctx, "Summary")
