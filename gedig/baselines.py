"""The paper's four comparison patterns (random, uniform, local w = 5, diagonal), seeded."""

from __future__ import annotations

import numpy as np

from .errors import GedigError

BASELINES = ("random", "uniform", "local", "diagonal")
LOCAL_WINDOW = 5


def _rows_normalised(m: np.ndarray) -> np.ndarray:
    return m / m.sum(-1, keepdims=True)


def make_baseline(
    kind: str, L: int, *, seed: int | np.random.Generator = 0, causal: bool = False, size: tuple[int, ...] = ()
) -> np.ndarray:
    """An L×L baseline attention matrix (or a stack of shape ``size + (L, L)``), rows summing to 1.

    ``random``: i.i.d. U(0, 1) entries, rows normalised (a fresh draw per matrix, seeded);
    ``uniform``: 1/L everywhere; ``local``: mass spread evenly over columns i−2…i+2 (clipped);
    ``diagonal``: the identity. ``causal=True`` zeroes j > i and renormalises the rows.
    """
    if kind not in BASELINES:
        raise GedigError(f"unknown baseline kind {kind!r}; choose one of {', '.join(BASELINES)}")
    if not isinstance(L, (int, np.integer)) or L < 1:
        raise GedigError(f"baseline length L must be a positive integer, got {L!r}")
    size = tuple(int(s) for s in size)
    if kind == "random":
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        m = rng.random((*size, L, L))
        if causal:
            m = np.tril(m)
        return _rows_normalised(m)
    idx = np.arange(L)
    if kind == "uniform":
        m = np.ones((L, L))
    elif kind == "local":
        m = (np.abs(idx[:, None] - idx[None, :]) <= LOCAL_WINDOW // 2).astype(np.float64)
    else:
        m = np.eye(L)
    if causal:
        m = np.tril(m)
    m = _rows_normalised(m)
    return np.broadcast_to(m, (*size, L, L)).copy() if size else m
