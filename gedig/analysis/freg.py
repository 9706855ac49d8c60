"""Chapter 6 (F-regularisation): Table 3, paired tests against α = 0, and the measures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..experiments.grid import load_grid
from ..experiments.sweep import finished_runs, step_overhead, sweep_dir
from ..experiments.training import Protocol
from ..paper import paper_freg_pp, paper_table3
from .stats import t_interval


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
    """Each arm against α = 0, paired by seed: mean accuracy difference (percentage points) with its
    95 % t interval, paired t and the exact sign-flip p. With three seeds the smallest attainable
    sign-flip p is 0.25."""
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
        _, lo, hi = t_interval(d)
        rows.append(
            {
                "arm": "random-value control" if control else "F",
                "alpha": alpha,
                "n_seeds": len(d),
                "diff_pp": float(d.mean()),
                "ci_low": lo,
                "ci_high": hi,
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


def _per_seed(runs: pd.DataFrame, alpha: float, column: str, *, control: bool = False) -> pd.Series:
    arm = runs[(runs["control"] == control) & (runs["alpha"] == alpha)]
    return arm.set_index("seed")[column].astype(float)


def paired(runs: pd.DataFrame, a: tuple[float, bool], b: tuple[float, bool], column: str = "accuracy", scale: float = 100.0) -> np.ndarray:
    """Per-seed differences of ``column`` (× ``scale``) between arm ``a`` and arm ``b``, each given as
    (α, is the random-value control), on the seeds both ran."""
    x, y = _per_seed(runs, a[0], column, control=a[1]), _per_seed(runs, b[0], column, control=b[1])
    common = x.index.intersection(y.index)
    return scale * (x[common] - y[common]).to_numpy()


def seed_measures(runs: pd.DataFrame, *, best: float = 0.001) -> dict[str, object]:
    """The chapter's estimates over seeds with their 95 % t intervals (``ci.<key>``), seeds as the
    unit and arms paired by seed: each α's accuracy difference from α = 0 (``freg.F.diff_pp``), the
    lead of α = ``best`` over every other α, the change at the largest α, the rise of the published
    gauge's F from α = 0 to the largest α, the F arm against the random-value control at its α, the
    final F per α (one arm's seeds), and Spearman's ρ of the final F with α per seed (its mean)."""
    f = runs[~runs["control"]]
    alphas = sorted(f["alpha"].unique())
    top = max(alphas)
    out: dict[str, object] = {}

    def put(key: str, values: np.ndarray) -> None:
        if len(values):
            out[key] = float(np.mean(values))
            out[f"ci.{key}"] = list(t_interval(values)[1:])

    for a in alphas:
        put(f"freg.final_F_author.alpha{a:g}", _per_seed(runs, a, "final_F_author").to_numpy())
        if a != 0:
            put(f"freg.F.diff_pp.alpha{a:g}", paired(runs, (a, False), (0.0, False)))
        if a != best and best in alphas:
            put(f"freg.lead_pp.alpha{a:g}", paired(runs, (best, False), (a, False)))
    put("freg.collapse_drop_pp", paired(runs, (top, False), (0.0, False)))
    put("freg.published_gauge_rise", paired(runs, (top, False), (0.0, False), "final_F_published_gauge", 1.0))
    ctrl = runs[runs["control"]]
    if len(ctrl):
        a = float(ctrl["alpha"].iloc[0])
        put("freg.control_gap_pp", paired(runs, (a, False), (a, True)))
    wide = f.pivot_table(index="seed", columns="alpha", values="final_F_author")
    rhos = np.array([sps.spearmanr(alphas, row[alphas].to_numpy()).statistic for _, row in wide.dropna().iterrows()])
    put("freg.F_alpha_spearman", rhos)
    if "ci.freg.F_alpha_spearman" in out:
        lo, hi = out["ci.freg.F_alpha_spearman"]  # type: ignore[misc]
        out["ci.freg.F_alpha_spearman"] = [max(-1.0, lo), min(1.0, hi)]
    return out


def detectable_effect(n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest mean paired difference a two-sided paired t-test on ``n`` seeds detects with
    ``power`` when the differences have SD ``sd`` (noncentral t, solved exactly); NaN when it is
    undefined (fewer than 2 seeds, or differences with no spread)."""
    from scipy.optimize import brentq

    if n < 2 or not (np.isfinite(sd) and sd > 0):
        return float("nan")
    hi = sd
    while paired_power(n, hi, sd, alpha=alpha) < power:
        hi *= 2
    return float(brentq(lambda d: paired_power(n, d, sd, alpha=alpha) - power, 0.0, hi, xtol=1e-9))


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
    target_pp: float | None = None,
    power: float = 0.8,
    step_seconds: dict[str, float] | None = None,
    arm_alphas: Sequence[float] = (0.0, 0.001, 1.0),
) -> dict[str, float]:
    """From the measured per-seed paired differences (α = ``alpha_arm`` minus α = 0, in percentage
    points): their SD, the seeds needed to detect ``target_pp`` (default: the paper's gain at
    ``alpha_arm``, ``gedig.paper.paper_freg_pp``) with a two-sided paired
    t-test at 0.05 and ``power``, the same at the SD's one-sided 95 % upper confidence bound (a few
    pairs estimate an SD loosely), and the minutes one run takes here.

    The minutes come from ``step_seconds`` (``step_overhead``'s timed steps, CE-only for α = 0 and
    CE + α·F otherwise, averaged over the planned grid's ``arm_alphas``) when given, since the
    sweep's own training times include whatever else shared the machine; otherwise from the median
    recorded run.
    """
    if target_pp is None:
        target_pp = round(paper_freg_pp(alpha_arm), 6)
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


def soft_terms(table: pd.DataFrame) -> dict[str, object]:
    """The soft entropy of each F arm's evaluation attention, per α (for the direction the takeaway states)."""
    f = table[~table["control"]].set_index("alpha")
    return {f"freg.soft_delta_h.alpha{a:g}": float(f.loc[a, "soft_delta_h"]) for a in sorted(f.index)}


def table3_views(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 3 as the page shows it: accuracy and the author's final F per arm; then the final F
    measured the two other ways and the soft terms."""
    arm = table.assign(arm=table["control"].map({False: "F", True: "random value"}))
    first = arm[["arm", "alpha", "seeds", "acc_mean", "acc_sd", "final_F_author", "train_minutes"]].rename(
        columns={
            "acc_mean": "accuracy (%)",
            "acc_sd": "sd (%)",
            "final_F_author": "final F (author's way)",
            "train_minutes": "training (min)",
        }
    )
    second = arm[["arm", "alpha", "final_F_example", "final_F_published_gauge", "soft_delta_h", "soft_density"]].rename(
        columns={
            "final_F_example": "final F per example",
            "final_F_published_gauge": "published gauge F",
            "soft_delta_h": "soft ΔH",
            "soft_density": "soft density",
        }
    )
    return first, second


NOTEBOOK_SEEDS = ("s42", "s123", "s456")
"""The seeds of the author's executed sweep notebook, as the columns of ``paper_table3`` name them."""


def paper_views() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's Table 3 (accuracy mean and sd in %, final F), and the author's executed
    notebook per seed with its mean F (``nb_F``)."""
    paper = paper_table3()
    table3 = paper[["alpha", "paper_acc_mean", "paper_acc_sd", "paper_final_F"]].rename(
        columns={"paper_acc_mean": "accuracy (%)", "paper_acc_sd": "sd (%)", "paper_final_F": "final F"}
    )
    columns = [f"nb_{k}_{s}" for k in ("acc", "F") for s in NOTEBOOK_SEEDS]
    notebook = paper[["alpha", *columns]].assign(
        nb_acc=paper[[f"nb_acc_{s}" for s in NOTEBOOK_SEEDS]].mean(axis=1),
        nb_F=paper[[f"nb_F_{s}" for s in NOTEBOOK_SEEDS]].mean(axis=1),
        paper_acc_mean=paper["paper_acc_mean"],
        paper_final_F=paper["paper_final_F"],
    )
    return table3, notebook


def regulariser_cost(protocol: Protocol, runs: pd.DataFrame, *, measure: bool) -> dict[str, float]:
    """Seconds per step with and without the regulariser (timed when ``measure``; empty otherwise),
    and the sweep's total training minutes."""
    timed = step_overhead(protocol) if measure else {}
    return {**timed, "sweep_minutes": float(runs["train_seconds"].sum() / 60)}


def power_cost(power: dict[str, Any], *, n_workers: int) -> dict[str, float]:
    """What the powered grid costs: its runs, and hours here, on ``n_workers`` workers, and at the
    SD's upper bound (empty when the power analysis gave no seed count)."""
    if power["seeds_needed"] <= 0:
        return {}
    runs = power["arms"] * power["seeds_needed"]
    hours = runs * power["minutes_per_run"] / 60
    hours_hi = power["arms"] * power["seeds_needed_upper95"] * power["minutes_per_run"] / 60
    return {"runs": runs, "hours_here": hours, f"hours_on_{n_workers}_workers": hours / n_workers, "hours_here_upper95": hours_hi}


def power_plan(runs: pd.DataFrame, cost: dict[str, float], *, grid: str = "powered.yml") -> dict[str, Any]:
    """The power analysis for the powered grid's own arms, its minutes per run from the timed steps
    in ``cost`` where there are some (else from the recorded runs)."""
    timed = {k: cost[k] for k in ("ce_only", "ce_plus_F") if k in cost}
    return power_analysis(runs, step_seconds=timed or None, arm_alphas=load_grid(grid, seeds=1).alphas)


def powered_test(
    power: dict[str, Any], protocol: Protocol, *, folder: str | None, reuse_stale: bool = False, grid: str = "powered.yml"
) -> tuple[pd.DataFrame | None, dict[str, float], int]:
    """The paired tests on every seed of the powered grid when all its runs are in ``folder``
    ('auto': this protocol's sweep folder; None or '': none); else (None, {}, runs still to do).
    The measures are α = 0.001's against α = 0."""
    if power["seeds_needed"] <= 0 or not folder:
        return None, {}, 0
    path = sweep_dir(protocol) if folder == "auto" else Path(folder)
    planned = load_grid(grid, seeds=power["seeds_needed"])
    runs, missing = finished_runs(path, planned.alphas, planned.seeds, protocol=protocol, reuse_stale=reuse_stale)
    if missing:
        return None, {}, len(missing)
    tests = freg_tests(runs)
    best = tests.set_index("alpha").loc[0.001]
    return tests, {f"freg.powered.{k}": float(best[k]) for k in ("n_seeds", "diff_pp", "p_paired_t", "p_sign_flip")}, 0


def control_matches(runs: pd.DataFrame) -> tuple[int, int]:
    """Seeds whose random-value control reached exactly α = 0's accuracy, and the control's seeds."""
    control = runs[runs["control"]].set_index("seed")["accuracy"]
    base = runs[(~runs["control"]) & (runs["alpha"] == 0)].set_index("seed")["accuracy"]
    return int(control.eq(base.reindex(control.index)).sum()), len(control)


def chapter_measures(
    table: pd.DataFrame,
    tests: pd.DataFrame,
    runs: pd.DataFrame,
    *,
    power: dict[str, Any],
    cost: dict[str, float],
    costs_of_power: dict[str, float],
    powered: dict[str, float],
) -> dict[str, object]:
    """Every measure of the F-regularisation chapter: Table 3 and the paired tests
    (``freg_measures``), the soft entropy per α, the runs kept stale, the power analysis and its
    cost, the powered grid's tests, and the regulariser's step overhead when it was timed."""
    out = {**freg_measures(table, tests), **soft_terms(table), **seed_measures(runs)}
    out["freg.mde_pp"] = detectable_effect(int(power["pairs"]), float(power["paired_sd_pp"]))
    out["freg.stale_runs_kept"] = int((runs["stale"] != "").sum())
    out["freg.n_seeds"] = int(runs["seed"].nunique())
    out["freg.steps"] = int(runs["steps"].iloc[0])
    out.update({f"freg.power.{k}": v for k, v in {**power, **costs_of_power}.items()})
    out.update(powered)
    if "overhead" in cost:
        out["freg.step_overhead"] = cost["overhead"]
    return out
