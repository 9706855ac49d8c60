"""The paper's definitions, as the author's code computed them, on matrices whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from gedig import GaugeConfig, gauge, make_baseline

PUB = GaugeConfig.published()


@pytest.mark.parametrize("L", [2, 3, 7, 9, 10, 16, 50, 128])
def test_uniform_gives_minus_lambda(L):
    """Every entry ties at the quantile, strict '>' keeps no edge, ΔH = 1: F = −λ (λ = 0.5)."""
    r = gauge(make_baseline("uniform", L))
    assert r.n_edges == 0 and r.delta_sp == 0
    assert r.F == pytest.approx(-0.5, abs=1e-12)
    assert gauge(make_baseline("uniform", L), config=GaugeConfig.published(lam=1.0)).F == pytest.approx(-1.0, abs=1e-12)


@pytest.mark.parametrize("L", range(2, 10))
def test_diagonal_short_has_no_edges(L):
    """For L ≤ 9 the 0.9-quantile of the identity is 1, so no entry exceeds it: F = −λ."""
    r = gauge(make_baseline("diagonal", L))
    assert r.threshold == 1.0 and r.n_edges == 0 and r.F == pytest.approx(-0.5, abs=1e-12)


@pytest.mark.parametrize("L", [10, 11, 20, 64])
def test_diagonal_long_keeps_self_loops(L):
    """From L = 10 on the quantile falls below 1 (0.1 at L = 10, 0 above), so the L self-loops are
    edges: ΔEPC = 1/L, ΔSP = 0 (no component of two nodes), ΔH = 1 (L non-zeros): F = 1/L − λ."""
    r = gauge(make_baseline("diagonal", L))
    assert r.n_edges == L and r.delta_sp == 0 and r.delta_h == pytest.approx(1.0)
    assert r.F == pytest.approx(1 / L - 0.5, abs=1e-12)


@pytest.mark.parametrize(("L", "stored"), [(7, -0.496785), (9, -0.610696), (29, -0.670), (60, -0.442)])
def test_local_window_matches_author_stored_values(L, stored):
    """The local w = 5 baseline reproduces the values in the author's stored score files."""
    assert gauge(make_baseline("local", L)).F == pytest.approx(stored, abs=5e-4 if L > 9 else 5e-7)


def test_terms_of_a_complete_graph():
    """A matrix where every entry beats τ (fixed τ below all): ΔEPC = 1, ΔSP = 1/ASPL = 1."""
    A = make_baseline("random", 6, seed=3)
    r = gauge(A, config=GaugeConfig.published(tau=0.0))
    assert r.delta_epc == 1.0 and r.delta_sp == 1.0


def test_entropy_normaliser_is_log_of_kept_entries_under_published():
    """Causal zeros are dropped from ΔH and the normaliser is log(#non-zeros) = log(L(L+1)/2)."""
    L = 8
    A = make_baseline("uniform", L, causal=True)
    p = A[A > 0] / A.sum()
    expected = -(p * np.log(p)).sum() / np.log(L * (L + 1) / 2)
    assert gauge(A).delta_h == pytest.approx(expected, abs=1e-12)
    # the paper's text divides by log L² instead
    assert gauge(A, causal=True, config=GaugeConfig.as_written()).delta_h == pytest.approx(-(p * np.log(p)).sum() / np.log(L**2))


def test_published_thresholds_over_causal_zeros_but_as_written_does_not():
    L = 12
    A = make_baseline("random", L, seed=1, causal=True)
    pub = gauge(A, causal=True)  # published ignores causality: zeros count in the quantile
    assert pub.threshold == pytest.approx(np.quantile(A, 0.9))
    aw = gauge(A, causal=True, config=GaugeConfig.as_written())
    assert aw.threshold == pytest.approx(np.quantile(A[np.tril_indices(L)], 0.9))


def test_edges_are_about_ten_percent_for_continuous_matrices(rng):
    """With q = 0.9 and no ties, |E| = L² − ⌊0.9(L²−1)⌋ − 1 for any matrix: ΔEPC carries almost no signal."""
    for L in (8, 20, 40):
        A = rng.random((L, L))
        r = gauge(A / A.sum(-1, keepdims=True))
        assert int(r.n_edges) == L * L - int(np.floor(0.9 * (L * L - 1))) - 1


def test_directed_variant_is_zero_unless_strongly_connected():
    """A star into token 0 is weakly but not strongly connected: directed ΔSP = 0, undirected > 0."""
    L = 12
    A = np.full((L, L), 0.01)
    A[:, 0] = 1.0
    A /= A.sum(-1, keepdims=True)
    assert gauge(A, config=GaugeConfig.directed_sp()).delta_sp == 0.0
    assert gauge(A).delta_sp > 0.0
    ring = np.roll(np.eye(L), 1, axis=1) + 0.001  # i → i+1 (mod L): strongly connected cycle
    ring /= ring.sum(-1, keepdims=True)
    r = gauge(ring, config=GaugeConfig.directed_sp(tau=0.5))
    assert r.delta_sp == pytest.approx(1 / (L / 2))  # mean directed distance on a cycle is L/2


def test_relative_gain_of_one_shortcut_on_a_chain():
    """Figure 1: a long-range shortcut on a chain shortens paths (ΔSP_rel > 0); attention edges only
    between neighbours add nothing (ΔSP_rel = 0)."""
    L = 10
    neighbours = np.eye(L, k=1) + np.eye(L, k=-1) + 1e-3
    neighbours /= neighbours.sum(-1, keepdims=True)
    cfg = GaugeConfig.as_written(tau=0.1)
    assert gauge(neighbours, config=cfg).delta_sp == pytest.approx(0.0, abs=1e-12)
    shortcut = neighbours.copy()
    shortcut[0, L - 1] = shortcut[L - 1, 0] = 0.5
    chain, cycle = (L + 1) / 3, L * L / (4 * (L - 1))  # mean distances: a path of L nodes, a cycle of even L
    assert gauge(shortcut, config=cfg).delta_sp == pytest.approx((chain - cycle) / chain, abs=1e-12)


def test_single_token_is_defined():
    for cfg in (GaugeConfig.published(), GaugeConfig.as_written(), GaugeConfig.directed_sp()):
        r = gauge(np.ones((1, 1)), config=cfg)  # τ = the only weight, so no edge; entropy of one entry is 0
        assert (r.n_edges, r.delta_epc, r.delta_h, r.delta_sp, r.F) == (0, 0.0, 0.0, 0.0, 0.0), cfg.name


def test_leading_shape_is_kept(rng):
    A = rng.random((2, 3, 4, 7, 7))
    r = gauge(A)
    for term in ("F", "delta_epc", "delta_h", "delta_sp", "n_edges", "threshold"):
        assert np.asarray(getattr(r, term)).shape == (2, 3, 4)


def test_presets_are_what_they_say():
    pub, aw, dsp = GaugeConfig.published(), GaugeConfig.as_written(), GaugeConfig.directed_sp()
    assert (pub.lam, pub.gamma, pub.q, pub.sp, pub.entropy_norm, pub.mask_causal) == (0.5, 0.5, 0.9, "efficiency", "support", False)
    assert (aw.lam, aw.gamma, aw.sp, aw.entropy_norm, aw.mask_causal, aw.sp_pairs) == (1.0, 0.5, "relative_chain", "tokens", True, 200)
    assert (dsp.lam, dsp.sp) == (0.5, "directed_strong")
    assert GaugeConfig.published(lam=1.0).lam == 1.0
