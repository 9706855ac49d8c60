"""Chapter 2 (graph mapping): padding and the causal mask on one head, and how the threshold choice moves ΔF_random."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..gauge.batched import gauge
from ..gauge.config import GaugeConfig
from ..models.attention import extract
from ..models.loading import LoadedModel
from ..pipeline.scoring import score
from .stats import summarize


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
    out.update({f"ci.mapping.{model}.{r.threshold}.dF": [float(r.ci_low), float(r.ci_high)] for r in table.itertuples()})
    out[f"mapping.{model}.q_all_positive"] = bool((pct["dF"] > 0).all())
    out[f"mapping.{model}.tau_flips_sign"] = bool(len(fixed) and (np.sign(fixed["dF"]) != np.sign(pct["dF"].iloc[0])).any())
    return table, out


def clip_heads(loaded: dict[str, LoadedModel], wanted: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Each model's example (layer, head), clipped to its depth and width."""
    return {s: (min(layer, m.n_layers - 1), min(head, m.n_heads - 1)) for s, (layer, head) in wanted.items() if (m := loaded.get(s))}


def padding_table(
    loaded: dict[str, LoadedModel], text: str, heads: dict[str, tuple[int, int]], *, label: Callable[[str], str]
) -> pd.DataFrame:
    """Padding and the causal mask on one head per model: a short text scored in a padded batch
    beside ``text`` and alone (equal F), and the threshold with the causal zeros counted
    (``published``) and masked first (``as_written``)."""
    pair = [text, "Short one."]
    rows = []
    for s, model in loaded.items():
        batch = extract(model, pair, [0, 1], max_length=256)
        layer, head = heads[s]
        padded = gauge(batch.attn, batch.mask[:, None, None, :], causal=model.causal)
        alone = gauge(extract(model, pair, [1], max_length=256).attn, causal=model.causal)
        aw = gauge(batch.attn, batch.mask[:, None, None, :], causal=model.causal, config=GaugeConfig.as_written())
        rows.append(
            {
                "model": label(s),
                "tokens (short text)": int(batch.mask[1].sum()),
                "padded to": batch.attn.shape[-1],
                "F short, padded batch": float(padded.F[1, layer, head]),
                "F short, alone": float(alone.F[0, layer, head]),
                "τ published (zeros counted)": float(padded.threshold[0, layer, head]),
                "τ as_written (masked first)": float(aw.threshold[0, layer, head]),
            }
        )
    return pd.DataFrame(rows)


def threshold_sweeps(
    loaded: dict[str, LoadedModel],
    texts: list[str],
    *,
    quantiles: list[float],
    fixed_tau: float,
    options: Callable[[str], dict[str, Any]],
) -> tuple[dict[str, pd.DataFrame], dict[str, object]]:
    """ΔF against random at every quantile and at the fixed τ for each model (``options(model)``:
    its scoring options), and the chapter's measures."""
    configs = {f"q={q}": GaugeConfig.published(q=q) for q in quantiles}
    configs[f"τ={fixed_tau}"] = GaugeConfig.published(tau=fixed_tau)
    sweeps, measures = {}, {"mapping.n_texts": len(texts)}
    for s, model in loaded.items():
        tables = {k: score(model, texts, config=c, baselines=("random",), **options(model.name)) for k, c in configs.items()}
        sweeps[s], m = threshold_sweep(tables, model=s)
        measures.update(m)
    return sweeps, measures
