"""Figures of the theory chapter: Figure 1's graphs, and the structural gain per added edge."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd


def figure1_graphs(examples: dict[str, np.ndarray], fig1: pd.DataFrame, names: Sequence[str], *, tau: float) -> plt.Figure:
    """The named example graphs (edges: weights above ``tau``) drawn in a circle, each titled with
    its ΔEPC and relative path gain from ``fig1`` (``gedig.analysis.theory.figure1_table``)."""
    fig, axes = plt.subplots(1, len(names), figsize=(9.5, 3.4))
    rows = fig1.set_index("graph")
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(examples[name] > tau), strict=True) if i < j]
        graph = nx.Graph(edges)
        style = {"node_size": 160, "font_size": 9, "node_color": "#4c72b0", "font_color": "white"}
        nx.draw_networkx(graph, nx.circular_layout(graph), ax=ax, **style)
        row = rows.loc[name]
        ax.set_title(f"{name}\nΔEPC {row.delta_epc:.3f}  ΔSP_rel {row.delta_sp_rel:.3f}", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def gain_per_edge(fig1: pd.DataFrame) -> plt.Figure:
    """The structural gain per added edge of the random edge sets against one long and one local shortcut."""
    rows = fig1.set_index("graph")
    random_rows = fig1[fig1["graph"].str.contains("random")]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.plot(random_rows["added_edges"], random_rows["gain_per_edge"], marker="o", label="random edges")
    for name, colour in (("long", "red"), ("local", "orange")):
        ax.scatter([1], [rows.loc[f"chain + {name} shortcut", "gain_per_edge"]], color=colour, zorder=3, label=f"one {name} shortcut")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("edges added to the chain")
    ax.set_ylabel("structural gain per edge")
    ax.legend()
    return fig
