"""The head explorer's chapter around the page itself: what the explorer holds, its stored terms
checked against ``gedig.gauge`` on a seeded sample of heads, its first selection drawn without
JavaScript, and the chapter's measures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import GedigError
from ..gauge.batched import gauge
from ..models.attention import extract
from ..models.loading import LoadedModel, load_model
from .explorer import ExplorerConfig, arrays
from .plots import attention_panel

CHECK_TOLERANCE = 5e-7
"""The page shows six decimals: a stored term further than this from the gauge would be visible, and wrong."""


class Attention:
    """Every head's attention of one text under one of the explorer's models: one forward pass each, reused."""

    def __init__(self, payload: dict[str, Any], cfg: ExplorerConfig) -> None:
        self.payload, self.cfg = payload, cfg
        self.loaded = {name: load_model(name) for name in cfg.models}
        self.texts = [t for _, t in cfg.texts()]
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def model(self, mi: int) -> LoadedModel:
        return self.loaded[self.payload["models"][mi]["name"]]

    def __call__(self, mi: int, ti: int) -> np.ndarray:
        """(layers, heads, L, L) attention of text ``ti`` under model ``mi``."""
        if (mi, ti) not in self._cache:
            attn = extract(self.model(mi), self.texts, [ti], max_length=self.cfg.max_length).attn[0]
            self._cache[(mi, ti)] = attn.float().numpy()
        return self._cache[(mi, ti)]


def config(bound: dict[str, str], *, qs: Sequence[float], taus: Sequence[float], **options: Any) -> ExplorerConfig:
    """The explorer of the bound systems' models with the threshold grid ``qs`` and ``taus``."""
    return ExplorerConfig(models=tuple(bound.values()), qs=tuple(qs), taus=tuple(taus), **options)


def holdings(payload: dict[str, Any], *, label: Callable[[str], str]) -> pd.DataFrame:
    """What the explorer holds: per model, its layers, heads and texts, and the configurations."""
    rows = [{"model": label(m["name"]), "layers": m["layers"], "heads": m["heads"], "texts": len(m["texts"])} for m in payload["models"]]
    return pd.DataFrame(rows).assign(configurations=len(payload["configs"]))


def check(payload: dict[str, Any], attention: Attention, *, n_check: int, seed: int = 0) -> tuple[int, float]:
    """Recompute ``gedig.gauge`` on ``n_check`` seeded (model, text, layer, head) draws under every
    configuration on the page; the pairs checked and the largest difference from the stored terms.
    A difference above ``CHECK_TOLERANCE`` is an error."""
    rng = np.random.default_rng(seed)
    stored = arrays(payload)
    configs = attention.cfg.configurations()
    worst, checked = 0.0, 0
    for _ in range(n_check):
        mi, ti = int(rng.integers(len(payload["models"]))), int(rng.integers(len(attention.texts)))
        m = payload["models"][mi]
        layer, head = int(rng.integers(m["layers"])), int(rng.integers(m["heads"]))
        A = attention(mi, ti)[layer, head]
        shown = stored[f"m{mi}t{ti}.head_terms"][layer, head]
        for c, (_, config) in enumerate(configs):
            r = gauge(A, causal=attention.model(mi).causal, config=config)
            terms = np.array([r.F, r.delta_epc, r.delta_h, r.delta_sp], dtype=float)
            worst = max(worst, float(np.abs(shown[c, 0] - terms).max()))
            checked += 1
    if worst > CHECK_TOLERANCE:
        raise GedigError(f"the explorer's stored terms differ from gedig.gauge by {worst:.2e}")
    return checked, worst


def first_selection(payload: dict[str, Any], attention: Attention) -> plt.Figure:
    """The explorer's first selection (first model, text, layer and head) as a static figure."""
    first = payload["models"][0]
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.4))
    title = f"{first['name']}, layer 0, head 0"
    attention_panel(attention(0, 0)[0, 0], tokens=first["texts"][0]["tokens"], title=title, causal=attention.model(0).causal, axes=axes)
    fig.tight_layout()
    return fig


def wins_over_random(payload: dict[str, Any], cfg: ExplorerConfig) -> tuple[int, int]:
    """Head × text pairs whose F beats their random baseline's under the published gauge at q = 0.9, and all pairs."""
    stored = arrays(payload)
    configs = cfg.configurations()
    c09 = next((i for i, (_, c) in enumerate(configs) if c.name == "published" and c.tau is None and abs(c.q - 0.9) < 1e-9), 0)
    wins = total = 0
    for mi, m in enumerate(payload["models"]):
        for ti, entry in enumerate(m["texts"]):
            terms = stored[f"m{mi}t{ti}.head_terms"][:, :, c09]  # (layers, heads, sources, 4)
            r = entry["per_head"].index("random")
            wins += int((terms[..., 0, 0] > terms[..., r, 0]).sum())
            total += terms.shape[0] * terms.shape[1]
    return wins, total


def measures(payload: dict[str, Any], cfg: ExplorerConfig, page_html: str, *, checked: int, worst: float) -> dict[str, object]:
    """The chapter's measures."""
    wins, total = wins_over_random(payload, cfg)
    return {
        "explorer.n_models": len(payload["models"]),
        "explorer.n_texts": len(cfg.texts()),
        "explorer.n_configurations": len(cfg.configurations()),
        "explorer.n_heads": sum(m["layers"] * m["heads"] for m in payload["models"]),
        "explorer.page_bytes": len(page_html.encode()),
        "explorer.checked_pairs": checked,
        "explorer.max_abs_diff": worst,
        "explorer.wins_over_random": wins,
        "explorer.head_text_pairs": total,
    }
