"""The differentiable gauge used as a training loss (the paper's experiment 2, F-regularisation).

``FRegConfig.published()`` is exactly the author's training-time F (its training script, as the provenance page of the book describes it): λ = 1.0,
γ = 0.5, temperature 0.1, threshold = the k-th smallest of all S² padded entries (k = ⌊0.9·S²⌋),
soft density Σ sigmoid((A − τ)/T) / S², entropy of the masked matrix over log n², and a path term
from thresholded powers of (soft adjacency + I) up to length 4. That path term is a step function
of the attention, so it carries no gradient: only the density and the entropy steer training.
``FRegConfig.corrected()`` normalises by the valid n² and keeps padding out of every term.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import torch

from ..errors import GedigError


@dataclass(frozen=True)
class FRegConfig:
    """Parameters of the soft, differentiable gauge."""

    name: str = "published"
    lam: float = 1.0
    gamma: float = 0.5
    temperature: float = 0.1
    q: float = 0.9
    max_path: int = 4
    padding: Literal["padded", "valid"] = "padded"
    """'padded': the author's S² normalisation with pads inside the threshold and density; 'valid': pads excluded."""

    def __post_init__(self) -> None:
        if not 0 < self.q < 1:
            raise GedigError(f"FRegConfig.q must lie strictly between 0 and 1, got {self.q!r}")
        if self.temperature <= 0 or self.max_path < 1:
            raise GedigError("FRegConfig.temperature must be > 0 and max_path ≥ 1")
        if self.padding not in ("padded", "valid"):
            raise GedigError(f"FRegConfig.padding must be 'padded' or 'valid', got {self.padding!r}")

    @classmethod
    def published(cls, **overrides: object) -> FRegConfig:
        return dataclasses.replace(cls(), **overrides)

    @classmethod
    def corrected(cls, **overrides: object) -> FRegConfig:
        return dataclasses.replace(cls(name="corrected", padding="valid"), **overrides)


@dataclass
class SoftGauge:
    """Per (batch, head) soft gauge terms; ``F`` and the first two terms carry autograd."""

    F: torch.Tensor
    delta_epc: torch.Tensor
    delta_h: torch.Tensor
    delta_sp: torch.Tensor


def soft_gauge(
    attn: torch.Tensor, mask: torch.Tensor | None = None, *, config: FRegConfig | None = None, with_path: bool = True
) -> SoftGauge:
    """Differentiable gauge of (batch, heads, S, S) attention with an optional (batch, S) token mask.

    ``with_path=False`` skips the path term (returned as zeros): it has no gradient, so a training
    step that leaves it out takes exactly the same update, about a third faster.
    """
    cfg = config if config is not None else FRegConfig.published()
    if not isinstance(attn, torch.Tensor) or attn.ndim != 4 or attn.shape[-1] != attn.shape[-2]:
        raise GedigError(f"soft_gauge needs a (batch, heads, S, S) tensor, got {getattr(attn, 'shape', type(attn))}")
    B, H, S, _ = attn.shape
    if mask is None:
        mask = torch.ones(B, S, dtype=torch.bool, device=attn.device)
    if mask.shape != (B, S):
        raise GedigError(f"mask shape {tuple(mask.shape)} does not match attention (batch {B}, S {S})")
    m = mask.to(attn.dtype)
    pair = (m[:, :, None] * m[:, None, :])[:, None]  # (B, 1, S, S)
    A = attn * pair
    flat = A.flatten(2)
    n = mask.sum(1).to(attn.dtype)  # valid tokens per example
    if cfg.padding == "padded":
        k = max(1, int(cfg.q * S * S))
        tau = flat.kthvalue(k, dim=-1).values  # (B, H), over all S² entries, pads included
        soft = torch.sigmoid((A - tau[..., None, None]) / cfg.temperature)
        delta_epc = soft.flatten(2).sum(-1) / (S * S)
        eye = torch.eye(S, dtype=attn.dtype, device=attn.device)
        adj = soft + eye
        valid_pairs = None
    else:
        count = (n * n).long()
        k = torch.clamp((cfg.q * count.to(attn.dtype)).long(), min=1)
        ordered = flat.masked_fill(pair.flatten(2) == 0, float("inf")).sort(dim=-1).values
        tau = ordered.gather(-1, (k - 1)[:, None, None].expand(B, H, 1)).squeeze(-1)
        soft = torch.sigmoid((A - tau[..., None, None]) / cfg.temperature) * pair
        delta_epc = soft.flatten(2).sum(-1) / (n * n)[:, None]
        eye = torch.eye(S, dtype=attn.dtype, device=attn.device) * pair
        adj = soft + eye
        valid_pairs = pair
    p = flat / flat.sum(-1, keepdim=True).clamp(min=1e-12)
    h = -(p * torch.log(p + 1e-10)).sum(-1)
    delta_h = h / torch.log(n * n).clamp(min=1e-12)[:, None]
    if not with_path:
        delta_sp = torch.zeros_like(delta_h).detach()
    else:
        delta_sp = _path_term(adj, valid_pairs, n, cfg)
    F = delta_epc - cfg.lam * (delta_h + cfg.gamma * delta_sp)
    return SoftGauge(F=F, delta_epc=delta_epc, delta_h=delta_h, delta_sp=delta_sp)


def _path_term(adj: torch.Tensor, valid_pairs: torch.Tensor | None, n: torch.Tensor, cfg: FRegConfig) -> torch.Tensor:
    """(1/K) Σ_ℓ (1/ℓ)·mean[P_ℓ > 0.5], P_ℓ = clip(P_{ℓ−1}·adj, 0, 1): a saturated reachability count."""
    with torch.no_grad():  # [P > 0.5] is a step function: no gradient exists, so none is tracked
        P = adj.detach()
        terms = []
        for length in range(1, cfg.max_path + 1):
            if length > 1:
                P = torch.clamp(P @ adj.detach(), 0.0, 1.0)
            hit = (P > 0.5).to(adj.dtype)
            frac = hit.flatten(2).mean(-1) if valid_pairs is None else (hit * valid_pairs).flatten(2).sum(-1) / (n * n)[:, None]
            terms.append(frac / length)
        return torch.stack(terms).mean(0)


def f_mean(
    attentions: tuple[torch.Tensor, ...], mask: torch.Tensor, *, config: FRegConfig | None = None, with_path: bool = True
) -> torch.Tensor:
    """The regulariser: mean over layers of the mean F over batch × heads (the author's F_mean)."""
    return torch.stack([soft_gauge(a, mask, config=config, with_path=with_path).F.mean() for a in attentions]).mean()
