"""Figures of the what-F-measures chapter: the decomposition of ΔF and its term shares, H1 against
the nulls, the specification curves and their shares, H1 and H2 by token length, and F against
mean row entropy. Each takes the tables of ``gedig.analysis.what_f_measures``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .plots import decomposition_figure, spec_curve_figure

DEFINITIONS = ("published", "as_written")


def decomposition(dec: pd.DataFrame, trained: Sequence[str], *, label: Callable[[str], str]) -> plt.Figure:
    """ΔF of the trained systems split into its three terms, one panel per system × definitions."""
    decomposition_figure(dec[dec["model"].isin(list(trained))], label=label)
    fig = plt.gcf()
    fig.tight_layout()
    return fig


def term_shares(dec: pd.DataFrame, *, label: Callable[[str], str]) -> plt.Figure:
    """The signed share of ΔF each term carries, per system (twins included), definitions and null."""
    shares = dec.pivot_table(index=["model", "preset", "baseline"], columns="term", values="share")
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(shares) + 1.2))
    sns.heatmap(shares, annot=True, fmt=".2f", center=0, cmap="RdBu_r", ax=ax, cbar_kws={"label": "share of ΔF"})
    ax.set_yticks(np.arange(len(shares)) + 0.5, [f"{label(m)} [{p}] vs {b}" for m, p, b in shares.index], rotation=0)
    ax.set_ylabel("model [preset] vs null")
    ax.set_xlabel("term")
    return fig


def nulls(null_table: pd.DataFrame, systems: Sequence[str], baselines: Sequence[str], *, label: Callable[[str], str]) -> plt.Figure:
    """H1 against each null with its 95 % CI, one panel per definitions, one row per system."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 0.45 * len(systems) * 1.5 + 1.6), sharey=True)
    y = {s: k for k, s in enumerate(systems)}
    for ax, d in zip(axes, DEFINITIONS, strict=True):
        part = null_table[null_table["preset"] == d]
        for j, b in enumerate(baselines):
            g = part[part["baseline"] == b]
            yy = np.array([y[s] for s in g["model"]]) + (j - 1) * 0.22
            ax.errorbar(g["dF"], yy, xerr=[g["dF"] - g["ci_low"], g["ci_high"] - g["dF"]], fmt="o", capsize=2, label=b)
        ax.axvline(0, color="k", lw=0.7)
        ax.set_yticks(range(len(systems)), [label(s) for s in systems])
        ax.set_xlabel("ΔF = F_real − F_null (95 % CI)")
        ax.set_title(d)
    axes[0].legend()
    fig.tight_layout()
    return fig


def spec_curve(curve: pd.DataFrame, title: str) -> plt.Figure:
    """One specification curve with its indicator panel."""
    spec_curve_figure(curve, title=title)
    fig = plt.gcf()
    fig.tight_layout()
    return fig


def h1_curves(
    curves: dict[tuple[str, str, str, str], pd.DataFrame], system: str, corpus: str, *, label: Callable[[str], str], n_texts: int
) -> list[tuple[plt.Figure, str]]:
    """H1's specification curves against random and against permuted for one system and corpus, with captions."""
    out = []
    for b in ("random", "permuted"):
        curve = curves[("h1", system, corpus, b)]
        fig = spec_curve(curve, f"H1, {label(system)}, {corpus}: ΔF against {b}")
        caption = (
            f"Specification curve of H1 against {b} for {label(system)} on {n_texts} texts of `{corpus}`: {len(curve)} "
            "specifications sorted by effect with 95 % CIs, coloured by origin; the lower panel marks each one's choices."
        )
        out.append((fig, caption))
    return out


def share_grid(shares: pd.DataFrame, *, label: Callable[[str], str]) -> plt.Figure:
    """The share of specifications whose CI lies above 0, per system × corpus (rows) and effect (columns)."""
    rows = [f"{e} vs {b}" if b != "—" else e for e, b in zip(shares["effect"], shares["baseline"], strict=True)]
    grid = shares.assign(row=rows).pivot_table(index=["model", "corpus"], columns="row", values="all")
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(grid) + 1.4))
    sns.heatmap(
        grid, annot=True, fmt=".0%", vmin=0, vmax=1, cmap="viridis", ax=ax, cbar_kws={"label": "share of specifications, CI above 0"}
    )
    ax.set_yticks(np.arange(len(grid)) + 0.5, [f"{label(m)}, {c}" for m, c in grid.index], rotation=0)
    ax.set_ylabel("model, corpus")
    ax.set_xlabel("effect")
    return fig


def by_length(lengths: pd.DataFrame, *, label: Callable[[str], str]) -> plt.Figure:
    """H1's ΔF against random and H2's layer-1 − layer-0 change per token-length bin, with 95 % CIs."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for s, g in lengths.groupby("model"):
        mid = (g["L_min"] + g["L_max"]) / 2
        for ax, effect in zip(axes, ("h1", "h2"), strict=True):
            mean, lo, hi = g[f"{effect}_dF"], g[f"{effect}_low"], g[f"{effect}_high"]
            ax.errorbar(mid, mean, yerr=[mean - lo, hi - mean], marker="o", capsize=2, label=label(s))
    for ax, name in zip(axes, ("H1: ΔF vs random", "H2: layer 1 − layer 0"), strict=True):
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xlabel("tokens (bin midpoint)")
        ax.set_ylabel("effect (95 % CI)")
        ax.set_title(name)
    axes[0].legend()
    fig.tight_layout()
    return fig


def entropy_scatter(heads: pd.DataFrame, r2_table: pd.DataFrame, trained: Sequence[str], *, label: Callable[[str], str]) -> plt.Figure:
    """Each head's mean F against its mean row entropy, per definitions, with the R² of entropy alone."""
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    r2 = r2_table.set_index(["model", "preset"])["r2_entropy_F"]
    for ax, d in zip(axes, DEFINITIONS, strict=True):
        for s, g in heads[(heads["preset"] == d) & heads["model"].isin(list(trained))].groupby("model"):
            ax.scatter(g["stat_row_entropy"], g["F_spec"], s=12, label=f"{label(s)} (R² {r2[(s, d)]:.2f})")
        ax.set_xlabel("mean row entropy (nats)")
        ax.set_ylabel("F (head mean)")
        ax.set_title(d)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
