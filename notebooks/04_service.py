# ---
# jupyter:
#   audit_pipeline:
#     reads:
#     - commentary
#     - periods
#     - centres
#     - kpis
#     - kpi_values
#     - transactions
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
# ## Service performance
#
# The centres' own KPIs against benchmarks, how promptly that management
# information arrived, and figures derived independently from transaction data.

# %% tags=["parameters"]
from typing import Optional

data_dir: Optional[str] = None  # the data pack folder; None means the bundled sample pack, data/ngss
period_id: Optional[str] = None  # the period to report, e.g. "2013-14-Q4"; None means the pack's latest

# %%
from audit_pipeline.report.sections import service as S
from audit_pipeline.report.context import load_context
from audit_pipeline.report.commentary import commentary

ctx = load_context(data_dir, period_id)

# %% [markdown]
# ### KPIs against benchmarks

# %%
S.kpi_table(ctx)

# %% [markdown]
# ### Transaction-derived figures beside self-reported KPIs

# %%
S.derived_vs_reported(ctx)

# %%
S.service_chart(ctx)

# %% [markdown]
# ### Timeliness of management information

# %%
S.mi_timeliness_table(ctx)

# %%
commentary(ctx, "Service performance")
