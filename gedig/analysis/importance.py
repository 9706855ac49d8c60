"""One table per model: every head's F under each preset, its surface statistics (row entropy,
confidence as the mean row maximum, and the other ``stat_*`` columns) and its importance by exact
ablation and by gradient (``gedig.experiments.importance``), with the model and the metric named.

F and the statistics come from ``gedig.score`` (its cache); the importance, kept per text so that
a chapter can bootstrap over texts, is cached under a key of the model, the texts (and labels),
its settings and the code version of the importance module, and a corrupt entry is set aside and
recomputed, as every cached table is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..experiments.importance import METRICS, Importance, Pruned, importance, load_head_model, pruned_metric
from ..gauge.config import GaugeConfig
from ..models.attention import check_texts
from ..pipeline.cache import read_table, write_table
from ..pipeline.scoring import score
from ..util.io import cache_dir
from ..util.keys import key_of
from ..util.versions import code_version

STATISTICS = {"stat_row_entropy": "row entropy", "stat_max_weight": "confidence"}
"""The surface statistics F is compared with: Clark et al.'s row entropy and Voita et al.'s
confidence (the mean row maximum)."""


def importance_version() -> str:
    return code_version("gedig.experiments.importance")


def _model_key(model: str) -> str:
    """A model's name, or a folder's resolved path (a fine-tuned classifier is keyed by its folder)."""
    path = Path(model).expanduser()
    return str(path.resolve()) if path.is_dir() else model


def importance_per_text(
    model: str,
    texts: Sequence[str],
    labels: Sequence[int] | None = None,
    *,
    task: str = "auto",
    batch_size: int = 8,
    max_length: int = 256,
    seed: int = 0,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
    label: str | None = None,
) -> tuple[Importance, str]:
    """Importance per text and head (``Importance``) and the metric's name, from the cache when
    there. Nothing is written for a run that fails."""
    texts = check_texts(texts)
    version = importance_version()
    spec = {"model": _model_key(model), "task": task, "texts": texts, "labels": None if labels is None else [int(y) for y in labels]}
    key = key_of({**spec, "batch_size": batch_size, "max_length": max_length, "seed": seed, "version": version})
    path = cache_dir() / "importance" / f"{key}.parquet"
    cached = read_table(path, code_version=version) if cache else None
    if cached is not None:
        return _from_frame(cached), str(cached["metric"].iloc[0])
    hm = load_head_model(model, task=task, device=device, label=label)
    imp = importance(hm, texts, labels, batch_size=batch_size, max_length=max_length, seed=seed, progress=progress)
    if cache:
        write_table(_to_frame(imp, hm.metric), path, record={"code_version": version})
    return imp, hm.metric


def _to_frame(imp: Importance, metric: str) -> pd.DataFrame:
    T, L, H = imp.delta.shape
    text, layer, head = np.meshgrid(np.arange(T), np.arange(L), np.arange(H), indexing="ij")
    return pd.DataFrame(
        {
            "text": text.ravel(),
            "layer": layer.ravel(),
            "head": head.ravel(),
            "delta": imp.delta.ravel(),
            "gradient": imp.gradient_per_text.ravel(),
            "sum": imp.sums[text.ravel()],
            "count": imp.counts[text.ravel()],
            "metric": metric,
        }
    )


def _from_frame(frame: pd.DataFrame) -> Importance:
    T, L, H = (int(frame[c].max()) + 1 for c in ("text", "layer", "head"))
    first = frame.drop_duplicates("text").sort_values("text")
    return Importance(
        delta=frame["delta"].to_numpy().reshape(T, L, H),
        gradient_per_text=frame["gradient"].to_numpy().reshape(T, L, H),
        sums=first["sum"].to_numpy(),
        counts=first["count"].to_numpy(),
    )


def pruned_per_text(
    model: str,
    texts: Sequence[str],
    masks: np.ndarray,
    labels: Sequence[int] | None = None,
    *,
    task: str = "auto",
    batch_size: int = 8,
    max_length: int = 256,
    seed: int = 0,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
    label: str | None = None,
) -> Pruned:
    """The metric of ``model`` with each mask's heads removed, per text (``Pruned``), from the
    cache when there (keyed like the importance, and by the masks)."""
    texts = check_texts(texts)
    masks = np.asarray(masks, dtype=np.float32)
    version = importance_version()
    spec = {"model": _model_key(model), "task": task, "texts": texts, "labels": None if labels is None else [int(y) for y in labels]}
    digest = hashlib.sha256(masks.tobytes()).hexdigest()[:16]
    key = key_of(
        {**spec, "masks": [list(masks.shape), digest], "batch_size": batch_size, "max_length": max_length, "seed": seed, "version": version}
    )
    path = cache_dir() / "pruned" / f"{key}.parquet"
    cached = read_table(path, code_version=version) if cache else None
    if cached is not None:
        sums = cached.pivot(index="mask", columns="text", values="sum").to_numpy()
        correct = cached.pivot(index="mask", columns="text", values="correct").to_numpy()
        counts = cached[cached["mask"] == 0].sort_values("text")["count"].to_numpy()
        return Pruned(sums=sums, counts=counts, correct=None if cached["correct"].isna().all() else correct)
    hm = load_head_model(model, task=task, device=device, label=label)
    pruned = pruned_metric(hm, texts, masks, labels, batch_size=batch_size, max_length=max_length, seed=seed, progress=progress)
    if cache:
        C, T = pruned.sums.shape
        mask, text = np.meshgrid(np.arange(C), np.arange(T), indexing="ij")
        frame = pd.DataFrame(
            {
                "mask": mask.ravel(),
                "text": text.ravel(),
                "sum": pruned.sums.ravel(),
                "count": pruned.counts[text.ravel()],
                "correct": pruned.correct.ravel() if pruned.correct is not None else np.nan,
            }
        )
        write_table(frame, path, record={"code_version": version})
    return pruned


def importance_table(model: str, texts: Sequence[str], labels: Sequence[int] | None = None, **kwargs: object) -> pd.DataFrame:
    """Per head: importance by ablation (metric with the head removed − metric of the full model)
    and by gradient (mean |∂L_text/∂ξ|), the full model's metric, and how many positions it rests on."""
    imp, metric = importance_per_text(model, texts, labels, **kwargs)  # type: ignore[arg-type]
    L, H = imp.ablation.shape
    layers, heads = np.meshgrid(np.arange(L), np.arange(H), indexing="ij")
    return pd.DataFrame(
        {
            "layer": layers.ravel(),
            "head": heads.ravel(),
            "importance_ablation": imp.ablation.ravel(),
            "importance_gradient": imp.gradient.ravel(),
            "metric_full": imp.metric,
            "n_tokens": imp.n_tokens,
            "metric": metric,
        }
    )


def head_scores(
    model: str,
    texts: Sequence[str],
    *,
    presets: Sequence[str] = ("published", "as_written"),
    seed: int = 0,
    batch_size: int = 8,
    max_length: int = 256,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Per text and head: F under each preset (``F_<preset>``) and every ``stat_*`` column, on the
    texts cut at ``max_length`` tokens (give importance the same, so both see the same tokens)."""
    configs = [GaugeConfig.from_name(p) for p in presets]
    scored = score(
        model,
        texts,
        config=configs,
        baselines=(),
        seed=seed,
        batch_size=batch_size,
        max_length=max_length,
        device=device,
        cache=cache,
        progress=progress,
    )
    frames = []
    for preset, table in zip(presets, scored, strict=True):
        stats = [c for c in table.columns if c.startswith("stat_")]
        keep = table.set_index(["text_id", "layer", "head"])
        frames.append(
            keep[["F", *stats]].rename(columns={"F": f"F_{preset}"}) if not frames else keep[["F"]].rename(columns={"F": f"F_{preset}"})
        )
    return pd.concat(frames, axis=1).reset_index()


def head_table(
    model: str,
    texts: Sequence[str],
    labels: Sequence[int] | None = None,
    *,
    presets: Sequence[str] = ("published", "as_written"),
    task: str = "auto",
    seed: int = 0,
    batch_size: int = 8,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
    label: str | None = None,
) -> pd.DataFrame:
    """One row per head: F under each preset (``F_<preset>``, the mean over texts), every ``stat_*``
    column (``stat_max_weight``, the mean row maximum, is Voita et al.'s confidence), importance
    by ablation and by gradient, the model and the metric."""
    imp = importance_table(
        model, texts, labels, task=task, batch_size=batch_size, device=device, cache=cache, progress=progress, label=label
    )
    per_text = head_scores(model, texts, presets=presets, seed=seed, batch_size=batch_size, device=device, cache=cache, progress=progress)
    heads = per_text.drop(columns="text_id").groupby(["layer", "head"]).mean().reset_index()
    out = heads.merge(imp, on=["layer", "head"], how="inner", validate="one_to_one")
    return out.assign(model=label or model)


def ranking(table: pd.DataFrame, *, by: str = "importance_ablation") -> pd.DataFrame:
    """Spearman ρ of each head statistic (F under each preset, entropy, confidence) with importance."""
    from scipy import stats as sps

    rows = []
    for column in [c for c in table.columns if c.startswith("F_") or c in STATISTICS] + ["importance_gradient"]:
        if column == by:
            continue
        rho = sps.spearmanr(table[column], table[by]).statistic
        rows.append({"statistic": column, "spearman_rho": float(rho)})
    return pd.DataFrame(rows)


__all__ = ["METRICS", "STATISTICS", "head_scores", "head_table", "importance_per_text", "importance_table", "pruned_per_text", "ranking"]
