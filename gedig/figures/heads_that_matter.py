"""Figures of chapter 9: each head's importance against its F (coloured by layer), the pruning
curves with the random band and the oracle, and the ρ of each statistic with its CI.

Each function takes chapter 9's studies (``gedig.analysis.heads_that_matter.ModelStudy``: a
``label``, a ``metric`` and the tidy ``heads``, ``ranking`` and ``curves`` tables) and reads only
those tables, so that the figures sit beside the analysis, not above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

NAMES = {
    "F_published": "F (published)",
    "F_as_written": "F (as written)",
    "stat_row_entropy": "row entropy",
    "stat_max_weight": "confidence",
    "importance_gradient": "gradient importance (vs ablation)",
}
"""How the figures and tables name each head statistic."""

STYLES = {
    "F, lowest first": {"color": "#1f77b4", "marker": "o"},
    "F, highest first": {"color": "#1f77b4", "marker": "s", "linestyle": ":"},
    "entropy, highest first": {"color": "#2ca02c", "marker": "^"},
    "confidence, lowest first": {"color": "#9467bd", "marker": "v"},
    "ablation importance, least first (oracle)": {"color": "black", "marker": "", "linestyle": "--"},
}
"""How each named pruning order is drawn (an order without a style here is drawn in the default one)."""


def importance_vs_f(studies: Sequence[Any]) -> plt.Figure:
    """One panel per model: each head's importance by ablation against its F (published), coloured
    by layer, with Spearman's ρ in the title."""
    fig, axes = plt.subplots(1, len(studies), figsize=(4.8 * len(studies), 4.2), squeeze=False)
    for ax, st in zip(axes[0], studies, strict=True):
        h = st.heads
        points = ax.scatter(h["F_published"], h["importance_ablation"], c=h["layer"], cmap="viridis", s=18, alpha=0.85)
        rho = st.ranking.query("statistic == 'F_published' and kind == 'spearman'")["rho"].iloc[0]
        ax.set_title(f"{st.label}\nρ = {rho:+.2f}", fontsize=10)
        ax.set_xlabel("F of the head (published, mean over texts)")
        ax.set_ylabel("importance: Δ metric when removed")
        ax.axhline(0, color="grey", linewidth=0.6)
        fig.colorbar(points, ax=ax, label="layer")
    fig.tight_layout()
    return fig


def pruning(studies: Sequence[Any], *, column: str = "metric") -> plt.Figure:
    """One panel per model: the metric against the share of heads removed, per order; the random
    orders as a band (their range) around their mean."""
    fig, axes = plt.subplots(1, len(studies), figsize=(4.8 * len(studies), 4.4), squeeze=False)
    for ax, st in zip(axes[0], studies, strict=True):
        c = st.curves
        random = c[c["random"]]
        rand = random.groupby("share")[column].agg(["min", "max", "mean"])
        ax.fill_between(rand.index, rand["min"], rand["max"], color="grey", alpha=0.3, label=f"random ({random['order'].nunique()} orders)")
        ax.plot(rand.index, rand["mean"], color="grey", linewidth=1)
        for name in c.loc[~c["random"], "order"].unique():
            line = c[c["order"] == name].sort_values("share")
            ax.plot(line["share"], line[column], label=name, markersize=4, **STYLES.get(name, {"marker": "."}))
        ax.set_xlabel("share of heads removed")
        ax.set_ylabel(st.metric.split(" (")[0] if column == "metric" else column)
        ax.set_title(st.label, fontsize=10)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def ranking_intervals(studies: Sequence[Any]) -> plt.Figure:
    """Each statistic's ρ with importance (and each F's partial ρ given entropy, confidence and layer;
    and the gradient importance's ρ with ablation), with its CI, per model."""
    fig, axes = plt.subplots(1, len(studies), figsize=(4.8 * len(studies), 3.4), squeeze=False, sharex=True)
    for ax, st in zip(axes[0], studies, strict=True):
        r = st.ranking
        names = [
            f"{NAMES.get(s, s)}{' | entropy, conf., layer' if k != 'spearman' else ''}"
            for s, k in zip(r["statistic"], r["kind"], strict=True)
        ]
        y = np.arange(len(r))[::-1]
        ax.errorbar(r["rho"], y, xerr=[r["rho"] - r["ci_low"], r["ci_high"] - r["rho"]], fmt="o", color="#1f77b4", capsize=3)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_yticks(y, names, fontsize=8.5)
        ax.set_title(st.label, fontsize=10)
        ax.set_xlabel("ρ with importance (95 % CI)")
    fig.tight_layout()
    return fig
