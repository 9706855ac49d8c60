"""Figures in the paper's style, each a function of tidy tables or matrices (matplotlib + seaborn)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns

from .config import GaugeConfig
from .measure import gauge


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
