"""Gauge configuration: one dataclass, three named presets (published, as_written, directed_sp)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from ..errors import GedigError

SpKind = Literal["efficiency", "directed_strong", "relative_chain"]
EntropyNorm = Literal["support", "tokens"]
PRESETS = ("published", "as_written", "directed_sp")


@dataclass(frozen=True)
class GaugeConfig:
    """Every choice that defines F = ΔEPC − λ(ΔH + γ·ΔSP) on one attention matrix.

    The defaults are the ``published`` preset: what the author's executed code computed.
    """

    name: str = "published"
    lam: float = 0.5
    gamma: float = 0.5
    q: float = 0.9
    tau: float | None = None
    """Fixed absolute threshold; when set it replaces the q-quantile (the paper's auxiliary τ = 0.01)."""
    mask_causal: bool = False
    """Exclude the causal zeros (j > i) from threshold, edges and entropy when the model is causal."""
    entropy_floor: float = 1e-10
    """Entries ≤ this are dropped before the entropy is taken."""
    entropy_norm: EntropyNorm = "support"
    """'support': divide by log(#kept entries) (code); 'tokens': divide by log n² (paper text)."""
    sp: SpKind = "efficiency"
    """'efficiency': 1/ASPL of the undirected largest component; 'directed_strong': the same on the
    directed graph, 0 unless strongly connected; 'relative_chain': (ASPL_chain − ASPL_chain+edges)/ASPL_chain."""
    sp_pairs: int = 200
    sp_sample_above: int = 64
    """For 'relative_chain': above this many tokens both ASPLs come from ``sp_pairs`` sampled pairs."""
    sp_seed: int = 0

    def __post_init__(self) -> None:
        for field in ("lam", "gamma", "q", "entropy_floor"):
            value = getattr(self, field)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise GedigError(f"GaugeConfig.{field} must be a finite number, got {value!r}")
        if not 0.0 < self.q < 1.0:
            raise GedigError(f"GaugeConfig.q must lie strictly between 0 and 1, got {self.q!r}")
        if self.lam < 0 or self.gamma < 0:
            raise GedigError(f"GaugeConfig.lam and gamma must be ≥ 0, got lam={self.lam!r}, gamma={self.gamma!r}")
        if self.tau is not None and (not isinstance(self.tau, (int, float)) or not math.isfinite(self.tau)):
            raise GedigError(f"GaugeConfig.tau must be None or a finite number, got {self.tau!r}")
        if self.entropy_floor < 0:
            raise GedigError(f"GaugeConfig.entropy_floor must be ≥ 0, got {self.entropy_floor!r}")
        if self.entropy_norm not in ("support", "tokens"):
            raise GedigError(f"GaugeConfig.entropy_norm must be 'support' or 'tokens', got {self.entropy_norm!r}")
        if self.sp not in ("efficiency", "directed_strong", "relative_chain"):
            raise GedigError(f"GaugeConfig.sp must be 'efficiency', 'directed_strong' or 'relative_chain', got {self.sp!r}")
        if int(self.sp_pairs) < 1 or int(self.sp_sample_above) < 2:
            raise GedigError("GaugeConfig.sp_pairs must be ≥ 1 and sp_sample_above ≥ 2")

    # --- presets -------------------------------------------------------------------------
    @classmethod
    def published(cls, **overrides: object) -> GaugeConfig:
        """What the author's executed scripts computed (λ = 0.5, 1/ASPL, log #nonzero, causal zeros kept)."""
        return dataclasses.replace(cls(), **overrides)

    @classmethod
    def as_written(cls, **overrides: object) -> GaugeConfig:
        """The paper's text taken literally (λ = 1, masks first, log L², relative SP gain over a token chain)."""
        base = cls(
            name="as_written",
            lam=1.0,
            mask_causal=True,
            entropy_floor=0.0,
            entropy_norm="tokens",
            sp="relative_chain",
        )
        return dataclasses.replace(base, **overrides)

    @classmethod
    def directed_sp(cls, **overrides: object) -> GaugeConfig:
        """The author's earlier directed-ΔSP code: 0 unless the largest weak component is strongly connected."""
        return dataclasses.replace(cls(name="directed_sp", sp="directed_strong"), **overrides)

    @classmethod
    def from_name(cls, name: str, **overrides: object) -> GaugeConfig:
        """Preset by name; raises a clear error for an unknown one."""
        if name not in PRESETS:
            raise GedigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return getattr(cls, name)(**overrides)

    def replace(self, **overrides: object) -> GaugeConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)
