"""The batched gauge equals the networkx reference (to 1e-9) for every preset and matrix family."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import FAMILIES, family
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gedig import GaugeConfig, gauge
from gedig.gauge.reference import reference_gauge

PRESETS = {
    "published": GaugeConfig.published(),
    "as_written": GaugeConfig.as_written(),
    "directed_sp": GaugeConfig.directed_sp(),
    "as_written_sampled": GaugeConfig.as_written(sp_sample_above=8, sp_pairs=50),
    "fixed_tau": GaugeConfig.published(tau=0.01),
}
TERMS = ("F", "delta_epc", "delta_h", "delta_sp", "n_edges", "threshold", "n_tokens")


def assert_matches(result, index, ref: dict, tol: float = 1e-9) -> None:
    for term in TERMS:
        ours = float(np.asarray(getattr(result, term))[index])
        assert abs(ours - ref[term]) <= tol, f"{term}: batched {ours!r} vs reference {ref[term]!r}"


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("kind", FAMILIES)
def test_single_matrices_match_reference(preset, kind, rng):
    cfg = PRESETS[preset]
    for L in (1, 2, 3, 5, 9, 17, 33):
        A = family(kind, L, rng)
        causal = kind == "causal"
        assert_matches(gauge(A, causal=causal, config=cfg), (), reference_gauge(A, causal=causal, config=cfg))


@pytest.mark.parametrize("preset", list(PRESETS))
def test_batched_with_padding_matches_reference(preset, rng):
    """A padded batch of mixed lengths and families: each entry equals the reference on its own tokens."""
    cfg = PRESETS[preset]
    Lmax = 24
    mats, masks, truth = [], [], []
    for i in range(36):
        n = int(rng.integers(1, Lmax + 1))
        kind = FAMILIES[i % len(FAMILIES)]
        A = np.zeros((Lmax, Lmax))
        A[:n, :n] = family(kind, n, rng)
        A[n:, :] = rng.random((Lmax - n, Lmax))  # junk in the padding must not matter
        m = np.zeros(Lmax, bool)
        m[:n] = True
        mats.append(A)
        masks.append(m)
        truth.append(reference_gauge(A[:n, :n], causal=kind == "causal", config=cfg))
    attn = np.stack(mats).reshape(6, 6, Lmax, Lmax)
    mask = np.stack(masks).reshape(6, 6, Lmax)
    # causal masking only applies to causal entries: score the causal ones in their own call
    causal_idx = [i for i in range(36) if FAMILIES[i % len(FAMILIES)] == "causal"]
    res = gauge(attn, mask, config=cfg)
    res_c = gauge(attn, mask, causal=True, config=cfg)
    for i in range(36):
        assert_matches(res_c if i in causal_idx else res, np.unravel_index(i, (6, 6)), truth[i])


def test_left_padding_and_scattered_mask(rng):
    """Valid tokens need not be a prefix: the gauge keeps their order wherever they sit."""
    A = family("peaked", 12, rng)
    keep = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1], bool)
    for cfg in PRESETS.values():
        assert_matches(gauge(A, keep, config=cfg), (), reference_gauge(A, keep, config=cfg))


def test_torch_in_torch_out_and_float32(rng):
    A = np.stack([family("peaked", 10, rng) for _ in range(4)]).astype(np.float32)
    res = gauge(torch.from_numpy(A))
    assert isinstance(res.F, torch.Tensor) and res.F.shape == (4,)
    for i in range(4):
        assert abs(float(res.F[i]) - reference_gauge(A[i].astype(np.float64))["F"]) <= 1e-9


@st.composite
def matrices(draw):
    L = draw(st.integers(1, 14))
    kind = draw(st.sampled_from(FAMILIES))
    seed = draw(st.integers(0, 2**32 - 1))
    return family(kind, L, np.random.default_rng(seed)), kind


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices(), st.sampled_from(list(PRESETS)), st.floats(0.05, 0.95))
def test_property_any_matrix_any_preset_any_q(case, preset, q):
    A, kind = case
    cfg = PRESETS[preset]
    if cfg.tau is None:
        cfg = cfg.replace(q=q)
    causal = kind == "causal"
    assert_matches(gauge(A, causal=causal, config=cfg), (), reference_gauge(A, causal=causal, config=cfg))


@pytest.mark.parametrize("preset", list(PRESETS))
def test_float32_batches_match_reference(preset, rng):
    """Model attention arrives as float32 and is thresholded in float32: still equal to the oracle."""
    cfg = PRESETS[preset]
    mats = np.stack([family(FAMILIES[i % len(FAMILIES)], 11, rng) for i in range(12)]).astype(np.float32)
    mask = np.ones((12, 11), bool)
    mask[::3, 8:] = False
    res = gauge(torch.from_numpy(mats), torch.from_numpy(mask), causal=True, config=cfg)
    for i in range(12):
        n = int(mask[i].sum())
        ref = reference_gauge(mats[i, :n, :n].astype(np.float64), causal=True, config=cfg)
        assert_matches(res, i, ref)


def _band(L: int, rng: np.random.Generator) -> np.ndarray:
    """Attention to the neighbouring tokens: a path-like graph whose breadth-first search runs long."""
    m = rng.random((L, L)) * 1e-3
    idx = np.arange(L)
    for d in (-1, 0, 1):
        ok = (idx + d >= 0) & (idx + d < L)
        m[idx[ok], idx[ok] + d] += 1.0
    return m / m.sum(-1, keepdims=True)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_large_mixed_batch_matches_reference(preset, rng):
    """Enough graphs that finished ones leave the search batch while path-like ones keep going."""
    cfg = PRESETS[preset]
    L, B = 24, 240
    mats, mask = np.zeros((B, L, L)), np.zeros((B, L), bool)
    for i in range(B):
        n = L if i % 4 else int(rng.integers(2, L))
        mats[i, :n, :n] = _band(n, rng) if i % 3 == 0 else family(FAMILIES[i % len(FAMILIES)], n, rng)
        mask[i, :n] = True
    mats = mats.astype(np.float32)
    res = gauge(torch.from_numpy(mats), torch.from_numpy(mask), config=cfg)
    for i in range(0, B, 3):
        n = int(mask[i].sum())
        assert_matches(res, i, reference_gauge(mats[i, :n, :n].astype(np.float64), config=cfg))


@pytest.mark.parametrize("preset", list(PRESETS))
def test_float32_edge_values_match_reference(preset, rng):
    """Subnormal weights, signed zeros, ties, values beside the entropy floor and NaN in the padding."""
    cfg = PRESETS[preset]
    floor32 = np.float32(1e-10)
    specials = np.array(
        [0.0, -0.0, 1e-45, 1e-40, floor32, np.nextafter(floor32, np.float32(0)), np.nextafter(floor32, np.float32(1))],
        dtype=np.float32,
    )
    mats = np.stack([family("peaked", 10, rng) for _ in range(8)]).astype(np.float32)
    for i in range(8):
        cells = rng.choice(100, size=30, replace=False)
        mats[i].flat[cells] = rng.choice(specials, size=30)
    mats[1] = np.round(mats[1] * 4) / 4  # many ties at the threshold
    mask = np.ones((8, 10), bool)
    mask[::2, 7:] = False
    mats[0, 8, 8] = np.nan  # padding of matrix 0 may hold anything
    mats[2, 9, 3] = np.inf
    res = gauge(torch.from_numpy(mats), torch.from_numpy(mask), config=cfg)
    for i in range(8):
        n = int(mask[i].sum())
        assert_matches(res, i, reference_gauge(mats[i, :n, :n].astype(np.float64), config=cfg))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_order_statistics_agree_on_and_off_the_cpu_path(dtype, rng):
    """The integer-view introselect (CPU) and the top-k (other devices) pick the same two ranks as a sort."""
    from gedig.gauge.batched import _order_pair_numpy, _order_pair_torch

    x = rng.random((50, 36)).astype(dtype)
    x[:, :10] = 0.0
    x[::5, 10:20] = x[::5, 10:11]  # ties
    x[3, 5] = -0.0
    ints = x.view(np.int32 if dtype == np.float32 else np.int64)
    for kth in (0, 9, 10, 30, 34):
        want = np.sort(x, axis=1)
        a, b = _order_pair_numpy(ints, kth)
        assert np.array_equal(a.view(dtype), want[:, kth]) and np.array_equal(b.view(dtype), want[:, kth + 1])
        ta, tb = _order_pair_torch(torch.from_numpy(x), kth)
        assert np.array_equal(ta.numpy(), want[:, kth]) and np.array_equal(tb.numpy(), want[:, kth + 1])


@pytest.mark.parametrize("kind", FAMILIES)
def test_bench_lean_networkx_baseline_is_the_same_gauge(kind, rng):
    """The benchmark's speed baseline computes the published gauge too (else its speed-up means nothing)."""
    from gedig.bench import lean_networkx_F

    for L in (2, 5, 17, 40):
        A = family(kind, L, rng)
        for cfg in (GaugeConfig.published(), GaugeConfig.published(lam=1.0, gamma=2.0, q=0.8)):
            ref = reference_gauge(A, config=cfg)["F"]
            assert abs(lean_networkx_F(A, lam=cfg.lam, gamma=cfg.gamma, q=cfg.q) - ref) <= 1e-12
