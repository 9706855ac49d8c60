"""Figures in the paper's style, each a function of tidy tables or matrices (matplotlib + seaborn)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns

from ..gauge.batched import gauge
from ..gauge.config import GaugeConfig


def attention_panel(
    A: np.ndarray,
    *,
    tokens: Sequence[str] | None = None,
    title: str = "",
    config: GaugeConfig | None = None,
    causal: bool = False,
    axes=None,
):
    """A head as a heatmap (edges outlined) beside its thresholded graph, with the gauge terms in the title."""
    cfg = config or GaugeConfig.published()
    A = np.asarray(A, dtype=float)
    r = gauge(A, causal=causal, config=cfg)
    tau = float(r.threshold)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 4))
    ax_h, ax_g = axes
    sns.heatmap(A, ax=ax_h, cmap="viridis", square=True, cbar=True, xticklabels=tokens or False, yticklabels=tokens or False)
    ii, jj = np.nonzero(A > tau)
    ax_h.scatter(jj + 0.5, ii + 0.5, s=8, c="red", marker="s", label=f"A > τ = {tau:.3g}")
    ax_h.legend(loc="upper right", fontsize=7, frameon=True)
    ax_h.set_title(
        f"{title}\nF = {float(r.F):+.3f}  ΔEPC {float(r.delta_epc):.3f}  ΔH {float(r.delta_h):.3f}  ΔSP {float(r.delta_sp):.3f}", fontsize=9
    )
    ax_h.set_xlabel("key j")
    ax_h.set_ylabel("query i")
    G = nx.DiGraph()
    G.add_nodes_from(range(len(A)))
    G.add_edges_from((int(i), int(j)) for i, j in zip(ii, jj, strict=True) if i != j)
    pos = nx.circular_layout(G)
    nx.draw_networkx(
        G,
        pos,
        ax=ax_g,
        node_size=120,
        font_size=6,
        arrowsize=6,
        width=0.6,
        node_color="#4c72b0",
        font_color="white",
        labels={k: (tokens[k] if tokens else k) for k in G.nodes} if tokens else None,
    )
    ax_g.set_title(f"thresholded graph: {int(r.n_edges)} edges (self-loops not drawn)", fontsize=9)
    ax_g.axis("off")
    return axes


def layer_boxplot(df: pd.DataFrame, *, baseline: str = "random", ax=None, title: str = ""):
    """Figure 2: F per layer as boxplots, the baseline's mean as a red dashed line."""
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    sns.boxplot(data=df, x="layer", y="F", ax=ax, color="#8da0cb", fliersize=1, linewidth=0.8)
    ax.axhline(df[f"F_{baseline}"].mean(), color="red", linestyle="--", linewidth=1.2, label=f"{baseline} baseline mean")
    ax.set_title(title)
    ax.set_ylabel("F")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def head_heatmap(df: pd.DataFrame, *, value: str = "F", ax=None, title: str = ""):
    """Mean of ``value`` per layer × head (texts averaged)."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    grid = df.pivot_table(index="layer", columns="head", values=value, aggfunc="mean")
    sns.heatmap(grid, ax=ax, cmap="magma", cbar_kws={"label": f"mean {value}"})
    ax.set_title(title)
    return ax


def depth_profile(frames: dict[str, pd.DataFrame], *, value: str = "dF", ax=None, title: str = ""):
    """Per-layer values of several models on a common relative-depth axis (layer / (layers − 1))."""
    ax = ax or plt.subplots(figsize=(7, 3.6))[1]
    for label, d in frames.items():
        depth = d["layer"] / max(d["layer"].max(), 1)
        ax.plot(depth, d[value], marker="o", markersize=3, linewidth=1, label=label)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("relative depth (layer / last layer)")
    ax.set_ylabel(value)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def spec_curve_figure(curve: pd.DataFrame, *, title: str = "", ylabel: str = "effect (text-level mean)", axes=None):
    """The standard two-panel specification curve: effects sorted with their 95 % CIs (coloured by
    origin), and below them an indicator panel marking each specification's choices."""
    c = curve.sort_values("effect").reset_index(drop=True)
    choices = [
        ("definitions", sorted(c["definitions"].unique())),
        ("threshold", list(dict.fromkeys(c["threshold"]))),
        ("lam", sorted(c["lam"].unique())),
        ("gamma", sorted(c["gamma"].unique())),
    ]
    rows = [(name, v) for name, values in choices for v in values]
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [2, 2.2]})
    top, bottom = axes
    colours = {"author's code": "tab:red", "paper's text": "tab:blue", "other": "0.6"}
    x = np.arange(len(c))
    for origin, g in c.groupby("origin"):
        top.errorbar(
            g.index,
            g["effect"],
            yerr=[g["effect"] - g["ci_low"], g["ci_high"] - g["effect"]],
            fmt="o",
            ms=2.5,
            lw=0.6,
            color=colours.get(origin, "k"),
            label=f"{origin} ({len(g)})",
        )
    top.axhline(0, color="k", lw=0.8)
    top.set_ylabel(ylabel)
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    for k, (name, v) in enumerate(rows):
        hit = (c[name] == v).to_numpy()
        bottom.scatter(x[hit], np.full(hit.sum(), k), marker="|", s=30, color="k", lw=0.8)
    label = {"definitions": "terms", "threshold": "threshold", "lam": "λ", "gamma": "γ"}
    bottom.set_yticks(range(len(rows)), [f"{label[n]} = {v}" for n, v in rows], fontsize=7)
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("specification (sorted by effect)")
    return axes


def decomposition_figure(dec: pd.DataFrame, *, axes=None):
    """Stacked bars: each term's contribution to ΔF (text-level means) per model × preset × baseline,
    with ΔF itself marked."""
    groups = list(dict.fromkeys(zip(dec["model"], dec["preset"], strict=True)))
    if axes is None:
        ncols = min(4, len(groups))
        nrows = -(-len(groups) // ncols)
        _, grid = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 3.2 * nrows), sharey=True, squeeze=False)
        axes = grid.ravel()
        for ax in axes[len(groups) :]:
            ax.set_visible(False)
    colours = {"ΔEPC": "tab:green", "ΔH": "tab:orange", "ΔSP": "tab:purple"}
    for ax, (model, preset) in zip(axes, groups, strict=False):
        g = dec[(dec["model"] == model) & (dec["preset"] == preset)]
        kinds = list(dict.fromkeys(g["baseline"]))
        pos, neg = np.zeros(len(kinds)), np.zeros(len(kinds))
        for term in ("ΔEPC", "ΔH", "ΔSP"):
            v = g[g["term"] == term].set_index("baseline").loc[kinds, "contribution"].to_numpy()
            base = np.where(v >= 0, pos, neg)
            ax.bar(range(len(kinds)), v, bottom=base, color=colours[term], label=term)
            pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
        dF = g.drop_duplicates("baseline").set_index("baseline").loc[kinds, "dF"].to_numpy()
        ax.scatter(range(len(kinds)), dF, color="k", zorder=3, s=18, label="ΔF")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(range(len(kinds)), kinds, rotation=30, fontsize=8)
        ax.set_title(f"{model} [{preset}]", fontsize=9)
    for ax in axes[:: min(4, len(groups))]:
        ax.set_ylabel("contribution to ΔF")
    axes[len(groups) - 1].legend(fontsize=7, loc="best")
    return axes
