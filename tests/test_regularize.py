"""The differentiable gauge is the author's training-time F: which terms carry gradient, and
agreement with a plain, loop-by-loop re-derivation of its definition."""

from __future__ import annotations

import math

import pytest
import torch

from gedig import GedigError
from gedig.gauge.soft import FRegConfig, f_mean, soft_gauge


def attention(B=2, H=3, S=7, seed=0, pad=(0, 2)):
    g = torch.Generator().manual_seed(seed)
    A = torch.softmax(torch.randn(B, H, S, S, generator=g, dtype=torch.float64) * 2, -1)
    mask = torch.ones(B, S, dtype=torch.bool)
    for b, p in enumerate(pad):
        if p:
            mask[b, S - p :] = False
    return A, mask


def plain(A: torch.Tensor, m: torch.Tensor, cfg: FRegConfig) -> tuple[float, float, float, float]:
    """One (S, S) matrix, written straight from author-code.md §2.1."""
    S = A.shape[0]
    A = A * (m[:, None] * m[None, :]).to(A.dtype)
    vals = sorted(A.flatten().tolist())
    tau = vals[int(cfg.q * S * S) - 1]  # k-th smallest, k = ⌊0.9·S²⌋
    soft = [[1 / (1 + math.exp(-(A[i, j].item() - tau) / cfg.temperature)) for j in range(S)] for i in range(S)]
    density = sum(map(sum, soft)) / S**2
    total = A.sum().item()
    h = -sum((a / total) * math.log(a / total + 1e-10) for a in A.flatten().tolist())
    n = int(m.sum())
    dh = h / math.log(n * n)
    adj = torch.tensor(soft, dtype=torch.float64) + torch.eye(S, dtype=torch.float64)
    P, sp = adj.clone(), 0.0
    for length in range(1, cfg.max_path + 1):
        if length > 1:
            P = torch.clamp(P @ adj, 0, 1)
        sp += (P > 0.5).double().mean().item() / length
    sp /= cfg.max_path
    return density - cfg.lam * (dh + cfg.gamma * sp), density, dh, sp


def test_matches_plain_rederivation():
    A, mask = attention()
    cfg = FRegConfig.published()
    g = soft_gauge(A, mask, config=cfg)
    for b in range(2):
        for h in range(3):
            F, epc, dh, sp = plain(A[b, h], mask[b], cfg)
            assert g.F[b, h].item() == pytest.approx(F, abs=1e-9)
            assert g.delta_epc[b, h].item() == pytest.approx(epc, abs=1e-9)
            assert g.delta_h[b, h].item() == pytest.approx(dh, abs=1e-9)
            assert g.delta_sp[b, h].item() == pytest.approx(sp, abs=1e-9)


def test_density_and_entropy_carry_gradient_the_path_term_does_not():
    A, mask = attention()
    A.requires_grad_(True)
    g = soft_gauge(A, mask)
    assert g.delta_epc.requires_grad and g.delta_h.requires_grad
    assert not g.delta_sp.requires_grad
    (grad_epc,) = torch.autograd.grad(g.delta_epc.sum(), A, retain_graph=True)
    (grad_h,) = torch.autograd.grad(g.delta_h.sum(), A, retain_graph=True)
    assert grad_epc.abs().sum() > 0 and grad_h.abs().sum() > 0


def test_leaving_out_the_path_term_gives_the_same_gradient():
    A, mask = attention(seed=3)
    A1, A2 = A.clone().requires_grad_(True), A.clone().requires_grad_(True)
    f_mean((A1,), mask).backward()
    f_mean((A2,), mask, with_path=False).backward()
    assert torch.allclose(A1.grad, A2.grad, atol=1e-12)


def test_minimising_F_raises_entropy():
    """One gradient step down F makes attention more diffuse (the direction the book discusses)."""
    logits = torch.randn(2, 3, 9, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 3
    logits.requires_grad_(True)
    before = soft_gauge(torch.softmax(logits, -1)).delta_h.mean().item()
    F = soft_gauge(torch.softmax(logits, -1)).F.mean()
    (grad,) = torch.autograd.grad(F, logits)
    after = soft_gauge(torch.softmax(logits - 5.0 * grad, -1)).delta_h.mean().item()
    assert after > before


def test_published_normalises_by_padded_size_corrected_by_valid():
    A, mask = attention(pad=(0, 3))
    pub = soft_gauge(A, mask, config=FRegConfig.published())
    cor = soft_gauge(A, mask, config=FRegConfig.corrected())
    assert torch.allclose(pub.delta_epc[0], cor.delta_epc[0], rtol=0, atol=1e-12)  # no padding: the same threshold and size
    assert not torch.allclose(pub.delta_epc[1], cor.delta_epc[1], atol=1e-3)  # padding: differs
    assert torch.allclose(pub.delta_h, cor.delta_h)


def test_bad_input():
    with pytest.raises(GedigError, match="batch, heads, S, S"):
        soft_gauge(torch.ones(3, 3))
    with pytest.raises(GedigError, match="mask shape"):
        soft_gauge(torch.ones(1, 1, 3, 3) / 3, torch.ones(1, 4, dtype=torch.bool))
    with pytest.raises(GedigError, match=r"FRegConfig\.q must lie strictly between 0 and 1, got 1\.5"):
        FRegConfig.published(q=1.5)
    with pytest.raises(GedigError, match=r"FRegConfig\.q must lie strictly between 0 and 1, got 0"):
        FRegConfig.published(q=0)
