"""The claims registry: each checkable statement of the paper, a predicate, and a computed verdict.

Notebooks write what they measured to small JSON files (flat ``key: value``); ``evaluate`` reads
them, applies each claim's predicate and returns a table whose verdicts come from the data, never
from the registry text. A measure a claim needs but no notebook wrote is an error, not a blank.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import GedigError
from ..util.text import format_value

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not checkable offline")
REGISTRY = Path(__file__).with_name("claims.yml")


def load_registry(path: Path | str = REGISTRY) -> list[dict[str, Any]]:
    claims = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    ids = [c["id"] for c in claims]
    if len(ids) != len(set(ids)):
        raise GedigError("claims.yml has duplicate ids")
    return claims


def measure_sources(folder: Path | str) -> tuple[dict[str, Any], dict[str, str]]:
    """All measures of an executed-notebook folder, and for each key the notebook that wrote it."""
    measures: dict[str, Any] = {}
    source: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        measures.update(data)
        source.update(dict.fromkeys(data, path.stem))
    return measures, source


def load_measures(folder: Path | str) -> dict[str, Any]:
    """All ``*.json`` measure files of an executed-notebook folder merged into one dict."""
    return measure_sources(folder)[0]


def chapter_of(claim: dict[str, Any], source: Mapping[str, str]) -> str:
    """The chapter a reader should open for a claim: its ``chapter`` field, else the notebook that
    wrote its first measure."""
    if claim.get("chapter"):
        return str(claim["chapter"])
    keys = claim.get("measures", [])
    return source.get(keys[0], "?") if keys else "?"


def write_measures(measures: Mapping[str, Any], path: Path | str) -> None:
    """Write a notebook's measures (floats, bools, ints, strings), atomically."""
    from ..util.io import atomic_write_text

    def clean(v: Any) -> Any:
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    atomic_write_text(json.dumps({k: clean(v) for k, v in measures.items()}, indent=1, sort_keys=True), Path(path))


def _verdict_value(values: list[float], claim: dict[str, Any]) -> str:
    target, tol = float(claim["paper_value"]), float(claim["tolerance"])
    close = [abs(v - target) <= tol for v in values]
    same_sign = [v * target > 0 for v in values]
    if all(close):
        return "reproduced"
    if any(close) or all(same_sign):
        return "partly reproduced"
    return "not reproduced"


def _verdict_bound(values: list[float], claim: dict[str, Any]) -> str:
    bound = float(claim["bound"])
    ok = [(v > bound) if claim["check"] == "above" else (v < bound) for v in values]
    return "reproduced" if all(ok) else "partly reproduced" if any(ok) else "not reproduced"


def _verdict_true(values: list[Any], claim: dict[str, Any]) -> str:
    ok = [bool(v) for v in values]
    return "reproduced" if all(ok) else "partly reproduced" if any(ok) else "not reproduced"


CHECKS = {"value": _verdict_value, "above": _verdict_bound, "below": _verdict_bound, "true": _verdict_true}


def evaluate(
    measures: Mapping[str, Any], registry: list[dict[str, Any]] | None = None, sources: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per claim: the paper's words and value, what we measured, the predicate, the verdict,
    the measured values themselves and (given the measures' ``sources``) the chapter to open."""
    rows = []
    for claim in registry if registry is not None else load_registry():
        check = claim["check"]
        values: dict[str, Any] = {}
        if check == "offline":
            measured, verdict = "—", "not checkable offline"
        else:
            if check not in CHECKS:
                raise GedigError(f"claim {claim['id']}: unknown check {check!r}")
            keys = claim["measures"]
            missing = [k for k in keys if k not in measures or measures[k] is None]
            if missing:
                raise GedigError(f"claim {claim['id']} needs measures no notebook produced: {missing}")
            values = {k: measures[k] for k in keys}
            verdict = CHECKS[check](list(values.values()), claim)
            measured = "; ".join(f"{_short(k)} = {format_value(v, k)}" for k, v in values.items())
        rows.append(
            {
                "id": claim["id"],
                "origin": claim.get("origin", "paper"),
                "robustness": robustness(claim, measures),
                "section": claim["section"],
                "claim": claim["claim"],
                "paper": claim.get("paper", ""),
                "author_code": claim.get("author_code", ""),
                "measured": measured,
                "predicate": _describe(claim),
                "verdict": verdict,
                "values": values,
                "ours": "; ".join(format_value(v, k) for k, v in values.items()) or "—",
                "chapter": chapter_of(claim, sources or {}),
            }
        )
    return pd.DataFrame(rows)


def robustness(claim: dict[str, Any], measures: Mapping[str, Any]) -> float | None:
    """The share of specifications (chapter 7's curve) in which the claim's predicate holds, for a
    claim that names per-specification measures under ``robustness``; None for the others."""
    keys = claim.get("robustness")
    if not keys:
        return None
    missing = [k for k in keys if k not in measures or not isinstance(measures[k], list)]
    if missing:
        raise GedigError(f"claim {claim['id']} needs per-specification measures no notebook produced: {missing}")
    columns = [measures[k] for k in keys]
    if len({len(c) for c in columns}) != 1 or not columns[0]:
        raise GedigError(f"claim {claim['id']}: its per-specification measures differ in length or are empty")
    held = [CHECKS[claim["check"]](list(values), claim) == "reproduced" for values in zip(*columns, strict=True)]
    return float(np.mean(held))


OURS_WORDS = {"reproduced": "holds", "partly reproduced": "partly holds", "not reproduced": "does not hold"}


def tally(table: pd.DataFrame) -> dict[str, int]:
    """Verdict counts (of the paper's claims only, when the table marks the companion's own)."""
    if "origin" in table.columns:
        table = table[table["origin"] != "ours"]
    return {v: int((table["verdict"] == v).sum()) for v in VERDICTS}


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _describe(claim: dict[str, Any]) -> str:
    check = claim["check"]
    if check == "value":
        return f"|measured − {claim['paper_value']}| ≤ {claim['tolerance']} (same sign: partly)"
    if check in ("above", "below"):
        return f"each {'>' if check == 'above' else '<'} {claim['bound']} (some: partly)"
    if check == "true":
        return "each holds (some: partly)"
    return claim.get("why_offline", "needs a model or data set that cannot be had offline")


BADGES = {"reproduced": "success", "partly reproduced": "warning", "not reproduced": "danger", "not checkable offline": "muted"}


def _md(text: Any) -> str:
    return str(text).replace("\n", " ").strip()


def render_markdown(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The claims page body (MyST): the overall tally, then one section per chapter with its own
    tally and one line per claim that leads with its verdict badge, then the claim, the paper's
    value and ours; the predicate, the author's-code note and the measures fold out below it."""
    counts = tally(table)
    n_ours = int((table["origin"] == "ours").sum()) if "origin" in table.columns else 0
    out = ["**The paper's claims:** " + " · ".join(f"{{bdg-{BADGES[v]}}}`{v}` {n}" for v, n in counts.items())]
    if n_ours:
        out[0] += f" · and {n_ours} findings of this companion, marked {{bdg-info}}`ours`"
    out.append("")
    for chapter, rows in table.groupby("chapter", sort=True):
        title = (titles or {}).get(chapter, chapter)
        link = f"{{doc}}`open the chapter <executed/{chapter}>` · " if chapter != "?" else ""
        counts_here = {v: int((rows["verdict"] == v).sum()) for v in VERDICTS}
        sub = " · ".join(f"{n} {v}" for v, n in counts_here.items() if n)
        out += [f"## {title if chapter != '?' else 'Other'}", "", f"{link}{len(rows)} claims: {sub}", ""]
        for r in rows.itertuples():
            word = OURS_WORDS.get(r.verdict, r.verdict) if r.origin == "ours" else r.verdict
            ours = "{bdg-info}`ours` " if r.origin == "ours" else ""
            robust = "" if r.robustness is None or pd.isna(r.robustness) else f" — holds in {r.robustness:.0%} of specifications"
            head = f"{{bdg-{BADGES[r.verdict]}}}`{word}` {ours}{_md(r.claim)} — paper: {_md(r.paper) or '—'} — ours: {_md(r.ours)}{robust}"
            out += [
                f":::{{dropdown}} {head}",
                f":name: claim-{r.id}",
                "",
                f"- **Predicate:** {_md(r.predicate)}",
                f"- **Measured here:** {_md(r.measured)}",
                f"- **The author's code:** {_md(r.author_code) or '—'}",
                f"- **Claim** `{r.id}`, paper section {_md(r.section)}",
                ":::",
                "",
            ]
    return "\n".join(out) + "\n"
