"""Compute devices: what this machine has, and 'auto' resolved to the GPU when there is one."""

from __future__ import annotations

import torch

from ..errors import GedigError


def available_devices() -> list[str]:
    """The devices torch can use here: 'cpu', plus 'cuda:N' and 'mps' where present."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' → the GPU when one is present, else the CPU. A device this machine lacks is an error
    naming the ones it has (checked here, before any cache is read)."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise GedigError(f"unknown device {device!r} ({exc}); available here: {', '.join(available_devices())}") from None
    have = available_devices()
    if dev.type == "cuda":
        ok = torch.cuda.is_available() and (dev.index is None or dev.index < torch.cuda.device_count())
    else:
        ok = dev.type in {d.split(":")[0] for d in have}
    if not ok:
        raise GedigError(f"device {str(device)!r} is not available on this machine; available: {', '.join(have)}")
    return dev
