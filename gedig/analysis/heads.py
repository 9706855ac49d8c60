"""Chapter 5 (head diversity): how much heads of one layer differ."""

from __future__ import annotations

import pandas as pd
from scipy import stats as sps


def head_diversity(df: pd.DataFrame, *, alpha: float = 0.001) -> tuple[pd.DataFrame, dict[str, object]]:
    """Per layer: spread of head means and a Friedman test that heads differ (texts as blocks)."""
    (model,), (preset,) = df["model"].unique(), df["preset"].unique()
    rows = []
    for layer, g in df.groupby("layer"):
        wide = g.pivot_table(index="text_id", columns="head", values="F")
        means = wide.mean()
        stat, p = sps.friedmanchisquare(*[wide[c].to_numpy() for c in wide.columns])
        rows.append(
            {
                "layer": layer,
                "head_mean_min": float(means.min()),
                "head_mean_max": float(means.max()),
                "spread": float(means.max() - means.min()),
                "head_sd": float(means.std(ddof=1)),
                "most_structured_head": int(means.idxmax()),
                "least_structured_head": int(means.idxmin()),
                "friedman_chi2": float(stat),
                "friedman_p": float(p),
            }
        )
    table = pd.DataFrame(rows)
    key = f"heads.{model}.{preset}"
    out = {
        f"{key}.all_layers_differ": bool((table["friedman_p"] < alpha).all()),
        f"{key}.friedman_p_max": float(table["friedman_p"].max()),
        f"{key}.spread_mean": float(table["spread"].mean()),
    }
    return table, out
