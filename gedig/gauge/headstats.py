"""Simple surface statistics of attention heads (Clark, Khandelwal, Levy & Manning 2019), to set
beside F: mean row entropy, mean row maximum, and the mean share of attention on the first token
(the sink), on the token itself, and on the previous and the next token."""

from __future__ import annotations

import torch

HEAD_STATS = ("row_entropy", "max_weight", "first_token", "self", "prev", "next")


@torch.no_grad()
def head_stats(attn: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each statistic per matrix of ``attn`` (..., L, L), averaged over its valid query rows.

    ``mask`` (..., L) marks real tokens (a prefix, as the tokenizer pads on the right). Row entropy
    is in nats over the valid keys; ``prev`` of the first row and ``next`` of the last count as 0.
    """
    A = attn.to(torch.float64)
    M = mask.to(torch.float64)
    A = A * M[..., None, :] * M[..., :, None]
    n = M.sum(-1)
    rows = A.sum(-1, keepdim=True).clamp(min=1e-300)
    P = A / rows
    ent = -(P * P.clamp(min=1e-300).log()).sum(-1)
    L = A.shape[-1]
    diag = lambda k: torch.diagonal(P, offset=k, dim1=-2, dim2=-1)  # noqa: E731
    pad = torch.zeros(*P.shape[:-2], 1, dtype=P.dtype, device=P.device)
    per_row = {
        "row_entropy": ent,
        "max_weight": P.max(-1).values,
        "first_token": P[..., 0],
        "self": diag(0),
        "prev": torch.cat([pad, diag(-1)], -1) if L > 1 else torch.zeros_like(ent),
        "next": torch.cat([diag(1), pad], -1) if L > 1 else torch.zeros_like(ent),
    }
    return {k: (v * M).sum(-1) / n for k, v in per_row.items()}
