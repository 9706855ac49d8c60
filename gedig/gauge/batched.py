"""The batched geDIG gauge: F = ΔEPC − λ(ΔH + γ·ΔSP) for every (…, L, L) attention matrix at once.

All heads, layers and texts of a batch are scored by tensor operations; padding is handled through
a token mask, so sequences of different lengths share one call. ``gedig.gauge.reference`` is the plain
networkx version this module is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch

from ..errors import GedigError
from .config import GaugeConfig
from .pairs import sample_pairs

_COMPACT_ENTRIES = 1 << 16  # finished graphs leave the BFS batch once they hold this many entries
_CHUNK_ENTRIES = 1 << 20  # matrices per chunk × L² kept below this to bound memory


@dataclass
class GaugeResult:
    """Per-matrix gauge terms, each with the leading shape of the input (numpy in → numpy out)."""

    F: Any
    delta_epc: Any
    delta_h: Any
    delta_sp: Any
    n_edges: Any
    threshold: Any
    n_tokens: Any

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- input checks ------------------------------------------------------------------------------
def _as_tensor(attn: Any) -> tuple[torch.Tensor, bool]:
    """A floating tensor; float32/16 model outputs keep their dtype (their values are exact in float64,
    and only the entropy needs float64 arithmetic), anything else becomes float64."""
    if isinstance(attn, torch.Tensor):
        attn = attn.detach()
        return (attn if attn.is_floating_point() else attn.to(torch.float64)), False
    try:
        array = np.asarray(attn, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise GedigError(f"attention must be a numeric array or tensor: {exc}") from None
    return torch.from_numpy(np.ascontiguousarray(array)), True


def _check_shapes(A: torch.Tensor, mask: Any) -> torch.Tensor:
    if A.ndim < 2:
        raise GedigError(f"attention must have shape (..., L, L); got a {A.ndim}-D array of shape {tuple(A.shape)}")
    L = A.shape[-1]
    if A.shape[-2] != L:
        raise GedigError(f"attention matrices must be square; got trailing shape {tuple(A.shape[-2:])}")
    if L == 0:
        raise GedigError("attention matrices are empty (L = 0): there is no token to score")
    lead = tuple(A.shape[:-2])
    if mask is None:
        return torch.ones((*lead, L), dtype=torch.bool, device=A.device)
    m = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask, device=A.device)
    if m.dtype != torch.bool:
        if not bool(((m == 0) | (m == 1)).all()):
            raise GedigError("mask must be boolean (or 0/1): True marks a real token")
        m = m.bool()
    if m.ndim < 1 or m.shape[-1] != L:
        raise GedigError(f"mask shape {tuple(m.shape)} does not match attention shape {tuple(A.shape)}: its last axis must be L = {L}")
    target = (*lead, L)
    aligned = tuple(m.shape[:-1])[::-1], lead[::-1]
    if m.ndim > len(target) or any(a not in (1, b) for a, b in zip(*aligned, strict=False)):
        raise GedigError(f"mask shape {tuple(m.shape)} does not broadcast to the attention's leading shape {lead} + (L,)")
    m = m.expand((*lead, L))
    if not bool(m.any(-1).all()):
        raise GedigError("mask leaves a matrix with no valid token; every matrix needs at least one")
    return m


_FINITE_BITS = {torch.float32: (torch.int32, 0x7F800000), torch.float64: (torch.int64, 0x7FF0000000000000)}


def _check_values(A: torch.Tensor, M: torch.Tensor) -> None:
    """NaN, inf or negative weights among the valid entries are errors (padding may hold anything)."""
    if A.dtype in _FINITE_BITS:
        # read as integers, an IEEE float is finite and ≥ +0 exactly when its bits lie in [0, bits(inf))
        int_dtype, inf_bits = _FINITE_BITS[A.dtype]
        low, high = torch.aminmax(A.view(int_dtype))
        if bool(low >= 0) and bool(high < inf_bits):
            return
    valid = M[:, :, None] & M[:, None, :]
    if bool((~torch.isfinite(A) & valid).any()):
        raise GedigError("attention contains NaN or infinite values")
    neg = (A < 0) & valid
    if bool(neg.any()):
        raise GedigError(f"attention weights must be non-negative; found a minimum of {float(A[neg].min()):.3g}")


# --- elementwise helpers -------------------------------------------------------------------------
# Comparisons and boolean masks are several times slower than float arithmetic in PyTorch's CPU
# kernels, so masks and edge sets are float 0/1 tensors throughout.
def round_down(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The largest value of ``dtype`` ≤ t: for any x of that dtype, x > t ⇔ x > round_down(t)."""
    tt = t.to(dtype)
    if dtype == t.dtype:
        return tt
    return torch.where(tt.to(t.dtype) > t, torch.nextafter(tt, torch.full_like(tt, float("-inf"))), tt)


def _above(A: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Float 0/1 tensor of A > t (t: one float64 value per matrix), exact for float32 A.

    t is rounded down to A's precision, and the difference of two distinct floats is never 0
    (gradual underflow), so the sign of A − t decides.
    """
    return (A - round_down(t, A.dtype)[:, None, None]).sign_().clamp_(min=0.0)


# --- graph helpers --------------------------------------------------------------------------------
def _bfs(step: torch.Tensor, nodes: torch.Tensor, *, keep_dist: bool = False) -> tuple[torch.Tensor, ...]:
    """Breadth-first search from every node of every graph at once.

    ``step`` is a non-negative (B, L, L) float adjacency whose diagonal is 1 on real tokens and 0 on
    padding; ``nodes`` the float token mask. R_k(u), the nodes within k hops of u, grows by one
    batched matmul per level, R_{k+1} = [R_k · step > 0], starting from R_1 = step, and C accumulates
    the set sizes Σ_{k≤ℓ} |R_k(u)|. Once a graph stops growing (at level K), for any ℓ ≥ K the
    distance sum of u is Σ_{k<K} (|R_K(u)| − |R_k(u)|) = (ℓ + 1)·|R_K(u)| − C(u), so finished graphs
    may stay in the batch until enough of them finish to make dropping them worthwhile. With
    ``keep_dist`` the sets themselves are accumulated, S = Σ_{k≤ℓ} R_k, and d(u, v) = ℓ + 1 − S(u, v).

    Returns the distance sum of each source, |R(u)|, the reach set of the first node that reaches
    most (for an undirected graph: the largest component, ties to the lowest token index) and, if
    asked, the distance matrix (inf where unreachable).
    """
    B, L, _ = step.shape
    dev = step.device
    ones = torch.ones(L, 1, dtype=step.dtype, device=dev)
    R = step  # R_1 (never written in place)
    count = torch.matmul(R, ones)[..., 0]  # |R_1(u)|; a matmul beats sum(-1) on short rows
    acc = torch.float32 if L < 4096 else torch.float64  # C and the distance sums are integers ≤ L²: exact
    C = (count + nodes).to(acc)  # |R_0(u)| + |R_1(u)|
    S = step + torch.diag_embed(nodes) if keep_dist else None
    out_rowsum = torch.zeros((B, L), dtype=acc, device=dev)
    out_count = torch.zeros((B, L), dtype=torch.float32, device=dev)
    out_comp = torch.zeros((B, L), dtype=torch.bool, device=dev)
    out_dist = torch.full((B, L, L), float("inf"), dtype=torch.float32, device=dev) if keep_dist else None
    active = torch.arange(B, device=dev)
    level = 1

    def emit(rows: torch.Tensor | None) -> None:
        # index_select / index_copy_ are several times faster than advanced indexing on CPU
        pick = (lambda x: x) if rows is None else (lambda x: x.index_select(0, rows))
        root = count.argmax(-1)  # first maximum = lowest token index
        comp = R[torch.arange(len(active), device=dev), root]  # (active, L): no copy of whole matrices
        idx, cf = pick(active), pick(count)
        out_count.index_copy_(0, idx, cf)
        out_rowsum.index_copy_(0, idx, (level + 1) * cf.to(acc) - pick(C))
        out_comp.index_copy_(0, idx, pick(comp) > 0)
        if out_dist is not None:
            out_dist.index_copy_(0, idx, torch.where(pick(R) > 0, (level + 1) - pick(S), float("inf")))

    while True:
        grown = torch.bmm(R, step).clamp_(max=1.0)
        new_count = torch.matmul(grown, ones)[..., 0]
        level += 1
        C += new_count
        if S is not None:
            S += grown
        if len(active) * L * L < _COMPACT_ENTRIES:  # too few to compact: only ask whether any grew
            finished = torch.equal(new_count, count)
            R, count = grown, new_count
            if finished:
                emit(None)
                break
            continue
        growing = (new_count != count).any(-1)
        R, count = grown, new_count
        n_growing = int(growing.sum())
        if n_growing == 0:
            emit(None)
            break
        n_done = len(active) - n_growing
        if 3 * n_done >= len(active) and n_done * L * L >= _COMPACT_ENTRIES:  # worth dropping them
            emit((~growing).nonzero().flatten())
            keep = growing.nonzero().flatten()
            active, count, C = active.index_select(0, keep), count.index_select(0, keep), C.index_select(0, keep)
            R, step = R.index_select(0, keep), step.index_select(0, keep)
            if S is not None:
                S = S.index_select(0, keep)
    return out_rowsum, out_count.long(), out_comp, out_dist


def _inverse_where(ok: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    return torch.where(ok, 1.0 / torch.where(ok, value, 1.0), 0.0)


def _component_aspl(
    rowsum: torch.Tensor, reached: torch.Tensor, comp: torch.Tensor, *, check: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Mean distance over ordered pairs of ``comp``, valid when every member reaches exactly ``comp``.

    With ``check``, also returns that condition (strong connectivity for a directed graph's weak
    component; always true for undirected components), since a member that reaches all of ``comp``
    reaches nothing outside it.
    """
    size = comp.sum(-1)
    complete = ((reached == size[:, None]) | ~comp).all(-1) if check else None
    total = torch.where(comp, rowsum, 0.0).to(torch.float64).sum(-1)
    s = size.to(torch.float64)
    return total / (s * (s - 1)).clamp(min=1), complete


def _with_diagonal(adj: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
    """0/1 step matrix (in place): self-loops on real tokens (they never shorten a path), padding isolated."""
    adj.clamp_(max=1.0).diagonal(dim1=1, dim2=2).copy_(nodes)
    return adj


def _delta_sp(edges: torch.Tensor, M: torch.Tensor, n: torch.Tensor, cfg: GaugeConfig) -> torch.Tensor:
    """ΔSP of every graph from its float 0/1 edge matrix (self-loops allowed) and token mask."""
    L = edges.shape[-1]
    edges = edges.to(torch.float32)  # 0/1 and small counts are exact
    nodes = M.to(torch.float32)
    if cfg.sp == "efficiency":
        rowsum, reached, comp, _ = _bfs(_with_diagonal(edges + edges.transpose(1, 2), nodes), nodes)
        aspl, _ = _component_aspl(rowsum, reached, comp)
        return _inverse_where(comp.sum(-1) >= 2, aspl)
    if cfg.sp == "directed_strong":
        _, _, comp, _ = _bfs(_with_diagonal(edges + edges.transpose(1, 2), nodes), nodes)
        rowsum, reached, _, _ = _bfs(_with_diagonal(edges.clone(), nodes), nodes)
        aspl, strong = _component_aspl(rowsum, reached, comp, check=True)
        return _inverse_where((comp.sum(-1) >= 2) & strong, aspl)
    # relative_chain: the token chain 0–1–…–(n−1) is the "before" graph, chain + attention edges "after"
    idx = torch.arange(L, device=edges.device)
    chain = ((idx[:, None] - idx[None, :]).abs() == 1).to(edges.dtype) * nodes[:, :, None] * nodes[:, None, :]
    sampled = n > cfg.sp_sample_above
    rowsum, reached, _, dist = _bfs(_with_diagonal(edges + chain, nodes), nodes, keep_dist=bool(sampled.any()))
    aspl_after, _ = _component_aspl(rowsum, reached, M)
    before = (n.to(torch.float64) + 1.0) / 3.0  # ASPL of a path graph on n nodes
    out = torch.where(n >= 2, (before - aspl_after) / before, 0.0)
    for length in torch.unique(n[sampled]).tolist():
        rows = (n == length).nonzero().flatten()
        pairs = torch.tensor(sample_pairs(int(length), int(cfg.sp_pairs), int(cfg.sp_seed)), device=edges.device)
        before_s = (pairs[:, 0] - pairs[:, 1]).abs().to(torch.float64).mean()
        after_s = dist[rows][:, pairs[:, 0], pairs[:, 1]].to(torch.float64).mean(-1)
        out[rows] = (before_s - after_s) / before_s
    return out


# --- the gauge -----------------------------------------------------------------------------------
def _order_pair_numpy(x: np.ndarray, kth: int) -> tuple[np.ndarray, np.ndarray]:
    """Values of rank ``kth`` and ``kth + 1`` in every row (ascending), by numpy's introselect.

    ``x`` holds non-negative floats viewed as same-width integers: their IEEE bit patterns sort in
    the same order, numpy selects integers faster than floats (SIMD) and, unlike torch's top-k,
    moves no indices: about three times faster than the top-k on CPU.
    """
    p = np.partition(x, kth, axis=1)
    a = p[:, kth]
    return a, (p[:, kth + 1 :].min(1) if kth + 1 < x.shape[1] else a)


def _order_pair_torch(flat: torch.Tensor, kth: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The same selection with a partial top-k, for tensors off the CPU."""
    k = flat.shape[1] - kth
    top = flat.topk(k, dim=1, sorted=False).values
    two = top.topk(min(2, k), dim=1, largest=False, sorted=True).values
    return two[:, 0], two[:, -1]


def _groups(count: np.ndarray) -> list[tuple[int, slice | np.ndarray]]:
    """Rows sharing a valid count, as slices when they form runs (texts come sorted by length)."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(count)) + 1])
    values = count[starts]
    if len(np.unique(values)) == len(values):  # every count is one contiguous run
        ends = np.append(starts[1:], len(count))
        return [(int(v), slice(int(s), int(e))) for v, s, e in zip(values, starts, ends, strict=True)]
    return [(int(v), np.flatnonzero(count == v)) for v in np.unique(values)]


def _threshold(A: torch.Tensor, count: torch.Tensor, cfg: GaugeConfig) -> torch.Tensor:
    """The q-quantile (numpy's 'linear' rule) over each matrix's ``count`` valid entries, or the fixed τ.

    Only the two order statistics around q·(count − 1) are needed, so a selection replaces a full
    sort. Invalid entries hold 0 and every valid entry is ≥ 0, so in ascending order the m = L² − count
    invalid zeros only shift ranks: rank m + r of the whole row has the value of valid rank r. Rows
    that share a count share that arithmetic and are selected together.
    """
    B, L = A.shape[0], A.shape[-1]
    if cfg.tau is not None:
        return torch.full((B,), float(cfg.tau), dtype=torch.float64, device=A.device)
    flat = A.flatten(1)
    cnt = count.numpy()
    lo = np.floor(cfg.q * (cnt - 1)).astype(np.int64)
    t = cfg.q * (cnt - 1) - lo
    single = lo + 1 > cnt - 1  # one valid entry: both ranks are the same value
    a = np.empty(B, dtype=np.float64)
    b = np.empty(B, dtype=np.float64)
    on_cpu = flat.device.type == "cpu"
    if on_cpu:
        values = flat.numpy()
        bits = values.view(np.int32 if values.dtype == np.float32 else np.int64)
    for c, rows in _groups(cnt):
        kth = L * L - c + int(lo[rows][0])  # the invalid zeros sort first
        if on_cpu:
            a_g, b_g = _order_pair_numpy(bits[rows], kth)
            a[rows], b[rows] = a_g.view(values.dtype), b_g.view(values.dtype)
        else:
            index = torch.as_tensor(np.arange(B)[rows], device=flat.device)
            a_g, b_g = _order_pair_torch(flat.index_select(0, index), kth)
            a[rows], b[rows] = a_g.double().cpu().numpy(), b_g.double().cpu().numpy()
    b = np.where(single, a, b)
    diff = b - a
    tau = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return torch.from_numpy(tau).to(A.device)


def _entropy(A: torch.Tensor, n: torch.Tensor, cfg: GaugeConfig) -> torch.Tensor:
    """Normalised Shannon entropy of the entries above the floor (invalid entries are already 0).

    H = −Σ p log p with p = w / T equals log T − (Σ w log w) / T, which needs one float64 log pass.
    """
    floor = round_down(torch.tensor([float(cfg.entropy_floor)], dtype=torch.float64), A.dtype)
    w = torch.nn.functional.threshold(A.flatten(1), float(floor), 0.0)  # w = A where A > floor, else 0
    kept = torch.sign(w).sum(1).to(torch.float64)
    w64 = w.to(torch.float64)  # one dtype per kernel: mixed float32/float64 arithmetic is not vectorised
    total = w64.sum(1)
    if bool((total <= 0).any()):
        raise GedigError("an attention matrix has no positive weight among its valid entries; its entropy is undefined")
    wlogw = w64.clamp(min=torch.finfo(torch.float64).tiny).log_().mul_(w64)  # 0·log 0 = 0
    h = torch.log(total) - wlogw.sum(1) / total
    norm = torch.log(kept) if cfg.entropy_norm == "support" else torch.log(n.to(torch.float64) ** 2)
    # one kept entry (or one token): no uncertainty, defined as 0 rather than 0/0
    return torch.where(norm > 0, h / norm.clamp(min=1e-300), torch.zeros_like(h))


def _gauge_chunk(A: torch.Tensor, M: torch.Tensor, causal: bool, cfg: GaugeConfig) -> dict[str, torch.Tensor]:
    B, L, _ = A.shape
    if A.dtype not in (torch.float32, torch.float64):
        A = A.to(torch.float32)  # half precision upcasts exactly
    padded = not bool(M.all())
    n = M.sum(1)
    if padded and not bool((M == (torch.arange(L, device=M.device) < n[:, None])).all()):
        # move each matrix's valid tokens to the front, keeping their order (the pad-removed matrix)
        order = torch.argsort((~M).to(torch.int8), dim=1, stable=True)
        A = A.gather(1, order[:, :, None].expand(B, L, L)).gather(2, order[:, None, :].expand(B, L, L))
        M = M.gather(1, order)
    n_cpu = n.cpu()
    masked_causal = causal and cfg.mask_causal
    if padded or masked_causal:
        # zero the invalid entries (padding may hold anything, even NaN): τ ≥ 0 then never makes them
        # edges, and ΔH never keeps them. Valid tokens are a prefix, so whole row and column blocks go.
        A = A.clone()
        if padded:
            for length, rows in _groups(n_cpu.numpy()):
                if length < L:
                    A[rows, length:, :] = 0.0
                    A[rows, :, length:] = 0.0
        if masked_causal:
            A.tril_()
    # valid entries: n², or n(n + 1)/2 under the causal mask
    count = n_cpu * (n_cpu + 1) // 2 if masked_causal else n_cpu * n_cpu
    tau = _threshold(A, count, cfg)
    edges = _above(A, tau)
    n_edges = edges.flatten(1).sum(1).long()
    delta_epc = n_edges.to(torch.float64) / n.to(torch.float64) ** 2
    delta_h = _entropy(A, n, cfg)
    delta_sp = _delta_sp(edges, M, n, cfg)
    F = delta_epc - cfg.lam * (delta_h + cfg.gamma * delta_sp)
    return {
        "F": F,
        "delta_epc": delta_epc,
        "delta_h": delta_h,
        "delta_sp": delta_sp,
        "n_edges": n_edges,
        "threshold": tau,
        "n_tokens": n,
    }


def gauge(attn: Any, mask: Any = None, *, causal: bool = False, config: GaugeConfig | None = None) -> GaugeResult:
    """Score every attention matrix of ``attn`` (shape (..., L, L)) with the geDIG gauge.

    ``mask`` (shape (..., L), True = real token, broadcast over the leading axes) removes padding;
    ``causal`` says the model is a decoder, which matters only for presets that mask causal zeros.
    Returns terms with the leading shape of ``attn``, as numpy arrays when ``attn`` was numpy.
    """
    cfg = config if config is not None else GaugeConfig.published()
    if not isinstance(cfg, GaugeConfig):
        raise GedigError(f"config must be a GaugeConfig, got {type(cfg).__name__}")
    A, was_numpy = _as_tensor(attn)
    M = _check_shapes(A, mask)
    lead, L = tuple(A.shape[:-2]), A.shape[-1]
    A = A.reshape(-1, L, L)
    M = M.reshape(-1, L)
    _check_values(A, M)
    step = max(1, _CHUNK_ENTRIES // (L * L))
    parts = [_gauge_chunk(A[s : s + step], M[s : s + step], causal, cfg) for s in range(0, A.shape[0], step)]
    out = {k: (parts[0][k] if len(parts) == 1 else torch.cat([p[k] for p in parts])).reshape(lead) for k in parts[0]}
    if was_numpy:
        out = {k: v.cpu().numpy() for k, v in out.items()}
    return GaugeResult(**out)
