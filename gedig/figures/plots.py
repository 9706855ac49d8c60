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
    ax_h.scatter(jj + 0.5, ii + 0.5, s=10, c="red", marker="s", label=f"A > τ = {tau:.3g}")
    ax_h.legend(loc="upper right", frameon=True)
    ax_h.set_title(f"{title}\nF = {float(r.F):+.3f}  ΔEPC {float(r.delta_epc):.3f}  ΔH {float(r.delta_h):.3f}  ΔSP {float(r.delta_sp):.3f}")
    ax_h.set_xlabel("key j")
    ax_h.set_ylabel("query i")
    G = nx.DiGraph()
    G.add_nodes_from(range(len(A)))
    G.add_edges_from((int(i), int(j)) for i, j in zip(ii, jj, strict=True) if i != j)
    pos = nx.circular_layout(G)
    nx.draw_networkx_nodes(G, pos, ax=ax_g, node_size=90, node_color="#4c72b0")
    nx.draw_networkx_edges(G, pos, ax=ax_g, arrowsize=8, width=0.7, node_size=90, alpha=0.7)
    names = {k: (tokens[k] if tokens else str(k)) for k in G.nodes}
    for k, (x, y) in pos.items():  # labels outside the ring, dark on white: readable at any size
        ax_g.text(1.18 * x, 1.18 * y, names[k], ha="center", va="center", fontsize=10, color="#222222")
    ax_g.set_xlim(-1.45, 1.45)
    ax_g.set_ylim(-1.3, 1.3)
    ax_g.set_title(f"thresholded graph: {int(r.n_edges)} edges (self-loops not drawn)")
    ax_g.axis("off")
    return axes


def layer_boxplot(df: pd.DataFrame, *, baseline: str = "random", ax=None, title: str = ""):
    """Figure 2: F per layer as boxplots, the baseline's mean as a red dashed line."""
    ax = ax or plt.subplots(figsize=(8, 3.6))[1]
    sns.boxplot(data=df, x="layer", y="F", ax=ax, color="#8da0cb", fliersize=1, linewidth=0.8)
    ax.axhline(df[f"F_{baseline}"].mean(), color="red", linestyle="--", linewidth=1.2, label=f"{baseline} baseline mean")
    ax.set_title(title)
    ax.set_ylabel("F")
    ax.set_xlabel("layer")
    ax.legend(loc="lower right")
    return ax


def head_heatmap(df: pd.DataFrame, *, value: str = "F", ax=None, title: str = ""):
    """Mean of ``value`` per layer × head (texts averaged)."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    grid = df.pivot_table(index="layer", columns="head", values=value, aggfunc="mean")
    sns.heatmap(grid, ax=ax, cmap="magma", cbar_kws={"label": f"mean {value}"})
    ax.set_title(title)
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
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
    ax.legend()
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
        _, axes = plt.subplots(2, 1, figsize=(9.5, 8), sharex=True, gridspec_kw={"height_ratios": [2, 2.4]})
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
    top.legend(loc="upper left")
    for k, (name, v) in enumerate(rows):
        hit = (c[name] == v).to_numpy()
        bottom.scatter(x[hit], np.full(hit.sum(), k), marker="|", s=30, color="k", lw=0.8)
    label = {"definitions": "terms", "threshold": "threshold", "lam": "λ", "gamma": "γ"}
    bottom.set_yticks(range(len(rows)), [f"{label[n]} = {v}" for n, v in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("specification (sorted by effect)")
    return axes


def decomposition_figure(dec: pd.DataFrame, *, axes=None, label=None):
    """Each term's contribution to ΔF (text-level means, bootstrap 95 % CIs as error bars) per
    baseline, one panel per model × preset, with ΔF itself marked."""
    groups = list(dict.fromkeys(zip(dec["model"], dec["preset"], strict=True)))
    if axes is None:
        ncols = min(2, len(groups))
        nrows = -(-len(groups) // ncols)
        _, grid = plt.subplots(nrows, ncols, figsize=(9.5, 3.6 * nrows), sharey=True, squeeze=False)
        axes = grid.ravel()
        for ax in axes[len(groups) :]:
            ax.set_visible(False)
    colours = {"ΔEPC": "tab:green", "ΔH": "tab:orange", "ΔSP": "tab:purple"}
    width = 0.26
    for ax, (model, preset) in zip(axes, groups, strict=False):
        g = dec[(dec["model"] == model) & (dec["preset"] == preset)]
        kinds = list(dict.fromkeys(g["baseline"]))
        x = np.arange(len(kinds))
        for k, term in enumerate(("ΔEPC", "ΔH", "ΔSP")):
            t = g[g["term"] == term].set_index("baseline").loc[kinds]
            err = [t["contribution"] - t["ci_low"], t["ci_high"] - t["contribution"]]
            ax.bar(x + (k - 1) * width, t["contribution"], width, yerr=err, capsize=2, color=colours[term], label=f"{term} term")
        dF = g.drop_duplicates("baseline").set_index("baseline").loc[kinds, "dF"].to_numpy()
        ax.scatter(x, dF, color="k", zorder=3, s=28, marker="D", label="ΔF")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(x, kinds)
        ax.set_xlabel("null or baseline")
        ax.set_title(f"{label(model) if label else model} [{preset}]")
    for ax in axes[:: min(2, len(groups))]:
        ax.set_ylabel("contribution to ΔF")
    axes[0].legend(loc="best")
    return axes
