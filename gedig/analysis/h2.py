"""Chapter 4 (H2): the layer-wise transition of F: the runs, the per-layer tables, the depth trend and the measures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import GedigError
from ..gauge.config import GaugeConfig
from ..pipeline.scoring import score
from .stats import by_layer, text_bootstrap

N_BOOT = 2000
"""Text-bootstrap resamples behind every H2 interval."""


def layer_sums(df: pd.DataFrame, *, baseline: str = "random") -> np.ndarray:
    """Per text and layer (shape texts × layers × 3): rows, Σ F and Σ (F − F_baseline)."""
    d = df.assign(n=1.0, dF=df["F"] - df[f"F_{baseline}"])
    sums = d.groupby(["text_id", "layer"], sort=True)[["n", "F", "dF"]].sum()
    cube = sums.unstack("layer")
    if cube.isna().any().any():
        raise GedigError("the scoring table lacks some layer of some text: every text must have every layer")
    n_layers = df["layer"].nunique()
    return cube.to_numpy().reshape(len(cube), 3, n_layers).transpose(0, 2, 1)


def _layer_F(t: np.ndarray) -> np.ndarray:
    return t[..., 1] / t[..., 0]


def _start_margin(F: np.ndarray) -> np.ndarray:
    jumps = np.diff(F, axis=-1)
    return np.max(jumps[..., :2], axis=-1) - np.max(jumps[..., 2:], axis=-1)


LAYER_STATISTICS = {
    "layer0_margin": lambda F: np.min(F[..., 1:], axis=-1) - F[..., 0],
    "start_jump_margin": _start_margin,
}
"""H2's transition as margins of the layer means of F, each positive when the paper's reading holds:
layer 0 lies below every other layer; the largest rise (after layer 0 or 1) exceeds every later one."""
MIN_LAYERS = {"layer0_margin": 2, "start_jump_margin": 4}
"""The layers each margin needs: a layer after 0; a rise after layer 2 to compare with."""


def layer_intervals(df: pd.DataFrame, *, baseline: str = "random", n_boot: int = N_BOOT, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95 % text-bootstrap intervals (``gedig.analysis.stats.text_bootstrap``) of every layer's mean F
    (``layer<l>.F``) and ΔF against ``baseline`` (``layer<l>.dF``), the transition margins
    (``LAYER_STATISTICS``, where the model has ``MIN_LAYERS``) and the Spearman ρ of per-text layer
    means with the layer index."""
    cube = layer_sums(df, baseline=baseline)
    n_texts, n_layers, _ = cube.shape
    flat = cube.reshape(n_texts, n_layers * 3)

    def totals(t: np.ndarray) -> np.ndarray:
        return t.reshape(*t.shape[:-1], n_layers, 3)

    out: dict[str, tuple[float, float]] = {}
    for layer in range(n_layers):
        out[f"layer{layer}.F"] = text_bootstrap(flat, lambda t, k=layer: _layer_F(totals(t))[..., k], n_boot=n_boot, seed=seed)
        out[f"layer{layer}.dF"] = text_bootstrap(
            flat, lambda t, k=layer: (totals(t)[..., 2] / totals(t)[..., 0])[..., k], n_boot=n_boot, seed=seed
        )
    for name, fn in LAYER_STATISTICS.items():
        if n_layers >= MIN_LAYERS[name]:
            out[name] = text_bootstrap(flat, lambda t, f=fn: f(_layer_F(totals(t))), n_boot=n_boot, seed=seed)
    means = cube[..., 1] / cube[..., 0]  # per-text layer means
    layers = np.broadcast_to(np.arange(n_layers), means.shape)

    def rho(idx: np.ndarray) -> float:
        return float(sps.spearmanr(layers[idx].ravel(), means[idx].ravel()).statistic)

    ci = sps.bootstrap(
        (np.arange(n_texts),),
        rho,
        n_resamples=n_boot,
        vectorized=False,
        method="percentile",
        random_state=np.random.default_rng(seed),
    ).confidence_interval
    out["spearman_rho"] = (float(ci.low), float(ci.high))
    return out


def layer_transition(
    df: pd.DataFrame, *, baseline: str = "random", intervals: bool = True, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Per-layer table and H2 measures for one model × preset table.

    Spearman ρ of F with the layer index uses per-text layer means (texts are the replicates);
    the largest jump is between adjacent layer means of F. With ``intervals``, each estimate the
    claims read gets its 95 % text-bootstrap interval (``layer_intervals``) as ``ci.<key>``.
    """
    (model,), (preset,) = df["model"].unique(), df["preset"].unique()
    table = by_layer(df, baseline=baseline)
    per_text = df.groupby(["text_id", "layer"])["F"].mean().reset_index()
    rho, p = sps.spearmanr(per_text["layer"], per_text["F"])
    F = table["F_real"].to_numpy()
    jumps = np.diff(F)
    k = int(np.argmax(jumps)) if len(jumps) else 0
    key = f"h2.{model}.{preset}"
    out: dict[str, object] = {f"{key}.spearman_rho": float(rho), f"{key}.spearman_p": float(p), f"{key}.n_layers": len(table)}
    for r in table.itertuples():
        out[f"{key}.layer{r.layer}.F"] = float(r.F_real)
        out[f"{key}.layer{r.layer}.dF"] = float(r.dF)
        out[f"{key}.layer{r.layer}.win_rate"] = float(r.win_rate)
    out[f"{key}.largest_jump_from_layer"] = k
    out[f"{key}.largest_jump"] = float(jumps[k]) if len(jumps) else 0.0
    out[f"{key}.largest_jump_at_start"] = bool(k <= 1)
    out[f"{key}.layer0_lowest"] = bool(np.argmin(F) == 0)
    out[f"{key}.all_layers_positive"] = bool((table["dF"] > 0).all())
    if intervals and df["text_id"].nunique() >= 2:
        Fm = F[None, :]
        for name, fn in LAYER_STATISTICS.items():
            if len(F) >= MIN_LAYERS[name]:
                out[f"{key}.{name}"] = float(fn(Fm)[0])
            else:
                out[f"why_missing.{key}.{name}"] = f"the model has {len(F)} layers, too few for this margin"
        for name, (lo, hi) in layer_intervals(df, baseline=baseline, seed=seed).items():
            out[f"ci.{key}.{name}"] = [lo, hi]
    return table, out


def h2_runs(
    bound: dict[str, str], texts: list[str], *, extra_presets: dict[str, list[str]], options: Callable[[str], dict[str, Any]]
) -> dict[tuple[str, str], pd.DataFrame]:
    """Every bound model scored once under ``published``, and under each extra preset of its system;
    keyed by (model, preset)."""
    runs = {(m, "published"): score(m, texts, **options(m)) for m in dict.fromkeys(bound.values())}
    for s, presets in extra_presets.items():
        for p in presets if s in bound else []:
            runs[(bound[s], p)] = score(bound[s], texts, config=GaugeConfig.from_name(p), **options(bound[s]))
    return runs


def h2_layer_tables(runs: dict[tuple[str, str], pd.DataFrame]) -> dict[tuple[str, str], pd.DataFrame]:
    """Each run's per-layer table (F, the random baseline, ΔF, win rate)."""
    return {key: layer_transition(df, intervals=False)[0] for key, df in runs.items()}


def h2_measures(runs: dict[tuple[str, str], pd.DataFrame], bound: dict[str, str]) -> dict[str, object]:
    """The chapter's measures per system: each system reads its model's runs."""
    out: dict[str, object] = {}
    for (model, _preset), df in runs.items():
        systems = [s for s, m in bound.items() if m == model]
        if not systems:
            continue
        once = layer_transition(df.assign(model="<model>"))[1]  # a model bound to several systems is measured once
        for s in systems:
            out.update({k.replace("h2.<model>.", f"h2.{s}."): v for k, v in once.items()})
    return out


def trend_table(runs: dict[tuple[str, str], pd.DataFrame], *, label: Callable[[str], str]) -> pd.DataFrame:
    """H2 per model and preset: Spearman ρ, the largest jump and where, and two booleans."""
    rows = []
    for (m, p), df in runs.items():
        key = f"h2.m.{p}"
        h = layer_transition(df.assign(model="m"), intervals=False)[1]
        jump = int(h[f"{key}.largest_jump_from_layer"])  # type: ignore[call-overload]
        rows.append(
            {
                "model": label(m),
                "preset": p,
                "spearman ρ": h[f"{key}.spearman_rho"],
                "largest jump": f"layer {jump} → {jump + 1}",
                "jump size": h[f"{key}.largest_jump"],
                "layer 0 lowest": h[f"{key}.layer0_lowest"],
                "ΔF > 0 in every layer": h[f"{key}.all_layers_positive"],
            }
        )
    return pd.DataFrame(rows)


def per_layer_table(layer_tables: dict[tuple[str, str], pd.DataFrame], *, label: Callable[[str], str]) -> pd.DataFrame:
    """Every run's per-layer rows in one table, labelled by model and preset."""
    frames = [t.assign(model=label(m), preset=p) for (m, p), t in layer_tables.items()]
    return pd.concat(frames, ignore_index=True)[["model", "preset", "layer", "F_real", "F_base", "dF", "win_rate"]]
