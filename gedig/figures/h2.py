"""Figures of the H2 chapter: Figure 2 per model (static and interactive), our encoder beside the
paper's BERT levels, and every model beside the author's per-layer LLM run on a relative-depth axis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from . import interactive
from .page import plotly_figure, raw
from .plots import depth_profile, layer_boxplot

Key = tuple[str, str]


def figure2(runs: dict[Key, pd.DataFrame], *, label: Callable[[str], str]) -> list[tuple[plt.Figure, str]]:
    """The paper's Figure 2 for every run: F per layer as boxes, the random baseline's mean dashed; with captions."""
    out = []
    for (m, p), df in runs.items():
        fig, ax = plt.subplots(figsize=(9.5, 3.6))
        layer_boxplot(df, ax=ax, title=f"{label(m)} [{p}]")
        caption = (
            f"F per layer for {label(m)} under the {p} gauge: every head of {df['text_id'].nunique()} texts (boxes), "
            "and the random baseline's mean (red dashed line), as in the paper's Figure 2."
        )
        out.append((fig, caption))
    return out


def figure2_interactive(runs: dict[Key, pd.DataFrame], texts: list[str], *, seed: int, label: Callable[[str], str]) -> Any:
    """Figure 2 of every ``published`` run, interactive (hover a point for its head, text and value), as captioned HTML."""
    parts = []
    for (m, p), df in runs.items():
        if p != "published":
            continue
        fig = interactive.layer_figure(df, texts, seed=seed, title=f"{label(m)} [published]: F per layer")
        fragment = interactive.show(fig, div_id=f"h2-layers-{m.replace('/', '-')}")
        caption = (
            f"F per layer for {label(m)}, interactive: boxes over every head of {df['text_id'].nunique()} texts, "
            "points for a seeded sample of texts (hover for head, text and value)."
        )
        parts.append(plotly_figure(fragment, caption).data)
    return raw("".join(parts))


def paper_levels(layer_tables: dict[Key, pd.DataFrame], model: str, levels: dict[str, float], *, label: Callable[[str], str]) -> plt.Figure:
    """``model``'s mean F per layer under each of its presets, beside the paper's three BERT levels
    ('layer 0', 'layers 1–2', 'layers 3+') drawn as black bars over the layers they span."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    last = 3
    for (m, p), t in layer_tables.items():
        if m == model:
            ax.plot(t["layer"], t["F_real"], marker="o", label=f"{label(m)} [{p}]")
            last = max(last, int(t["layer"].max()))
    spans = {"layer 0": [0], "layers 1–2": [1, 2], "layers 3+": list(range(3, last + 1))}
    for name, value in levels.items():
        ax.plot(spans[name], [value] * len(spans[name]), color="black", linewidth=3, alpha=0.6)
    ax.plot([], [], color="black", linewidth=3, alpha=0.6, label="paper, BERT (section 5.3)")
    ax.set_xlabel("layer")
    ax.set_ylabel("mean F")
    ax.legend()
    return fig


def author_depth(author: pd.DataFrame, layer_tables: dict[Key, pd.DataFrame], *, label: Callable[[str], str]) -> plt.Figure:
    """Per-layer ΔF against random on a relative-depth axis: the author's stored runs and our ``published`` runs."""
    frames = {f"author: {name}": g for name, g in author.groupby("model")}
    frames.update({f"ours: {label(m)}": t for (m, p), t in layer_tables.items() if p == "published"})
    fig, ax = plt.subplots(figsize=(9.5, 4))
    depth_profile(frames, value="dF", ax=ax, title="ΔF vs random by relative depth")
    ax.set_ylabel("ΔF vs random")
    return fig
