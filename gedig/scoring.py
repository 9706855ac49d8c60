"""``score``: one tidy table per model × texts × config, one row per text × layer × head.

Each row holds F and its three terms for the real attention, and F of every baseline on the same
token mask. Forward passes are batched, the gauge runs on whole batches, finished batches are
written to disk as they complete (so an interrupted run resumes), and the finished table is cached
under a key of model, texts, config and code version.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .attention import AttentionBatch, check_texts, extract, plan_batches
from .baselines import BASELINES, make_baseline
from .cache import atomic_write_parquet, code_version, key_of, read_parquet_cached, scores_dir
from .config import GaugeConfig
from .errors import GedigError
from .measure import gauge
from .models import LoadedModel, load_model, resolve_device

TERMS = ("F", "delta_epc", "delta_h", "delta_sp", "n_edges", "threshold")


@dataclass(frozen=True)
class ScoreSpec:
    """Everything that decides a scoring table (and so its cache key)."""

    model: str
    config: GaugeConfig
    baselines: tuple[str, ...]
    seed: int
    batch_size: int
    max_length: int

    def key(self, texts: Sequence[str]) -> str:
        return key_of(
            {
                "model": self.model,
                "config": self.config.to_dict(),
                "baselines": list(self.baselines),
                "seed": self.seed,
                "batch_size": self.batch_size,
                "max_length": self.max_length,
                "texts": list(texts),
                "code": code_version(),
            }
        )


def _baseline_stack(
    kind: str, lengths: list[int], Lmax: int, shape: tuple[int, int], seed: int, text_ids: list[int], causal: bool
) -> torch.Tensor:
    """Baseline matrices for a batch, padded to Lmax: one per (text, layer, head) for 'random',
    one per text (broadcast later) for the deterministic kinds."""
    if kind == "random":
        out = np.zeros((len(lengths), *shape, Lmax, Lmax))
        for b, (n, tid) in enumerate(zip(lengths, text_ids, strict=True)):
            rng = np.random.default_rng([seed, tid])
            out[b, ..., :n, :n] = make_baseline("random", n, seed=rng, causal=causal, size=shape)
    else:
        out = np.zeros((len(lengths), 1, 1, Lmax, Lmax))
        for b, n in enumerate(lengths):
            out[b, 0, 0, :n, :n] = make_baseline(kind, n, causal=causal)
    return torch.from_numpy(out)


def score_batch(batch: AttentionBatch, model: LoadedModel, spec: ScoreSpec) -> pd.DataFrame:
    """Gauge terms for the real attention of one batch and for each baseline on the same masks."""
    B, n_layers, n_heads, Lmax, _ = batch.attn.shape
    mask = batch.mask[:, None, None, :]
    res = gauge(batch.attn, mask, causal=model.causal, config=spec.config)
    grid = np.stack(np.meshgrid(np.arange(B), np.arange(n_layers), np.arange(n_heads), indexing="ij"), -1).reshape(-1, 3)
    text_ids = np.asarray(batch.index)
    frame = {
        "text_id": text_ids[grid[:, 0]],
        "layer": grid[:, 1],
        "head": grid[:, 2],
        "L": res.n_tokens.reshape(-1).cpu().numpy(),
    }
    for term in TERMS:
        frame[term] = getattr(res, term).reshape(-1).cpu().numpy()
    lengths = batch.mask.sum(1).tolist()
    bmask = batch.mask.cpu()[:, None, None, :]
    causal_baselines = model.causal and spec.config.mask_causal
    for kind in spec.baselines:
        stack = _baseline_stack(kind, lengths, Lmax, (n_layers, n_heads), spec.seed, list(batch.index), causal_baselines)
        F = gauge(stack, bmask, causal=model.causal, config=spec.config).F
        frame[f"F_{kind}"] = F.expand(B, n_layers, n_heads).reshape(-1).numpy()
    df = pd.DataFrame(frame)
    df["model"] = spec.model
    df["preset"] = spec.config.name
    return df


def score(
    model: str | LoadedModel,
    texts: Sequence[str],
    *,
    config: GaugeConfig | None = None,
    baselines: Sequence[str] = BASELINES,
    seed: int = 0,
    batch_size: int = 16,
    max_length: int = 256,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Score every head of ``model`` on ``texts``: a tidy DataFrame, one row per text × layer × head.

    Columns: text_id, layer, head, L, F, delta_epc, delta_h, delta_sp, n_edges, threshold,
    F_<baseline> for each baseline, model, preset. Baselines are scored on the same mask; under a
    preset that masks causal zeros they are causally masked too for a causal model.
    """
    texts = check_texts(texts)
    if not isinstance(model, LoadedModel):
        resolve_device(device)  # an unavailable device is an error even when the table is cached
    cfg = config if config is not None else GaugeConfig.published()
    if not isinstance(cfg, GaugeConfig):
        raise GedigError(f"config must be a GaugeConfig, got {type(cfg).__name__}")
    baselines = tuple(baselines)
    for kind in baselines:
        if kind not in BASELINES:
            raise GedigError(f"unknown baseline kind {kind!r}; choose from {', '.join(BASELINES)}")
    name = model.name if isinstance(model, LoadedModel) else model
    spec = ScoreSpec(model=name, config=cfg, baselines=baselines, seed=int(seed), batch_size=int(batch_size), max_length=int(max_length))
    key = spec.key(texts)
    final = scores_dir() / f"{key}.parquet"
    if cache and (table := read_parquet_cached(final)) is not None:
        return table
    loaded = model if isinstance(model, LoadedModel) else load_model(model, device=device)
    parts_dir = scores_dir() / f"{key}.partial"
    plan = plan_batches(loaded, texts, batch_size=batch_size, max_length=max_length)
    frames: list[pd.DataFrame] = []
    bar = tqdm(total=len(texts), desc=f"score {name} [{cfg.name}]", unit="text", disable=not progress)
    for i, index in enumerate(plan):
        part = parts_dir / f"part-{i:05d}.parquet"
        if cache and (df := read_parquet_cached(part)) is not None:
            frames.append(df)
        else:
            df = score_batch(extract(loaded, texts, index, max_length=max_length), loaded, spec)
            if cache:
                atomic_write_parquet(df, part)
            frames.append(df)
        bar.update(len(index))
    bar.close()
    table = pd.concat(frames, ignore_index=True).sort_values(["text_id", "layer", "head"], kind="stable").reset_index(drop=True)
    if cache:
        atomic_write_parquet(table, final)
        shutil.rmtree(parts_dir, ignore_errors=True)
    return table
