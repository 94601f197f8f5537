"""Charts of costs and estimates that compare like with like: each returns ``(figure, alt text)``,
as ``charts.cumulative_costs`` does, the alt text built from the figures as the register shows them.

``cumulative_costs_with_total``: costs to date by type and their total. ``estimate_steps``: every
estimate made by the period's end, each a step from the date it was made, its range a band between
two lines (one line for a point estimate), one panel per measure (their units differ: a year's
savings, savings by a horizon, a whole programme's cost).
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from audit_pipeline.report import charts, fmt

TOTAL = "Total (central and departmental)"
PANEL = {
    "annual_savings": "Annual savings estimate (£ million a year)",
    "cumulative_savings": "Cumulative savings estimate (£ million by its horizon)",
    "implementation_cost": "Implementation cost estimate (£ million)",
}


def _theme() -> None:
    sns.set_theme(style="whitegrid", palette=charts.PALETTE, font="DejaVu Sans", rc=charts.TEXT_RC)
    plt.rcParams.update(charts.TEXT_RC)


def _labels(labels: list) -> list[str]:
    """Shortened period labels for a categorical axis, kept distinct."""
    out: list[str] = []
    for label in labels:
        text = charts.short(label)
        while text in out:
            text += "\u200b"
        out.append(text)
    return out


def cost_total(series: pd.DataFrame) -> pd.Series:
    """Total costs to date per period, missing (a gap) where either type has no collated return to date."""
    central = charts.collated(series, "central_programme", "_cumulative")
    departmental = charts.collated(series, "departmental_implementation", "_cumulative")
    return (central + departmental).round(6)


def cumulative_costs_with_total(series: pd.DataFrame, estimate: pd.Series | None, texts: dict | None = None) -> tuple:
    """Running totals of actual costs by type and their total, against the implementation cost estimate.

    ``texts`` gives the alt text's figures as the register shows them (``central``, ``departmental``,
    ``total``, ``estimate``, ``note``); without it they are formatted here.
    """
    texts = texts or {}
    _theme()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")  # room for the legend below
    ax.set_title("Implementation costs to date (actual)", loc="left", fontsize=11)
    ax.set_ylabel("£ million")
    x = _labels(list(series["label"]))
    kinds = {"Central programme": "central_programme", "Departmental (collated only)": "departmental_implementation"}
    lines = {name: charts.collated(series, kind, "_cumulative") for name, kind in kinds.items()}
    lines[TOTAL] = cost_total(series)
    for index, (name, values) in enumerate(lines.items()):
        if name == TOTAL and values.isna().all():
            continue  # no period with both types collated: no total line, and none in the legend
        marker, style = charts.STYLES[index % len(charts.STYLES)]
        width = 2.4 if name == TOTAL else 1.5
        ax.plot(
            x, list(values), marker=marker, linestyle=style, linewidth=width, color=charts.PALETTE[index], label=name
        )
    charts._period_ticks(ax)
    charts.mark_collation(ax, series, {kind: name for name, kind in kinds.items()}, to_date=True)
    incomplete = (
        series["central_programme_not_collated_to_date"] + series["departmental_implementation_not_collated_to_date"]
    ) > 0
    ringed = lines[TOTAL].notna() & incomplete
    if ringed.any():
        positions = [i for i, r in enumerate(ringed) if r]
        ax.plot(
            positions,
            list(lines[TOTAL][ringed]),
            linestyle="none",
            marker="o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=1.2,
            label="_nolegend_",
        )
    alt = "No cost data for this period."
    if x:
        last = lines[TOTAL].iloc[-1]
        total = texts.get("total") or (fmt.money(last) if pd.notna(last) else "not drawn")
        if lines[TOTAL].isna().all():
            total = "not drawn, as no departmental costs have been collated"
        alt = (
            f"Line chart of actual implementation costs to date from {fmt.isolate(series['label'].iloc[0])} to "
            f"{fmt.isolate(series['label'].iloc[-1])}. "
            f"Central programme costs to date: {texts.get('central') or fmt.money(series['central_programme_cumulative'].iloc[-1])}; "
            f"departmental costs collated to date: {texts.get('departmental') or fmt.money(series['departmental_implementation_cumulative'].iloc[-1])}; "
            f"total: {total}"
            + (
                "."
                if lines[TOTAL].isna().all()
                else " (the total is drawn only where both types have a collated return)."
            )
        )
    if texts.get("note"):
        alt += " " + texts["note"]
    if estimate is not None:
        point = estimate["low_gbp_m"] == estimate["high_gbp_m"]
        if point:
            ax.axhline(estimate["low_gbp_m"], color=charts.PALETTE[7], linestyle=(0, (6, 3)), label="Estimate")
        else:
            ax.axhspan(
                estimate["low_gbp_m"],
                estimate["high_gbp_m"],
                color=charts.PALETTE[7],
                alpha=0.15,
                hatch="//",
                label="Estimate range",
            )
        shown = "a dashed line" if point else "a shaded band"
        shown_range = texts.get("estimate") or fmt.money_range(estimate["low_gbp_m"], estimate["high_gbp_m"])
        alt += f" The implementation cost estimate in force is {shown_range}, shown as {shown}."
    # One legend, the figure's, below the plot area and never over the lines (as every chart's: charts._legend;
    # mark_collation has drawn it once already, and this draws it again with the estimate in it).
    charts._legend(ax)
    return fig, alt


def estimate_steps(history: pd.DataFrame, end: pd.Timestamp, texts: dict | None = None) -> tuple:
    """Every estimate made by ``end`` as a step from its ``as_at`` to the next of its measure and
    scope (or ``end``): low and high as two lines with a band between, one panel per measure.

    ``history`` is ``measures.estimates.estimate_history``; ``texts`` maps an ``estimate_id`` to
    its range as the register shows it.
    """
    texts = texts or {}
    _theme()
    measures = list(dict.fromkeys(history["measure"]))
    fig, axes = plt.subplots(len(measures), 1, figsize=(7.5, 1.9 * len(measures) + 0.6), sharex=True, squeeze=False)
    parts = []
    for ax, measure in zip(axes[:, 0], measures, strict=True):
        rows = history[history["measure"] == measure]
        ax.set_title(PANEL.get(measure, fmt.words(measure) + " (£ million)"), loc="left", fontsize=9)
        for index, (scope, group) in enumerate(rows.groupby("scope", sort=False)):
            colour = charts.PALETTE[index % len(charts.PALETTE)]
            xs = list(group["as_at"]) + [group["until"].iloc[-1]]
            low = list(group["low_gbp_m"]) + [group["low_gbp_m"].iloc[-1]]
            high = list(group["high_gbp_m"]) + [group["high_gbp_m"].iloc[-1]]
            style = charts.STYLES[index % len(charts.STYLES)][1]
            ax.step(xs, high, where="post", color=colour, linestyle=style, linewidth=1.6, label=charts.short(scope))
            if any(a != b for a, b in zip(low, high, strict=True)):
                ax.step(xs, low, where="post", color=colour, linestyle=style, linewidth=1.6)
                ax.fill_between(
                    xs,
                    low,
                    high,
                    step="post",
                    color=colour,
                    alpha=0.15,
                    hatch=charts.HATCHES[(index + 1) % len(charts.HATCHES)],
                )
            ax.plot(list(group["as_at"]), list(group["high_gbp_m"]), linestyle="none", marker="o", color=colour)
            steps = "; then ".join(
                f"{texts.get(r['estimate_id']) or fmt.money_range(r['low_gbp_m'], r['high_gbp_m'])} from {fmt.date(r['as_at'])}"
                for _, r in group.iterrows()
            )
            parts.append(f"{fmt.words(measure)}, {fmt.isolate(scope)}: {steps}")
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    last = axes[-1, 0]
    last.xaxis.set_major_locator(mdates.YearLocator())
    last.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    last.set_xlim(history["as_at"].min() - pd.Timedelta(days=30), end + pd.Timedelta(days=30))
    fig.tight_layout()
    alt = (
        f"Step chart of every estimate made by {fmt.date(end)}, each drawn from the date it was made until the "
        "next estimate of the same measure and scope, low and high ends as two lines with a band between "
        "(one line for a point estimate). " + ". ".join(parts) + "."
    )
    return fig, alt
