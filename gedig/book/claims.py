"""The claims registry: each checkable statement of the paper, a predicate, and a computed verdict.

Notebooks write what they measured to small JSON files (flat ``key: value``); ``evaluate`` reads
them, applies each claim's predicate and returns a table whose verdicts come from the data, never
from the registry text. A measure a claim needs but no notebook wrote is an error, not a blank.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import GedigError
from ..util.text import format_value
from .measures import CI
from .verdicts import INSIDE, OUTSIDE, Region, combine, detectable, undetectable_reason

VERDICTS = ("reproduced", "partly reproduced", "inconclusive", "not reproduced", "not checkable offline", "not applicable")
"""'reproduced': every distinct measurement's interval lies inside the claim's acceptance region;
'not reproduced': some lies outside it ('partly reproduced' when another lies inside); 'inconclusive':
an interval straddles the region's edge and none lies outside, or the design cannot detect the
paper's effect (``gedig.book.verdicts``). 'not checkable offline': no model is bound to the claim's
system under the profile. 'not applicable': a model is bound, and the chapter states why the claim cannot be asked of it (it has fewer layers
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
    chapter = of_measure(re.sub(r"\{\w+\}", "0", keys[0])) if keys else None
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


def paper_values(claim: dict[str, Any], field: str = "paper_value") -> list[float]:
    """A value claim's paper values, each a number or a reference resolved from ``gedig/paper`` (``gedig.paper.paper_value``)."""
    from ..paper import paper_value

    raw = claim[field] if isinstance(claim[field], list) else [claim[field]]
    try:
        return [paper_value(v) if isinstance(v, str) else float(v) for v in raw]
    except KeyError as exc:
        raise GedigError(f"claim {claim['id']}: {exc.args[0]}") from None


CHECKS = ("value", "above", "below", "nonzero", "true")
"""value: the paper's value ± tolerance; above/below: the claimed side of ``bound``; nonzero: an
interval that excludes 0; true: a yes/no an exact computation answers. ``check`` may be a list, one
per measure (before templates are expanded)."""


def regions(claim: dict[str, Any], pairs: list[tuple[int, str]]) -> list[Region | None]:
    """Each expanded measure key's acceptance region (None: a yes/no of an exact check), from the
    claim's ``check`` (one, or one per measure template), ``bound``, ``paper_value`` and ``tolerance``;
    ``pairs``: (the template's index, the key) as ``expand_pairs`` gives them."""
    templates = claim.get("measures", [])
    raw = claim["check"]
    checks = raw if isinstance(raw, list) else [raw] * len(templates)
    if len(checks) != len(templates) or any(c not in CHECKS for c in checks):
        raise GedigError(f"claim {claim['id']}: check must be one of {CHECKS}, or a list of them, one per measure (got {raw!r})")
    if "value" in checks:
        targets = paper_values(claim)
        if len(targets) == 1:
            targets = targets * len(templates)
        if len(targets) != len(templates):
            raise GedigError(f"claim {claim['id']}: {len(targets)} paper values for {len(templates)} measures")
    out: list[Region | None] = []
    for i, _key in pairs:
        c = checks[i]
        if c == "value":
            out.append(Region.around(targets[i], float(claim["tolerance"])))
        elif c in ("above", "below"):
            out.append(getattr(Region, c)(float(claim["bound"])))
        elif c == "nonzero":
            out.append(Region(nonzero=True))
        else:
            out.append(None)
    return out


def outcome(claim: dict[str, Any], key: str, region: Region | None, measures: Mapping[str, Any]) -> tuple[str, list[float] | None]:
    """One measure's outcome against its region, and its interval: the 95 % interval the chapter
    wrote as ``ci.<key>`` for a claim decided on intervals, the value itself for an exact claim."""
    value = measures[key]
    if region is None:
        if not isinstance(value, bool):
            raise GedigError(f"claim {claim['id']}: a yes/no check needs a yes/no measure; {key} = {value!r}")
        return (INSIDE if value else OUTSIDE), None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GedigError(f"claim {claim['id']}: measure {key} = {value!r} is not a number")
    if "interval" not in claim:
        return region.outcome(float(value), float(value)), None
    ci = measures.get(CI + key)
    if not (isinstance(ci, list) and len(ci) == 2 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in ci)):
        raise GedigError(
            f"claim {claim['id']} is decided on intervals, but {CI}{key} is {ci!r}, not [low, high]: "
            f"the chapter {home(claim)} must write the 95 % interval of {key}"
        )
    lo, hi = float(ci[0]), float(ci[1])
    return region.outcome(lo, hi), [lo, hi]


def distinct(keys: list[str], models: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The claim's distinct measurements: systems bound to one model give one measurement, kept under
    its first system's key; each key maps to the systems it stands for."""
    out: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for key in keys:
        system = system_of(key, models)
        if system is None:
            out[key] = list(models)
            continue
        model = models[system]
        canonical = f".{key}.".replace(f".{system}.", f".<{model}>.", 1)
        if canonical in seen:
            out[seen[canonical]].append(system)
        else:
            seen[canonical] = key
            out[key] = [system]
    return out


def system_of(key: str, models: Mapping[str, Any]) -> str | None:
    """The system a measure key names (``h1.bert.…`` → ``bert``); a key that names none belongs to the
    claim's one system, if it has one."""
    named = [s for s in models if f".{s}." in f".{key}."]
    if named:
        return max(named, key=len)
    return next(iter(models)) if len(models) == 1 else None


def decide(
    claim: dict[str, Any], pairs: list[tuple[int, str]], measures: Mapping[str, Any], models: Mapping[str, str | None]
) -> dict[str, Any]:
    """A claim's verdict from its expanded measure keys: each distinct measurement's outcome against
    its region, combined (``gedig.book.verdicts.combine``); an effect the design cannot detect makes
    it inconclusive. Returns the verdict, the kept keys with the systems each stands for, their
    outcomes and intervals, and the detectability sentence."""
    keys = [k for _, k in pairs]
    all_regions = dict(zip(keys, regions(claim, pairs), strict=True))
    kept = distinct(keys, models)
    outcomes, intervals = {}, {}
    for key in kept:
        outcomes[key], interval = outcome(claim, key, all_regions[key], measures)
        if interval is not None:
            intervals[key] = interval
    verdict = combine(outcomes.values())
    detect = ""
    spec = claim.get("detectable")
    if spec:
        if spec["mde"] not in measures:
            raise GedigError(f"claim {claim['id']}: its detectable effect {spec['mde']} was not measured")
        mde = measures[spec["mde"]]
        mde = math.nan if mde is None else mde  # written as missing: the design detects no effect (no spread, or < 2 seeds)
        if not isinstance(mde, (int, float)) or isinstance(mde, bool):
            raise GedigError(f"claim {claim['id']}: its detectable effect {spec['mde']} is {mde!r}, not a number")
        effect = paper_values({**spec, "id": claim["id"]}, "effect")[0]
        unit = spec.get("unit", "")
        if detectable(float(mde), effect):
            detect = f"detects effects ≥ {float(mde):.2f}{unit}; the paper's is {abs(effect):.2f}{unit}"
        else:
            verdict = "inconclusive"
            detect = undetectable_reason(float(mde), effect, unit)
    return {
        "verdict": verdict,
        "kept": kept,
        "regions": {k: all_regions[k] for k in kept},
        "outcomes": outcomes,
        "intervals": intervals,
        "detectable": detect,
    }


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
    """The claim's measure keys with their templates expanded (``expand_pairs``)."""
    return [k for _, k in expand_pairs(claim, measures)]


def expand_pairs(claim: dict[str, Any], measures: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The claim's measure keys, each with the index of its template. A ``{layer}`` template expands
    over the layers in the claim's band that the chapter measured (in layer order); a band the model
    does not reach (its recorded layer count, ``layer_count_key``) raises ``NotApplicable`` with the
    reason; an empty band without a recorded count is a bug and a loud error. Any other field
    (``{bin}``, ``{alpha}``) expands over every key the chapter wrote for it, in numeric order; none is
    an error."""
    pairs: list[tuple[int, str]] = []
    for i, key in enumerate(claim.get("measures", [])):
        field = re.search(r"\{(\w+)\}", key)
        if field is None:
            pairs.append((i, key))
            continue
        head, tail = key.split(field.group(0), 1)
        found = [
            k[len(head) : len(k) - len(tail)]
            for k in measures
            if k.startswith(head) and k.endswith(tail) and len(k) > len(head) + len(tail)
        ]
        found = sorted((f for f in found if _numeric(f) is not None), key=float)
        if field.group(1) != "layer":
            if not found:
                raise GedigError(f"claim {claim['id']}: no measure {key} was written (no value of {{{field.group(1)}}})")
            pairs += [(i, f"{head}{f}{tail}") for f in found]
            continue
        lo, hi = _layer_band(str(claim.get("layers", "0+")))
        layers = sorted(int(f) for f in found if f.isdigit())
        band = [k for k in layers if lo <= k <= hi]
        if not band:
            n_layers = measures.get(layer_count_key(key))
            if isinstance(n_layers, int) and n_layers <= lo and layers == list(range(n_layers)):
                raise NotApplicable(
                    f"the model has {n_layers} layers; the claim is about layers {claim.get('layers')}", [layer_count_key(key)]
                )
            raise GedigError(
                f"claim {claim['id']}: no measure {key} for layers {claim.get('layers')} (the chapter measured layers {layers})"
            )
        pairs += [(i, f"{head}{k}{tail}") for k in band]
    return pairs


def _numeric(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


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
    """One row per claim: the paper's words and value, what we measured and with which model, each
    distinct measurement's interval, acceptance region and outcome, the verdict (``decide``), the
    detectability of an effect claim, and (given the measures' ``sources``) the chapter to open. A
    claim whose system has no model under the chapters' profile is not checkable there, and says why."""
    from .profiles import UNBOUND_WHY

    profile, bound = bindings(measures)
    rows = []
    for claim in registry if registry is not None else load_registry():
        systems = claim.get("systems", [])
        unknown = [s for s in systems if s not in bound]
        if unknown:
            raise GedigError(f"claim {claim['id']}: no chapter recorded which model system(s) {unknown} were bound to")
        models = {s: bound[s] for s in systems}
        keys: list[str] = []
        decided: dict[str, Any] = {"kept": {}, "regions": {}, "outcomes": {}, "intervals": {}, "detectable": ""}
        unbound = [s for s in systems if bound[s] is None]
        measured, why, reason = "—", "", "—"
        if unbound:
            verdict = "not checkable offline"
            why = "; ".join(UNBOUND_WHY.get(s, f"no model is bound to {s} under profile {profile}") for s in unbound)
        else:
            try:
                pairs = expand_pairs(claim, measures)
                keys = [k for _, k in pairs]
                stated = {k: measures[WHY_MISSING + k] for k in keys if k not in measures and WHY_MISSING + k in measures}
                if "interval" in claim:  # an estimate whose interval the chapter could not compute, for a reason it wrote
                    stated |= {k: measures[WHY_MISSING + CI + k] for k in keys if WHY_MISSING + CI + k in measures and k not in stated}
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
                decided = decide(claim, pairs, measures, models)
                verdict = decided["verdict"]
                measured = "; ".join(
                    f"{_short(k)} = {format_value(measures[k], k)}{_interval_text(decided['intervals'].get(k))}" for k in decided["kept"]
                )
        values = {k: measures[k] for k in decided["kept"]}
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
                "intervals": decided["intervals"],
                "outcomes": decided["outcomes"],
                "region": "; ".join(dict.fromkeys(r.text() if r else "yes" for r in decided["regions"].values())) or "—",
                "decided_on": _decided_on(claim),
                "detectable": decided["detectable"],
                "ours": _labelled(values, decided["intervals"], decided["kept"], models) or reason,
                "systems": systems,
                "models": models,
                "answered_by": answered_by(models) or "—",
                "profile": profile,
                "chapter": chapter_of(claim, sources or {}, keys or None),
            }
        )
    return pd.DataFrame(rows)


def _decided_on(claim: dict[str, Any]) -> str:
    """How a claim is decided: 'interval: <unit>' or 'exact: <why>' (the registry says which)."""
    if ("interval" in claim) == ("exact" in claim):
        raise GedigError(f"claim {claim['id']}: say either how its interval is made (interval: …) or why it is exact (exact: …)")
    return f"95 % interval over {claim['interval']}" if "interval" in claim else f"exact: {claim['exact']}"


def _interval_text(interval: list[float] | None) -> str:
    return f" [{format_value(interval[0])}, {format_value(interval[1])}]" if interval else ""


def answered_by(models: Mapping[str, str | None]) -> str:
    """The models that answered a claim, each named once with the systems it stands for:
    'smollm2-135m (for GPT-2, Llama 3.0 8B, Llama 3.1 8B); minilm-l6 (for BERT)'."""
    groups: dict[str | None, list[str]] = {}
    for s, m in models.items():
        groups.setdefault(m, []).append(s)
    return "; ".join(_group_label(m, ss) for m, ss in groups.items())


def _group_label(model: str | None, systems: list[str]) -> str:
    from .profiles import SYSTEMS, system_label

    if len(systems) == 1:
        return _model_label(systems[0], model)
    names = ", ".join(SYSTEMS[s] for s in systems)
    return f"no model (for {names})" if model is None else f"{model} (for {names})" if system_label(systems[0], model) != model else model


def _model_label(system: str, model: str | None) -> str:
    from .profiles import SYSTEMS, system_label

    return f"no model (for {SYSTEMS[system]})" if model is None else system_label(system, model)


def _labelled(
    values: Mapping[str, Any], intervals: Mapping[str, list[float]], kept: Mapping[str, list[str]], models: Mapping[str, str | None]
) -> str:
    """Each distinct measured value with its interval and the model that gave it, named once with
    the systems it stands for: 'smollm2-135m (for GPT-2, Llama 3.0 8B): +0.097 [+0.090, +0.104]'."""
    out = []
    groups: dict[str, list[str]] = {}
    for key in values:
        groups.setdefault(",".join(kept.get(key) or []), []).append(key)
    for key, value in values.items():
        systems = kept.get(key) or []
        label = _group_label(models[systems[0]], systems) if systems and all(s in models for s in systems) else ""
        siblings = groups[",".join(systems)]
        which = _distinguishing(key, siblings) if len(siblings) > 1 else ""
        label = ", ".join(p for p in (label, which) if p)
        out.append(f"{label + ': ' if label else ''}{format_value(value, key)}{_interval_text(intervals.get(key))}")
    return "; ".join(out)


def _segments(key: str) -> list[str]:
    """A measure key's dot-separated parts, a number's decimals kept with it ('q=0.8', 'alpha0.001')."""
    return re.findall(r"[^.]+(?:\.\d+)*", key)


def _distinguishing(key: str, siblings: list[str]) -> str:
    """The parts of ``key`` that tell it from the other measures of the same model ('random', 'layer3')."""
    parts = [_segments(k) for k in siblings]
    mine = _segments(key)
    if any(len(p) != len(mine) for p in parts):
        return _short(key)
    return ".".join(seg for i, seg in enumerate(mine) if len({p[i] for p in parts}) > 1)


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
    if len(keys) != len(claim.get("measures", [])):
        raise GedigError(
            f"claim {claim['id']}: name one per-specification measure per measure ({len(keys)} for {len(claim.get('measures', []))})"
        )
    spec_regions = regions(claim, list(enumerate(keys)))
    held = [
        all(r is not None and r.outcome(float(v), float(v)) == INSIDE for r, v in zip(spec_regions, values, strict=True))
        for values in zip(*columns, strict=True)
    ]
    return float(np.mean(held))


OURS_WORDS = {
    "reproduced": "holds",
    "partly reproduced": "partly holds",
    "inconclusive": "inconclusive",
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
    """The predicate in words: how it is decided and what its region is."""
    how = _decided_on(claim)
    rule = (
        "inside the region: reproduced; outside: not reproduced (partly, when another model's lies inside); straddling: inconclusive"
        if "interval" in claim
        else "each holds: reproduced; some: partly; none: not reproduced"
    )
    return f"{how}; {rule}"


BADGES = {
    "reproduced": "success",
    "partly reproduced": "warning",
    "inconclusive": "primary",
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
    "term definitions) in which the claim's own point value lies in its acceptance region. "
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
        f"Every value below was measured under the book profile `{profile}`; each is labelled with the model that gave it "
        "(a model that stands for several of the paper's systems is one measurement, named once with them).",
        "",
        "Each estimate is shown with its 95 % interval `[low, high]` and decided by where that interval lies against the claim's "
        "acceptance region (the claimed side of a bound, or the paper's value ± a tolerance for what a stand-in may differ by): "
        "inside, reproduced; outside, not reproduced; straddling its edge, **inconclusive**. A claim about an effect size also "
        "names the smallest effect its design detects with 80 % power (two-sided 5 %); when the paper's effect is smaller, the "
        "verdict is inconclusive whatever the interval says. Exact computations are checked as points and say so.",
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
            region = f" — region: {_md(r.region)}" if r.region and r.region != "—" else ""
            detect = f" — {_md(r.detectable)}" if r.detectable else ""
            head = (
                f"{{bdg-{BADGES[r.verdict]}}}`{word}` {mark}{_md(r.claim)} — paper: {_md(r.paper) or '—'} — ours: {_md(r.ours)}"
                f"{region}{detect}{robust}"
            )
            out += [
                f":::{{dropdown}} {head}",
                f":name: claim-{r.id}",
                "",
                f"- **Decided on:** {_md(r.decided_on)}",
                f"- **Acceptance region:** {_md(r.region)}; outcome per measurement: "
                + (", ".join(f"{_short(k)} {o}" for k, o in r.outcomes.items()) or "—"),
                f"- **Detectable effect:** {_md(r.detectable) or '— (not an effect-size claim)'}",
                f"- **Predicate:** {_md(r.predicate)}",
                f"- **Answered by:** {_md(r.answered_by)}, profile `{r.profile}`",
                f"- **Measured here:** {_md(r.measured)}",
                f"- **The author's code:** {_md(r.author_code) or '—'}",
                f"- **Claim** `{r.id}`, paper section {_md(r.section)}",
                ":::",
                "",
            ]
    return "\n".join(out) + "\n"
