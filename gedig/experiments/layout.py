"""How a sweep spends the machine's cores: its runs one after another with every thread (serial),
or as k worker processes at once with cores/k threads each, chosen by timing the chapter-6 step.

Why measure: on small matrices (MiniLM, hidden size 384, batch 16) a second torch thread buys
little, so two one-thread workers can do more steps per second than one two-thread process, but
that depends on the CPU, the model and the batch. Each layout is timed once per machine (a few
steps in fresh processes, all of a layout's workers at once) and cached; the faster one is used,
and the sweep's progress line says which and by how much.

Why pin: two torch processes whose OpenMP pools each want every core spin against each other
(a 4-minute run took 20 beside another). Every worker sets torch's, OpenMP's and MKL's thread
counts to its share before torch starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from ..errors import GedigError
from ..util.io import atomic_write_text, cache_dir, read_cached
from ..util.keys import canonical, key_of
from ..util.progress import say

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""The thread-count variables of the libraries under torch, set in every worker before torch loads."""

TIMED_STEPS = 10
"""Steps timed per worker when a layout is measured (after ``WARMUP_STEPS`` untimed ones)."""

WARMUP_STEPS = 2

MIN_STEPS_TO_MEASURE = 300
"""Below this many optimisation steps in all, timing the layouts (about half a minute) costs more
than the faster layout could save, and the runs go serially."""


@dataclass(frozen=True)
class Layout:
    """``workers`` processes at once, each with ``threads`` torch threads (1 worker: serial)."""

    workers: int
    threads: int

    def __post_init__(self) -> None:
        for name in ("workers", "threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise GedigError(f"Layout.{name} must be a positive integer, got {value!r}")

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def __str__(self) -> str:
        return f"{self.workers} worker{'s' if self.workers > 1 else ''} × {self.threads} thread{'s' if self.threads > 1 else ''}"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def candidates(cores: int) -> list[Layout]:
    """Every layout that uses all ``cores`` evenly: serial first, then more and thinner workers."""
    return [Layout(k, cores // k) for k in range(1, cores + 1) if cores % k == 0]


def parse_layout(text: str | Layout) -> Layout | str:
    """'auto', 'serial' (every thread in this process), 'KxT' (K workers × T threads) or a Layout."""
    if isinstance(text, Layout) or text in ("auto", "serial"):
        return text
    try:
        workers, threads = (int(part) for part in str(text).lower().split("x"))
        return Layout(workers, threads)
    except (ValueError, GedigError):
        raise GedigError(f"layout must be 'auto', 'serial' or 'KxT' (K workers × T threads, e.g. '2x1'), got {text!r}") from None


def busy_load() -> float | None:
    """The 1-minute load average when it exceeds the usable cores (the machine is busy), else None."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return load if load > usable_cores() else None


def warn_if_busy(prefix: str) -> None:
    """Say once that timings and time-left estimates will be off when the machine is already busy."""
    load = busy_load()
    if load is not None:
        say(
            f"[{prefix}] warning: this machine is busy (load average {load:.1f} on {usable_cores()} cores): "
            "timings and the time-left estimates will be off, and runs slower"
        )


def pin(threads: int) -> None:
    """Set this process's thread counts (torch, OpenMP, MKL, OpenBLAS) to ``threads``."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _start_worker(threads: int) -> None:
    """A worker's start: Ctrl-C is the parent's to handle (it stops the workers), then pin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin(threads)
    import torch
    from tqdm import tqdm
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the parent's progress lines speak for the workers
    tqdm.set_lock(threading.RLock())  # not tqdm's default multiprocessing lock, which a stopped worker would leak

    with contextlib.suppress(RuntimeError):  # only settable before any parallel work
        torch.set_num_interop_threads(1)


@contextlib.contextmanager
def worker_pool(layout: Layout) -> Iterator[ProcessPoolExecutor]:
    """``layout.workers`` fresh processes with pinned threads; on any exit other than a clean one
    (an error, Ctrl-C) every worker is stopped before the exception goes on, so none is left."""
    pool = ProcessPoolExecutor(
        max_workers=layout.workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(layout.threads,)
    )
    try:
        yield pool
    except BaseException:
        stop(pool)
        raise
    pool.shutdown(wait=True)


def stop(pool: ProcessPoolExecutor) -> None:
    """Stop every worker of ``pool`` now, and wait until they are gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in processes:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


def run_all(
    layout: Layout,
    jobs: Sequence[tuple[Any, Callable[..., Any], tuple[Any, ...], dict[str, Any]]],
    on_result: Callable[[Any, Any], None],
) -> None:
    """Run every job (key, fn, args, kwargs) on a pool of ``layout``; hand each result to
    ``on_result(key, result)`` as it finishes. A job's error stops the other workers and is raised
    as it was; a worker that dies (killed, out of memory) is a clear error naming the job."""
    with worker_pool(layout) as pool:
        pending: dict[Future[Any], Any] = {pool.submit(fn, *args, **kwargs): key for key, fn, args, kwargs in jobs}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                key = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise GedigError(
                        f"a worker process died while running {key}: killed, out of memory, or started from a script "
                        "without the `if __name__ == '__main__':` guard that parallel Python needs"
                    ) from None
                on_result(key, result)


TIMED_ALPHA = 1.0
"""The α of the F arm whose step is timed. Any α ≠ 0 costs the same (F is computed and
differentiated whatever its weight); α = 0 skips F and would time a cheaper step."""


def _seconds_per_step(protocol: Any, n_steps: int) -> float:
    """Median seconds of the chapter-6 step of an F arm (CE + α·F) in this process."""
    import numpy as np

    from .steps import timed_steps
    from .training import Arm

    (elapsed,) = timed_steps(protocol, [Arm(TIMED_ALPHA, 0)], n_steps=n_steps + WARMUP_STEPS, device="cpu")
    return float(np.median(elapsed[WARMUP_STEPS:]))


def measure(protocol: Any, layout: Layout, *, n_steps: int = TIMED_STEPS) -> float:
    """Steps per second of ``layout`` on this machine: all its workers time the step at once (each
    a fresh process, serial included, so that every layout starts alike); the rate is the sum of
    the workers' rates."""
    rates: list[float] = []
    jobs = [(k, _seconds_per_step, (protocol, n_steps), {}) for k in range(layout.workers)]
    run_all(layout, jobs, lambda _, seconds: rates.append(1.0 / seconds))
    return float(sum(rates))


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    import torch

    return {"cpu": cpu, "cores": usable_cores(), "torch": torch.__version__}


def measured_rates(protocol: Any, *, refresh: bool = False) -> dict[str, Any]:
    """Steps per second of every candidate layout for ``protocol``'s step on this machine, timed
    once and cached per machine (CPU, cores, torch) and step (model, batch, length, gauge). A
    measurement taken while the machine was busy is used but not cached."""
    machine = _machine()
    step = {k: getattr(protocol, k) for k in ("model", "batch_size", "max_length")}
    path = cache_dir() / "layouts" / f"{key_of({**machine, **step, 'freg': canonical(protocol.freg), 'steps': TIMED_STEPS})}.json"
    cached = None if refresh else read_cached(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
    if cached is not None:
        return {**cached, "cached": True}
    layouts = candidates(machine["cores"])
    say(f"[layout] timing the fine-tuning step in {len(layouts)} layouts ({', '.join(map(str, layouts))}), once for this machine")
    busy = busy_load() is not None
    rates = {str(layout): measure(protocol, layout) for layout in layouts}
    record = {**machine, **step, "rates": rates, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if not busy and busy_load() is None:
        atomic_write_text(json.dumps(record, indent=1), path)
    return {**record, "cached": False, "busy": busy}


def choose(protocol: Any, n_runs: int, *, layout: str | Layout = "auto", device: str = "cpu") -> tuple[Layout, str]:
    """The layout for ``n_runs`` runs of ``protocol``, and the sentence that says why.

    'auto' runs serially on a GPU, with fewer than two runs or cores, or when the runs are too
    short to pay for timing the layouts; otherwise it takes the layout with the highest measured
    step rate. 'serial', 'KxT' or a ``Layout`` is used as given.
    """
    import torch

    chosen = parse_layout(layout)
    here = Layout(1, torch.get_num_threads())
    if chosen == "serial":
        return here, f"serial ({here}), as asked"
    if isinstance(chosen, Layout):
        if chosen.parallel and device != "cpu":
            raise GedigError(f"parallel layout {chosen} runs on the CPU only; the runs are on {device}")
        return chosen, f"{chosen}, as asked"
    cores = usable_cores()
    steps = n_runs * -(-protocol.n_train // protocol.batch_size) * protocol.epochs
    if device != "cpu":
        return here, f"serial: the runs share one {device} device"
    if n_runs < 2 or cores < 2:
        return here, f"serial ({here}): {'one run' if n_runs < 2 else 'one core'}"
    if steps < MIN_STEPS_TO_MEASURE:
        return here, f"serial ({here}): {steps} steps in all, too few to pay for timing the layouts"
    found = measured_rates(protocol)
    rates = found["rates"]
    best_name = max(rates, key=rates.get)
    best = next(c for c in candidates(found["cores"]) if str(c) == best_name)
    serial = str(candidates(found["cores"])[0])
    how = "cached" if found["cached"] else "measured now" + (" on a busy machine, not cached" if found.get("busy") else "")
    why = f"{best}: {rates[best_name] / rates[serial]:.2f}× the serial rate ({found['measured_at']}, {how})"
    return (Layout(min(best.workers, n_runs), best.threads) if best.parallel else Layout(1, best.threads)), why
