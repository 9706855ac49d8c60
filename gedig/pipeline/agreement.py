"""What "the same scoring table" means across thread counts, executors, processes and machines.

A float32 forward pass sums in an order that depends on the thread count and the CPU, so two runs
of the same model on the same texts give attention weights that differ in their last bits. Measured
on this project's 2-core machines, across 1, 2 and 4 torch threads and both embedded models, every
weight agreed to within 5e-5 of its own value (2.2e-5 for weights above 1e-3). The contract allows
``EPSILON = 1e-4`` relative on a weight (twice the worst seen), and derives from it:

- key columns (text, layer, head, L, model, preset) are identical;
- columns that do not depend on the weights (the random, uniform, local and diagonal baselines,
  drawn from seeds and gauged in float64) agree to 1e-12;
- the gauge is discontinuous at two cuts: the edge threshold τ and, under ``published``, the entropy
  floor (entries ≤ 1e-10 are dropped before ΔH). A matrix with an entry within ``EPSILON`` (relative)
  of a cut is *at a cut*: float32 noise may move that entry across it. For every other matrix the
  edge set and the kept entries are the same, so the edge count, ΔEPC and ΔSP are exactly equal;
- continuous columns move with the weights: a threshold or a share of attention by at most
  ``EPSILON`` of its value, an entropy (ΔH, row entropy, and F through −λ·ΔH) by at most
  ``EPSILON·(1 + |value|)`` (dH = −Σ dp·(log p + 1)).

The ``entropy_matched`` null is drawn from Dirichlet concentrations fitted to the weights. Its draw
is continuous in them, but its smallest entries (log-uniform, scaled by 1/α) move by up to about
``NULL_EPSILON = 1e-2`` of their value where α is small, so its cuts are judged with that margin.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from ..gauge.baselines import BASELINES, NULLS
from ..gauge.config import GaugeConfig
from ..models.loading import LoadedModel

EPSILON = 1e-4
NULL_EPSILON = {"permuted": EPSILON, "entropy_matched": 1e-2}
KEYS = ("text_id", "layer", "head", "L", "model", "preset")
DISCRETE = ("n_edges", "delta_epc", "delta_sp")
ENTROPIES = ("delta_h", "F", "stat_row_entropy")


def at_cut(
    attn: torch.Tensor | np.ndarray,
    mask: torch.Tensor | np.ndarray,
    threshold: np.ndarray,
    config: GaugeConfig,
    *,
    causal: bool,
    eps: float = EPSILON,
) -> np.ndarray:
    """Per matrix of ``attn`` (..., L, L): whether an entry the gauge reads lies within ``eps``
    (relative) of its threshold τ (``threshold``, shape (...), as the gauge returned it) or of the
    entropy floor. ``mask`` (..., L) marks real tokens; under a preset that masks causal zeros, the
    entries above the diagonal of a causal model are not read."""
    A = torch.as_tensor(np.asarray(attn) if not isinstance(attn, torch.Tensor) else attn).to(torch.float64)
    M = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask).bool()
    M = M.expand(*A.shape[:-1])
    valid = M[..., :, None] & M[..., None, :]
    if causal and config.mask_causal:
        valid = valid & torch.ones(A.shape[-2:], dtype=torch.bool).tril()
    tau = torch.as_tensor(np.asarray(threshold, dtype=np.float64))[..., None, None]
    near = (A - tau).abs() <= eps * (A.abs() + tau.abs())
    if config.entropy_floor > 0:
        near |= (A - config.entropy_floor).abs() <= eps * (A.abs() + config.entropy_floor)
    return (near & valid).flatten(-2).any(-1).numpy()


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, *, cut: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Every place where ``b`` breaks the contract with ``a``: one row per (column, worst row), with
    the difference and the bound. Empty when the tables agree.

    ``cut`` marks the rows at a cut, per source: ``"head"`` for the real head (its ``permuted`` null
    holds the same weights, so it shares the flag) and ``"entropy_matched"`` for that null. A row at
    a cut is excused from the exact edge checks and, for an entropy, from the continuity bound.
    """
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return pd.DataFrame([{"column": "(shape)", "row": -1, "difference": float("nan"), "bound": 0.0, "rule": f"{a.shape} vs {b.shape}"}])
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    cut = dict(cut or {})
    head_cut = np.asarray(cut.get("head", np.zeros(len(a), bool)))
    excused = {"": head_cut, "permuted": head_cut, "entropy_matched": np.asarray(cut.get("entropy_matched", np.zeros(len(a), bool)))}
    problems = []

    def report(column: str, bad: pd.Series, diff: pd.Series, bound: pd.Series | float, rule: str) -> None:
        if bad.any():
            worst = (diff - bound)[bad].idxmax()
            problems.append(
                {
                    "column": column,
                    "row": int(worst),
                    "difference": float(diff[worst]),
                    "bound": float(np.broadcast_to(bound, len(diff))[worst]),
                    "rule": rule,
                    "n_rows": int(bad.sum()),
                }
            )

    for column in a.columns:
        if column in KEYS:
            bad = a[column] != b[column]
            report(column, bad, bad.astype(float), 0.0, "key columns are identical")
            continue
        if not pd.api.types.is_numeric_dtype(a[column]):
            continue
        diff = (a[column] - b[column]).abs()
        source = next((s for s in (*BASELINES, *NULLS) if column.endswith(f"_{s}")), "")
        base = column[: -len(source) - 1] if source else column
        if source in BASELINES:
            report(column, diff > 1e-12, diff, 1e-12, "weight-free baselines agree to 1e-12")
            continue
        at = excused.get(source, head_cut)
        eps = NULL_EPSILON.get(source, EPSILON)
        if base in DISCRETE:
            report(column, (diff > 0) & ~at, diff, 0.0, "edge count, ΔEPC and ΔSP are exact away from a cut")
        elif base in ENTROPIES or base.startswith("delta_h"):
            bound = eps * (1.0 + a[column].abs())
            report(column, (diff > bound) & ~at, diff, bound, "an entropy moves by at most ε·(1 + |value|) away from a cut")
        else:
            bound = eps * a[column].abs() + 1e-12
            report(column, diff > bound, diff, bound, "a weight-scale column moves by at most ε of its value")
    return pd.DataFrame(problems)


def cut_flags(
    model: LoadedModel,
    texts: list[str],
    table: pd.DataFrame,
    config: GaugeConfig,
    *,
    batch_size: int = 16,
    max_length: int = 256,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The ``cut`` argument of ``compare_tables`` for a table scored from ``texts``: the attention is
    extracted again (batched as ``score`` batches it) and each head, and its ``entropy_matched`` null
    when the table has one, is checked with ``at_cut``."""
    from ..gauge.baselines import structured_null, text_rng
    from ..gauge.batched import gauge
    from ..models.attention import extract, plan_batches

    row = {key: i for i, key in enumerate(zip(table["text_id"], table["layer"], table["head"], strict=True))}
    flags = {"head": np.zeros(len(table), bool), "entropy_matched": np.zeros(len(table), bool)}
    for index in plan_batches(model, texts, batch_size=batch_size, max_length=max_length):
        batch = extract(model, texts, index, max_length=max_length)
        mask = batch.mask[:, None, None, :]
        res = gauge(batch.attn, mask, causal=model.causal, config=config)
        head = at_cut(batch.attn, mask, res.threshold, config, causal=model.causal)
        for b, tid in enumerate(index):
            n = int(batch.mask[b].sum())
            em = np.zeros(head.shape[1:], bool)
            if "F_entropy_matched" in table.columns:
                null = structured_null(
                    "entropy_matched", batch.attn[b, ..., :n, :n].numpy(), causal=model.causal, seed=text_rng("entropy_matched", seed, tid)
                )
                em = at_cut(
                    null,
                    np.ones(n, bool),
                    gauge(null, causal=model.causal, config=config).threshold,
                    config,
                    causal=model.causal,
                    eps=NULL_EPSILON["entropy_matched"],
                )
            for layer in range(head.shape[1]):
                for h in range(head.shape[2]):
                    i = row[(tid, layer, h)]
                    flags["head"][i], flags["entropy_matched"][i] = head[b, layer, h], em[layer, h]
    return flags
