"""Is F-regularisation entropy regularisation under another name? The parameter gradient of the
regulariser α·F_mean against that of its entropy term −α·λ·ΔH_mean alone, on training batches.

In the soft gauge (``gedig.gauge.soft``) only the soft density ΔEPC and the entropy ΔH carry
gradient (the path term is a step function), so ∇F = ∇ΔEPC − λ∇ΔH exactly. The cosine between ∇F
and −λ∇ΔH says how much of F's push is the entropy's; its square is the share of ‖∇F‖² the entropy
direction explains; ‖∇ΔEPC‖ / ‖∇F‖ is the size of what remains. α scales all three alike and
cancels. Gradients are summed over the batches, in evaluation mode (no dropout), so the figures
are deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ..errors import GedigError
from ..gauge.soft import FRegConfig, soft_gauge
from .training import Protocol, batches


def _flat_grad(value: torch.Tensor, params: list[torch.nn.Parameter]) -> torch.Tensor:
    grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
    # float64: the cosine and the norms sum over millions of parameters
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1).double() for g, p in zip(grads, params, strict=True)])


def gradient_comparison(
    model: Any, tokenizer: Any, texts: pd.DataFrame, protocol: Protocol, *, n_batches: int = 8, config: FRegConfig | None = None
) -> dict[str, float]:
    """Over the first ``n_batches`` training batches: the cosine of ∇F_mean with −λ∇ΔH_mean, the
    share of ‖∇F‖² the entropy direction explains, ‖λ∇ΔH‖/‖∇F‖ and ‖∇ΔEPC‖/‖∇F‖ (ΔEPC's part)."""
    cfg = config or protocol.freg
    device = next(model.parameters()).device
    model.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    g_f = g_h = g_epc = None
    order = list(range(min(len(texts), n_batches * protocol.batch_size)))
    for batch in batches(tokenizer, texts, order, protocol.batch_size, protocol.max_length, device):
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        out = model(**inputs, output_attentions=True)
        mask = inputs["attention_mask"].bool()
        terms = [soft_gauge(a, mask, config=cfg, with_path=False) for a in out.attentions]
        f = torch.stack([t.F.mean() for t in terms]).mean()
        h = -cfg.lam * torch.stack([t.delta_h.mean() for t in terms]).mean()
        epc = torch.stack([t.delta_epc.mean() for t in terms]).mean()
        parts = [_flat_grad(v, params) for v in (f, h, epc)]
        g_f, g_h, g_epc = (p if g is None else g + p for g, p in zip((g_f, g_h, g_epc), parts, strict=True))
    if g_f is None:
        raise GedigError("no training batch to take the gradient on")
    norm_f = float(g_f.norm())
    cosine = float(g_f @ g_h) / (norm_f * float(g_h.norm()))
    return {
        "cosine": cosine,
        "entropy_share": cosine**2,
        "entropy_ratio": float(g_h.norm()) / norm_f,
        "density_ratio": float(g_epc.norm()) / norm_f,
        "n_batches": float(np.ceil(len(order) / protocol.batch_size)),
    }
