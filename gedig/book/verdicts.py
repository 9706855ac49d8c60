"""Deciding a claim on an interval, as a replication study does.

A claim has an *acceptance region* (the claimed side of a bound, the paper's value ± a tolerance, or
"not 0"). Each of its measures is an estimate with a 95 % interval, or an exact number (a point
interval). Against the region an interval lies inside it, outside it, or straddles its edge; the
claim's verdict combines those outcomes over its distinct measurements: all inside, reproduced; some
outside, not reproduced (partly reproduced when others lie inside); otherwise inconclusive. A claim
about an effect the design cannot detect (the paper's effect below the smallest effect it detects
with 80 % power) is inconclusive whatever its interval says.

Reference: ``../shared/reference/replication-verdicts.md`` (Open Science Collaboration 2015;
Simonsohn 2015; Lakens 2017).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import GedigError
from ..util.text import format_value

INSIDE, OUTSIDE, STRADDLES = "inside", "outside", "straddles"
OUTCOMES = (INSIDE, OUTSIDE, STRADDLES)
"""Where one measure's interval lies against its claim's acceptance region."""


@dataclass(frozen=True)
class Region:
    """An acceptance region: ``(low, high)``, ends included when ``closed`` (a value ± tolerance) and
    excluded otherwise (the claimed side of a bound); ``nonzero``: everything but 0 (a two-sided
    'excludes 0', which data can support but never contradict)."""

    low: float = -math.inf
    high: float = math.inf
    closed: bool = False
    nonzero: bool = False

    def __post_init__(self) -> None:
        if not self.nonzero and not self.low < self.high:
            raise GedigError(f"an acceptance region needs low < high (got {self.low}, {self.high})")

    @classmethod
    def above(cls, bound: float) -> Region:
        return cls(low=float(bound))

    @classmethod
    def below(cls, bound: float) -> Region:
        return cls(high=float(bound))

    @classmethod
    def around(cls, target: float, tolerance: float) -> Region:
        if not tolerance > 0:
            raise GedigError(f"a value region needs a positive tolerance (got {tolerance})")
        return cls(low=float(target) - float(tolerance), high=float(target) + float(tolerance), closed=True)

    def outcome(self, low: float, high: float) -> str:
        """Where the interval ``[low, high]`` lies: ``inside``, ``outside`` or ``straddles`` the region.
        A point (``low == high``) is never said to straddle, except on an excluded edge it equals."""
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise GedigError(f"an interval needs finite ends with low ≤ high (got [{low}, {high}])")
        if self.nonzero:
            return INSIDE if low > 0 or high < 0 else STRADDLES
        if self.closed:
            if self.low <= low and high <= self.high:
                return INSIDE
            return OUTSIDE if high < self.low or low > self.high else STRADDLES
        if self.low < low and high < self.high:
            return INSIDE
        return OUTSIDE if high <= self.low or low >= self.high else STRADDLES

    def text(self) -> str:
        """The region as the claims page prints it: '> 0', '< 0.05', '[+0.080, +0.140]', '≠ 0'."""
        if self.nonzero:
            return "≠ 0"
        if self.closed:
            return f"[{_num(self.low)}, {_num(self.high)}]"
        return f"> {_bound(self.low)}" if math.isinf(self.high) else f"< {_bound(self.high)}"


def _bound(x: float) -> str:
    return f"{x:g}"


def _num(x: float) -> str:
    """As ``gedig.util.text.format_value`` writes the measured values beside it."""
    return format_value(float(x))


def combine(outcomes: Iterable[str]) -> str:
    """A claim's verdict from its distinct measurements' outcomes: every one inside, reproduced; any
    outside, not reproduced, or partly reproduced when some other lies inside; else inconclusive
    (some straddle and none lies outside)."""
    seen = list(outcomes)
    unknown = set(seen) - set(OUTCOMES)
    if not seen or unknown:
        raise GedigError(f"a verdict needs at least one outcome among {OUTCOMES} (got {seen})")
    if OUTSIDE in seen:
        return "partly reproduced" if INSIDE in seen else "not reproduced"
    return "reproduced" if set(seen) == {INSIDE} else "inconclusive"


def detectable(mde: float, effect: float) -> bool:
    """Whether a design whose smallest detectable effect (80 % power, two-sided 5 %) is ``mde`` can
    see an effect of size ``effect``: |effect| ≥ mde. A design with no finite MDE detects nothing."""
    return math.isfinite(mde) and mde > 0 and abs(effect) >= mde


def undetectable_reason(mde: float, effect: float, unit: str = "") -> str:
    """'this design detects effects ≥ 0.91 pp; the paper's is 0.33 pp' (or that it detects none)."""
    if not (math.isfinite(mde) and mde > 0):
        return f"this design cannot detect any effect (no finite detectable effect); the paper's is {abs(effect):.2f}{unit}"
    return f"this design detects effects ≥ {mde:.2f}{unit}; the paper's is {abs(effect):.2f}{unit}"
