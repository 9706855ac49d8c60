"""The gauge written plainly with numpy and networkx, one matrix at a time: the tests' oracle.

Slow on purpose and independent of ``gedig.gauge.batched`` (it shares only the config and the seeded
pair draw), so agreement between the two is evidence that the batched code is right.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .config import GaugeConfig
from .pairs import sample_pairs


def _entropy(values: np.ndarray, n: int, cfg: GaugeConfig) -> float:
    kept = values[values > cfg.entropy_floor]
    p = kept / kept.sum()
    p = p[p > 0]
    h = float(-(p * np.log(p)).sum())
    norm = np.log(len(kept)) if cfg.entropy_norm == "support" else np.log(float(n) ** 2)
    return h / norm if norm > 0 else 0.0


def _largest(components: list[set[int]]) -> set[int]:
    return min(components, key=lambda c: (-len(c), min(c)))


def _delta_sp(G: nx.DiGraph, n: int, cfg: GaugeConfig) -> float:
    if cfg.sp == "efficiency":
        U = G.to_undirected()
        comp = _largest(list(nx.connected_components(U)))
        if len(comp) < 2:
            return 0.0
        return 1.0 / nx.average_shortest_path_length(U.subgraph(comp))
    if cfg.sp == "directed_strong":
        comp = _largest(list(nx.weakly_connected_components(G)))
        sub = G.subgraph(comp)
        if len(comp) < 2 or not nx.is_strongly_connected(sub):
            return 0.0
        return 1.0 / nx.average_shortest_path_length(sub)
    if n < 2:
        return 0.0
    chain = nx.path_graph(n, create_using=nx.DiGraph)
    chain.add_edges_from((v, u) for u, v in list(chain.edges))
    after = nx.DiGraph(chain)
    after.add_edges_from((u, v) for u, v in G.edges if u != v)
    if n <= cfg.sp_sample_above:
        before_l = nx.average_shortest_path_length(chain)
        after_l = nx.average_shortest_path_length(after)
    else:
        pairs = sample_pairs(n, cfg.sp_pairs, cfg.sp_seed)
        before_l = float(np.mean([nx.shortest_path_length(chain, int(u), int(v)) for u, v in pairs]))
        after_l = float(np.mean([nx.shortest_path_length(after, int(u), int(v)) for u, v in pairs]))
    return (before_l - after_l) / before_l


def reference_gauge(
    attn: np.ndarray, mask: np.ndarray | None = None, *, causal: bool = False, config: GaugeConfig | None = None
) -> dict[str, float]:
    """Gauge terms of one L×L matrix, computed with numpy.quantile and networkx graphs."""
    cfg = config if config is not None else GaugeConfig.published()
    A = np.asarray(attn, dtype=np.float64)
    if mask is not None:
        keep = np.flatnonzero(np.asarray(mask, dtype=bool))
        A = A[np.ix_(keep, keep)]
    n = A.shape[0]
    valid = np.ones((n, n), dtype=bool)
    if causal and cfg.mask_causal:
        valid = np.tril(valid)
    tau = float(cfg.tau) if cfg.tau is not None else float(np.quantile(A[valid], cfg.q))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(*np.nonzero(valid & (A > tau)), strict=True))
    delta_epc = G.number_of_edges() / n**2
    delta_h = _entropy(A[valid], n, cfg)
    delta_sp = _delta_sp(G, n, cfg)
    F = delta_epc - cfg.lam * (delta_h + cfg.gamma * delta_sp)
    return {
        "F": F,
        "delta_epc": delta_epc,
        "delta_h": delta_h,
        "delta_sp": delta_sp,
        "n_edges": G.number_of_edges(),
        "threshold": tau,
        "n_tokens": n,
    }
