"""Figures of the head-diversity chapter: head means as heatmaps, the within-layer spread by depth,
and the most and least structured heads of the widest layer."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..models.attention import display_tokens, extract
from ..models.loading import LoadedModel
from .plots import attention_panel, head_heatmap


def head_heatmaps(runs: dict[str, pd.DataFrame], *, label: Callable[[str], str]) -> plt.Figure:
    """Mean F of every head (texts averaged), one panel per system."""
    fig, axes = plt.subplots(1, len(runs), figsize=(9.5, 4.2), squeeze=False)
    for ax, (s, df) in zip(axes[0], runs.items(), strict=True):
        head_heatmap(df, ax=ax, title=label(s))
    fig.tight_layout()
    return fig


def spread_by_depth(tables: dict[str, pd.DataFrame], *, label: Callable[[str], str]) -> plt.Figure:
    """The within-layer spread of head means by relative depth, one line per system."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for s, t in tables.items():
        ax.plot(t["layer"] / max(t["layer"].max(), 1), t["spread"], marker="o", label=label(s))
    ax.set_xlabel("relative depth (layer / last layer)")
    ax.set_ylabel("max − min of head means")
    ax.legend()
    return fig


def extreme_heads(
    loaded: dict[str, LoadedModel], tables: dict[str, pd.DataFrame], text: str, *, label: Callable[[str], str]
) -> list[tuple[plt.Figure, str]]:
    """For each system, the layer with the widest spread: its most structured head (highest mean F)
    above its least structured one, on ``text``; with captions."""
    out = []
    for s, t in tables.items():
        model = loaded[s]
        row = t.loc[t["spread"].idxmax()]
        layer = int(row["layer"])
        attn = extract(model, [text], [0], max_length=256).attn
        tokens = display_tokens(model, text)
        fig, axes = plt.subplots(2, 2, figsize=(9.5, 9))
        for ax_row, which in zip(np.atleast_2d(axes), ["most_structured_head", "least_structured_head"], strict=True):
            head = int(row[which])
            title = f"layer {layer} head {head} ({which.replace('_', ' ')})"
            attention_panel(attn[0, layer, head].double().numpy(), tokens=tokens, title=title, axes=ax_row)
        fig.tight_layout()
        caption = (
            f"{label(s)}, layer {layer} (the widest spread): its most structured head (top) and least structured head "
            f"(bottom) on one text of {len(tokens)} tokens."
        )
        out.append((fig, caption))
    return out
