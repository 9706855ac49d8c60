"""Figures of the graph-mapping chapter: one real head per model, the four baselines, and ΔF as the threshold moves."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd

from ..gauge.baselines import BASELINES, make_baseline
from ..models.attention import display_tokens, extract
from ..models.loading import LoadedModel
from .plots import attention_panel


def example_heads(
    loaded: dict[str, LoadedModel], text: str, heads: dict[str, tuple[int, int]], *, label: Callable[[str], str]
) -> list[tuple[plt.Figure, str]]:
    """One head of each model on ``text``: its weights with the edges outlined, and its graph; with captions."""
    out = []
    for s, model in loaded.items():
        layer, head = heads[s]
        A = extract(model, [text], [0], max_length=256).attn[0, layer, head].double().numpy()
        tokens = display_tokens(model, text)
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.4))
        attention_panel(A, tokens=tokens, title=f"{label(s)}: layer {layer}, head {head}", axes=axes)
        fig.tight_layout()
        caption = (
            f"One head of {label(s)} on the example sentence ({len(tokens)} tokens): its weights with the entries above the "
            "top-10 % threshold outlined in red (left), and the graph those entries make (right)."
        )
        out.append((fig, caption))
    return out


def baselines_figure(L: int, *, seed: int = 0) -> plt.Figure:
    """The paper's four baselines at length ``L``, each as weights with edges outlined and as a graph."""
    fig, axes = plt.subplots(len(BASELINES), 2, figsize=(9.5, 17))
    for row, kind in zip(axes, BASELINES, strict=True):
        attention_panel(make_baseline(kind, L, seed=seed), title=f"{kind} baseline (L = {L})", axes=row)
    fig.tight_layout()
    return fig


def threshold_figure(sweeps: dict[str, pd.DataFrame], *, fixed_tau: float, label: Callable[[str], str]) -> plt.Figure:
    """ΔF against random with its CI per quantile (left, one line per model) and at the fixed τ (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), gridspec_kw={"width_ratios": [3, 1]}, sharey=True)
    for s, t in sweeps.items():
        pct, fixed = t[t["threshold"].str.startswith("q=")], t[t["threshold"].str.startswith("τ=")]
        qs = pct["threshold"].str[2:].astype(float)
        left.errorbar(qs, pct["dF"], yerr=[pct["dF"] - pct["ci_low"], pct["ci_high"] - pct["dF"]], marker="o", capsize=3, label=label(s))
        yerr = [fixed["dF"] - fixed["ci_low"], fixed["ci_high"] - fixed["dF"]]
        right.errorbar([0] * len(fixed), fixed["dF"], yerr=yerr, marker="s", capsize=3, linestyle="none")
    for ax in (left, right):
        ax.axhline(0, color="grey", linewidth=0.8)
    left.set_xlabel("quantile q of the head's own weights")
    left.set_ylabel("ΔF vs random (95 % CI)")
    left.legend()
    right.set_xticks([0], [f"τ = {fixed_tau}"])
    right.set_xlabel("fixed threshold")
    return fig
