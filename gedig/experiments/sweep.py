"""Sweeps of F-regularised fine-tuning runs over α × seeds: the data drawn once, every finished run
written atomically with the code and data versions that made it, resumed after an interruption,
locally or as Ray tasks.

A run made by other training code, or on other data, is *stale*: by default it is run again (and
its record replaced); ``reuse_stale=True`` keeps it and marks it, so a chapter can say so.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import GedigError
from ..models.devices import resolve_device
from ..util.inputs import note_input
from ..util.io import atomic_write_text, cache_dir, read_cached
from ..util.progress import Countdown, say
from .layout import Layout, choose, parse_layout, run_all
from .splits import load_splits
from .training import Arm, Protocol, data_version, train_arm, training_version

CONTROL_ALPHA = 0.01
"""The weight of the random-value control arm, and of the timed regularised step: the middle of
the paper's non-zero α grid, where F is neither negligible nor collapsing accuracy."""


def sweep_dir(protocol: Protocol) -> Path:
    return cache_dir() / "freg" / protocol.key()


def read_run(path: Path) -> dict[str, Any]:
    """A finished run's record; one that does not parse or lacks its fields raises (and is set aside)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in ("arm", "accuracy", "train_seconds") if k not in record]
    if missing:
        raise ValueError(f"record lacks {missing}")
    return record


def staleness(record: dict[str, Any], data: str) -> str:
    """Why a finished run is not current ('' when it is): other training code or other data."""
    why = []
    if record.get("code_version") != training_version():
        why.append(f"training code {record.get('code_version', 'unrecorded')} (now {training_version()})")
    if record.get("data_version") != data:
        why.append(f"data {record.get('data_version', 'unrecorded')} (now {data})")
    return ", ".join(why)


def row(record: dict[str, Any]) -> dict[str, Any]:
    """One run record as a flat table row: its measures, then its arm (alpha, seed, control)."""
    return {**{k: v for k, v in record.items() if k not in ("protocol", "arm", "log")}, **record["arm"]}


def _current(folder: Path, arm: Arm, data: str, reuse_stale: bool) -> dict[str, Any] | None:
    """The arm's record if it may be used: current, or stale and kept on request (marked ``stale``)."""
    record = read_cached(note_input(folder / arm.filename), read_run)
    if record is None:
        return None
    why = staleness(record, data)
    if not why:
        return {**record, "stale": ""}
    if reuse_stale:
        return {**record, "stale": why}
    say(f"[freg] {arm.label}: made by other {why}; running it again")
    return None


def finished_runs(
    folder: Path, alphas: Sequence[float], seeds: Sequence[int], *, protocol: Protocol | None = None, reuse_stale: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """The finished, current F-arm runs among α × seed in a sweep folder (never running one), and the
    labels of those not there yet: how a chapter reads a sweep that ran elsewhere, e.g. on a
    cluster. ``protocol`` (default: the one recorded in the folder) decides the current data."""
    protocol = protocol or _folder_protocol(folder)
    data = data_version(*load_splits(protocol)) if protocol is not None else ""
    arms = [Arm(float(a), int(s)) for a in alphas for s in seeds]
    found = {arm: _current(Path(folder), arm, data, reuse_stale) for arm in arms}
    rows = [row(r) for r in found.values() if r is not None]
    return pd.DataFrame(rows), [arm.label for arm, r in found.items() if r is None]


def _folder_protocol(folder: Path) -> Protocol | None:
    raw = read_cached(note_input(Path(folder) / "protocol.json"), lambda p: json.loads(p.read_text(encoding="utf-8")))
    if raw is None:
        return None
    from ..gauge.soft import FRegConfig

    return Protocol(**{**raw, "freg": FRegConfig(**raw["freg"])})


def run_sweep(
    protocol: Protocol,
    alphas: Sequence[float],
    seeds: Sequence[int],
    *,
    control_alpha: float | None = CONTROL_ALPHA,
    out_dir: Path | None = None,
    device: str = "auto",
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
    cpus_per_task: int = 1,
    max_retries: int = 2,
    reuse_stale: bool = False,
    layout: str | Layout = "auto",
    train: Callable[..., dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """Run (or resume) every α × seed arm, plus the random-value control at ``control_alpha``.

    Each finished run is written atomically as it completes and announced on one line (α, seed,
    accuracy, minutes, estimated time left) on the process's own stderr, which reaches the
    terminal of ``make book`` even from inside a notebook kernel. ``executor="ray"`` runs each arm
    as a Ray task on the cluster at ``address`` (a local one of this machine's cores when None),
    retried up to ``max_retries`` times; runs that still fail are reported together once every
    other run has finished and been written. A run recorded by other training code or on other
    data is run again, unless ``reuse_stale`` keeps it (its row's ``stale`` column then says why).
    ``train`` runs one arm (default ``train_arm``, looked up when the sweep starts).

    The local executor runs the arms in the ``layout`` (``gedig.experiments.layout.choose``):
    'auto' picks serial or parallel one-process workers by the step rate measured on this
    machine, and says which; each record names its layout and threads. Ctrl-C stops every worker
    and keeps the finished runs.
    """
    train = train or train_arm
    parse_layout(layout)
    if executor not in ("local", "ray"):
        raise GedigError(f"executor must be 'local' or 'ray', got {executor!r}")
    if executor == "local" or address is None:
        resolve_device(device)
    arms = [Arm(float(a), int(s)) for a in alphas for s in seeds]
    if control_alpha is not None:
        arms += [Arm(float(control_alpha), int(s), control=True) for s in seeds]
    folder = out_dir or sweep_dir(protocol)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(json.dumps(dataclasses.asdict(protocol), indent=1, default=str), folder / "protocol.json")
    data = load_splits(protocol)
    version = data_version(*data)
    done = {arm: _current(folder, arm, version, reuse_stale) for arm in arms}
    todo = [arm for arm in arms if done[arm] is None]
    if progress:
        say(f"[freg] sweep of {len(arms)} runs in {folder}: {len(arms) - len(todo)} already finished, {len(todo)} to run")
    failures: dict[Arm, str] = {}
    if executor == "ray" and todo:
        records, failures = run_arms_on_ray(
            protocol,
            todo,
            folder,
            data=data,
            train=train,
            address=address,
            cpus_per_task=cpus_per_task,
            max_retries=max_retries,
            device=device,
        )
        done.update({arm: {**r, "stale": ""} for arm, r in records.items()})
    if executor == "local" and todo:
        done.update(_run_local(protocol, todo, folder, data=data, train=train, layout=layout, device=device, progress=progress))
    if failures:
        listed = "; ".join(f"{arm.label}: {why}" for arm, why in failures.items())
        raise GedigError(f"{len(failures)} of {len(arms)} runs failed for good (the other runs are saved in {folder}): {listed}")
    return pd.DataFrame([row(done[a]) for a in arms])


def timed_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and the wall seconds it took (in the process that runs it: a worker's
    run is timed there, loading and evaluation included)."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def _run_local(
    protocol: Protocol,
    arms: Sequence[Arm],
    folder: Path,
    *,
    data: tuple[pd.DataFrame, pd.DataFrame],
    train: Callable[..., dict[str, Any]],
    layout: str | Layout,
    device: str,
    progress: bool,
) -> dict[Arm, dict[str, Any]]:
    """The arms on this machine, serially or on pinned workers (the layout ``choose`` picks),
    each record written as its run finishes and announced with the time it took."""
    import torch

    dev = resolve_device(device)
    lay, why = choose(protocol, len(arms), layout=layout, device=dev.type)
    if progress:
        say(f"[freg] layout: {why}")
    countdown = Countdown(len(arms), "freg", workers=lay.workers)
    done: dict[Arm, dict[str, Any]] = {}

    def finished(arm: Arm, timed: tuple[dict[str, Any], float]) -> None:
        result, seconds = timed
        result = {**result, "threads": lay.threads, "layout": str(lay)}
        atomic_write_text(json.dumps(result, default=str), folder / arm.filename)
        done[arm] = {**result, "stale": ""}
        if progress:
            countdown.finished(f"{arm.label}: accuracy {100 * result['accuracy']:.2f} %", seconds)

    if lay.parallel:
        jobs = [(arm, timed_call, (train, protocol, arm), {"data": data, "device": "cpu", "progress": False}) for arm in arms]
        run_all(lay, jobs, finished)
        return done
    torch.set_num_threads(lay.threads)
    for arm in tqdm(arms, desc="F-regularisation sweep", unit="run", disable=not progress):
        finished(arm, timed_call(train, protocol, arm, data=data, device=device, progress=progress))
    return done


def run_arms_on_ray(
    protocol: Protocol,
    arms: Sequence[Arm],
    folder: Path,
    *,
    data: tuple[pd.DataFrame, pd.DataFrame],
    train: Callable[..., dict[str, Any]],
    address: str | None = None,
    cpus_per_task: int = 1,
    max_retries: int = 2,
    device: str = "auto",
) -> tuple[dict[Arm, dict[str, Any]], dict[Arm, str]]:
    """Run every arm as one Ray task; write each record as it arrives. Returns (records, failures)."""
    from ..util.cluster import connect, drain, pinned, placement, ray_module

    ray = ray_module()
    resources = connect(address)
    ask = placement(resources, cpus_per_task)
    threads = int(ask["num_cpus"])
    remote = ray.remote(pinned).options(**ask, max_retries=max_retries, retry_exceptions=True)
    dev = "cuda" if ask["num_gpus"] else ("cpu" if device == "auto" else device)
    shared = ray.put(data)
    pending = {remote.remote(threads, timed_call, train, protocol, arm, data=shared, device=dev, progress=False): arm for arm in arms}
    say(
        f"[sweep] {len(arms)} runs on Ray ({', '.join(f'{k} {v:g}' for k, v in sorted(resources.items()) if k in ('CPU', 'GPU'))}), each asking {ask}"
    )
    records: dict[Arm, dict[str, Any]] = {}
    failures: dict[Arm, str] = {}
    at_once = int(resources.get("GPU", 0)) if ask["num_gpus"] else int(resources.get("CPU", 1) // threads)
    countdown = Countdown(len(arms), "sweep", workers=at_once)

    def finished(arm: Arm, timed: tuple[dict[str, Any], float]) -> None:
        result, seconds = timed
        result = {**result, "threads": threads, "layout": f"Ray task × {threads} CPU{'s' if threads > 1 else ''}"}
        atomic_write_text(json.dumps(result, default=str), folder / arm.filename)
        records[arm] = result
        countdown.finished(f"{arm.label}: accuracy {100 * result['accuracy']:.2f} %", seconds)

    def failed(arm: Arm, why: str) -> None:
        failures[arm] = why
        say(f"[sweep] failed after {max_retries} retries: {arm.label}: {why}")
        countdown.gave_up()

    drain(pending, on_result=finished, on_error=failed)
    return records, failures


def step_overhead(
    protocol: Protocol, *, n_steps: int = 24, alpha: float = CONTROL_ALPHA, seed: int = 0, device: str = "auto"
) -> dict[str, float]:
    """Median seconds per optimisation step for CE-only (attentions returned) and CE + α·F: the
    step ``train_arm`` takes (``gedig.experiments.steps.timed_steps``), the two kinds alternating
    on the same model and batches; the first two of each are warm-up and not counted."""
    from .steps import timed_steps

    ce_steps, reg_steps = timed_steps(protocol, (Arm(0.0, seed), Arm(alpha, seed)), n_steps=n_steps, seed=seed, device=device)
    ce, reg = float(np.median(ce_steps[2:])), float(np.median(reg_steps[2:]))
    return {"ce_only": ce, "ce_plus_F": reg, "overhead": reg / ce - 1.0}
