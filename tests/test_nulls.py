"""The structure-preserving nulls: ``permuted`` keeps a head's own weights and moves only where they
sit, so it matches the real head's threshold, edge count and entropy under every preset;
``entropy_matched`` draws each row from a Dirichlet whose expected entropy is the real row's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import softmax_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gedig import GaugeConfig, GedigError, gauge, make_baseline, structured_null
from gedig.gauge.baselines import ALPHA_MAX, ALPHA_MIN, allowed_positions, expected_dirichlet_entropy, fit_concentration

PRESETS = {
    "published": GaugeConfig.published(),
    "as_written": GaugeConfig.as_written(),
    "directed_sp": GaugeConfig.directed_sp(),
    "fixed_tau": GaugeConfig.published(tau=0.05),
}


def head(rng, n, causal, sharp):
    x = rng.normal(size=(n, n)) * sharp
    if causal:
        x[np.triu_indices(n, 1)] = -np.inf
    return softmax_rows(x)


def padded(A, Lmax, fill=np.nan):
    n = A.shape[-1]
    out = np.full((*A.shape[:-2], Lmax, Lmax), fill)
    out[..., :n, :n] = A
    mask = np.arange(Lmax) < n
    return out, mask


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 24),
    pad=st.integers(0, 5),
    causal=st.booleans(),
    sharp=st.floats(0.1, 8.0),
    seed=st.integers(0, 2**31 - 1),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_permuted_null_keeps_threshold_edges_and_entropy_under_every_preset(n, pad, causal, sharp, seed, dtype):
    rng = np.random.default_rng(seed)
    A = head(rng, n, causal, sharp).astype(dtype)
    P = structured_null("permuted", A, causal=causal, seed=seed)
    assert P.dtype == A.dtype
    assert (P[~allowed_positions(n, causal=causal)] == 0).all() or not causal, "the null left the causal triangle"
    for i in range(n):
        np.testing.assert_array_equal(np.sort(P[i]), np.sort(A[i]))  # each row keeps its own weights
    Ap, mask = padded(A, n + pad)
    Pp, _ = padded(P, n + pad)
    for name, cfg in PRESETS.items():
        real = gauge(torch.from_numpy(Ap), torch.from_numpy(mask), causal=causal, config=cfg)
        null = gauge(torch.from_numpy(Pp), torch.from_numpy(mask), causal=causal, config=cfg)
        for term in ("threshold", "delta_h", "delta_epc", "n_edges"):
            assert abs(float(getattr(real, term)) - float(getattr(null, term))) <= 1e-12, f"{name}: {term}"
        dF = float(real.F) - float(null.F)
        assert abs(dF + cfg.lam * cfg.gamma * (float(real.delta_sp) - float(null.delta_sp))) <= 1e-12, name


def test_permuted_null_moves_weights_and_is_seeded(rng):
    A = head(rng, 12, False, 3.0)
    P1, P2 = (structured_null("permuted", A, seed=7) for _ in range(2))
    np.testing.assert_array_equal(P1, P2)
    assert not np.array_equal(P1, A) and not np.array_equal(P1, structured_null("permuted", A, seed=8))


@settings(max_examples=80, deadline=None)
@given(K=st.integers(2, 300), share=st.floats(1e-6, 1 - 1e-6))
def test_fitted_concentration_matches_the_target_entropy(K, share):
    target = share * np.log(K)
    alpha = fit_concentration(np.array([target]), np.array([K]))
    if ALPHA_MIN < alpha[0] < ALPHA_MAX:  # clamped rows are the documented degenerate cases
        assert abs(expected_dirichlet_entropy(alpha, K)[0] - target) <= 1e-9


@pytest.mark.parametrize("causal", [False, True])
def test_entropy_matched_null_rows_match_entropy_on_average(causal):
    rng = np.random.default_rng(3)
    n = 16
    A = head(rng, n, causal, 2.0)
    draws = structured_null("entropy_matched", np.broadcast_to(A, (4000, n, n)), causal=causal, seed=1)
    allowed = allowed_positions(n, causal=causal)
    assert np.allclose(draws.sum(-1), 1.0) and (draws[:, ~allowed] == 0).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        h_draw = -np.where(draws > 0, draws * np.log(draws), 0).sum(-1).mean(0)
        h_real = -np.where(A > 0, A * np.log(A), 0).sum(-1)
    K = allowed.sum(-1)
    ok = K > 1
    assert np.abs(h_draw - h_real)[ok].max() < 0.03  # Monte Carlo over 4000 draws


def test_entropy_matched_degenerate_rows():
    one_hot = np.eye(5)
    uniform = np.full((5, 5), 0.2)
    np.testing.assert_allclose(structured_null("entropy_matched", one_hot, seed=0).max(-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(structured_null("entropy_matched", uniform, seed=0), 0.2, atol=1e-15)
    causal = structured_null("entropy_matched", np.tril(uniform) / np.tril(uniform).sum(-1, keepdims=True), causal=True, seed=0)
    assert causal[0, 0] == 1.0  # K = 1: the only allowed position


@pytest.mark.parametrize(("attn", "match"), [(np.ones((3, 4)), "n, n"), (np.full((2, 2), np.nan), "finite"), (-np.eye(2), "non-negative")])
def test_null_bad_input(attn, match):
    with pytest.raises(GedigError, match=match):
        structured_null("permuted", attn)


def test_nulls_are_drawn_from_each_heads_own_weights():
    """Unlike the paper's four baselines, a null is no fixed pattern of a length: two heads of the
    same length give different nulls, each keeping its own head's weights (permuted: every row's
    values, shuffled)."""
    rng = np.random.default_rng(3)
    a, b = rng.dirichlet(np.full(6, 0.3), size=6), rng.dirichlet(np.full(6, 3.0), size=6)
    null_a, null_b = structured_null("permuted", a, seed=0), structured_null("permuted", b, seed=0)
    assert np.allclose(np.sort(null_a, axis=-1), np.sort(a, axis=-1)) and np.allclose(np.sort(null_b, axis=-1), np.sort(b, axis=-1))
    assert not np.allclose(null_a, null_b)
    assert not np.allclose(null_a, a), "the positions are shuffled"
    entropy = lambda m: -(m * np.log(m)).sum(-1)  # noqa: E731
    em_a, em_b = structured_null("entropy_matched", a, seed=0), structured_null("entropy_matched", b, seed=0)
    assert entropy(em_a).mean() < entropy(em_b).mean(), "the peakier head's null is peakier"


def test_a_null_needs_a_heads_weights():
    with pytest.raises(GedigError, match="own weights"):
        make_baseline("permuted", 5)
    with pytest.raises(GedigError, match="unknown null"):
        structured_null("random", np.eye(3))
