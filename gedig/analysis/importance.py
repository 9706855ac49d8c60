"""One table per model: every head's F under each preset, its surface statistics (row entropy,
confidence as the mean row maximum, and the other ``stat_*`` columns) and its importance by exact
ablation and by gradient (``gedig.experiments.importance``), with the model and the metric named.

F and the statistics come from ``gedig.score`` (its cache); the importance is cached under a key
of the model, the texts, its settings and the code version of the importance module, and a corrupt
entry is set aside and recomputed, as every cached table is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..experiments.importance import importance, load_language_model
from ..gauge.config import GaugeConfig
from ..models.attention import check_texts
from ..pipeline.cache import read_table, write_table
from ..pipeline.scoring import score
from ..util.io import cache_dir
from ..util.keys import key_of
from ..util.versions import code_version

METRIC = "next-token cross-entropy (nats per predicted token)"
"""The metric of a causal language model, as the page and the table name it."""


def importance_version() -> str:
    return code_version("gedig.experiments.importance")


def importance_table(
    model: str, texts: Sequence[str], *, batch_size: int = 8, max_length: int = 256, device: str = "auto", cache: bool = True, progress: bool = True
) -> pd.DataFrame:
    """Per head: importance by ablation (metric with the head removed − metric of the full model)
    and by gradient (mean |∂L_text/∂ξ|), the full model's metric, and how many tokens it rests on."""
    texts = check_texts(texts)
    version = importance_version()
    key = key_of({"model": model, "texts": texts, "batch_size": batch_size, "max_length": max_length, "version": version})
    path = cache_dir() / "importance" / f"{key}.parquet"
    cached = read_table(path, code_version=version) if cache else None
    if cached is not None:
        return cached
    lm = load_language_model(model, device=device)
    imp = importance(lm, texts, batch_size=batch_size, max_length=max_length, progress=progress)
    layers, heads = np.meshgrid(np.arange(lm.n_layers), np.arange(lm.n_heads), indexing="ij")
    table = pd.DataFrame(
        {
            "layer": layers.ravel(),
            "head": heads.ravel(),
            "importance_ablation": imp.ablation.ravel(),
            "importance_gradient": imp.gradient.ravel(),
            "metric_full": imp.metric,
            "n_tokens": imp.n_tokens,
        }
    )
    if cache:
        write_table(table, path, record={"code_version": version})
    return table


def head_table(
    model: str,
    texts: Sequence[str],
    *,
    presets: Sequence[str] = ("published", "as_written"),
    seed: int = 0,
    batch_size: int = 8,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per head: F under each preset (``F_<preset>``, the mean over texts), every ``stat_*``
    column (``stat_max_weight``, the mean row maximum, is Voita et al.'s confidence), importance by ablation and by gradient,
    the model and the metric."""
    imp = importance_table(model, texts, batch_size=batch_size, device=device, cache=cache, progress=progress)  # first: fails fast
    configs = [GaugeConfig.from_name(p) for p in presets]
    scored = score(model, texts, config=configs, baselines=(), seed=seed, batch_size=batch_size, device=device, cache=cache, progress=progress)
    frames = []
    for preset, table in zip(presets, scored, strict=True):
        stats = [c for c in table.columns if c.startswith("stat_")]
        means = table.groupby(["layer", "head"])[["F", *stats]].mean().rename(columns={"F": f"F_{preset}"})
        frames.append(means if not frames else means[[f"F_{preset}"]])
    heads = pd.concat(frames, axis=1).reset_index()
    out = heads.merge(imp, on=["layer", "head"], how="inner", validate="one_to_one")
    return out.assign(model=model, metric=METRIC)


def ranking(table: pd.DataFrame, *, by: str = "importance_ablation") -> pd.DataFrame:
    """Spearman ρ of each head statistic (F under each preset, entropy, confidence) with importance."""
    from scipy import stats as sps

    rows = []
    for column in [c for c in table.columns if c.startswith(("F_", "stat_row_entropy", "stat_max_weight"))] + ["importance_gradient"]:
        if column == by:
            continue
        rho = sps.spearmanr(table[column], table[by]).statistic
        rows.append({"statistic": column, "spearman_rho": float(rho)})
    return pd.DataFrame(rows)
