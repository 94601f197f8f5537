"""Charts for the report: each returns a ``Chart``, ``(figure, alt text)`` with the alt text built from
the data, and the chart's data table (``Chart.table``, left on the series by ``register.charts``).

Colour-blind-safe palette (seaborn ``colorblind``); every series also differs
by marker, line style or hatch, so no fact is carried by colour alone.

Text from the data pack (period labels, names) is drawn as plain text: mathematics
(``$...$``) and TeX are switched off for every text artist (``TEXT_RC``), so that a label
is never read as markup, and long labels are shortened on the axes (never in the alt text).

Legends are never over data: every chart's legend sits below its plot area, outside the axes
(``_legend``), laid out with the figure (constrained layout), so no line, bar or hatched band
lies under it.
"""

from __future__ import annotations

import unicodedata

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from audit_pipeline.report import fmt  # noqa: E402
from audit_pipeline.report.register.charts import STATUS_ORDER, TABLE  # noqa: E402

PALETTE = sns.color_palette("colorblind")
STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-.")]
HATCHES = ["", "//", "..", "xx", "\\\\"]
# Every text artist draws its string as it is: no mathematics, no TeX (data text is never markup).
TEXT_RC = {"text.parse_math": False, "text.usetex": False}
LABEL_CHARS = 40  # an axis label longer than this is shortened with an ellipsis


class Chart(tuple):
    """A chart: ``(figure, alt text)`` as a pair, with ``table``, its data table (or ``None``)."""

    table: dict | None

    def __new__(cls, figure, alt: str, table: dict | None = None):
        chart = super().__new__(cls, (figure, alt))
        chart.table = table
        return chart


def _chart(series: pd.DataFrame, figure, alt: str) -> Chart:
    return Chart(figure, alt, series.attrs.get(TABLE))


def short(label: object) -> str:
    """A label for an axis or legend: the text as it is, shortened to ``LABEL_CHARS`` characters."""
    text = "".join(c for c in str(label) if unicodedata.category(c) != "Cf")  # no bidi or other format controls
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "\u2026"


def _axes(title: str, ylabel: str):
    sns.set_theme(style="whitegrid", palette=PALETTE, font="DejaVu Sans", rc=TEXT_RC)
    matplotlib.rcParams.update(TEXT_RC)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel(ylabel)
    return fig, ax


def _lines(ax, x: list[str], series: dict[str, list[float]]) -> None:
    x = _unique_labels(x)
    for index, (name, values) in enumerate(series.items()):
        marker, style = STYLES[index % len(STYLES)]
        ax.plot(x, values, marker=marker, linestyle=style, color=PALETTE[index % len(PALETTE)], label=short(name))
    _period_ticks(ax)
    _legend(ax)


def _period_ticks(ax) -> None:
    """Period labels under the x axis, turned 45 degrees and ending at their tick."""
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")


def _legend(ax) -> None:
    """The axes' legend below the plot area, outside it (never over data); drawn again when a
    series, band or marker is added, so there is one legend holding every entry."""
    figure = ax.figure
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    for legend in list(figure.legends):
        legend.remove()
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        wide = max(len(label) for label in labels) > 30
        columns = min(len(handles), 2 if wide else 3)
        figure.legend(handles, labels, loc="outside lower center", ncols=columns, frameon=False, fontsize=8)


def _unique_labels(labels: list) -> list[str]:
    """Shortened labels for a categorical axis, kept distinct (two periods may share a shortened label)."""
    out, seen = [], set()
    for label in labels:
        text = short(label)
        while text in seen:
            text += "\u200b"  # invisible, keeps two periods apart on the axis
        seen.add(text)
        out.append(text)
    return out


def cumulative_costs(series: pd.DataFrame, estimate: pd.Series | None, texts: dict | None = None) -> tuple:
    """Running totals of actual costs by type, against the implementation cost estimate range.

    ``texts`` gives the alt text's figures as the register shows them (``central``, ``departmental``,
    ``estimate``); without it they are formatted here.
    """
    texts = texts or {}
    fig, ax = _axes("Implementation costs to date (actual)", "£ million")
    x = list(series["label"])
    kinds = {"Central programme": "central_programme", "Departmental (collated only)": "departmental_implementation"}
    _lines(ax, x, {name: list(collated(series, kind, "_cumulative")) for name, kind in kinds.items()})
    mark_collation(ax, series, {kind: name for name, kind in kinds.items()}, to_date=True)
    alt = (
        (
            f"Line chart of actual implementation costs to date from {fmt.isolate(x[0])} to {fmt.isolate(x[-1])}. "
            f"Central programme costs to date: {texts.get('central') or fmt.money(series['central_programme_cumulative'].iloc[-1])}; "
            f"departmental costs collated to date: {texts.get('departmental') or fmt.money(series['departmental_implementation_cumulative'].iloc[-1])}."
        )
        if x
        else "No cost data for this period."
    )
    if texts.get("note"):
        alt += " " + texts["note"]
    if estimate is not None:
        point = estimate["low_gbp_m"] == estimate["high_gbp_m"]
        if point:
            ax.axhline(estimate["low_gbp_m"], color=PALETTE[7], linestyle=(0, (6, 3)), label="Estimate")
        else:
            ax.axhspan(
                estimate["low_gbp_m"],
                estimate["high_gbp_m"],
                color=PALETTE[7],
                alpha=0.15,
                hatch="//",
                label="Estimate range",
            )
        _legend(ax)
        shown = "a dashed line" if point else "a shaded band"
        shown_range = texts.get("estimate") or fmt.money_range(estimate["low_gbp_m"], estimate["high_gbp_m"])
        alt += f" The implementation cost estimate is {shown_range}, shown as {shown}."
    return _chart(series, fig, alt)


def collation_counts(series: pd.DataFrame, kind: str, to_date: bool) -> tuple[pd.Series, pd.Series]:
    """A series' actual and not-collated row counts of ``kind``, per period or up to it."""
    if to_date:
        return series[f"{kind}_actual_rows_to_date"], series[f"{kind}_not_collated_to_date"]
    return series[f"{kind}_actual_rows"], series[f"{kind}_not_collated"]


def collated(series: pd.DataFrame, kind: str, suffix: str = "") -> pd.Series:
    """The amounts of ``kind`` with missing (NaN, drawn as a gap) where only not-collated returns exist."""
    actual, missing = collation_counts(series, kind, to_date=bool(suffix))
    return series[kind + suffix].astype(float).where(~((missing > 0) & (actual == 0)))


def ring_at_least(ax, xs: list, ys: list) -> None:
    """Ring the points whose amount is at least what is drawn (a return was not collated)."""
    ax.plot(
        xs,
        ys,
        linestyle="none",
        marker="o",
        markersize=12,
        markerfacecolor="none",
        markeredgecolor="black",
        markeredgewidth=1.2,
        label="At least (returns not collated)",
    )


def mark_collation(
    ax, series: pd.DataFrame, kinds: dict[str, str], to_date: bool, offsets: dict | None = None, width: float = 0.8
) -> None:
    """Mark what the chart does not draw in full: a cross-hatched band over a period where a series
    has no collated return (drawn as a gap: the amount is unknown, not zero), and a ring round a
    point that is at least what it shows (some returns not collated). ``kinds``: column -> name."""
    partial: tuple[list, list] = ([], [])
    marked = False
    for index, (kind, name) in enumerate(kinds.items()):
        actual, missing = collation_counts(series, kind, to_date)
        shift = (offsets or {}).get(kind, 0.0)
        values = series[kind + ("_cumulative" if to_date else "")].astype(float)
        label = f"{short(name)}: not collated (unknown, not zero)"
        for i in range(len(series)):
            if missing.iloc[i] and not actual.iloc[i]:
                ax.axvspan(
                    i + shift - width / 2,
                    i + shift + width / 2,
                    facecolor="none",
                    edgecolor=PALETTE[index % len(PALETTE)],
                    hatch="xx",
                    linewidth=0,
                    alpha=0.6,
                    label=label,
                )
                label, marked = "_nolegend_", True
            elif missing.iloc[i]:
                partial[0].append(i + shift)
                partial[1].append(values.iloc[i])
    if partial[0]:
        ring_at_least(ax, *partial)
    if marked or partial[0]:
        _legend(ax)


def savings_by_attribution(series: pd.DataFrame, texts: dict | None = None) -> tuple:
    """Actual savings per period, one bar per attribution (never stacked into one total).

    ``texts`` gives the totals to date as the register shows them, by attribution.
    """
    texts = texts or {}
    fig, ax = _axes("Savings per period by attribution (actual)", "£ million")
    names = {
        "shared_services": "Shared services (programme)",
        "reduced_activity": "Reduced activity",
        "unattributed": "Unattributed",
    }
    drawn = series.assign(**{k: collated(series, k) for k in names})  # not collated: no bar, never zero
    long = drawn.melt(id_vars=["label"], value_vars=list(names), var_name="attribution", value_name="amount")
    long["attribution"] = long["attribution"].map(names)
    long["label"] = _unique_labels(list(series["label"])) * len(names)  # melt repeats the periods per attribution
    sns.barplot(data=long, x="label", y="amount", hue="attribution", ax=ax, palette=PALETTE[:3])
    for bars, hatch in zip(ax.containers, HATCHES, strict=False):
        for bar in bars:
            bar.set_hatch(hatch)
    ax.set_xlabel("")
    _period_ticks(ax)
    _legend(ax)
    offsets = dict(zip(names, (-0.27, 0.0, 0.27), strict=True))
    mark_collation(ax, series, names, to_date=False, offsets=offsets, width=0.26)
    totals = {names[k]: texts.get(k) or fmt.money(series[k].sum()) for k in names}
    alt = (
        "Bar chart of actual savings per period by attribution. Totals to date: "
        + "; ".join(f"{k} {v}" for k, v in totals.items())
        + "."
        + (" " + texts["note"] if texts.get("note") else "")
    )
    return _chart(series, fig, alt)


def onboarding_progress(series: pd.DataFrame, texts: dict | None = None) -> tuple:
    """Cumulative bodies planned to be onboarded against those actually onboarded.

    ``texts`` gives the last period's ``planned`` and ``onboarded`` as the register shows them.
    """
    texts = texts or {}
    fig, ax = _axes("Bodies onboarded against plan (cumulative)", "Bodies")
    x = list(series["label"])
    _lines(ax, x, {"Planned": list(series["planned"]), "Actual": list(series["onboarded"])})
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    last = series.iloc[-1] if not series.empty else None
    alt = (
        (
            f"Line chart of bodies onboarded against plan from {fmt.isolate(x[0])} to {fmt.isolate(x[-1])}. By {fmt.isolate(x[-1])}, "
            f"{texts.get('planned') or int(last['planned'])} bodies were planned to be onboarded and "
            f"{texts.get('onboarded') or int(last['onboarded'])} had been."
        )
        if last is not None
        else "No onboarding data."
    )
    return _chart(series, fig, alt)


def service_within_sla(series: pd.DataFrame, texts: dict | None = None) -> tuple:
    """Share of transactions completed within SLA per period and centre (from transaction data).

    ``texts`` gives the latest period's share per centre as the register shows it.
    """
    texts = texts or {}
    fig, ax = _axes("Transactions completed within SLA (derived from transaction data)", "Share within SLA")
    centres = sorted(series["centre_id"].unique())
    labels = list(dict.fromkeys(series["label"]))
    lines = {
        c: [
            series[(series["centre_id"] == c) & (series["label"] == lab)]["within_sla_share"].sum() or None
            for lab in labels
        ]
        for c in centres
    }
    _lines(ax, labels, lines)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylim(0, 1)  # the whole scale, so small differences are not exaggerated
    latest = series[series["label"] == labels[-1]] if labels else series
    alt = (
        "Line chart of the share of transactions completed within their service level agreement, by centre. "
        + "; ".join(
            f"{r['centre_id']}: {texts.get(r['centre_id']) or fmt.share(r['within_sla_share'])} in {fmt.isolate(r['label'])}"
            for _, r in latest.iterrows()
        )
        + "."
    )
    return _chart(series, fig, alt)


def recommendation_status(series: pd.DataFrame, texts: dict | None = None) -> tuple:
    """Recommendations by assessed status at each period end, stacked, each status hatched differently.

    ``texts`` gives the last period's count per status as the register shows it.
    """
    texts = texts or {}
    fig, ax = _axes("Recommendations by assessed status", "Recommendations")
    statuses = list(STATUS_ORDER)
    bottom = pd.Series(0, index=series.index, dtype=float)
    x = _unique_labels(list(series["label"]))
    for index, status in enumerate(statuses):
        ax.bar(
            x,
            series[status],
            bottom=bottom,
            color=PALETTE[index],
            hatch=HATCHES[index],
            label=fmt.words(status),
            edgecolor="white",
        )
        bottom += series[status]
    _period_ticks(ax)
    _legend(ax)  # below the bars, never over them
    last = series.iloc[-1] if not series.empty else None
    alt = (
        (
            "Stacked bar chart of recommendations by status at each period end. At "
            + fmt.isolate(last["label"])
            + ": "
            + "; ".join(f"{fmt.words(s)} {texts.get(s) or int(last[s])}" for s in statuses)
            + "."
        )
        if last is not None
        else "No recommendations."
    )
    return _chart(series, fig, alt)
