"""The head explorer's data: curated texts, both embedded models, every head's attention, its
thresholded edges and the gauge terms of the head and of each baseline under each preset and
threshold. Everything is computed here by gedig at build time; the book page only displays it.

Edges are stored exactly but compactly: per head, the C thresholds (rounded down to float32, as the
gauge compares them) are sorted, each entry keeps the number of them it exceeds (its *level*), and
an entry is an edge under configuration c exactly when its level exceeds c's rank. The heatmap's
colours are 8-bit (the resolution of a colour map), scaled to each head's maximum.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..errors import GedigError
from ..gauge.baselines import BASELINES
from ..gauge.batched import round_down
from ..gauge.config import GaugeConfig
from ..models.attention import check_texts, display_tokens
from ..models.corpora import load_texts
from ..models.loading import load_model
from ..pipeline.batch import BASELINE_TERMS, ScoreSpec, gauge_batch
from ..util.inputs import note_input
from ..util.io import atomic_write_text, cache_dir, read_cached
from ..util.keys import key_of
from ..util.progress import say
from ..util.versions import code_version

SOURCES = {"wiki-summaries": "Wikipedia", "rotten-tomatoes": "Rotten Tomatoes"}


@dataclass(frozen=True)
class ExplorerConfig:
    """What the explorer page offers: texts, models, presets and the threshold grid."""

    models: tuple[str, ...] = ("minilm-l6", "smollm2-135m")
    n_wiki: int = 8
    n_reviews: int = 4
    min_chars: int = 40
    max_chars: int = 90
    text_seed: int = 0
    presets: tuple[str, ...] = ("published", "as_written")
    qs: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    taus: tuple[float, ...] = (0.01,)
    baselines: tuple[str, ...] = BASELINES
    seed: int = 0
    max_length: int = 64
    custom_texts: tuple[str, ...] = ()
    """The reader's own texts; when given they replace the curated draws (n_wiki, n_reviews)."""

    def __post_init__(self) -> None:
        if not self.models:
            raise GedigError("ExplorerConfig.models is empty")
        if self.custom_texts:
            check_texts(self.custom_texts)
        elif self.n_wiki < 0 or self.n_reviews < 0 or self.n_wiki + self.n_reviews < 1:
            raise GedigError(f"need at least one text, got n_wiki={self.n_wiki}, n_reviews={self.n_reviews}")
        if not self.qs and not self.taus:
            raise GedigError("the threshold grid is empty: give qs or taus")
        if len(self.presets) * (len(self.qs) + len(self.taus)) > 250:
            raise GedigError("at most 250 configurations fit the page's 8-bit edge levels")
        for q in self.qs:
            GaugeConfig.published(q=q)  # validates q
        for t in self.taus:
            if not np.isfinite(t) or t < 0:
                raise GedigError(f"a fixed threshold τ must be a finite number ≥ 0, got {t!r}")

    def configurations(self) -> list[tuple[str, GaugeConfig]]:
        """(label, config) for every preset × threshold, in the order the page lists them."""
        out = []
        for p in self.presets:
            out += [(f"q = {q:g}", GaugeConfig.from_name(p, q=float(q))) for q in self.qs]
            out += [(f"τ = {t:g}", GaugeConfig.from_name(p, tau=float(t))) for t in self.taus]
        return out

    def texts(self) -> list[tuple[str, str]]:
        """(corpus, text): seeded draws of short sentences, so every head's matrix stays small."""
        if self.custom_texts:
            return [("your text", t) for t in self.custom_texts]
        picks = [("wiki-summaries", self.n_wiki), ("rotten-tomatoes", self.n_reviews)]
        return [
            (corpus, t)
            for corpus, n in picks
            if n
            for t in load_texts(corpus, n=n, seed=self.text_seed, min_chars=self.min_chars, max_chars=self.max_chars)
        ]


class _Blob:
    """Named arrays packed into one buffer (4-byte aligned), described by a manifest the page reads."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.manifest: dict[str, list[Any]] = {}

    def add(self, name: str, array: np.ndarray) -> None:
        a = np.ascontiguousarray(array)
        if a.dtype not in (np.uint8, np.uint16, np.float32):
            raise GedigError(f"cannot pack dtype {a.dtype}")
        self.manifest[name] = [self.size, a.dtype.name, list(a.shape)]
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        pad = (-len(raw)) % 4
        self.parts.append(raw + b"\0" * pad)
        self.size += len(raw) + pad

    def encode(self) -> str:
        return base64.b64encode(gzip.compress(b"".join(self.parts), compresslevel=9, mtime=0)).decode("ascii")


def edge_levels(A: torch.Tensor, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per head: each entry's level (how many of the head's thresholds it exceeds) and each
    configuration's rank, so that ``level > rank[c]`` is exactly the gauge's edge set ``A > τ_c``.

    ``A``: (..., L, L) float32; ``thresholds``: (..., C) float64, as the gauge returned them.
    """
    lead, C = A.shape[:-2], thresholds.shape[-1]
    t = torch.from_numpy(np.ascontiguousarray(thresholds, dtype=np.float64)).reshape(-1)
    u = round_down(t, A.dtype).reshape(*lead, C)  # x > τ ⇔ x > round_down(τ) for float32 x
    u_sorted, _ = torch.sort(u, dim=-1)
    level = (A[..., None] > u_sorted[..., None, None, :]).sum(-1)
    rank = torch.searchsorted(u_sorted.contiguous(), u.contiguous(), side="left")
    return level.to(torch.uint8).numpy(), rank.to(torch.uint8).numpy()


def _per_text(frames: list[pd.DataFrame], kind: str) -> bool:
    """A baseline whose terms are the same for every head of the text (the deterministic kinds)."""
    return all(bool(f[f"{term}_{kind}"].nunique() == 1) for f in frames for term in BASELINE_TERMS)


def _model_payload(name: str, cfg: ExplorerConfig, texts: list[tuple[str, str]], blob: _Blob, m: int, device: str) -> dict[str, Any]:
    loaded = load_model(name, device=device)
    confs = cfg.configurations()
    all_texts = [t for _, t in texts]
    specs = [
        ScoreSpec(model=name, config=c, baselines=tuple(cfg.baselines), seed=cfg.seed, batch_size=1, max_length=cfg.max_length)
        for _, c in confs
    ]
    entries = []
    for j, (corpus, text) in enumerate(texts):
        batch, frames = gauge_batch(loaded, all_texts, [j], specs, max_length=cfg.max_length)  # one forward pass, every configuration
        frames = [f.sort_values(["layer", "head"], kind="stable") for f in frames]
        A = batch.attn[0].detach().float().cpu()  # (layers, heads, L, L), one unpadded text
        n_layers, n_heads, L = A.shape[0], A.shape[1], A.shape[-1]
        shape = (n_layers, n_heads, len(confs))
        tau = np.stack([f["threshold"].to_numpy() for f in frames], -1).reshape(shape)
        level, rank = edge_levels(A, tau)
        n_edges = (level[..., None] > rank[..., None, None, :]).sum((-3, -2))
        expected = np.stack([f["n_edges"].to_numpy() for f in frames], -1).reshape(shape)
        if not np.array_equal(n_edges, expected):
            raise GedigError(f"explorer edges disagree with the gauge for {name!r} on text {j}")  # never expected
        peak = A.amax((-2, -1))
        colour = torch.round(A / peak.clamp(min=1e-30)[..., None, None] * 255).to(torch.uint8).numpy()
        per_head = ["head"] + [b for b in cfg.baselines if not _per_text(frames, b)]
        per_text = [b for b in cfg.baselines if b not in per_head]
        head_terms = np.stack(
            [
                np.stack([f[term if src == "head" else f"{term}_{src}"].to_numpy() for term in BASELINE_TERMS], -1)
                for f in frames
                for src in per_head
            ],
            0,
        )  # (C·S, layers·heads, 4)
        head_terms = head_terms.reshape(len(confs), len(per_head), n_layers, n_heads, 4).transpose(2, 3, 0, 1, 4)
        text_terms = np.array([[[f[f"{term}_{b}"].iloc[0] for term in BASELINE_TERMS] for b in per_text] for f in frames])
        prefix = f"m{m}t{j}"
        blob.add(f"{prefix}.colour", colour)
        blob.add(f"{prefix}.level", level)
        blob.add(f"{prefix}.rank", rank)
        blob.add(f"{prefix}.peak", peak.numpy().astype(np.float32))
        blob.add(f"{prefix}.tau", tau.astype(np.float32))
        blob.add(f"{prefix}.head_terms", head_terms.astype(np.float32))
        blob.add(f"{prefix}.text_terms", text_terms.astype(np.float32).reshape(len(confs), len(per_text), 4))
        tokens = display_tokens(loaded, text, max_length=cfg.max_length)
        if len(tokens) != L:
            raise GedigError(f"{name!r}: {len(tokens)} display tokens for an attention matrix of {L}")
        entries.append(
            {"corpus": SOURCES.get(corpus, corpus), "text": text, "tokens": tokens, "L": L, "per_head": per_head, "per_text": per_text}
        )
    return {"name": name, "causal": bool(loaded.causal), "layers": n_layers, "heads": n_heads, "texts": entries}


_KEYS = ("format", "terms", "configs", "models", "manifest", "blob")


def _read_payload(path: Path) -> dict[str, Any]:
    """A cached payload; one that does not parse, lacks a key or whose blob does not decode raises
    (and so is set aside and recomputed)."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    if missing := [k for k in _KEYS if k not in payload]:
        raise ValueError(f"payload lacks {missing}")
    size = len(gzip.decompress(base64.b64decode(payload["blob"], validate=True)))
    if any(offset > size for offset, _, _ in payload["manifest"].values()):
        raise ValueError("payload blob is shorter than its manifest")
    return payload


def explorer_version() -> str:
    """The version of the code that computes a payload: this module's import closure."""
    return code_version(__name__)


def explore(cfg: ExplorerConfig | None = None, *, device: str = "auto", cache: bool = True, progress: bool = True) -> dict[str, Any]:
    """The explorer's payload (a JSON-ready dict with one compressed binary blob); cached by its
    configuration and the version of the code that computes it, which it also records."""
    cfg = cfg or ExplorerConfig()
    version = explorer_version()
    key = key_of({"explorer": dataclasses.asdict(cfg), "code": version})
    path = cache_dir() / "explorer" / f"{key}.json"
    if cache and (hit := read_cached(path, _read_payload)) is not None and hit.get("code_version") == version:
        return hit
    texts = cfg.texts()
    blob = _Blob()
    models = []
    for m, name in enumerate(cfg.models):
        if progress:
            say(f"[explorer] {name}: {len(texts)} texts × {len(cfg.configurations())} configurations")
        models.append(_model_payload(name, cfg, texts, blob, m, device))
    payload = {
        "format": 1,
        "terms": list(BASELINE_TERMS),
        "configs": [
            {"label": label, "preset": c.name, "lam": c.lam, "gamma": c.gamma, "q": None if c.tau is not None else c.q, "tau": c.tau}
            for label, c in cfg.configurations()
        ],
        "models": models,
        "manifest": blob.manifest,
        "blob": blob.encode(),
        "code_version": version,
        "parameters": json.loads(json.dumps(dataclasses.asdict(cfg))),
    }
    if cache:
        atomic_write_text(json.dumps(payload), path)
    return payload


def arrays(payload: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every named array of the payload's blob, decoded once (for checks, and for readers who want the numbers)."""
    raw = gzip.decompress(base64.b64decode(payload["blob"]))
    return {
        name: np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=int(np.prod(shape)), offset=offset).reshape(shape)
        for name, (offset, dtype, shape) in payload["manifest"].items()
    }


_JS = Path(__file__).with_name("explorer.js")


def explorer_html(payload: dict[str, Any], *, element_id: str = "gedig-explorer") -> str:
    """The page fragment: controls at the top, the heatmap with the terms table beside it (so that a
    change of head shows its F at once), the graph below, the data and the script that wires them
    (Plotly must already be on the page; the book loads its vendored copy)."""
    data = json.dumps({k: v for k, v in payload.items() if k != "parameters"}, separators=(",", ":"))
    data = data.replace("<", "\\u003c")  # "<" only occurs inside JSON strings: the script element can never end early
    style = (
        f"#{element_id} .gedig-explorer-controls label {{display: inline-block; margin: 0 1em 0.4em 0; white-space: nowrap}}"
        f" #{element_id} select {{max-width: 26em}} #{element_id} .gedig-explorer-caption {{font-size: 0.92em; margin: 0.2em 0}}"
        f" #{element_id} .gedig-explorer-main {{display: flex; flex-wrap: wrap; gap: 0.8em; align-items: flex-start}}"
        f" #{element_id} [data-plot=heatmap] {{flex: 1 1 400px; min-width: 0}}"
        f" #{element_id} .gedig-explorer-side {{flex: 0 0 auto; max-width: 520px; font-size: 0.88em}}"
        f" #{element_id} .gedig-explorer-terms td, #{element_id} .gedig-explorer-terms th {{padding: 0.15em 0.45em; text-align: right}}"
    )
    return (
        f"<style>{style}</style>\n"
        f'<div id="{element_id}" class="gedig-explorer" data-plotly="required"><p class="gedig-explorer-loading">'
        "Loading the explorer (it needs JavaScript).</p></div>\n"
        f'<script type="application/json" id="{element_id}-data">{data}</script>\n'
        f"<script>{note_input(_JS).read_text(encoding='utf-8')}\ngedigExplorer({json.dumps(element_id)});</script>\n"
    )


def standalone_html(payload: dict[str, Any], *, title: str = "geDIG head explorer") -> str:
    """A self-contained page (plotly.js inlined from the pinned wheel) to open anywhere, offline."""
    from .interactive import plotly_js

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><script>{plotly_js()}</script>"
        "<style>body {font-family: sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em}"
        " table {border-collapse: collapse} td, th {padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>\n{explorer_html(payload)}</body></html>\n"
    )
