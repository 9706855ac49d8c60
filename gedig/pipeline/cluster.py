"""Work that outgrows one machine, on Ray: joining a cluster, placing work on it, and scoring on
Ray actors (fine-tuning runs as Ray tasks are in ``gedig.sweep``, on the same cluster helpers).

Ray schedules, retries and places the work (one GPU per task or actor where the cluster has GPUs,
else a configurable number of CPUs with torch's threads pinned to match); the driver keeps what the
local paths keep: every finished scoring batch is written atomically as it arrives, so a rerun
skips it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import GedigError


def ray_module() -> Any:
    """The ray package, or a clear error naming how to install it."""
    try:
        import ray
    except ImportError:
        raise GedigError("the Ray executor needs the 'ray' package (pip install -r requirements/base.txt)") from None
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None) -> dict[str, float]:
    """Join the Ray cluster at ``address`` ('auto': the one this machine belongs to; 'ray://host:port':
    a remote one), or start a local cluster of this machine's cores when ``address`` is None.
    Returns the cluster's resources. An unreachable address is a clear error."""
    ray = ray_module()
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}
        try:
            if address is None:
                ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = address or "a new local cluster"
            raise GedigError(f"cannot reach the Ray cluster at {where!r}: {str(exc).splitlines()[0]}") from None
    return dict(ray.cluster_resources())


def placement(resources: dict[str, float], cpus_per_task: int) -> dict[str, float]:
    """What one task or actor asks for: a whole GPU where the cluster has GPUs, else CPUs."""
    if cpus_per_task < 1:
        raise GedigError(f"cpus_per_task must be ≥ 1, got {cpus_per_task}")
    return {"num_gpus": 1, "num_cpus": 1} if resources.get("GPU", 0) >= 1 else {"num_gpus": 0, "num_cpus": cpus_per_task}


def pinned(threads: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` with torch's intra-op threads pinned to the CPUs Ray granted."""
    import torch

    torch.set_num_threads(max(1, threads))
    return fn(*args, **kwargs)


class _Scorer:
    """A Ray actor holding one model copy; it scores whole batches for every configuration."""

    def __init__(self, model: str, device: str, threads: int) -> None:
        import torch

        from ..models.loading import load_model

        torch.set_num_threads(max(1, threads))
        self.model = load_model(model, device=device)

    def score(self, texts: list[str], index: list[int], specs: list[Any], max_length: int) -> list[Any]:
        from .batch import gauge_batch

        return gauge_batch(self.model, texts, index, specs, max_length=max_length)[1]


def score_batches_on_ray(
    model: str,
    texts: list[str],
    plan: dict[int, list[int]],
    specs: list[Any],
    *,
    write: Callable[[int, list[Any]], None],
    max_length: int,
    address: str | None = None,
    cpus_per_actor: int = 1,
    device: str = "auto",
) -> None:
    """Score the batches of ``plan`` (batch number → text indices) on Ray actors, one model copy
    each (one actor per GPU where present), calling ``write(batch number, frames)`` as they arrive."""
    ray = ray_module()
    resources = connect(address)
    ask = placement(resources, cpus_per_actor)
    n_actors = int(resources.get("GPU", 0)) if ask["num_gpus"] else max(1, int(resources.get("CPU", 1) // ask["num_cpus"]))
    n_actors = max(1, min(n_actors, len(plan)))
    dev = "cuda" if ask["num_gpus"] else ("cpu" if device == "auto" else device)
    actor = ray.remote(_Scorer).options(**ask)
    actors = [actor.remote(model, dev, int(ask["num_cpus"])) for _ in range(n_actors)]
    shared = ray.put(texts)
    queue = list(plan.items())
    pending: dict[Any, tuple[int, Any]] = {}

    def submit(a: Any) -> None:
        b, index = queue.pop(0)
        pending[a.score.remote(shared, index, specs, max_length)] = (b, a)

    for a in actors:
        if queue:
            submit(a)
    while pending:
        (ref,), _ = ray.wait(list(pending), num_returns=1)
        b, a = pending.pop(ref)
        try:
            frames = ray.get(ref)
        except ray.exceptions.RayError as exc:
            raise GedigError(f"scoring batch {b} on Ray failed: {str(exc).strip().splitlines()[-1]}") from None
        write(b, frames)
        if queue:
            submit(a)
    for a in actors:
        ray.kill(a)
