"""One batch of texts through the model once, gauged under every configuration: the step that
scoring, its Ray actors and the head explorer all take.

Each row holds F and its three terms for the real attention, the head's surface statistics, and the
terms of every baseline on the same token mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..gauge.baselines import NULLS, make_baseline, structured_null, text_rng
from ..gauge.batched import gauge
from ..gauge.config import GaugeConfig
from ..gauge.headstats import head_stats
from ..models.attention import AttentionBatch, extract
from ..models.loading import LoadedModel
from ..util.keys import canonical
from ..util.versions import code_version

TERMS = ("F", "delta_epc", "delta_h", "delta_sp", "n_edges", "threshold")
BASELINE_TERMS = ("F", "delta_epc", "delta_h", "delta_sp")


def scoring_version() -> str:
    """The version of the code that turns texts into a scoring table (this module's import closure)."""
    return code_version(__name__)


@dataclass(frozen=True)
class ScoreSpec:
    """Everything that decides a scoring table (and so its cache key)."""

    model: str
    config: GaugeConfig
    baselines: tuple[str, ...]
    seed: int
    batch_size: int
    max_length: int
    dtype: str = "float32"
    """The dtype the model runs in (bfloat16 or float16 for the 8B models): it moves the attention."""

    def key_payload(self, texts: Sequence[str]) -> dict[str, object]:
        payload: dict[str, object] = {
            "model": self.model,
            "config": {"name": self.config.name, **canonical(self.config)},
            "baselines": list(self.baselines),
            "seed": self.seed,
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "texts": list(texts),
            "code": scoring_version(),
        }
        if self.dtype != "float32":
            payload["dtype"] = self.dtype
        return payload


def baseline_stack(kind: str, batch: AttentionBatch, shape: tuple[int, int], seed: int, causal: bool, model_causal: bool) -> torch.Tensor:
    """Baseline matrices for a batch, padded like its attention: one per (text, layer, head) for the
    random kinds and the nulls (seeded per text, so a text's draws do not depend on its batch), one
    per text (broadcast later) for the deterministic kinds."""
    lengths = batch.mask.sum(1).tolist()
    B, Lmax = len(lengths), batch.attn.shape[-1]
    if kind in NULLS:  # from the head's own weights; causal whenever the model is, under every preset
        attn = batch.attn.detach().cpu().numpy()
        out = np.zeros(attn.shape, dtype=attn.dtype if kind == "permuted" else np.float64)
        for b, (n, tid) in enumerate(zip(lengths, batch.index, strict=True)):
            own = attn[b, ..., :n, :n]
            out[b, ..., :n, :n] = structured_null(kind, own, causal=model_causal, seed=text_rng(kind, seed, tid))
        return torch.from_numpy(out)
    if kind == "random":
        out = np.zeros((B, *shape, Lmax, Lmax))
        for b, (n, tid) in enumerate(zip(lengths, batch.index, strict=True)):
            out[b, ..., :n, :n] = make_baseline("random", n, seed=text_rng("random", seed, tid), causal=causal, size=shape)
    else:
        out = np.zeros((B, 1, 1, Lmax, Lmax))
        for b, n in enumerate(lengths):
            out[b, 0, 0, :n, :n] = make_baseline(kind, n, causal=causal)
    return torch.from_numpy(out)


def score_batch(
    batch: AttentionBatch, model: LoadedModel, spec: ScoreSpec, stacks: dict[tuple[str, bool], torch.Tensor] | None = None
) -> pd.DataFrame:
    """Gauge terms for the real attention of one batch and for each baseline on the same masks.

    ``stacks`` shares the baseline matrices between configurations gauged on the same batch.
    """
    B, n_layers, n_heads = batch.attn.shape[:3]
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
    for name, value in head_stats(batch.attn, mask.expand(B, n_layers, n_heads, -1)).items():
        frame[f"stat_{name}"] = value.reshape(-1).cpu().numpy()
    bmask = batch.mask.cpu()[:, None, None, :]
    causal_baselines = model.causal and spec.config.mask_causal
    stacks = {} if stacks is None else stacks
    for kind in spec.baselines:
        key = (kind, causal_baselines and kind not in NULLS)  # a null does not depend on the preset's masks
        if key not in stacks:
            stacks[key] = baseline_stack(kind, batch, (n_layers, n_heads), spec.seed, causal_baselines, model.causal)
        b_res = gauge(stacks[key], bmask, causal=model.causal, config=spec.config)
        for term in BASELINE_TERMS:
            frame[f"{term}_{kind}"] = getattr(b_res, term).expand(B, n_layers, n_heads).reshape(-1).cpu().numpy()
    df = pd.DataFrame(frame)
    df["model"] = spec.model
    df["preset"] = spec.config.name
    return df


def gauge_batch(
    model: LoadedModel, texts: Sequence[str], index: list[int], specs: Sequence[ScoreSpec], *, max_length: int
) -> tuple[AttentionBatch, list[pd.DataFrame]]:
    """One forward pass over ``texts[index]`` and one table per spec, the baselines shared between
    them; the attention is returned too, for callers that draw it."""
    batch = extract(model, texts, index, max_length=max_length)
    stacks: dict[tuple[str, bool], torch.Tensor] = {}
    return batch, [score_batch(batch, model, spec, stacks) for spec in specs]
