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

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not checkable offline", "not applicable")
"""'not checkable offline': no model is bound to the claim's system under the profile. 'not applicable':
a model is bound, and the chapter states why the claim cannot be asked of it (it has fewer layers
than the claim is about, or a measure is missing for a reason the chapter recorded)."""
RARE_VERDICTS = ("not applicable",)
"""Verdicts a tally lists only when some claim has them (the stand-in and paper profiles have none)."""
WHY_MISSING = "why_missing."
"""A chapter that cannot compute a measure for a stated reason writes ``why_missing.<key>: reason``."""


class NotApplicable(GedigError):
    """A claim that cannot be asked of the bound model, with the chapter's stated reason and the
    measure keys that state it (they name the chapter a reader should open)."""

    def __init__(self, reason: str, where: list[str]) -> None:
        super().__init__(reason)
        self.where = where


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


def home(claim: dict[str, Any]) -> str:
    """The chapter whose registry entry declares the claim's first measure (``gedig.book.chapters``):
    where a reader checks it, whether or not a model was bound to its system."""
    from .chapters import of_measure

    keys = claim.get("measures", [])
    chapter = of_measure(keys[0].replace("{layer}", "0")) if keys else None
    if chapter is None:
        raise GedigError(f"claim {claim['id']}: no chapter declares its measure {keys[0] if keys else '(none)'} (gedig.book.chapters)")
    return chapter.name


def chapter_of(claim: dict[str, Any], source: Mapping[str, str], keys: list[str] | None = None) -> str:
    """The chapter a reader should open for a claim: the notebook that wrote its first measure
    (``keys``: the claim's measures with their templates expanded), else its home chapter."""
    keys = keys if keys is not None else claim.get("measures", [])
    return source.get(keys[0]) if keys and keys[0] in source else home(claim)


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


def paper_values(claim: dict[str, Any]) -> list[float]:
    """A value claim's paper values, each a number or a reference resolved from ``gedig/paper`` (``gedig.paper.paper_value``)."""
    from ..paper import paper_value

    raw = claim["paper_value"] if isinstance(claim["paper_value"], list) else [claim["paper_value"]]
    try:
        return [paper_value(v) if isinstance(v, str) else float(v) for v in raw]
    except KeyError as exc:
        raise GedigError(f"claim {claim['id']}: {exc.args[0]}") from None


def _verdict_value(values: list[float], claim: dict[str, Any]) -> str:
    targets = paper_values(claim)
    targets = targets if isinstance(claim["paper_value"], list) else targets * len(values)
    if len(targets) != len(values):
        raise GedigError(f"claim {claim['id']}: {len(targets)} paper values for {len(values)} measures")
    tol = float(claim["tolerance"])
    close = [abs(v - float(t)) <= tol for v, t in zip(values, targets, strict=True)]
    same_sign = [v * float(t) > 0 for v, t in zip(values, targets, strict=True)]
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


def bindings(measures: Mapping[str, Any]) -> tuple[str, dict[str, str | None]]:
    """The profile the chapters ran under and the model each system was bound to (``None``: none)."""
    systems = {k.split(".", 1)[1]: v for k, v in measures.items() if k.startswith("systems.")}
    return str(measures.get("profile", "?")), systems


def _layer_band(band: str) -> tuple[int, float]:
    if band.endswith("+"):
        return int(band[:-1]), float("inf")
    lo, _, hi = band.partition("-")
    return int(lo), float(hi or lo)


def layer_count_key(template: str) -> str:
    """Where a chapter records how many layers a per-layer measure family covers: the key up to the
    ``{layer}`` segment, then ``n_layers`` (``h2.bert.published.layer{layer}.F`` → ``h2.bert.published.n_layers``)."""
    return template.split("{layer}")[0].rpartition(".")[0] + ".n_layers"


def expand(claim: dict[str, Any], measures: Mapping[str, Any]) -> list[str]:
    """The claim's measure keys, each ``{layer}`` template expanded over the layers in its band
    that the chapter measured (in layer order). A band the model does not reach (its recorded
    layer count, ``layer_count_key``) raises ``NotApplicable`` with the reason; an empty band
    without a recorded count is a bug and a loud error."""
    keys = []
    for key in claim.get("measures", []):
        if "{layer}" not in key:
            keys.append(key)
            continue
        lo, hi = _layer_band(str(claim.get("layers", "0+")))
        head, tail = key.split("{layer}")
        found = sorted(
            int(k[len(head) : -len(tail) or None])
            for k in measures
            if k.startswith(head) and k.endswith(tail) and k[len(head) : -len(tail) or None].isdigit()
        )
        band = [k for k in found if lo <= k <= hi]
        if not band:
            n_layers = measures.get(layer_count_key(key))
            if isinstance(n_layers, int) and n_layers <= lo and found == list(range(n_layers)):
                raise NotApplicable(
                    f"the model has {n_layers} layers; the claim is about layers {claim.get('layers')}", [layer_count_key(key)]
                )
            raise GedigError(
                f"claim {claim['id']}: no measure {key} for layers {claim.get('layers')} (the chapter measured layers {found})"
            )
        keys += [key.format(layer=k) for k in band]
    return keys


def chapter_verdicts(measures: Mapping[str, Any], chapter: str) -> pd.DataFrame:
    """The verdicts of one chapter's claims, from that chapter's own measures (for its takeaway):
    the claims whose home it is (``home``) that it measured, could not ask of the bound model, or
    that no model could answer under its profile. Robustness shares come later, from chapter 7,
    and are left out here."""
    _, bound = bindings(measures)
    mine = []
    for claim in load_registry():
        if home(claim) != chapter:
            continue
        try:
            keys = expand(claim, measures)
        except NotApplicable:
            keys = []
        except GedigError:  # a band the chapter did not measure: not this build's claim
            continue
        unbound = any(bound.get(s) is None for s in claim.get("systems", []))
        if unbound or all(k in measures for k in keys):
            mine.append({**claim, "robustness": None})
    return evaluate(measures, mine, sources=dict.fromkeys(measures, chapter))


def verdict_sentence(verdicts: pd.DataFrame) -> str:
    """'Verdicts here: reproduced: A, B; not reproduced: C.' in the badges' words ('' for a chapter without claims)."""
    if verdicts.empty:
        return ""
    parts = []
    for v in VERDICTS:
        for origin, words in (("paper", None), ("ours", OURS_WORDS)):
            ids = verdicts[(verdicts["verdict"] == v) & (verdicts["origin"] == origin)]["id"].tolist()
            if ids:
                parts.append(f"{(words or {}).get(v, v)}: " + ", ".join(f"`{i}`" for i in ids))
    return "Verdicts here: " + "; ".join(parts) + "." if parts else ""


def evaluate(
    measures: Mapping[str, Any], registry: list[dict[str, Any]] | None = None, sources: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per claim: the paper's words and value, what we measured and with which model, the
    predicate, the verdict, the measured values themselves and (given the measures' ``sources``)
    the chapter to open. A claim whose system has no model under the chapters' profile is not
    checkable there, and says why."""
    from .profiles import UNBOUND_WHY

    profile, bound = bindings(measures)
    rows = []
    for claim in registry if registry is not None else load_registry():
        check = claim["check"]
        if check not in CHECKS:
            raise GedigError(f"claim {claim['id']}: unknown check {check!r}")
        systems = claim.get("systems", [])
        unknown = [s for s in systems if s not in bound]
        if unknown:
            raise GedigError(f"claim {claim['id']}: no chapter recorded which model system(s) {unknown} were bound to")
        values: dict[str, Any] = {}
        keys: list[str] = []
        unbound = [s for s in systems if bound[s] is None]
        measured, why, reason = "—", "", "—"
        if unbound:
            verdict = "not checkable offline"
            why = "; ".join(UNBOUND_WHY.get(s, f"no model is bound to {s} under profile {profile}") for s in unbound)
        else:
            try:
                keys = expand(claim, measures)
                stated = {k: measures[WHY_MISSING + k] for k in keys if k not in measures and WHY_MISSING + k in measures}
                if stated:
                    raise NotApplicable(
                        "; ".join(f"{_short(k)}: {reason}" for k, reason in stated.items()), [WHY_MISSING + k for k in stated]
                    )
            except NotApplicable as exc:
                keys = exc.where
                verdict = "not applicable"
                named = ", ".join(f"{bound[s]}" for s in systems) or "the bound model"
                why = measured = f"not applicable to {named}: {exc}"
                reason = f"not applicable ({exc})"
            else:
                missing = [k for k in keys if k not in measures or measures[k] is None]
                if missing:
                    raise GedigError(f"claim {claim['id']} needs measures no notebook produced: {missing}")
                values = {k: measures[k] for k in keys}
                verdict = CHECKS[check](list(values.values()), claim)
                measured = "; ".join(f"{_short(k)} = {format_value(v, k)}" for k, v in values.items())
        models = {s: bound[s] for s in systems}
        rows.append(
            {
                "id": claim["id"],
                "origin": claim.get("origin", "paper"),
                "robustness": None if unbound or verdict == "not applicable" else robustness(claim, measures),
                "section": claim["section"],
                "claim": claim["claim"],
                "paper": claim.get("paper", ""),
                "author_code": claim.get("author_code", ""),
                "measured": measured,
                "predicate": why or _describe(claim),
                "verdict": verdict,
                "values": values,
                "ours": _labelled(values, models) or reason,
                "systems": systems,
                "models": models,
                "answered_by": "; ".join(_model_label(s, m) for s, m in models.items()) or "—",
                "profile": profile,
                "chapter": chapter_of(claim, sources or {}, keys or None),
            }
        )
    return pd.DataFrame(rows)


def _model_label(system: str, model: str | None) -> str:
    from .profiles import SYSTEMS, system_label

    return f"no model (for {SYSTEMS[system]})" if model is None else system_label(system, model)


def _labelled(values: Mapping[str, Any], models: Mapping[str, str | None]) -> str:
    """Each measured value with the model that gave it: 'minilm-l6 (for BERT): +0.072'. A key names
    its system (h1.bert.…); a key that names none belongs to the claim's one system."""
    out = []
    for key, value in values.items():
        system = next((s for s in models if f".{s}." in f".{key}."), None)
        if system is None and len(models) == 1:
            system = next(iter(models))
        label = f"{_model_label(system, models[system])}: " if system else ""
        out.append(f"{label}{format_value(value, key)}")
    return "; ".join(out)


def robustness(claim: dict[str, Any], measures: Mapping[str, Any]) -> float | None:
    """The share of specifications (chapter 7's curve) in which the claim's predicate holds, for a
    claim that names per-specification measures under ``robustness``; None for the others, and
    for a system chapter 7 did not score under this profile (``spec.systems`` lists those it did)."""
    keys = claim.get("robustness")
    if not keys:
        return None
    covered = measures.get("spec.systems")
    if covered is not None and not all(any(f"spec.{s}." in k for s in covered) for k in keys):
        return None
    missing = [k for k in keys if k not in measures or not isinstance(measures[k], list)]
    if missing:
        raise GedigError(f"claim {claim['id']} needs per-specification measures no notebook produced: {missing}")
    columns = [measures[k] for k in keys]
    if len({len(c) for c in columns}) != 1 or not columns[0]:
        raise GedigError(f"claim {claim['id']}: its per-specification measures differ in length or are empty")
    held = [CHECKS[claim["check"]](list(values), claim) == "reproduced" for values in zip(*columns, strict=True)]
    return float(np.mean(held))


OURS_WORDS = {
    "reproduced": "holds",
    "partly reproduced": "partly holds",
    "not reproduced": "does not hold",
    "not applicable": "not applicable",
}


def tally(table: pd.DataFrame, origin: str = "paper") -> dict[str, int]:
    """Verdict counts, in ``VERDICTS`` order, of the paper's claims (``origin='paper'``) or of the
    companion's own findings (``'ours'``); a rare verdict is listed only when some claim has it.
    Every count the book, the lock and the README show comes from here."""
    if "origin" in table.columns:
        table = table[(table["origin"] == "ours") == (origin == "ours")]
    counts = {v: int((table["verdict"] == v).sum()) for v in VERDICTS}
    return {v: n for v, n in counts.items() if n or v not in RARE_VERDICTS}


def tally_words(table: pd.DataFrame, origin: str = "paper", *, zeros: bool = True) -> list[tuple[str, int]]:
    """``tally`` in the badges' words ('holds' for a finding of ours), zeros left out unless ``zeros``."""
    words = OURS_WORDS if origin == "ours" else {}
    return [(words.get(v, v), n) for v, n in tally(table, origin).items() if (n or zeros) and (origin != "ours" or v in OURS_WORDS)]


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _describe(claim: dict[str, Any]) -> str:
    check = claim["check"]
    if check == "value":
        target = " / ".join(f"{v:g}" for v in paper_values(claim))
        return f"|measured − {target}| ≤ {claim['tolerance']} (same sign: partly)"
    if check in ("above", "below"):
        return f"each {'>' if check == 'above' else '<'} {claim['bound']} (some: partly)"
    if check == "true":
        return "each holds (some: partly)"
    return claim.get("why_offline", "needs a model or data set that cannot be had offline")


BADGES = {
    "reproduced": "success",
    "partly reproduced": "warning",
    "not reproduced": "danger",
    "not checkable offline": "muted",
    "not applicable": "secondary",
}


def _md(text: Any) -> str:
    return str(text).replace("\n", " ").strip()


def _tally_line(rows: pd.DataFrame) -> str:
    """Verdict counts in the words of the badges: the paper's verdicts, and 'holds'/'does not hold'
    for the companion's own findings."""
    paper = [f"{n} {w}" for w, n in tally_words(rows, zeros=False)]
    ours = [f"{n} {w} (ours)" for w, n in tally_words(rows, "ours", zeros=False)]
    return " · ".join(paper + ours)


SHARE_NOTE = (
    "*Holds in N % of specifications* (on H1 and H2 claims): the share of chapter 7's specifications (λ × γ × threshold × "
    "term definitions) in which the claim's own predicate holds; for a value claim, the value lands within the tolerance. "
    "Chapter 7's own share, the share of specifications whose 95 % CI lies above 0, answers a different question, whether "
    "the effect is there at all ({ref}`its definition <spec-share>`)."
)


def render_markdown(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The claims page body (MyST): the overall tally, then one section per chapter with its own
    tally and one line per claim that leads with its verdict badge, then the claim, the paper's
    value and ours (each labelled with its model); the predicate, the model and profile that
    answered it, the author's-code note and the measures fold out below it."""
    out = ["**The paper's claims:** " + " · ".join(f"{{bdg-{BADGES[v]}}}`{v}` {n}" for v, n in tally(table).items())]
    mine = {v: n for v, n in tally(table, "ours").items() if n and v in OURS_WORDS}
    if mine:
        out[0] += "  \n**This companion's findings** ({bdg-info}`ours`): " + " · ".join(
            f"{{bdg-{BADGES[v]}}}`{OURS_WORDS[v]}` {n}" for v, n in mine.items()
        )
    profile = table["profile"].iloc[0] if "profile" in table.columns and len(table) else "?"
    out += [
        "",
        f"Every value below was measured under the book profile `{profile}`; each is labelled with the model that gave it.",
        "",
        SHARE_NOTE,
        "",
    ]
    for chapter, rows in table.groupby("chapter", sort=True):
        title = (titles or {}).get(chapter, chapter)
        link = f"{{doc}}`open the chapter <executed/{chapter}>` · " if chapter != "?" else ""
        out += [f"## {title if chapter != '?' else 'Other'}", "", f"{link}{len(rows)} claims: {_tally_line(rows)}", ""]
        for r in rows.itertuples():
            word = OURS_WORDS.get(r.verdict, r.verdict) if r.origin == "ours" else r.verdict
            mark = "{bdg-info}`ours` " if r.origin == "ours" else ""
            robust = "" if r.robustness is None or pd.isna(r.robustness) else f" — holds in {r.robustness:.0%} of specifications"
            head = f"{{bdg-{BADGES[r.verdict]}}}`{word}` {mark}{_md(r.claim)} — paper: {_md(r.paper) or '—'} — ours: {_md(r.ours)}{robust}"
            out += [
                f":::{{dropdown}} {head}",
                f":name: claim-{r.id}",
                "",
                f"- **Predicate:** {_md(r.predicate)}",
                f"- **Answered by:** {_md(r.answered_by)}, profile `{r.profile}`",
                f"- **Measured here:** {_md(r.measured)}",
                f"- **The author's code:** {_md(r.author_code) or '—'}",
                f"- **Claim** `{r.id}`, paper section {_md(r.section)}",
                ":::",
                "",
            ]
    return "\n".join(out) + "\n"
