"""Chapter 4 (H2): the layer-wise transition of F: the runs, the per-layer tables, the depth trend and the measures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..gauge.config import GaugeConfig
from ..pipeline.scoring import score
from .stats import by_layer


def layer_transition(df: pd.DataFrame, *, baseline: str = "random") -> tuple[pd.DataFrame, dict[str, object]]:
    """Per-layer table and H2 measures for one model × preset table.

    Spearman ρ of F with the layer index uses per-text layer means (texts are the replicates);
    the largest jump is between adjacent layer means of F.
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
    return {key: layer_transition(df)[0] for key, df in runs.items()}


def h2_measures(runs: dict[tuple[str, str], pd.DataFrame], bound: dict[str, str]) -> dict[str, object]:
    """The chapter's measures per system: each system reads its model's runs."""
    out: dict[str, object] = {}
    for s, m in bound.items():
        for (model, _preset), df in runs.items():
            if model == m:
                out.update(layer_transition(df.assign(model=s))[1])
    return out


def trend_table(runs: dict[tuple[str, str], pd.DataFrame], *, label: Callable[[str], str]) -> pd.DataFrame:
    """H2 per model and preset: Spearman ρ, the largest jump and where, and two booleans."""
    rows = []
    for (m, p), df in runs.items():
        key = f"h2.m.{p}"
        h = layer_transition(df.assign(model="m"))[1]
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
