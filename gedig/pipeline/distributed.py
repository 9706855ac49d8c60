"""Scoring that outgrows one machine: batches scored on Ray actors, one model copy each (joining
the cluster and placing work is ``gedig.util.cluster``; fine-tuning runs as Ray tasks are in
``gedig.experiments.sweep``).

Ray schedules, retries and places the work (one GPU per task or actor where the cluster has GPUs,
else a configurable number of CPUs with torch's threads pinned to match); the driver keeps what the
local paths keep: every finished scoring batch is written atomically as it arrives, so a rerun
skips it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import GedigError
from ..util.cluster import connect, drain, pin_threads, placement, ray_module


class _Scorer:
    """A Ray actor holding one model copy; it scores whole batches for every configuration."""

    def __init__(self, model: str, device: str, threads: int, dtype: str = "float32") -> None:
        from ..models.loading import load_model

        pin_threads(threads)
        self.model = load_model(model, device=device, dtype=dtype)

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
    actors = [actor.remote(model, dev, int(ask["num_cpus"]), specs[0].dtype) for _ in range(n_actors)]
    shared = ray.put(texts)
    queue = list(plan.items())

    def submit(a: Any) -> dict[Any, tuple[int, Any]]:
        if not queue:
            return {}
        b, index = queue.pop(0)
        return {a.score.remote(shared, index, specs, max_length): (b, a)}

    def failed(key: tuple[int, Any], why: str) -> None:
        raise GedigError(f"scoring batch {key[0]} on Ray failed: {why}")

    pending = {ref: key for a in actors for ref, key in submit(a).items()}
    drain(pending, on_result=lambda key, frames: write(key[0], frames), on_error=failed, refill=lambda key: submit(key[1]))
    for a in actors:
        ray.kill(a)
