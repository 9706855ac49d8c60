"""How a measured value is written in reports: the claims page, the lock check and the README."""

from __future__ import annotations

from typing import Any


def format_value(v: Any, key: str = "") -> str:
    """A value as the book prints it: yes/no, p-values with 2 significant digits, small numbers in
    scientific notation, others signed with 3 decimals, large ones with 3 significant digits."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and (".p_" in key or key.endswith("_p")):
        return f"{v:.2g}"
    if isinstance(v, float):
        return f"{v:.2e}" if (v != 0 and abs(v) < 1e-3) else f"{v:+.3f}" if abs(v) < 10 else f"{v:.3g}"
    return str(v)


def signed(value: float, spec: str = "+.3f") -> str:
    """A number for prose: ``format(value, spec)`` with a real minus sign (U+2212)."""
    return format(value, spec).replace("-", "−")
