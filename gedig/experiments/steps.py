"""The optimisation step that ``train_arm`` takes (``training.train_step``), timed on its own: what the regulariser costs per
step (chapter 6) and how fast the step runs in each layout of the machine's cores (the sweep's
layout choice and the bench)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..models.devices import resolve_device
from .splits import load_splits
from .training import Arm, Protocol, batches, load_classifier, make_optimizer, train_step


def timed_steps(protocol: Protocol, arms: Sequence[Arm], *, n_steps: int = 24, seed: int = 0, device: str = "auto") -> list[list[float]]:
    """Seconds of each of ``n_steps`` optimisation steps per arm (fewer when the training split
    holds fewer batches), on one model and the protocol's first training batches: forward with
    attentions, the arm's regulariser, backward, gradient clipping, the optimiser and the
    learning-rate schedule.

    With several arms, the arms take turns within each batch (in alternating order), so drift in
    the machine's speed affects all alike. Callers drop the first steps as warm-up.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    dev = resolve_device(device)
    train, _ = load_splits(protocol)
    order = list(range(min(len(train), protocol.batch_size * n_steps)))
    model, tok = load_classifier(protocol.model, seed, dev)
    opt = make_optimizer(model, protocol)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=len(arms) * n_steps)
    noise = torch.Generator().manual_seed(seed)
    elapsed: list[list[float]] = [[] for _ in arms]
    for i, batch in enumerate(batches(tok, train, order, protocol.batch_size, protocol.max_length, dev)):
        turn = list(range(len(arms)))
        for kind in turn[i % len(arms) :] + turn[: i % len(arms)]:
            t0 = time.perf_counter()
            train_step(model, batch, arms[kind], protocol, noise, opt, sched)
            elapsed[kind].append(time.perf_counter() - t0)
    return elapsed
