"""Chapter 3 (H1): the flat measures of the real-vs-baseline comparison."""

from __future__ import annotations

import pandas as pd


def h1_measures(summary: pd.DataFrame, controls: pd.DataFrame | None = None) -> dict[str, object]:
    """Flatten an H1 summary to ``h1.<model>.<preset>.<baseline>.<stat>`` measures.

    ``all_positive``: every baseline's ΔF > 0 with its bootstrap CI above 0. With ``controls``
    (the summary of the ``@random-init`` models) each trained model also gets
    ``trained_exceeds_control``: its ΔF_random exceeds the untrained one's and the CIs do not overlap.
    """
    out: dict[str, object] = {}
    stats_ = (
        "F_real",
        "F_base",
        "dF",
        "dF_std",
        "win_rate",
        "d_pooled",
        "d_z",
        "d_z_text",
        "p_t",
        "p_wilcoxon",
        "ci_low",
        "ci_high",
        "n_texts",
    )
    for r in summary.itertuples():
        for s in stats_:
            out[f"h1.{r.model}.{r.preset}.{r.baseline}.{s}"] = getattr(r, s)
    for (model, preset), g in summary.groupby(["model", "preset"]):
        out[f"h1.{model}.{preset}.all_positive"] = bool(((g["dF"] > 0) & (g["ci_low"] > 0)).all())
    if controls is not None:
        for r in summary[summary["baseline"] == "random"].itertuples():
            c = controls[
                (controls["model"] == f"{r.model}@random-init") & (controls["preset"] == r.preset) & (controls["baseline"] == "random")
            ]
            if len(c):
                c = c.iloc[0]
                out[f"h1.{r.model}.{r.preset}.random.control_dF"] = float(c["dF"])
                out[f"h1.{r.model}.{r.preset}.random.trained_exceeds_control"] = bool(r.ci_low > c["ci_high"])
    return out
