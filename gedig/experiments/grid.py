"""Sweep grids as data: a small YAML file names the models, tasks, α values, seeds, arms and
protocol overrides of a fine-tuning sweep; ``run_grid`` runs it locally or on Ray.

    name: paper
    models: [minilm-l6]
    tasks: [rotten-tomatoes]          # labelled corpora (gedig.load_labelled)
    alphas: [0, 0.001, 0.01, 0.1, 1.0]
    seeds: [42, 123, 456]
    arms: [F, random-value]           # random-value: the negative control at control_alpha
    control_alpha: 0.01
    protocol: {n_train: 2000, n_eval: 500, epochs: 3}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import GedigError
from ..util.inputs import note_input
from ..util.paths import GRIDS
from .sweep import run_sweep
from .training import Protocol

ARMS = ("F", "random-value")


@dataclass(frozen=True)
class Grid:
    """One sweep: every model × task, each with the α × seed arms (and the control) of ``Protocol``."""

    name: str
    models: tuple[str, ...]
    tasks: tuple[str, ...]
    alphas: tuple[float, ...]
    seeds: tuple[int, ...]
    arms: tuple[str, ...] = ("F",)
    control_alpha: float = 0.01
    protocol: dict[str, Any] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        per = len(self.alphas) * len(self.seeds) * ("F" in self.arms) + len(self.seeds) * ("random-value" in self.arms)
        return len(self.models) * len(self.tasks) * per

    def protocols(self) -> list[Protocol]:
        return [Protocol(model=m, corpus=t, **self.protocol) for m in self.models for t in self.tasks]


PAPER_SEEDS = (42, 123, 456)


def seed_list(n: int) -> tuple[int, ...]:
    """n seeds: the paper's three first, then 1, 2, 3, …"""
    if n < 1:
        raise GedigError(f"a sweep needs at least one seed, got {n}")
    extra = [s for s in range(1, n + 1) if s not in PAPER_SEEDS]
    return (*PAPER_SEEDS, *extra)[:n]


def load_grid(path: str | Path, *, seeds: int | None = None, auto_seeds: Callable[[], int] | None = None) -> Grid:
    """Read and validate a grid file; every problem is named, with the file. ``seeds`` (a count)
    overrides the file's seeds; ``seeds: auto`` in the file takes the count ``auto_seeds`` returns
    (the command line passes the power analysis of the executed book, ``gedig.book.build.powered_seed_count``)."""
    path = Path(path)
    if not path.exists() and (GRIDS / f"{path.name}").exists():
        path = GRIDS / path.name
    note_input(path)
    if not path.exists():
        shipped = ", ".join(p.name for p in sorted(GRIDS.glob("*.yml")))
        raise GedigError(f"no grid file {path}; the shipped grids are in grids/: {shipped}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GedigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise GedigError(f"{path}: a grid is a mapping of name, models, tasks, alphas, seeds, …")
    known = {f.name for f in dataclasses.fields(Grid)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise GedigError(f"{path}: unknown grid keys {unknown}; allowed: {sorted(known)}")
    if seeds is not None:
        raw["seeds"] = list(seed_list(seeds))
    elif raw.get("seeds") == "auto":
        if auto_seeds is None:
            raise GedigError(
                f"{path}: `seeds: auto` needs the seed count of the book's power analysis; pass --seeds N, or run it through python -m gedig sweep"
            )
        raw["seeds"] = list(seed_list(auto_seeds()))
    missing = [k for k in ("models", "tasks", "alphas", "seeds") if not raw.get(k)]
    if missing:
        raise GedigError(f"{path}: the grid needs non-empty {missing}")
    arms = tuple(raw.get("arms", ["F"]))
    if not set(arms) <= set(ARMS):
        raise GedigError(f"{path}: arms must be among {ARMS}, got {list(arms)}")
    fields = {f.name for f in dataclasses.fields(Protocol)} - {"model", "corpus"}
    bad = sorted(set(raw.get("protocol") or {}) - fields)
    if bad:
        raise GedigError(f"{path}: unknown protocol overrides {bad}; allowed: {sorted(fields)}")
    try:
        return Grid(
            name=str(raw.get("name", path.stem)),
            models=tuple(str(m) for m in raw["models"]),
            tasks=tuple(str(t) for t in raw["tasks"]),
            alphas=tuple(float(a) for a in raw["alphas"]),
            seeds=tuple(int(s) for s in raw["seeds"]),
            arms=arms,
            control_alpha=float(raw.get("control_alpha", 0.01)),
            protocol=dict(raw.get("protocol") or {}),
        )
    except (TypeError, ValueError) as exc:
        raise GedigError(f"{path}: {exc}") from None


def check_reachable(grid: Grid) -> None:
    """Fail at once, before any run, for a model or task that cannot be had here (a hub name offline)."""
    from ..models.corpora import labelled_splits
    from ..models.loading import load_tokenizer

    for m in grid.models:
        load_tokenizer(m)
    for protocol in grid.protocols()[: len(grid.tasks)]:
        labelled_splits(protocol.corpus, n_train=2, n_eval=2, seed=protocol.data_seed, selection=protocol.selection)


def run_grid(
    grid: Grid,
    *,
    executor: str = "local",
    address: str | None = None,
    cpus_per_task: int = 1,
    progress: bool = True,
    reuse_stale: bool = False,
    layout: str = "auto",
) -> pd.DataFrame:
    """Every protocol of the grid through ``run_sweep`` (``layout``: how the local executor spends
    the cores, see ``gedig.experiments.layout``); one table of runs, with model and task."""
    check_reachable(grid)
    if executor == "ray":
        from ..util.cluster import connect

        connect(address)  # an unreachable cluster is an error before any run starts
    frames = []
    for protocol in grid.protocols():
        runs = run_sweep(
            protocol,
            grid.alphas if "F" in grid.arms else [],
            grid.seeds,
            control_alpha=grid.control_alpha if "random-value" in grid.arms else None,
            executor=executor,
            address=address,
            cpus_per_task=cpus_per_task,
            progress=progress,
            reuse_stale=reuse_stale,
            layout=layout,
        )
        frames.append(runs.assign(model=protocol.model, task=protocol.corpus))
    return pd.concat(frames, ignore_index=True)
