"""Chapter 7 (what F measures): term decomposition of ΔF, the specification curve with its joint
sign-flip test, F by token length, and F against simple head statistics.

λ and γ only recombine the three terms, so every function takes scoring tables (one per threshold ×
term definitions, λ-free) and recombines them; nothing here gauges attention again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import GedigError
from ..gauge.config import GaugeConfig
from ..gauge.headstats import HEAD_STATS
from .stats import bootstrap_ci, t_interval, text_bootstrap

THRESHOLDS: dict[str, dict[str, float]] = {
    "q 0.8": {"q": 0.8},
    "q 0.85": {"q": 0.85},
    "q 0.9": {"q": 0.9},
    "q 0.95": {"q": 0.95},
    "τ 0.01": {"tau": 0.01},
}
DEFINITIONS = ("published", "as_written")
LAMS = (0.25, 0.5, 1.0, 2.0)
GAMMAS = (0.0, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Spec:
    """One specification: whose term definitions, which threshold, and the weights λ, γ."""

    definitions: str
    threshold: str
    lam: float
    gamma: float

    @property
    def origin(self) -> str:
        """Whose choice this is: the author's code (published terms, λ = γ = 0.5, the script's
        threshold options), the paper's text (as-written terms, λ = 1, γ = 0.5), or other."""
        if self.definitions == "published" and (self.lam, self.gamma) == (0.5, 0.5):
            return "author's code"
        if self.definitions == "as_written" and (self.lam, self.gamma) == (1.0, 0.5):
            return "paper's text"
        return "other"


def term_configs(
    thresholds: Mapping[str, Mapping[str, float]] = THRESHOLDS, definitions: Sequence[str] = DEFINITIONS
) -> dict[tuple[str, str], GaugeConfig]:
    """One gauge configuration per (term definitions, threshold): λ and γ are recombined later."""
    return {(d, t): GaugeConfig.from_name(d, **dict(thr)) for d in definitions for t, thr in thresholds.items()}


def specs(
    thresholds: Sequence[str] = tuple(THRESHOLDS),
    definitions: Sequence[str] = DEFINITIONS,
    lams: Sequence[float] = LAMS,
    gammas: Sequence[float] = GAMMAS,
) -> list[Spec]:
    return [Spec(d, t, float(lam), float(g)) for d in definitions for t in thresholds for lam in lams for g in gammas]


def recombine(table: pd.DataFrame, lam: float, gamma: float, who: str = "") -> pd.Series:
    """F = ΔEPC − λ(ΔH + γ·ΔSP) from a table's terms, for the real heads (``who=''``) or a baseline."""
    s = f"_{who}" if who else ""
    return table[f"delta_epc{s}"] - lam * (table[f"delta_h{s}"] + gamma * table[f"delta_sp{s}"])


def _per_text(values: pd.Series, table: pd.DataFrame) -> pd.Series:
    return values.groupby(table["text_id"].to_numpy()).mean()


def h1_per_text(table: pd.DataFrame, spec: Spec, baseline: str) -> pd.Series:
    """Per-text mean ΔF = F_real − F_baseline under one specification."""
    return _per_text(recombine(table, spec.lam, spec.gamma) - recombine(table, spec.lam, spec.gamma, baseline), table)


def h2_per_text(table: pd.DataFrame, spec: Spec) -> pd.Series:
    """Per-text change of mean F from layer 0 to layer 1 (H2's transition) under one specification."""
    F = recombine(table, spec.lam, spec.gamma)
    by = F.groupby([table["text_id"].to_numpy(), table["layer"].to_numpy()]).mean().unstack()
    if 1 not in by.columns:
        raise GedigError("H2's effect needs at least two layers")
    return by[1] - by[0]


def zero_by_construction(spec: Spec, effect: str, baseline: str) -> bool:
    """Whether a specification's effect is 0 whatever the attention: against ``permuted`` the head
    and its null share threshold, edges and entropy, so F_real − F_permuted = −λγ(ΔSP_real −
    ΔSP_permuted), which γ = 0 makes exactly 0. Such a specification tests nothing."""
    return effect == "h1" and baseline == "permuted" and spec.gamma == 0


def spec_curve(
    tables: Mapping[tuple[str, str], pd.DataFrame], effect: str = "h1", *, baseline: str = "random", spec_list: Sequence[Spec] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The specification curve: one row per specification (its choices, origin, effect, 95 % CI,
    and whether it is zero by construction), and the (texts × specifications) matrix of per-text
    effects for the joint test. A specification flagged ``zero_by_construction`` must measure 0
    (checked here) and is left out of every share and joint test."""
    rows, columns = [], []
    for spec in spec_list or specs():
        table = tables[(spec.definitions, spec.threshold)]
        per_text = h1_per_text(table, spec, baseline) if effect == "h1" else h2_per_text(table, spec)
        m, lo, hi = t_interval(per_text.to_numpy())
        degenerate = zero_by_construction(spec, effect, baseline)
        if degenerate and float(per_text.abs().max()) > 1e-12:
            raise GedigError(f"{spec} against {baseline} should be 0 by construction, but differs by {float(per_text.abs().max()):.3g}")
        rows.append(
            {
                **spec.__dict__,
                "origin": spec.origin,
                "effect": m,
                "ci_low": lo,
                "ci_high": hi,
                "n_texts": len(per_text),
                "zero_by_construction": degenerate,
            }
        )
        columns.append(per_text.sort_index().to_numpy())
    return pd.DataFrame(rows), np.column_stack(columns)


def share_positive(curve: pd.DataFrame) -> float:
    """The share of a curve's specifications whose 95 % CI lies above 0 ("H1 holds"), among those
    not zero by construction."""
    kept = curve[~curve["zero_by_construction"]]
    return float((kept["ci_low"] > 0).mean()) if len(kept) else float("nan")


def tested(curve: pd.DataFrame, D: np.ndarray) -> np.ndarray:
    """The columns of a curve's per-text effect matrix that are not zero by construction."""
    return D[:, ~curve["zero_by_construction"].to_numpy()]


def joint_test(D: np.ndarray, *, n_flips: int = 1000, seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """Joint inference over a specification curve under the null of no effect (Simonsohn et al. 2020):
    the same random sign flips of per-text effects are applied to every specification, and the
    observed median effect and count of significantly positive specifications are compared with
    their flip distributions."""
    D = np.asarray(D, dtype=np.float64)
    n = D.shape[0]
    if n < 3:
        raise GedigError("the joint test needs at least 3 texts")
    crit = sps.t.ppf(0.5 + level / 2, n - 1)
    sq = (D**2).sum(0)

    def summary(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = S @ D / n
        sd = np.sqrt(np.maximum(sq - n * m**2, 0.0) / (n - 1))
        t = np.divide(m * np.sqrt(n), sd, out=np.zeros_like(m), where=sd > 0)
        return np.median(m, axis=-1), (t > crit).sum(-1)

    med, n_sig = summary(np.ones((1, n)))
    rng = np.random.default_rng(seed)
    flips = rng.choice([-1.0, 1.0], size=(n_flips, n))
    med_null, sig_null = summary(flips)
    return {
        "median_effect": float(med[0]),
        "n_significant_positive": int(n_sig[0]),
        "share_significant_positive": float(n_sig[0] / D.shape[1]),
        "p_median": float((1 + (med_null >= med[0]).sum()) / (1 + n_flips)),
        "p_n_significant": float((1 + (sig_null >= n_sig[0]).sum()) / (1 + n_flips)),
        "n_flips": n_flips,
    }


def decomposition(table: pd.DataFrame, cfg: GaugeConfig, baselines: Sequence[str], *, n_boot: int = 999, seed: int = 0) -> pd.DataFrame:
    """ΔF = ΔΔEPC − λ·ΔΔH − λγ·ΔΔSP against each baseline: text-level means of each term's
    contribution with bootstrap 95 % CIs, and the signed share of ΔF each term carries."""
    rows = []
    rng = np.random.default_rng(seed)
    for b in baselines:
        parts = {
            "ΔEPC": table["delta_epc"] - table[f"delta_epc_{b}"],
            "ΔH": -cfg.lam * (table["delta_h"] - table[f"delta_h_{b}"]),
            "ΔSP": -cfg.lam * cfg.gamma * (table["delta_sp"] - table[f"delta_sp_{b}"]),
        }
        dF = _per_text(sum(parts.values()), table)
        for term, values in parts.items():
            per_text = _per_text(values, table).to_numpy()
            low, high = bootstrap_ci(per_text, n_boot=n_boot, seed=rng)
            pair = np.column_stack([per_text, dF.to_numpy()])
            share_ci = text_bootstrap(pair, lambda t: t[..., 0] / t[..., 1], n_boot=n_boot, seed=seed)
            rows.append(
                {
                    "baseline": b,
                    "term": term,
                    "contribution": float(per_text.mean()),
                    "ci_low": low,
                    "ci_high": high,
                    "dF": float(dF.mean()),
                    "share": float(per_text.mean() / dF.mean()) if dF.mean() != 0 else float("nan"),
                    "share_ci": share_ci,
                }
            )
    out = pd.DataFrame(rows)
    out["model"], out["preset"] = table["model"].iloc[0], cfg.name
    return out


def by_length(table: pd.DataFrame, cfg: GaugeConfig, *, n_bins: int = 4, baseline: str = "random") -> pd.DataFrame:
    """F and ΔF against token length, in length bins of about equal text counts: per bin the mean F,
    the H1 effect (ΔF vs ``baseline``) and the H2 effect (layer 1 − layer 0), each with a 95 % CI."""
    spec = Spec(cfg.name, "", cfg.lam, cfg.gamma)
    L = table.groupby("text_id")["L"].first()
    bins = pd.qcut(L.rank(method="first"), q=min(n_bins, L.nunique()), labels=False)
    F = _per_text(recombine(table, cfg.lam, cfg.gamma), table)
    h1, h2 = h1_per_text(table, spec, baseline), h2_per_text(table, spec)
    rows = []
    for k in sorted(bins.unique()):
        ids = bins.index[bins == k]
        m1, lo1, hi1 = t_interval(h1[ids].to_numpy())
        m2, lo2, hi2 = t_interval(h2[ids].to_numpy())
        rows.append(
            {
                "bin": int(k),
                "L_min": int(L[ids].min()),
                "L_max": int(L[ids].max()),
                "n_texts": len(ids),
                "F": float(F[ids].mean()),
                "h1_dF": m1,
                "h1_low": lo1,
                "h1_high": hi1,
                "h1_holds": bool(lo1 > 0),
                "h2_dF": m2,
                "h2_low": lo2,
                "h2_high": hi2,
                "h2_holds": bool(lo2 > 0),
            }
        )
    out = pd.DataFrame(rows)
    out["model"], out["preset"] = table["model"].iloc[0], cfg.name
    return out


def _r2(y: np.ndarray, X: np.ndarray) -> float:
    X1 = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(X1, y, rcond=None)
    resid = y - X1 @ coef
    return float(1 - resid.var() / y.var()) if y.var() > 0 else float("nan")


def head_stat_r2(
    table: pd.DataFrame, cfg: GaugeConfig, *, baseline: str = "random", n_boot: int = 999, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per head (layer, head; means over texts): F, ΔF vs ``baseline`` and the surface statistics;
    and the R² of F and of ΔF from the mean row entropy alone and from all the statistics, with a
    95 % text-bootstrap interval of entropy's R² for F (``r2_entropy_F_ci``; each resample recomputes
    every head's means). The interval is about this checkpoint's heads, on texts like these."""
    t = table.assign(
        F_spec=recombine(table, cfg.lam, cfg.gamma), dF_spec=lambda d: d["F_spec"] - recombine(d, cfg.lam, cfg.gamma, baseline)
    )
    cols = [f"stat_{s}" for s in HEAD_STATS]
    heads = t.groupby(["layer", "head"])[["F_spec", "dF_spec", *cols]].mean().reset_index()
    X_all, X_h = heads[cols].to_numpy(), heads[["stat_row_entropy"]].to_numpy()
    r2 = {
        "r2_entropy_F": _r2(heads["F_spec"].to_numpy(), X_h),
        "r2_all_F": _r2(heads["F_spec"].to_numpy(), X_all),
        "r2_entropy_dF": _r2(heads["dF_spec"].to_numpy(), X_h),
        "r2_all_dF": _r2(heads["dF_spec"].to_numpy(), X_all),
    }
    if n_boot and t["text_id"].nunique() >= 2:
        cube = t.groupby(["text_id", "layer", "head"], sort=True)[["F_spec", "stat_row_entropy"]].mean().unstack(["layer", "head"])
        n_heads = cube.shape[1] // 2
        if cube.isna().any().any():
            raise GedigError("the scoring table lacks some head of some text: every text must have every head")
        flat = cube.to_numpy()  # texts × (F per head, then entropy per head)

        def r2_entropy(tot: np.ndarray) -> np.ndarray:
            y, x = tot[..., :n_heads], tot[..., n_heads:]
            y, x = y - y.mean(axis=-1, keepdims=True), x - x.mean(axis=-1, keepdims=True)
            return (y * x).sum(-1) ** 2 / ((y * y).sum(-1) * (x * x).sum(-1))

        r2["r2_entropy_F_ci"] = text_bootstrap(flat, r2_entropy, n_boot=n_boot, seed=seed)
    heads["model"], heads["preset"] = table["model"].iloc[0], cfg.name
    return heads, r2
