"""Chapter 1 (theory): the Figure 1 chain example, the term table, and the AG/DG gate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..gauge.baselines import BASELINES, make_baseline
from ..gauge.batched import gauge
from ..gauge.config import PRESETS, GaugeConfig

TAU = 0.05
"""The fixed threshold that recovers a hand-made graph's edges: ``graph_attention`` puts every edge
far above it and every other entry far below."""
FLOOR = 1e-4
"""The weight of a non-edge before the rows are normalised."""
AG_MARGIN = 0.005
"""The attention gate fires when g0 exceeds the bare chain's by this much."""
DG_MARGIN = 0.02
"""The decision gate accepts an edit that lowers g_min by more than this below the chain's."""


def graph_attention(L: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """An attention matrix whose rows spread mass evenly over given edges (plus a tiny floor), so a
    fixed τ = 0.05 recovers exactly those edges: lets the gauge score a hand-made graph."""
    A = np.full((L, L), FLOOR)
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
    cfg = GaugeConfig.as_written(lam=lam, gamma=gamma, tau=TAU)
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
    cfg = GaugeConfig.as_written(lam=lam, gamma=gamma, tau=TAU)
    r = gauge(A, config=cfg)
    g0 = float(r.delta_epc - lam * r.delta_h)
    L = A.shape[0]
    import networkx as nx

    G = nx.Graph([(i, i + 1) for i in range(L - 1)])
    G.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(A > TAU), strict=True) if i != j)
    before = dict(nx.all_pairs_shortest_path_length(nx.path_graph(L)))
    after = dict(nx.all_pairs_shortest_path_length(G))
    values = []
    for h in hops:
        gain = [(before[u][v] - after[u][v]) / before[u][v] for u in range(L) for v in range(L) if u != v and after[u][v] <= h]
        sp_h = float(np.sum(gain) / (L * (L - 1)))
        values.append(float(r.delta_epc - lam * (r.delta_h + gamma * sp_h)))
    g_min = float(min(values))
    return {"g0": g0, "g_min": g_min, "AG_fires": g0 > theta_ag, "DG_accepts": g_min < theta_dg}


def gate_table(
    examples: dict[str, np.ndarray], *, lam: float = 1.0, gamma: float = 0.5, ag_margin: float = AG_MARGIN, dg_margin: float = DG_MARGIN
) -> pd.DataFrame:
    """The two-stage gate on every example, its thresholds set relative to the bare chain (the
    first example): θ_AG = the chain's g0 + ``ag_margin``, θ_DG = the chain's g_min − ``dg_margin``."""
    chain = two_stage_gate(next(iter(examples.values())), theta_ag=0.0, theta_dg=0.0, lam=lam, gamma=gamma)
    theta_ag, theta_dg = float(chain["g0"]) + ag_margin, float(chain["g_min"]) - dg_margin
    rows = [
        {"graph": name, **two_stage_gate(A, theta_ag=theta_ag, theta_dg=theta_dg, lam=lam, gamma=gamma)} for name, A in examples.items()
    ]
    return pd.DataFrame(rows)


def preset_matrices(L: int = 16, *, seed: int = 0) -> dict[str, tuple[np.ndarray, bool]]:
    """The matrices the three presets are compared on: the paper's four baselines, a peaked softmax
    and a causal random matrix, each with whether it is causal."""
    rng = np.random.default_rng(seed)
    peaked = np.exp(rng.normal(size=(L, L)) * 3)
    out = {kind: (make_baseline(kind, L, seed=seed), False) for kind in BASELINES}
    out["peaked softmax"] = (peaked / peaked.sum(-1, keepdims=True), False)
    out["causal random"] = (make_baseline("random", L, seed=seed, causal=True), True)
    return out


def preset_readings(L: int = 16, *, seed: int = 0) -> pd.DataFrame:
    """F and its terms of the same matrices under every preset: one row per matrix × preset."""
    rows = []
    for name, (A, causal) in preset_matrices(L, seed=seed).items():
        for preset in PRESETS:
            r = gauge(A, causal=causal, config=GaugeConfig.from_name(preset))
            terms = {"F": r.F, "delta_epc": r.delta_epc, "delta_h": r.delta_h, "delta_sp": r.delta_sp}
            rows.append({"matrix": name, "preset": preset, **{k: float(v) for k, v in terms.items()}})
    return pd.DataFrame(rows)


def readings_wide(readings: pd.DataFrame, values: Sequence[str] = ("F", "delta_sp")) -> pd.DataFrame:
    """The readings with one column per term × preset ('F [published]'), one row per matrix."""
    wide = readings.pivot(index="matrix", columns="preset", values=list(values))
    wide.columns = [f"{term} [{preset}]" for term, preset in wide.columns]
    return wide.reset_index()


def theory_measures(fig1: pd.DataFrame, readings: pd.DataFrame, *, chain_length: int) -> dict[str, object]:
    """The chapter's measures: the long shortcut's gain per edge against the random edge sets', and
    how far F moves between presets on the same matrix."""
    by_graph = fig1.set_index("graph")
    random_rows = fig1[fig1["graph"].str.contains("random")]
    shortcut = float(by_graph.loc["chain + long shortcut", "gain_per_edge"])
    spread = readings.groupby("matrix")["F"].agg(lambda f: f.max() - f.min())
    return {
        "theory.chain_length": int(chain_length),
        "theory.shortcut_gain_per_edge": shortcut,
        "theory.random_gain_per_edge_last": float(random_rows["gain_per_edge"].iloc[-1]),
        "theory.random_edges_last": int(random_rows["added_edges"].iloc[-1]),
        "theory.shortcut_beats_random": bool(shortcut > random_rows["gain_per_edge"].max()),
        "theory.preset_spread_max": float(spread.max()),
        "theory.preset_spread_matrix": str(spread.idxmax()),
    }
