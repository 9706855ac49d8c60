"""Figures of the H1 chapter: ΔF against each baseline, per preset."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd

from ..gauge.baselines import BASELINES


def h1_bars(trained: pd.DataFrame, presets: list[str], *, label: Callable[[str], str]) -> plt.Figure:
    """ΔF of each model against each baseline with its 95 % CI, one panel per preset."""
    fig, axes = plt.subplots(1, len(presets), figsize=(9.5, 3.6), squeeze=False, sharey=True)
    for ax, preset in zip(axes[0], presets, strict=True):
        part = trained[trained["preset"] == preset]
        dF = part.pivot(index="baseline", columns="model", values="dF").reindex(list(BASELINES))
        lo = part.pivot(index="baseline", columns="model", values="ci_low").reindex(dF.index)
        hi = part.pivot(index="baseline", columns="model", values="ci_high").reindex(dF.index)
        yerr = [[dF[c] - lo[c], hi[c] - dF[c]] for c in dF.columns]
        dF.rename(columns=label).plot.bar(ax=ax, yerr=yerr, capsize=2, rot=0, legend=False)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(preset)
        ax.set_xlabel("baseline")
    axes[0][0].set_ylabel("ΔF (95 % CI over texts)")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return fig
