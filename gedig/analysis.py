"""Analyses behind the book's chapters: layer transition (H2), head diversity, threshold
sensitivity, the Figure 1 chain example and the AG/DG gate. Each returns tidy tables and the flat
measures the claims registry reads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .config import GaugeConfig
from .measure import gauge
from .stats import by_layer, summarize

# --- H1 -----------------------------------------------------------------------------------------


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


# --- H2 -----------------------------------------------------------------------------------------


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
    out: dict[str, object] = {f"{key}.spearman_rho": float(rho), f"{key}.spearman_p": float(p)}
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


# --- head diversity -----------------------------------------------------------------------------


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


# --- thresholds ---------------------------------------------------------------------------------


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


# --- Figure 1 and the two-stage gate ------------------------------------------------------------


def graph_attention(L: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """An attention matrix whose rows spread mass evenly over given edges (plus a tiny floor), so a
    fixed τ = 0.05 recovers exactly those edges: lets the gauge score a hand-made graph."""
    A = np.full((L, L), 1e-4)
    for i, j in edges:
        A[i, j] = A[j, i] = 1.0
    return A / A.sum(-1, keepdims=True)


def chain_examples(L: int = 12, *, n_random: Sequence[int] = (1, 3, 6, 12, 24), seed: int = 0) -> dict[str, np.ndarray]:
    """Figure 1's graphs as attention: a chain, the chain plus one long shortcut, a short local
    shortcut, and the chain plus k random edges."""
    chain = [(i, i + 1) for i in range(L - 1)]
    out = {
        "chain": graph_attention(L, chain),
        "chain + long shortcut": graph_attention(L, [*chain, (0, L - 1)]),
        "chain + local shortcut": graph_attention(L, [*chain, (0, 2)]),
    }
    rng = np.random.default_rng(seed)
    pool = [(i, j) for i in range(L) for j in range(i + 2, L)]
    order = rng.permutation(len(pool))
    for k in n_random:
        out[f"chain + {k} random edges"] = graph_attention(L, chain + [pool[t] for t in order[:k]])
    return out


def figure1_table(examples: dict[str, np.ndarray], *, lam: float = 1.0, gamma: float = 0.5) -> pd.DataFrame:
    """ΔEPC, ΔSP_rel (over the chain) and F for each graph, and each change relative to the chain.

    ΔH is held out (λ·γ·ΔSP only) to isolate the structural trade-off the figure illustrates:
    ``F_struct = ΔEPC − λγ·ΔSP_rel``; ``gain_per_edge`` is its decrease per added edge.
    """
    cfg = GaugeConfig.as_written(lam=lam, gamma=gamma, tau=0.05)
    rows = []
    for name, A in examples.items():
        r = gauge(A, config=cfg)
        rows.append(
            {
                "graph": name,
                "edges": int(r.n_edges),
                "delta_epc": float(r.delta_epc),
                "delta_sp_rel": float(r.delta_sp),
                "delta_h": float(r.delta_h),
                "F": float(r.F),
            }
        )
    t = pd.DataFrame(rows)
    t["F_struct"] = t["delta_epc"] - lam * gamma * t["delta_sp_rel"]
    base = t.iloc[0]
    added = (t["edges"] - base["edges"]) / 2  # each undirected edge is two directed ones
    t["added_edges"] = added.astype(int)
    t["change_F_struct"] = t["F_struct"] - base["F_struct"]
    t["gain_per_edge"] = np.where(added > 0, -t["change_F_struct"] / added.clip(lower=1), 0.0)
    return t


def two_stage_gate(
    A: np.ndarray, *, theta_ag: float, theta_dg: float, hops: Sequence[int] = (1, 2, 3, 4), lam: float = 1.0, gamma: float = 0.5
) -> dict[str, float | bool]:
    """Our operationalisation of the paper's AG/DG gate (it gives no formula).

    g0 = ΔEPC − λ·ΔH is the 0-hop view (cost and uncertainty, no paths); the AG fires when
    g0 > θ_AG. g_min = min over hop limits h of ΔEPC − λ(ΔH + γ·ΔSP_rel^(h)), where ΔSP_rel^(h)
    counts only shortest paths of at most h hops as shortened; the DG accepts when g_min < θ_DG.
    """
    cfg = GaugeConfig.as_written(lam=lam, gamma=gamma, tau=0.05)
    r = gauge(A, config=cfg)
    g0 = float(r.delta_epc - lam * r.delta_h)
    L = A.shape[0]
    import networkx as nx

    G = nx.Graph([(i, i + 1) for i in range(L - 1)])
    G.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(A > 0.05), strict=True) if i != j)
    before = dict(nx.all_pairs_shortest_path_length(nx.path_graph(L)))
    after = dict(nx.all_pairs_shortest_path_length(G))
    values = []
    for h in hops:
        gain = [(before[u][v] - after[u][v]) / before[u][v] for u in range(L) for v in range(L) if u != v and after[u][v] <= h]
        sp_h = float(np.sum(gain) / (L * (L - 1)))
        values.append(float(r.delta_epc - lam * (r.delta_h + gamma * sp_h)))
    g_min = float(min(values))
    return {"g0": g0, "g_min": g_min, "AG_fires": g0 > theta_ag, "DG_accepts": g_min < theta_dg}


# --- F-regularisation ---------------------------------------------------------------------------


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
