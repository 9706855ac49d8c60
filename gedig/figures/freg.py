"""Figures of the F-regularisation chapter: Figure 3 rerun beside the paper's, and the direction
in which minimising F moves the evaluation attention."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..paper import paper_table3

LINTHRESH = 1e-3
"""The α axis is symmetric-log, linear below the paper's smallest non-zero α."""


def figure3(table: pd.DataFrame, *, label: str) -> plt.Figure:
    """Accuracy (left, mean ± sd over seeds) and the final training-time F (right) against α: ours
    (``table``, ``gedig.analysis.freg_table``), the random-value control, the paper's Table 3 and
    the author's executed notebook (its mean over seeds)."""
    paper = paper_table3()
    notebook_F = paper[[c for c in paper.columns if c.startswith("nb_F_")]].mean(axis=1)
    f_arms, ctrl = table[~table["control"]], table[table["control"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    left.errorbar(f_arms["alpha"], f_arms["acc_mean"], yerr=f_arms["acc_sd"], marker="o", capsize=3, label=f"ours ({label})")
    left.errorbar(
        paper["alpha"],
        paper["paper_acc_mean"],
        yerr=paper["paper_acc_sd"],
        marker="s",
        capsize=3,
        linestyle="--",
        label="paper (DistilBERT, SST-2)",
    )
    if len(ctrl):
        style = {"marker": "x", "color": "red", "capsize": 3, "linestyle": "none"}
        left.errorbar(ctrl["alpha"], ctrl["acc_mean"], yerr=ctrl["acc_sd"], label="random-value control", **style)
    left.set_ylabel("accuracy (%)")
    right.plot(f_arms["alpha"], f_arms["final_F_author"], marker="o", label="ours: author's final F")
    right.plot(paper["alpha"], paper["paper_final_F"], marker="s", linestyle="--", label="paper Table 3")
    right.plot(paper["alpha"], notebook_F, marker="^", linestyle=":", label="author's executed notebook")
    right.set_ylabel("final F (training-time gauge)")
    for ax in (left, right):
        ax.set_xscale("symlog", linthresh=LINTHRESH)
        ax.set_xlabel("α")
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def direction(table: pd.DataFrame) -> plt.Figure:
    """The soft entropy and soft density of the evaluation attention after training, per α (F arms)."""
    f_arms = table[~table["control"]]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.plot(f_arms["alpha"], f_arms["soft_delta_h"], marker="o", label="soft ΔH (entropy)")
    ax.plot(f_arms["alpha"], f_arms["soft_density"], marker="s", label="soft density (ΔEPC)")
    ax.set_xscale("symlog", linthresh=LINTHRESH)
    ax.set_xlabel("α")
    ax.set_ylabel("value on the evaluation set")
    ax.legend()
    return fig
