"""Named measures: every measure a chapter writes, declared once as a key template with a description.

A chapter writes flat ``key: value`` measures (``gedig.book.notebook.finish``); the claims registry,
the first page's headline and the takeaways read them. Each key belongs to a family declared here,
``h1.{system}.{preset}.{baseline}.{stat}`` say, whose fields range over named sets (the paper's
systems, the presets, the baselines, layer numbers, α values). Each chapter's registry entry
(``gedig.book.chapters``) declares its families; ``gedig.book.named.read`` takes a family and its
fields and fails loudly, naming the key and the chapter that should have written it, when the
measure is missing; ``undeclared`` lists keys no family covers, which the build refuses. A renamed
key therefore fails where it is read, never as a silently dropped paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..analysis.h1 import H1_STATS
from ..errors import GedigError
from ..gauge.baselines import ALL_BASELINES
from ..gauge.config import PRESETS
from .profiles import SYSTEMS


def _one_of(values: Any) -> str:
    return "|".join(re.escape(str(v)) for v in sorted(values, key=len, reverse=True))


FIELDS = {
    "system": _one_of(SYSTEMS),
    "model": f"(?:{_one_of(SYSTEMS)})(?:@random-init)?",
    "preset": _one_of(PRESETS),
    "baseline": _one_of(ALL_BASELINES),
    "stat": _one_of(H1_STATS),
    "layer": r"\d+",
    "bin": r"\d+",
    "k": r"\d+",
    "alpha": r"\d+(?:\.\d+)?(?:e-?\d+)?",
    "threshold": r"(?:q|τ)=\d+(?:\.\d+)?",
    "term": _one_of(("epc", "h", "sp")),
    "effect": _one_of(("random", "permuted", "h2")),
    "column": _one_of([f"F_{p}" for p in PRESETS] + ["stat_row_entropy", "stat_max_weight"]),
    "part": _one_of(
        (
            "rho",
            "rho_ci_low",
            "rho_ci_high",
            "partial",
            "partial_ci_low",
            "partial_ci_high",
            "partial_excludes_0",
            "gap",
            "ci_low",
            "ci_high",
            "rank_p",
            "stratified_gap",
            "stratified_ci_low",
            "stratified_ci_high",
            "stratified_rank_p",
        )
    ),
    "state": _one_of(("init", "trained")),
    "signal": _one_of(("cosine", "entropy_share", "density_ratio")),
}
"""What each field of a template may be: a system (``model`` adds its untrained twin), a preset, a
baseline, an H1 statistic, a layer or bin number, an α; chapter 9's head statistic (``column``), the
part of a ranking or pruning result (``part``), the training state and the gradient figure."""
COMMON = ("profile", "provenance.", "systems.", "why_missing.")
"""Keys every chapter writes (its profile and provenance, ``gedig.book.provenance.record``) or may
write (a stated reason for a missing measure, ``gedig.book.claims.WHY_MISSING``)."""


@dataclass(frozen=True)
class Measure:
    """A family of measure keys and what it measures."""

    template: str
    description: str

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The keys of this family; each field's first occurrence is a named group."""
        parts = re.split(r"\{(\w+)\}", self.template)
        out, named = [], set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(re.escape(part))
            elif part in named:  # a field's later occurrences match the same set, unnamed
                out.append(f"(?:{FIELDS[part]})")
            elif part in FIELDS:
                out.append(f"(?P<{part}>{FIELDS[part]})")
                named.add(part)
            else:
                raise GedigError(f"measure {self.template!r}: unknown field {{{part}}}; the fields are {', '.join(FIELDS)}")
        return re.compile("".join(out))

    def matches(self, key: str) -> bool:
        return self.pattern.fullmatch(key) is not None

    def key(self, **fields: Any) -> str:
        key = self.template.format(**fields)
        if not self.matches(key):
            raise GedigError(f"{key!r} is not a key of the measure {self.template!r} (fields {fields})")
        return key


def declare(*pairs: tuple[str, str]) -> tuple[Measure, ...]:
    """A chapter's measure families from (template, description) pairs."""
    return tuple(Measure(t, d) for t, d in pairs)


def declared(key: str, families: tuple[Measure, ...]) -> Measure | None:
    """The family among ``families`` that covers ``key``."""
    return next((m for m in families if m.matches(key)), None)


CI = "ci."
"""A chapter writes the 95 % interval of a declared estimate ``<key>`` as ``ci.<key>: [low, high]``."""


def undeclared(keys: Any, families: tuple[Measure, ...]) -> list[str]:
    """The keys, other than the common ones, that no family among ``families`` covers (an interval
    ``ci.<key>`` is declared with its estimate ``<key>``)."""
    return sorted(k for k in keys if not k.startswith(COMMON) and declared(k[len(CI) :] if k.startswith(CI) else k, families) is None)
