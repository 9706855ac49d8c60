"""Seeded node-pair draws for sampled shortest-path estimates, shared by the gauge and its oracle."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=512)
def sample_pairs(n: int, k: int, seed: int) -> np.ndarray:
    """``k`` ordered pairs (u, v), u ≠ v, of ``n`` nodes; depends only on (n, k, seed), never on batch order."""
    if n < 2:
        raise ValueError("sample_pairs needs at least two nodes")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(n), int(k)]))
    u = rng.integers(0, n, size=k)
    v = (u + rng.integers(1, n, size=k)) % n  # uniform over the n − 1 other nodes
    pairs = np.stack([u, v], axis=1)
    pairs.setflags(write=False)
    return pairs
