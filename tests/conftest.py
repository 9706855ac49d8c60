"""Shared fixtures: matrix families for the oracle tests and a per-repo model cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# converted model weights are reused between test runs; scoring tables go to per-test folders
os.environ.setdefault("GEDIG_CACHE", str(ROOT / ".cache" / "gedig"))
# GEDIG_TORCH_THREADS=N runs the suite with N torch threads (torch.set_num_threads here; OMP_NUM_THREADS
# for the notebook kernels and other child processes), to check that every comparison holds at any count
if os.environ.get("GEDIG_TORCH_THREADS"):
    import torch

    _threads = int(os.environ["GEDIG_TORCH_THREADS"])
    torch.set_num_threads(_threads)
    os.environ["OMP_NUM_THREADS"] = str(_threads)


def softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def family(kind: str, L: int, rng: np.random.Generator) -> np.ndarray:
    """One attention-like matrix of a named shape, row-stochastic."""
    if kind == "random":
        m = rng.random((L, L))
        return m / m.sum(-1, keepdims=True)
    if kind == "peaked":
        return softmax_rows(rng.normal(size=(L, L)) * rng.uniform(2, 8))
    if kind == "causal":
        x = rng.normal(size=(L, L)) * 2
        x[np.triu_indices(L, 1)] = -np.inf
        return softmax_rows(x)
    if kind == "tied":  # few distinct values: many ties at the threshold
        m = rng.integers(1, 4, size=(L, L)).astype(float)
        return m / m.sum(-1, keepdims=True)
    if kind == "sparse":  # mostly exact zeros
        m = rng.random((L, L)) * (rng.random((L, L)) < 0.15)
        m[np.arange(L), rng.integers(0, L, L)] += 1.0
        return m / m.sum(-1, keepdims=True)
    if kind == "sink":  # every token attends mostly to token 0
        m = rng.random((L, L)) * 0.05
        m[:, 0] += 1.0
        return m / m.sum(-1, keepdims=True)
    raise ValueError(kind)


FAMILIES = ("random", "peaked", "causal", "tied", "sparse", "sink")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def score_cache(tmp_path, monkeypatch):
    """Scoring tables in a fresh folder; converted models stay in the shared cache."""
    shared = Path(os.environ["GEDIG_CACHE"])
    monkeypatch.setenv("GEDIG_CACHE", str(tmp_path))
    (tmp_path / "models").mkdir()
    if (shared / "models").exists():
        for sub in (shared / "models").iterdir():
            (tmp_path / "models" / sub.name).symlink_to(sub)
    return tmp_path
