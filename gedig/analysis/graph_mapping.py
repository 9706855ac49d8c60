"""Chapter 2 (graph mapping): how the threshold choice moves ΔF_random."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import summarize


def threshold_sweep(tables: dict[str, pd.DataFrame], *, model: str) -> tuple[pd.DataFrame, dict[str, object]]:
    """ΔF vs random per threshold setting; ``tables`` maps a label ('q=0.9', 'τ=0.01') to a score table."""
    rows = []
    for label, df in tables.items():
        s = summarize(df, baselines=["random"]).iloc[0]
        rows.append(
            {
                "threshold": label,
                "F_real": s["F_real"],
                "F_random": s["F_base"],
                "dF": s["dF"],
                "win_rate": s["win_rate"],
                "ci_low": s["ci_low"],
                "ci_high": s["ci_high"],
            }
        )
    table = pd.DataFrame(rows)
    pct = table[table["threshold"].str.startswith("q=")]
    fixed = table[table["threshold"].str.startswith("τ=")]
    out: dict[str, object] = {f"mapping.{model}.{r.threshold}.dF": float(r.dF) for r in table.itertuples()}
    out[f"mapping.{model}.q_all_positive"] = bool((pct["dF"] > 0).all())
    out[f"mapping.{model}.tau_flips_sign"] = bool(len(fixed) and (np.sign(fixed["dF"]) != np.sign(pct["dF"].iloc[0])).any())
    return table, out
