"""H1 statistics: ΔF = F_real − F_baseline summarised per model × preset × baseline.

Rows (text × layer × head) are not independent, so p-values and the bootstrap use texts as the
unit: each text contributes its mean ΔF. The author's pooled Cohen's d and the paired d_z are
both reported, because they answer different questions and differ a lot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-based confidence interval of a mean over replicates (texts, or seeds); NaN ends
    below 2 replicates, a point when every value is the same."""
    x = np.asarray(values, dtype=np.float64)
    m = float(x.mean())
    if len(x) < 2:
        return m, float("nan"), float("nan")
    half = float(sps.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return m, m - half, m + half


def text_bootstrap(
    sums: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile CI of a statistic of row sums, resampling texts (the unit that was sampled).

    ``sums`` holds one row per text of additive sufficient statistics (counts, sums, sums of
    squares); ``statistic`` maps their totals (shape ``(..., k)``) to the statistic, so one resample
    is one draw of texts with replacement, every row of a drawn text kept (a cluster bootstrap,
    through ``scipy.stats.bootstrap`` on the text indices)."""
    sums = np.asarray(sums, dtype=float)

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return statistic(sums[np.asarray(idx, dtype=int)].sum(axis=-2))

    ci = sps.bootstrap(
        (np.arange(len(sums)),),
        stat,
        n_resamples=n_boot,
        confidence_level=level,
        random_state=np.random.default_rng(seed),
        method="percentile",
        vectorized=True,
        batch=max(1, 4_000_000 // max(1, sums.size)),
    ).confidence_interval
    return float(ci.low), float(ci.high)


ROW_SUMS = ("n", "real", "real2", "base", "base2", "delta", "delta2", "wins")
"""The per-text sums from which every H1 statistic over rows is computed (``h1_sums``)."""


def h1_sums(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Per text: rows, Σ F_real, Σ F_real², Σ F_base, Σ F_base², Σ ΔF, Σ ΔF² and rows with ΔF > 0."""
    real = df["F"].to_numpy(dtype=float)
    base = df[f"F_{kind}"].to_numpy(dtype=float)
    d = real - base
    parts = pd.DataFrame(
        {
            "text_id": df["text_id"].to_numpy(),
            "n": 1.0,
            "real": real,
            "real2": real**2,
            "base": base,
            "base2": base**2,
            "delta": d,
            "delta2": d**2,
            "wins": (d > 0).astype(float),
        }
    )
    return parts.groupby("text_id", sort=True)[list(ROW_SUMS)].sum()


def _sum(total: np.ndarray, name: str) -> np.ndarray:
    return total[..., ROW_SUMS.index(name)]


def _mean(total: np.ndarray, name: str) -> np.ndarray:
    return _sum(total, name) / _sum(total, "n")


def _var(total: np.ndarray, name: str) -> np.ndarray:
    n = _sum(total, "n")
    return (_sum(total, f"{name}2") - _sum(total, name) ** 2 / n) / (n - 1)


ROW_STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "dF": lambda t: _mean(t, "delta"),
    "win_rate": lambda t: _mean(t, "wins"),
    "d_z": lambda t: _mean(t, "delta") / np.sqrt(_var(t, "delta")),
    "d_pooled": lambda t: (_mean(t, "real") - _mean(t, "base")) / np.sqrt((_var(t, "real") + _var(t, "base")) / 2),
}
"""The H1 statistics over rows, each from the totals of ``ROW_SUMS`` (so a text bootstrap recomputes them)."""


def _one(df: pd.DataFrame, kind: str, n_boot: int, seed: int) -> dict[str, float]:
    real = df["F"].to_numpy()
    base = df[f"F_{kind}"].to_numpy()
    delta = real - base
    per_text = (df.assign(_d=delta).groupby("text_id")["_d"].mean()).to_numpy()
    sums = h1_sums(df, kind).to_numpy()
    cis = {
        f"{name}_ci": text_bootstrap(sums, fn, n_boot=n_boot, seed=seed) if len(sums) >= 2 else (float("nan"), float("nan"))
        for name, fn in ROW_STATISTICS.items()
    }
    n_texts = len(per_text)
    if n_texts >= 2 and np.ptp(per_text) > 0:
        p_t = float(sps.ttest_1samp(per_text, 0.0).pvalue)
    else:
        p_t = float("nan")
    p_w = float(sps.wilcoxon(per_text).pvalue) if n_texts >= 2 and np.any(per_text != 0) else float("nan")
    lo, hi = cis["dF_ci"]
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
        **cis,
    }


def summarize(
    df: pd.DataFrame, *, baselines: Sequence[str] | None = None, by: Sequence[str] = GROUP, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """One row per group (default model × preset) × baseline with the H1 statistics.

    dF is the mean of F_real − F_baseline over rows (positive: real attention is closer to 0);
    dF_std is the population SD over rows and win_rate the share of rows with dF > 0, as the
    author reported them; p_t (one-sample t) and p_wilcoxon use per-text means. ``dF_ci`` (= ci_low,
    ci_high), ``win_rate_ci``, ``d_z_ci`` and ``d_pooled_ci`` are 95 % intervals of the row
    statistics by a text bootstrap (``text_bootstrap``): texts resampled, each with all its rows.
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


def learned_effect(
    trained: pd.DataFrame, untrained: pd.DataFrame, *, kind: str = "random", n_boot: int = 2000, seed: int = 0
) -> tuple[float, tuple[float, float]]:
    """ΔF of the trained model less ΔF of its untrained twin on the same texts, and its 95 % interval
    by a text bootstrap that draws both models' rows of a text together (they are paired by text)."""
    a, b = h1_sums(trained, kind), h1_sums(untrained, kind)
    common = a.index.intersection(b.index)
    if len(common) < 2:
        raise GedigError(f"the trained model and its twin share {len(common)} texts; a paired interval needs at least 2")
    sums = np.hstack([a.loc[common].to_numpy(), b.loc[common].to_numpy()])
    k = len(ROW_SUMS)

    def effect(t: np.ndarray) -> np.ndarray:
        return ROW_STATISTICS["dF"](t[..., :k]) - ROW_STATISTICS["dF"](t[..., k:])

    return float(effect(sums.sum(axis=0))), text_bootstrap(sums, effect, n_boot=n_boot, seed=seed)
