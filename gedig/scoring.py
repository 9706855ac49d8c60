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
from .baselines import ALL_BASELINES, BASELINES, NULLS, make_baseline, structured_null, text_rng
from .cache import atomic_write_parquet, code_version, key_of, read_parquet_cached, scores_dir
from .config import GaugeConfig
from .errors import GedigError
from .headstats import head_stats
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


BASELINE_TERMS = ("F", "delta_epc", "delta_h", "delta_sp")


def _baseline_stack(kind: str, batch: AttentionBatch, shape: tuple[int, int], seed: int, causal: bool, model_causal: bool) -> torch.Tensor:
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
            stacks[key] = _baseline_stack(kind, batch, (n_layers, n_heads), spec.seed, causal_baselines, model.causal)
        b_res = gauge(stacks[key], bmask, causal=model.causal, config=spec.config)
        for term in BASELINE_TERMS:
            frame[f"{term}_{kind}"] = getattr(b_res, term).expand(B, n_layers, n_heads).reshape(-1).cpu().numpy()
    df = pd.DataFrame(frame)
    df["model"] = spec.model
    df["preset"] = spec.config.name
    return df


def _check_config(cfg: object) -> GaugeConfig:
    if not isinstance(cfg, GaugeConfig):
        raise GedigError(f"config must be a GaugeConfig or a list of them, got {type(cfg).__name__}")
    return cfg


def score(
    model: str | LoadedModel,
    texts: Sequence[str],
    *,
    config: GaugeConfig | Sequence[GaugeConfig] | None = None,
    baselines: Sequence[str] = BASELINES,
    seed: int = 0,
    batch_size: int = 16,
    max_length: int = 256,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
    cpus_per_actor: int = 1,
) -> pd.DataFrame | list[pd.DataFrame]:
    """Score every head of ``model`` on ``texts``: a tidy DataFrame, one row per text × layer × head.

    Columns: text_id, layer, head, L, F, delta_epc, delta_h, delta_sp, n_edges, threshold; the head's
    surface statistics ``stat_<name>`` (``gedig.headstats``: row entropy, row maximum, first-token,
    self, previous- and next-token shares); for each
    baseline b, F_b, delta_epc_b, delta_h_b and delta_sp_b (F_b = delta_epc_b − λ(delta_h_b +
    γ·delta_sp_b)); model, preset. Baselines are scored on the same mask; under a preset that masks
    causal zeros they are causally masked too for a causal model. Besides the paper's four
    (``BASELINES``), the structure-preserving nulls ``permuted`` and ``entropy_matched`` are built
    from each head's own weights.

    ``config`` may be a list: the model then runs once per batch and every configuration is gauged
    on the same attention. The result is a list of tables in the same order, each equal to (and
    cached under the same key as) a single-configuration call.

    ``executor="ray"`` shards the batch plan over Ray actors (``gedig.distributed``), one model copy
    each and one actor per GPU where the cluster has GPUs, on the cluster at ``address`` (a local
    one of this machine's cores when None). It returns the same tables and writes the same parts
    and cache entries as the local path.
    """
    if executor not in ("local", "ray"):
        raise GedigError(f"executor must be 'local' or 'ray', got {executor!r}")
    texts = check_texts(texts)
    if not isinstance(model, LoadedModel):
        resolve_device(device)  # an unavailable device is an error even when the table is cached
    several = isinstance(config, (list, tuple))
    configs = [_check_config(c) for c in config] if several else [_check_config(config if config is not None else GaugeConfig.published())]
    if not configs:
        raise GedigError("config is an empty list: give at least one GaugeConfig")
    baselines = tuple(baselines)
    for kind in baselines:
        if kind not in ALL_BASELINES:
            raise GedigError(f"unknown baseline kind {kind!r}; choose from {', '.join(ALL_BASELINES)}")
    name = model.name if isinstance(model, LoadedModel) else model
    specs = [
        ScoreSpec(model=name, config=c, baselines=baselines, seed=int(seed), batch_size=int(batch_size), max_length=int(max_length))
        for c in configs
    ]
    keys = [spec.key(texts) for spec in specs]
    tables: list[pd.DataFrame | None] = [read_parquet_cached(scores_dir() / f"{k}.parquet") if cache else None for k in keys]
    todo = [i for i, t in enumerate(tables) if t is None]
    if todo and executor == "ray":
        _score_on_ray(name, texts, specs, keys, todo, tables, batch_size, max_length, cache, address, cpus_per_actor, device)
    elif todo:
        loaded = model if isinstance(model, LoadedModel) else load_model(model, device=device)
        plan = plan_batches(loaded, texts, batch_size=batch_size, max_length=max_length)
        frames: dict[int, list[pd.DataFrame]] = {i: [] for i in todo}
        label = configs[0].name if len(todo) == 1 else f"{len(todo)} configs"
        bar = tqdm(total=len(texts), desc=f"score {name} [{label}]", unit="text", disable=not progress)
        for b, index in enumerate(plan):
            parts = {i: scores_dir() / f"{keys[i]}.partial" / f"part-{b:05d}.parquet" for i in todo}
            done = {i: read_parquet_cached(parts[i]) if cache else None for i in todo}
            missing = [i for i in todo if done[i] is None]
            if missing:
                batch = extract(loaded, texts, index, max_length=max_length)  # one forward pass for every config
                stacks: dict[tuple[str, bool], torch.Tensor] = {}
                for i in missing:
                    done[i] = score_batch(batch, loaded, specs[i], stacks)
                    if cache:
                        atomic_write_parquet(done[i], parts[i])
            for i in todo:
                frames[i].append(done[i])
            bar.update(len(index))
        bar.close()
        for i in todo:
            tables[i] = _finish(frames[i], keys[i], cache)
    return tables if several else tables[0]


def _finish(frames: list[pd.DataFrame], key: str, cache: bool) -> pd.DataFrame:
    """The batches of one table in text × layer × head order, cached, its parts removed."""
    table = pd.concat(frames, ignore_index=True).sort_values(["text_id", "layer", "head"], kind="stable").reset_index(drop=True)
    if cache:
        atomic_write_parquet(table, scores_dir() / f"{key}.parquet")
        shutil.rmtree(scores_dir() / f"{key}.partial", ignore_errors=True)
    return table


def _score_on_ray(
    name: str,
    texts: list[str],
    specs: list[ScoreSpec],
    keys: list[str],
    todo: list[int],
    tables: list[pd.DataFrame | None],
    batch_size: int,
    max_length: int,
    cache: bool,
    address: str | None,
    cpus_per_actor: int,
    device: str,
) -> None:
    """The Ray path of ``score``: the same plan, parts and cache entries; batches scored by actors."""
    from types import SimpleNamespace

    from .distributed import score_batches_on_ray
    from .models import load_tokenizer

    plan = plan_batches(SimpleNamespace(tokenizer=load_tokenizer(name)), texts, batch_size=batch_size, max_length=max_length)
    parts = {b: {i: scores_dir() / f"{keys[i]}.partial" / f"part-{b:05d}.parquet" for i in todo} for b in range(len(plan))}
    done = {b: {i: read_parquet_cached(p) if cache else None for i, p in parts[b].items()} for b in parts}
    missing = {b: plan[b] for b in parts if any(df is None for df in done[b].values())}

    def write(b: int, frames: list[pd.DataFrame]) -> None:
        for i, df in zip(todo, frames, strict=True):
            done[b][i] = df
            if cache:
                atomic_write_parquet(df, parts[b][i])

    if missing:
        score_batches_on_ray(
            name,
            texts,
            missing,
            [specs[i] for i in todo],
            write=write,
            max_length=max_length,
            address=address,
            cpus_per_actor=cpus_per_actor,
            device=device,
        )
    for i in todo:
        tables[i] = _finish([done[b][i] for b in range(len(plan))], keys[i], cache)
