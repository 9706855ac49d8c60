"""Chapter 4 (H2): the layer-wise transition of F."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

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
