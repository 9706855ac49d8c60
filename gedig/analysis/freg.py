"""Chapter 6 (F-regularisation): Table 3, paired tests against α = 0, and the measures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import GedigError


def freg_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 3: per arm (F or random-value control) × α, accuracy mean ± sd (ddof = 1, in %) and the
    final F three ways, plus the soft entropy and density that show the direction."""
    g = runs.groupby(["control", "alpha"], sort=True)
    out = g.agg(
        seeds=("seed", "count"),
        acc_mean=("accuracy", lambda x: 100 * x.mean()),
        acc_sd=("accuracy", lambda x: 100 * x.std(ddof=1) if len(x) > 1 else float("nan")),
        final_F_author=("final_F_author", "mean"),
        final_F_example=("final_F_example", "mean"),
        final_F_published_gauge=("final_F_published_gauge", "mean"),
        soft_delta_h=("soft_delta_h", "mean"),
        soft_density=("soft_density", "mean"),
        train_minutes=("train_seconds", lambda x: x.sum() / 60),
    )
    return out.reset_index()


def sign_flip_p(diffs: np.ndarray) -> float:
    """Exact two-sided paired permutation p: all 2^n sign flips of the per-seed differences."""
    import itertools

    observed = abs(diffs.mean())
    flips = [abs((diffs * np.array(s)).mean()) >= observed - 1e-15 for s in itertools.product((1, -1), repeat=len(diffs))]
    return float(np.mean(flips))


def freg_tests(runs: pd.DataFrame) -> pd.DataFrame:
    """Each arm against α = 0, paired by seed: mean accuracy difference (percentage points), paired t
    and the exact sign-flip p. With three seeds the smallest attainable sign-flip p is 0.25."""
    base = runs[(~runs["control"]) & (runs["alpha"] == 0)].set_index("seed")["accuracy"]
    rows = []
    for (control, alpha), g in runs.groupby(["control", "alpha"], sort=True):
        if not control and alpha == 0:
            continue
        acc = g.set_index("seed")["accuracy"]
        common = acc.index.intersection(base.index)
        d = 100 * (acc[common] - base[common]).to_numpy()
        if len(d) < 2:
            p_t = float("nan")
        elif np.ptp(d) == 0:  # identical differences: t is 0 (no change) or infinite
            p_t = 1.0 if d[0] == 0 else 0.0
        else:
            p_t = float(sps.ttest_rel(acc[common], base[common]).pvalue)
        rows.append(
            {
                "arm": "random-value control" if control else "F",
                "alpha": alpha,
                "n_seeds": len(d),
                "diff_pp": float(d.mean()),
                "p_paired_t": p_t,
                "p_sign_flip": sign_flip_p(d) if len(d) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def freg_measures(table: pd.DataFrame, tests: pd.DataFrame) -> dict[str, object]:
    """Flat ``freg.*`` measures for the F-regularisation claims."""
    f = table[~table["control"]].set_index("alpha")
    alphas = sorted(f.index)
    out: dict[str, object] = {}
    for a in alphas:
        out[f"freg.acc.alpha{a:g}"] = float(f.loc[a, "acc_mean"])
        out[f"freg.final_F_author.alpha{a:g}"] = float(f.loc[a, "final_F_author"])
        out[f"freg.final_F_published_gauge.alpha{a:g}"] = float(f.loc[a, "final_F_published_gauge"])
    best = float(f["acc_mean"].idxmax())
    top = max(alphas)
    out["freg.best_alpha"] = best
    out["freg.best_is_0.001"] = bool(best == 0.001)
    out["freg.inverted_u"] = bool(0 < best < top and f.loc[top, "acc_mean"] < f.loc[0, "acc_mean"])
    out["freg.collapse_drop_pp"] = float(f.loc[top, "acc_mean"] - f.loc[0, "acc_mean"])
    if 0.001 in f.index:
        out["freg.gain_pp.alpha0.001"] = float(f.loc[0.001, "acc_mean"] - f.loc[0, "acc_mean"])
    out["freg.F_alpha_spearman"] = float(sps.spearmanr(alphas, f.loc[alphas, "final_F_author"]).statistic)
    out["freg.entropy_rises"] = bool(f.loc[top, "soft_delta_h"] > f.loc[0, "soft_delta_h"])
    out["freg.published_gauge_rises"] = bool(f.loc[top, "final_F_published_gauge"] > f.loc[0, "final_F_published_gauge"])
    for r in tests.itertuples():
        tag = "control" if r.arm != "F" else "F"
        out[f"freg.{tag}.p_paired_t.alpha{r.alpha:g}"] = r.p_paired_t
        out[f"freg.{tag}.p_sign.alpha{r.alpha:g}"] = r.p_sign_flip
        out[f"freg.{tag}.diff_pp.alpha{r.alpha:g}"] = r.diff_pp
    ctrl = table[table["control"]]
    if len(ctrl):
        a = float(ctrl["alpha"].iloc[0])
        out["freg.beats_control"] = bool(f.loc[a, "acc_mean"] > float(ctrl["acc_mean"].iloc[0]))
    return out


def paired_power(n: int, delta: float, sd: float, *, alpha: float = 0.05) -> float:
    """Power of a two-sided paired t-test with n pairs to detect a mean difference ``delta`` when
    the per-pair differences have standard deviation ``sd`` (noncentral t)."""
    if n < 2:
        return 0.0
    df, nc = n - 1, delta / sd * np.sqrt(n)
    crit = sps.t.ppf(1 - alpha / 2, df)
    return float(sps.nct.sf(crit, df, nc) + sps.nct.cdf(-crit, df, nc))


def seeds_needed(delta: float, sd: float, *, alpha: float = 0.05, power: float = 0.8, n_max: int = 100_000) -> int:
    """The smallest number of seeds (pairs) whose paired t-test reaches ``power`` for ``delta``."""
    if not (sd > 0 and np.isfinite(sd)) or delta == 0:
        raise ValueError(f"a power analysis needs a positive, finite SD and a non-zero effect (sd={sd!r}, delta={delta!r})")
    lo, hi = 2, 2
    while paired_power(hi, delta, sd, alpha=alpha) < power:
        lo, hi = hi, hi * 2
        if hi > n_max:
            return n_max
    while lo < hi:  # power grows with n: bisect for the first n that reaches it
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if paired_power(mid, delta, sd, alpha=alpha) < power else (lo, mid)
    return lo


def power_analysis(
    runs: pd.DataFrame,
    *,
    alpha_arm: float = 0.001,
    target_pp: float = 0.33,
    power: float = 0.8,
    step_seconds: dict[str, float] | None = None,
    arm_alphas: Sequence[float] = (0.0, 0.001, 1.0),
) -> dict[str, float]:
    """From the measured per-seed paired differences (α = ``alpha_arm`` minus α = 0, in percentage
    points): their SD, the seeds needed to detect the paper's ``target_pp`` with a two-sided paired
    t-test at 0.05 and ``power``, the same at the SD's one-sided 95 % upper confidence bound (a few
    pairs estimate an SD loosely), and the minutes one run takes here.

    The minutes come from ``step_seconds`` (``step_overhead``'s timed steps, CE-only for α = 0 and
    CE + α·F otherwise, averaged over the planned grid's ``arm_alphas``) when given, since the
    sweep's own training times include whatever else shared the machine; otherwise from the median
    recorded run.
    """
    base = runs[(~runs["control"]) & (runs["alpha"] == 0)].set_index("seed")["accuracy"]
    arm = runs[(~runs["control"]) & (runs["alpha"] == alpha_arm)].set_index("seed")["accuracy"]
    diffs = 100 * (arm - base.reindex(arm.index)).dropna().to_numpy()
    sd = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else float("nan")
    n = seeds_needed(target_pp, sd, power=power) if np.isfinite(sd) and sd > 0 else -1
    # an SD from a few pairs is itself uncertain: its one-sided 95 % upper bound (chi-square) gives a cautious plan
    sd_hi = float(sd * np.sqrt((len(diffs) - 1) / sps.chi2.ppf(0.05, len(diffs) - 1))) if len(diffs) > 1 else float("nan")
    n_hi = seeds_needed(target_pp, sd_hi, power=power) if np.isfinite(sd_hi) and sd_hi > 0 else -1
    if step_seconds:
        per_step = float(np.mean([step_seconds["ce_only" if a == 0 else "ce_plus_F"] for a in arm_alphas]))
        minutes, source = float(runs["steps"].median() * per_step / 60), "timed steps"
    else:
        minutes, source = float(runs["train_seconds"].median() / 60), "recorded runs"
    return {
        "pairs": len(diffs),
        "paired_sd_pp": sd,
        "target_pp": target_pp,
        "seeds_needed": n,
        "paired_sd_upper95_pp": sd_hi,
        "seeds_needed_upper95": n_hi,
        "arms": len(arm_alphas),
        "minutes_per_run": minutes,
        "minutes_source": source,
    }


def freg_summary(measures: dict[str, Any], table: Any, *, model_label: str) -> str:
    """Chapter 6's outcome in two sentences, from its measures and its claims' verdicts;
    ``model_label`` names the model that stood for DistilBERT on SST-2 under the book's profile."""
    import ast

    rows = table[table["id"].str.startswith("FREG-")]
    verdicts = ", ".join(f"{int((rows['verdict'] == v).sum())} {v}" for v in rows["verdict"].unique())
    keys = ("freg.final_F_author.alpha0", "freg.final_F_author.alpha1", "freg.F_alpha_spearman", "freg.gain_pp.alpha0.001")
    missing = [k for k in (*keys, "provenance.06_f_regularization.parameters") if measures.get(k) is None]
    if missing:
        raise GedigError(f"chapter 6 measures are missing ({', '.join(missing)}): run the book (python -m gedig book) first")
    f0, f1, rho, gain = (measures[k] for k in keys)
    p = ast.literal_eval(measures["provenance.06_f_regularization.parameters"])
    protocol = (
        f"{len(p['seeds'])} seeds per arm, α ∈ {{{', '.join(f'{a:g}' for a in p['alphas'])}}}, "
        f"{p['n_train']} training and {p['n_eval']} evaluation examples, {p['epochs']} epoch{'s' if p['epochs'] != 1 else ''}"
    )

    def signed(v: float, spec: str) -> str:
        return format(v, spec).replace("-", "−")

    return (
        f"Rerun under the book profile `{p['profile']}` on {model_label}, with {protocol}: the training-time F measured as "
        f"the author did is {signed(f0, '+.3f')} at α = 0 and {signed(f1, '+.3f')} at α = 1 (Spearman ρ between α and final F: "
        f"{signed(rho, '+.2f')}); the accuracy gain at α = 0.001 over α = 0 is {signed(gain, '+.2f')} percentage points. "
        f"Of its {len(rows)} claims: {verdicts} (see [Claims](claims.md)).\n"
    )
