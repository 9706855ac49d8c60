"""Chapter 5 (head diversity): how much heads of one layer differ, tested with texts as blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from scipy import stats as sps

from ..pipeline.scoring import score

DIFFER_P = 0.001
"""A layer's heads differ when the Friedman test's p is below this."""


def head_diversity(df: pd.DataFrame, *, alpha: float = DIFFER_P) -> tuple[pd.DataFrame, dict[str, object]]:
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
        f"{key}.spread_min": float(table["spread"].min()),
        f"{key}.spread_max": float(table["spread"].max()),
        f"{key}.n_layers": len(table),
        f"{key}.n_layers_differ": int((table["friedman_p"] < alpha).sum()),
    }
    return table, out


def head_runs(bound: dict[str, str], texts: list[str], *, options: Callable[[str], dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Each system's model scored on ``texts`` (``options(model)``: its scoring options)."""
    return {s: score(m, texts, **options(m)) for s, m in bound.items()}


def diversity_tables(runs: dict[str, pd.DataFrame], *, label: Callable[[str], str]) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """Each system's per-layer diversity table (labelled by ``label``) and the chapter's measures."""
    tables, measures = {}, {}
    for s, df in runs.items():
        table, m = head_diversity(df.assign(model=s))
        tables[s] = table.assign(model=label(s))
        measures.update(m)
    return tables, measures


def diversity_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per model: its layers, the range of the within-layer spread, and the largest Friedman p."""
    diversity = pd.concat(tables.values(), ignore_index=True)
    summary = diversity.groupby("model").agg(
        layers=("layer", "count"), spread_min=("spread", "min"), spread_max=("spread", "max"), friedman_p_max=("friedman_p", "max")
    )
    return summary.reset_index()


def every_layer(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every layer of every model: head means, spread and the Friedman test."""
    columns = ["model", "layer", "head_mean_min", "head_mean_max", "spread", "head_sd", "friedman_chi2", "friedman_p"]
    return pd.concat(tables.values(), ignore_index=True)[columns]
