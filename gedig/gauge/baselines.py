"""The paper's four comparison patterns (random, uniform, local w = 5, diagonal), seeded."""

from __future__ import annotations

import numpy as np

from ..errors import GedigError

BASELINES = ("random", "uniform", "local", "diagonal")
LOCAL_WINDOW = 5


def _rows_normalised(m: np.ndarray) -> np.ndarray:
    return m / m.sum(-1, keepdims=True)


def make_baseline(
    kind: str, L: int, *, seed: int | np.random.Generator = 0, causal: bool = False, size: tuple[int, ...] = ()
) -> np.ndarray:
    """An L×L baseline attention matrix (or a stack of shape ``size + (L, L)``), rows summing to 1.

    ``random``: i.i.d. U(0, 1) entries, rows normalised (a fresh draw per matrix, seeded);
    ``uniform``: 1/L everywhere; ``local``: mass spread evenly over columns i−2…i+2 (clipped);
    ``diagonal``: the identity. ``causal=True`` zeroes j > i and renormalises the rows.
    """
    if kind in NULLS:
        raise GedigError(f"{kind!r} is built from a head's own weights: use gedig.structured_null({kind!r}, attn)")
    if kind not in BASELINES:
        raise GedigError(f"unknown baseline kind {kind!r}; choose one of {', '.join(BASELINES)}")
    if not isinstance(L, (int, np.integer)) or L < 1:
        raise GedigError(f"baseline length L must be a positive integer, got {L!r}")
    size = tuple(int(s) for s in size)
    if kind == "random":
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        m = rng.random((*size, L, L))
        if causal:
            m = np.tril(m)
        return _rows_normalised(m)
    idx = np.arange(L)
    if kind == "uniform":
        m = np.ones((L, L))
    elif kind == "local":
        m = (np.abs(idx[:, None] - idx[None, :]) <= LOCAL_WINDOW // 2).astype(np.float64)
    else:
        m = np.eye(L)
    if causal:
        m = np.tril(m)
    m = _rows_normalised(m)
    return np.broadcast_to(m, (*size, L, L)).copy() if size else m


# --- structure-preserving nulls: built from a head's own weights ------------------------------------

NULLS = ("permuted", "entropy_matched")
"""Nulls that keep what the paper's baselines do not: ``permuted`` keeps each row's own weights and
moves only where they sit; ``entropy_matched`` keeps each row's entropy in expectation."""
ALL_BASELINES = BASELINES + NULLS
_STREAM = {"random": (), "permuted": (1,), "entropy_matched": (2,)}  # separate seeded streams per kind
ALPHA_MIN, ALPHA_MAX = 1e-8, 1e8
"""Dirichlet concentrations are fitted in [ALPHA_MIN, ALPHA_MAX]. The two degenerate cases are
clamped: a one-hot row (entropy 0) gets ALPHA_MIN and draws a one-hot row at a random allowed
position (the Dirichlet's limit as α → 0); a row at or within numerical reach of the maximum
entropy log K gets ALPHA_MAX and is drawn exactly uniform (the limit as α → ∞). A row with one
allowed position (K = 1) is that position with weight 1."""


def allowed_positions(n: int, *, causal: bool) -> np.ndarray:
    """Where a query row may attend among n tokens: everywhere for an encoder, j ≤ i for a decoder."""
    allowed = np.ones((n, n), dtype=bool)
    return np.tril(allowed) if causal else allowed


def text_rng(kind: str, seed: int, text_id: int) -> np.random.Generator:
    """The seeded stream of one text for a random kind; it fixes every (layer, head) draw of that text."""
    return np.random.default_rng([int(seed), int(text_id), *_STREAM[kind]])


def permuted_null(attn: np.ndarray, *, causal: bool = False, seed: int | np.random.Generator = 0) -> np.ndarray:
    """The head's own weights, each row shuffled among its allowed positions (``attn``: (..., n, n)).

    Every entry keeps its row, so each row's multiset is kept, and so are the matrix's multiset, its
    quantile threshold, edge count and entropy, under every preset. Only the graph changes.
    """
    A = np.asarray(attn)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = A.shape[-1]
    allowed = allowed_positions(n, causal=causal)
    idx = np.arange(n)
    # positions sorted: allowed ones first (by index, or in random order), then the others by index,
    # so out[..., rand[k]] = A[..., order[k]] moves allowed entries among allowed places only
    order = np.argsort(np.where(allowed, idx, n + idx), axis=-1, kind="stable")
    keys = rng.random((*A.shape[:-1], n))
    rand = np.argsort(np.where(allowed, keys, n + idx), axis=-1, kind="stable")
    out = np.empty_like(A)
    np.put_along_axis(out, rand, np.take_along_axis(A, np.broadcast_to(order, A.shape), -1), -1)
    return out


def _row_entropy(A: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shannon entropy (nats) of each row over its allowed positions, and the number K of them."""
    w = np.where(allowed, np.asarray(A, dtype=np.float64), 0.0)
    p = w / w.sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(-1)
    return h, np.broadcast_to(allowed.sum(-1), h.shape)


def expected_dirichlet_entropy(alpha: np.ndarray, K: np.ndarray) -> np.ndarray:
    """E[H] of a symmetric Dirichlet(α, K): ψ(Kα + 1) − ψ(α + 1), increasing from 0 to log K in α."""
    from scipy.special import digamma

    return digamma(K * alpha + 1.0) - digamma(alpha + 1.0)


def fit_concentration(target: np.ndarray, K: np.ndarray, *, iterations: int = 64) -> np.ndarray:
    """α per row with E[H] = ``target`` (bisection on log α), clamped to [ALPHA_MIN, ALPHA_MAX].

    64 halvings of the log α bracket (width 37) leave it below 1e-17, far inside the 1e-9 target.
    """
    target = np.asarray(target, dtype=np.float64)
    K = np.broadcast_to(np.asarray(K, dtype=np.float64), target.shape)
    lo = np.full(target.shape, np.log(ALPHA_MIN))
    hi = np.full(target.shape, np.log(ALPHA_MAX))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        below = expected_dirichlet_entropy(np.exp(mid), K) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.exp(0.5 * (lo + hi))


def _open_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniforms strictly inside (0, 1): 53-bit integers plus one half, so no inverse CDF meets 0 or 1."""
    return (rng.integers(0, 2**53, size=shape, dtype=np.int64) + 0.5) / 2.0**53


def entropy_matched_null(attn: np.ndarray, *, causal: bool = False, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Each row drawn from a symmetric Dirichlet over its allowed positions, with the concentration
    fitted so that the expected row entropy equals the real row's (see ``fit_concentration``).

    Drawn as p = softmax(log Γ(α + 1) + log(U)/α), the Gamma(α) variate written so that it does
    not underflow for small α. The Gamma(α + 1) variate comes from its inverse CDF at a seeded
    uniform, so the draw is a continuous function of α, and so of the attention: float32 noise in
    the weights moves the null by as little (a rejection sampler, as numpy's Gamma, would take
    another branch now and then and draw a different matrix).
    """
    from scipy.special import gammaincinv

    A = np.asarray(attn, dtype=np.float64)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = A.shape[-1]
    allowed = allowed_positions(n, causal=causal)
    target, K = _row_entropy(A, allowed)
    alpha = fit_concentration(target, K)[..., None]
    u_gamma, u_power = _open_uniform(rng, A.shape), _open_uniform(rng, A.shape)
    log_g = np.log(gammaincinv(np.broadcast_to(alpha + 1.0, A.shape), u_gamma)) + np.log(u_power) / alpha
    log_g = np.where(allowed, log_g, -np.inf)
    log_g -= log_g.max(-1, keepdims=True)
    p = np.exp(log_g)
    p /= p.sum(-1, keepdims=True)
    uniform = np.broadcast_to(allowed / allowed.sum(-1, keepdims=True), A.shape)
    return np.where(alpha >= ALPHA_MAX * (1 - 1e-9), uniform, p)


def structured_null(kind: str, attn: np.ndarray, *, causal: bool = False, seed: int | np.random.Generator = 0) -> np.ndarray:
    """A structure-preserving null of ``attn`` (..., n, n): 'permuted' or 'entropy_matched'."""
    if kind not in NULLS:
        raise GedigError(f"unknown null {kind!r}; choose one of {', '.join(NULLS)}")
    A = np.asarray(attn)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2] or A.shape[-1] < 1:
        raise GedigError(f"a null needs (..., n, n) attention, got shape {A.shape}")
    if not np.isfinite(A).all() or (A < 0).any():
        raise GedigError("a null needs finite, non-negative attention weights")
    return (permuted_null if kind == "permuted" else entropy_matched_null)(A, causal=causal, seed=seed)
