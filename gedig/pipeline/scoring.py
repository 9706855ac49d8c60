"""``score``: one tidy table per model × texts × config, one row per text × layer × head.

Forward passes are batched, the gauge runs on whole batches (``gedig.pipeline.batch``), finished batches are
written to disk as they complete (so an interrupted run resumes), and the finished table is cached
under a key of model, texts, config and the scoring code's version, which it also records.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import pandas as pd
from tqdm.auto import tqdm

from ..errors import GedigError
from ..gauge.baselines import ALL_BASELINES, BASELINES
from ..gauge.config import GaugeConfig
from ..models.attention import check_texts, plan_batches
from ..models.devices import resolve_device
from ..models.loading import DTYPES, LoadedModel, load_model, load_tokenizer, torch_dtype
from ..util.allocator import tune_allocator
from ..util.keys import key_of
from .batch import ScoreSpec, gauge_batch, scoring_version
from .cache import read_table, scores_dir, write_table


def _check_config(cfg: object) -> GaugeConfig:
    if not isinstance(cfg, GaugeConfig):
        raise GedigError(f"config must be a GaugeConfig or a list of them, got {type(cfg).__name__}")
    return cfg


class _Store:
    """The parts and final tables of one score() call, each under its spec's key."""

    def __init__(self, specs: list[ScoreSpec], texts: list[str], cache: bool) -> None:
        self.version = scoring_version()
        self.keys = [key_of(s.key_payload(texts)) for s in specs]
        self.cache = cache

    def final(self, i: int) -> pd.DataFrame | None:
        return read_table(scores_dir() / f"{self.keys[i]}.parquet", code_version=self.version) if self.cache else None

    def part(self, i: int, b: int) -> pd.DataFrame | None:
        return read_table(self._part_path(i, b), code_version=self.version) if self.cache else None

    def save_part(self, i: int, b: int, df: pd.DataFrame) -> None:
        if self.cache:
            write_table(df, self._part_path(i, b), record={"code_version": self.version})

    def finish(self, i: int, frames: list[pd.DataFrame]) -> pd.DataFrame:
        """The batches of one table in text × layer × head order, cached, its parts removed."""
        table = pd.concat(frames, ignore_index=True).sort_values(["text_id", "layer", "head"], kind="stable").reset_index(drop=True)
        if self.cache:
            write_table(table, scores_dir() / f"{self.keys[i]}.parquet", record={"code_version": self.version})
            shutil.rmtree(scores_dir() / f"{self.keys[i]}.partial", ignore_errors=True)
        return table

    def _part_path(self, i: int, b: int):
        return scores_dir() / f"{self.keys[i]}.partial" / f"part-{b:05d}.parquet"


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
    dtype: str | None = None,
    cache: bool = True,
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
    cpus_per_actor: int = 1,
) -> pd.DataFrame | list[pd.DataFrame]:
    """Score every head of ``model`` on ``texts``: a tidy DataFrame, one row per text × layer × head.

    Columns: text_id, layer, head, L, F, delta_epc, delta_h, delta_sp, n_edges, threshold; the head's
    surface statistics ``stat_<name>`` (``gedig.gauge.headstats``: row entropy, row maximum, first-token,
    self, previous- and next-token shares); for each
    baseline b, F_b, delta_epc_b, delta_h_b and delta_sp_b (F_b = delta_epc_b − λ(delta_h_b +
    γ·delta_sp_b)); model, preset. Baselines are scored on the same mask; under a preset that masks
    causal zeros they are causally masked too for a causal model. Besides the paper's four
    (``BASELINES``), the structure-preserving nulls ``permuted`` and ``entropy_matched`` are built
    from each head's own weights.

    ``dtype`` ('float32' by default; 'bfloat16' or 'float16' for large models on a GPU) is the
    dtype the model runs in, and part of the table's key; the gauge reads the attention exactly as
    float32. A loaded model brings its own.

    ``config`` may be a list: the model then runs once per batch and every configuration is gauged
    on the same attention. The result is a list of tables in the same order, each equal to (and
    cached under the same key as) a single-configuration call.

    ``executor="ray"`` shards the batch plan over Ray actors (``gedig.pipeline.distributed``), one model copy
    each and one actor per GPU where the cluster has GPUs, on the cluster at ``address`` (a local
    one of this machine's cores when None). It writes the same parts and cache entries as the local
    path; its tables agree with the local path's by ``gedig.pipeline.agreement``'s contract (float32
    attention summed with another thread count), not bit for bit.
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
    if isinstance(model, LoadedModel):
        if dtype is not None and torch_dtype(dtype) != torch_dtype(model.dtype):
            raise GedigError(f"dtype {dtype!r} differs from the loaded model's {model.dtype!r}; load it in that dtype instead")
        dtype_name = model.dtype
    else:
        dtype_name = next(k for k, v in DTYPES.items() if v == torch_dtype(dtype))
    specs = [
        ScoreSpec(
            model=name,
            config=c,
            baselines=baselines,
            seed=int(seed),
            batch_size=int(batch_size),
            max_length=int(max_length),
            dtype=dtype_name,
        )
        for c in configs
    ]
    store = _Store(specs, texts, cache)
    tables: list[pd.DataFrame | None] = [store.final(i) for i in range(len(specs))]
    todo = [i for i, t in enumerate(tables) if t is None]
    if todo:
        tune_allocator()
        if executor == "ray":
            _score_on_ray(name, texts, specs, store, todo, tables, address, cpus_per_actor, device)
        else:
            _score_locally(model, name, texts, specs, store, todo, tables, device, progress, configs)
    return tables if several else tables[0]


def _score_locally(model, name, texts, specs, store, todo, tables, device, progress, configs) -> None:
    loaded = model if isinstance(model, LoadedModel) else load_model(model, device=device, dtype=specs[0].dtype)
    plan = plan_batches(loaded, texts, batch_size=specs[0].batch_size, max_length=specs[0].max_length)
    frames: dict[int, list[pd.DataFrame]] = {i: [] for i in todo}
    label = configs[0].name if len(todo) == 1 else f"{len(todo)} configs"
    bar = tqdm(total=len(texts), desc=f"score {name} [{label}]", unit="text", disable=not progress)
    for b, index in enumerate(plan):
        done = {i: store.part(i, b) for i in todo}
        missing = [i for i in todo if done[i] is None]
        if missing:
            _, new = gauge_batch(loaded, texts, index, [specs[i] for i in missing], max_length=specs[0].max_length)
            for i, df in zip(missing, new, strict=True):
                done[i] = df
                store.save_part(i, b, df)
        for i in todo:
            frames[i].append(done[i])
        bar.update(len(index))
    bar.close()
    for i in todo:
        tables[i] = store.finish(i, frames[i])


def _score_on_ray(name, texts, specs, store, todo, tables, address, cpus_per_actor, device) -> None:
    """The Ray path of ``score``: the same plan, parts and cache entries; batches scored by actors."""
    from types import SimpleNamespace

    from .distributed import score_batches_on_ray

    plan = plan_batches(
        SimpleNamespace(tokenizer=load_tokenizer(name)), texts, batch_size=specs[0].batch_size, max_length=specs[0].max_length
    )
    done = {b: {i: store.part(i, b) for i in todo} for b in range(len(plan))}
    missing = {b: plan[b] for b in done if any(df is None for df in done[b].values())}

    def write(b: int, frames: list[pd.DataFrame]) -> None:
        for i, df in zip(todo, frames, strict=True):
            done[b][i] = df
            store.save_part(i, b, df)

    if missing:
        score_batches_on_ray(
            name,
            texts,
            missing,
            [specs[i] for i in todo],
            write=write,
            max_length=specs[0].max_length,
            address=address,
            cpus_per_actor=cpus_per_actor,
            device=device,
        )
    for i in todo:
        tables[i] = store.finish(i, [done[b][i] for b in range(len(plan))])
