"""H1 statistics: ΔF = F_real − F_baseline summarised per model × preset × baseline.

Rows (text × layer × head) are not independent, so p-values and the bootstrap use texts as the
unit: each text contributes its mean ΔF. The author's pooled Cohen's d and the paired d_z are
both reported, because they answer different questions and differ a lot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import GedigError

GROUP = ("model", "preset")


def baselines_in(df: pd.DataFrame) -> list[str]:
    """Baseline kinds present in a scoring table (its F_<kind> columns)."""
    return [c[2:] for c in df.columns if c.startswith("F_")]


def cohen_d_pooled(real: np.ndarray, base: np.ndarray) -> float:
    """Mean difference over the pooled SD (ddof = 1), the samples treated as independent (as the author did)."""
    n1, n2 = len(real), len(base)
    pooled = np.sqrt(((n1 - 1) * real.var(ddof=1) + (n2 - 1) * base.var(ddof=1)) / (n1 + n2 - 2))
    return float((real.mean() - base.mean()) / pooled) if pooled > 0 else float("nan")


def paired_dz(delta: np.ndarray) -> float:
    """Mean paired difference over its SD (ddof = 1)."""
    sd = delta.std(ddof=1)
    return float(delta.mean() / sd) if sd > 0 else float("nan")


def bootstrap_ci(
    per_text: np.ndarray, *, n_boot: int = 2000, level: float = 0.95, seed: int | np.random.Generator = 0
) -> tuple[float, float]:
    """Percentile CI of the mean, resampling texts (``scipy.stats.bootstrap``) with a seeded
    generator; ``seed`` may be a generator shared by several intervals."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ci = sps.bootstrap(
        (per_text,), np.mean, n_resamples=n_boot, confidence_level=level, random_state=rng, method="percentile"
    ).confidence_interval
    return float(ci.low), float(ci.high)


def _one(df: pd.DataFrame, kind: str, n_boot: int, seed: int) -> dict[str, float]:
    real = df["F"].to_numpy()
    base = df[f"F_{kind}"].to_numpy()
    delta = real - base
    per_text = (df.assign(_d=delta).groupby("text_id")["_d"].mean()).to_numpy()
    n_texts = len(per_text)
    if n_texts >= 2 and np.ptp(per_text) > 0:
        p_t = float(sps.ttest_1samp(per_text, 0.0).pvalue)
    else:
        p_t = float("nan")
    p_w = float(sps.wilcoxon(per_text).pvalue) if n_texts >= 2 and np.any(per_text != 0) else float("nan")
    lo, hi = bootstrap_ci(per_text, n_boot=n_boot, seed=seed) if n_texts >= 2 else (float("nan"), float("nan"))
    return {
        "n_texts": n_texts,
        "n_rows": len(delta),
        "F_real": float(real.mean()),
        "F_base": float(base.mean()),
        "dF": float(delta.mean()),
        "dF_std": float(delta.std()),
        "win_rate": float((delta > 0).mean()),
        "d_pooled": cohen_d_pooled(real, base) if len(real) >= 2 else float("nan"),
        "d_z": paired_dz(delta) if len(delta) >= 2 else float("nan"),
        "d_z_text": paired_dz(per_text) if n_texts >= 2 else float("nan"),
        "p_t": p_t,
        "p_wilcoxon": p_w,
        "ci_low": lo,
        "ci_high": hi,
    }


def summarize(
    df: pd.DataFrame, *, baselines: Sequence[str] | None = None, by: Sequence[str] = GROUP, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """One row per group (default model × preset) × baseline with the H1 statistics.

    dF is the mean of F_real − F_baseline over rows (positive: real attention is closer to 0);
    dF_std is the population SD over rows and win_rate the share of rows with dF > 0, as the
    author reported them; p_t (one-sample t), p_wilcoxon and the bootstrap CI use per-text means.
    """
    kinds = list(baselines) if baselines is not None else baselines_in(df)
    missing = [k for k in kinds if f"F_{k}" not in df.columns]
    if missing:
        raise GedigError(f"the table has no column for baseline(s) {missing}; present: {baselines_in(df)}")
    if df.empty:
        raise GedigError("the scoring table is empty")
    rows = []
    for keys, group in df.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for kind in kinds:
            rows.append({**dict(zip(by, keys, strict=True)), "baseline": kind, **_one(group, kind, n_boot, seed)})
    return pd.DataFrame(rows)


def by_layer(df: pd.DataFrame, *, baseline: str = "random") -> pd.DataFrame:
    """Per-layer F_real, F_baseline, mean ΔF, its population SD and the win rate (the author's per-layer table)."""
    d = df.assign(dF=df["F"] - df[f"F_{baseline}"], win=(df["F"] > df[f"F_{baseline}"]))
    out = d.groupby(["model", "preset", "layer"], sort=True).agg(
        F_real=("F", "mean"),
        F_base=(f"F_{baseline}", "mean"),
        dF=("dF", "mean"),
        dF_std=("dF", lambda x: float(np.std(x))),
        win_rate=("win", "mean"),
    )
    return out.reset_index()
