"""Baselines are built as the author built them, seeded, and optionally causal."""

from __future__ import annotations

import numpy as np
import pytest

from gedig import BASELINES, make_baseline


@pytest.mark.parametrize("kind", BASELINES)
@pytest.mark.parametrize("causal", [False, True])
def test_rows_are_distributions(kind, causal):
    m = make_baseline(kind, 11, seed=4, causal=causal)
    assert m.shape == (11, 11) and np.allclose(m.sum(-1), 1.0) and (m >= 0).all()
    if causal:
        assert (np.triu(m, 1) == 0).all()


def test_random_is_seeded_and_fresh_per_matrix():
    a = make_baseline("random", 9, seed=7, size=(3,))
    assert np.array_equal(a, make_baseline("random", 9, seed=7, size=(3,)))
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a, make_baseline("random", 9, seed=8, size=(3,)))


def test_local_window_shape():
    m = make_baseline("local", 7)
    assert np.allclose(m[0, :3], 1 / 3) and m[0, 3] == 0
    assert np.allclose(m[1, :4], 1 / 4)
    assert np.allclose(m[3, 1:6], 1 / 5) and m[3, 0] == 0 and m[3, 6] == 0


def test_deterministic_kinds():
    assert np.array_equal(make_baseline("diagonal", 5), np.eye(5))
    assert np.allclose(make_baseline("uniform", 4), 0.25)
    assert np.allclose(make_baseline("uniform", 4, causal=True)[2], [1 / 3, 1 / 3, 1 / 3, 0])
