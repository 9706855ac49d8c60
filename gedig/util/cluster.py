"""Ray, shared by scoring and fine-tuning: joining a cluster (or starting a local one), what one
task or actor asks for, and torch's threads pinned to the CPUs Ray granted."""

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


def pin_threads(threads: int) -> None:
    """Pin torch's intra-op threads to the CPUs Ray granted this task or actor."""
    import torch

    torch.set_num_threads(max(1, threads))


def pinned(threads: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` with torch's threads pinned (``pin_threads``): what a Ray task runs."""
    pin_threads(threads)
    return fn(*args, **kwargs)


def drain(
    pending: dict[Any, Any],
    *,
    on_result: Callable[[Any, Any], None],
    on_error: Callable[[Any, str], None],
    refill: Callable[[Any], dict[Any, Any]] | None = None,
) -> None:
    """The driver loop of every Ray job here: wait for whichever of ``pending`` (object ref → its
    key) finishes first, hand its result to ``on_result(key, result)`` (or the last line of its
    error to ``on_error(key, why)``, which may raise), and add what ``refill(key)`` submits next
    (an actor that finished takes the next batch), until nothing is pending."""
    ray = ray_module()
    while pending:
        (ref,), _ = ray.wait(list(pending), num_returns=1)
        key = pending.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as exc:
            on_error(key, str(exc).strip().splitlines()[-1])
        else:
            on_result(key, result)
        if refill is not None:
            pending.update(refill(key))
