# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - commentary
#     - periods
#     - costs
#     - savings
#     - bodies
#     - centres
#     - kpis
#     - kpi_values
#     - transactions
#     - findings
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
# ## Data quality
#
# Every warning raised when the data pack was validated, every return not
# collated, and the exceptions register: plausibility checks on the period's data,
# each with its rule and tolerance, listed whether or not it finds anything. The inputs and code behind this report are listed under Provenance,
# at the end of the report, from the run's manifest.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import quality as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary

ctx = load_context(data_dir, period_id)

# %% [markdown]
# ### Warnings

# %%
S.warnings_table(ctx)

# %% [markdown]
# ### Returns not collated

# %%
S.not_collated_table(ctx)

# %% [markdown]
# ### Exceptions register
#
# Each check compares figures that should agree or could not have existed; an
# exception is listed for follow-up with the supplier, never corrected here.

# %%
S.exceptions_register(ctx)

# %%
S.exceptions_list(ctx)

# %%
commentary(ctx, "Data quality")
