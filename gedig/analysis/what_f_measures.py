"""Chapter 7's study, assembled from the building blocks of ``gedig.analysis.robustness``: every
model scored once per batch on both corpora under all term × threshold configurations, then the
decomposition of ΔF, H1 against the structure-preserving nulls, the specification curves with their
joint tests, H1 and H2 by token length, F against the head statistics, and the chapter's measures.

Systems are the keys of ``systems`` (a paper system, or its untrained twin 'bert@random-init'); the
first corpus is the base of every single-corpus analysis. Nothing here gauges attention twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..gauge.config import GaugeConfig
from ..models.corpora import load_texts
from ..pipeline.scoring import score
from . import robustness as rb

Q = "q 0.9"
"""The paper's threshold: the single-configuration analyses use it."""
NULLS = ("random", "permuted", "entropy_matched")
"""The i.i.d. baseline and the two nulls built from each head's own weights."""
TERM_KEYS = {"ΔEPC": "epc", "ΔH": "h", "ΔSP": "sp"}
"""How a term is named in a measure key."""
Key = tuple[str, str, str, str]
"""(system, corpus, term definitions, threshold)."""


@dataclass
class Study:
    """The chapter's scoring tables and what it varies."""

    tables: dict[Key, pd.DataFrame]
    systems: list[str]
    corpora: list[str]
    configs: dict[tuple[str, str], GaugeConfig]

    @property
    def base(self) -> str:
        return self.corpora[0]

    def table(self, system: str, definitions: str, corpus: str | None = None, threshold: str = Q) -> pd.DataFrame:
        """One scoring table, labelled by its system."""
        return self.tables[(system, corpus or self.base, definitions, threshold)].assign(model=system)

    def n_texts(self, corpus: str | None = None) -> int:
        return int(self.table(self.systems[0], rb.DEFINITIONS[0], corpus)["text_id"].nunique())


def twins(bound: dict[str, str]) -> dict[str, str]:
    """Each system's model, then each one's untrained twin ('bert@random-init' → its model's twin)."""
    return {**bound, **{f"{s}@random-init": f"{m}@random-init" for s, m in bound.items()}}


def corpus_texts(corpora: Sequence[str], *, n: int | None, seed: int) -> dict[str, list[str]]:
    """The texts of each corpus: ``n`` from each (None: every text of the first corpus's selection,
    and as many from the others)."""
    first = load_texts(corpora[0], n=n, seed=seed)
    return {corpora[0]: first, **{c: load_texts(c, n=n or len(first), seed=seed) for c in corpora[1:]}}


def run(systems: dict[str, str], texts: dict[str, list[str]], *, options: Callable[[str], dict[str, Any]]) -> Study:
    """Every model scored once per batch on each corpus, gauged under all ten configurations, with the nulls."""
    configs = rb.term_configs()
    tables: dict[Key, pd.DataFrame] = {}
    for corpus, corpus_texts in texts.items():
        for s, m in systems.items():
            scored = score(m, corpus_texts, config=list(configs.values()), baselines=NULLS, **options(m))
            for key, table in zip(configs, scored, strict=True):
                tables[(s, corpus, *key)] = table
    return Study(tables, list(systems), list(texts), configs)


def decomposition(study: Study, *, n_boot: int, seed: int) -> pd.DataFrame:
    """ΔF against every null split into its three terms, for every system and term definition at q = 0.9."""
    frames = [
        rb.decomposition(study.table(s, d), study.configs[(d, Q)], NULLS, n_boot=n_boot, seed=seed)
        for s in study.systems
        for d in rb.DEFINITIONS
    ]
    return pd.concat(frames, ignore_index=True)


def nulls(study: Study) -> pd.DataFrame:
    """H1 against each null: the text-level mean ΔF with its t-based 95 % CI, and the mean ΔSP of the real and null heads."""
    rows = []
    for s in study.systems:
        for d in rb.DEFINITIONS:
            cfg = study.configs[(d, Q)]
            spec = rb.Spec(d, Q, cfg.lam, cfg.gamma)
            t = study.table(s, d)
            for b in NULLS:
                effect, lo, hi = rb.t_interval(rb.h1_per_text(t, spec, b).to_numpy())
                rows.append(
                    {
                        "model": s,
                        "preset": d,
                        "baseline": b,
                        "dF": effect,
                        "ci_low": lo,
                        "ci_high": hi,
                        "holds": lo > 0,
                        "dsp_real": t["delta_sp"].mean(),
                        "dsp_null": t[f"delta_sp_{b}"].mean(),
                    }
                )
    return pd.DataFrame(rows)


CurveKey = tuple[str, str, str, str]
"""(effect 'h1' or 'h2', system, corpus, baseline; '' for H2)."""


def curves(study: Study, spec_list: list[rb.Spec], *, n_flips: int, seed: int) -> tuple[dict[CurveKey, pd.DataFrame], pd.DataFrame]:
    """The specification curves of H1 (against random and permuted) and H2 for every system and
    corpus, and the joint sign-flip test of each; specifications zero by construction are left out of
    the joint test and counted."""
    out: dict[CurveKey, pd.DataFrame] = {}
    joints = []
    for s in study.systems:
        for c in study.corpora:
            by_key = {(d, t): study.tables[(s, c, d, t)] for d, t in study.configs}
            for b in ("random", "permuted"):
                curve, D = rb.spec_curve(by_key, "h1", baseline=b, spec_list=spec_list)
                out[("h1", s, c, b)] = curve
                excluded = int(curve["zero_by_construction"].sum())
                joint = rb.joint_test(rb.tested(curve, D), n_flips=n_flips, seed=seed)
                joints.append({"effect": "H1", "model": s, "corpus": c, "baseline": b, "excluded": excluded, **joint})
            curve, D = rb.spec_curve(by_key, "h2", spec_list=spec_list)
            out[("h2", s, c, "")] = curve
            joints.append(
                {"effect": "H2", "model": s, "corpus": c, "baseline": "", "excluded": 0, **rb.joint_test(D, n_flips=n_flips, seed=seed)}
            )
    return out, pd.DataFrame(joints)


def shares(curve_map: dict[CurveKey, pd.DataFrame]) -> pd.DataFrame:
    """Per curve: the share of specifications whose 95 % CI lies above 0, overall and per origin."""
    rows = []
    for (effect, s, c, b), curve in curve_map.items():
        row = {"effect": effect.upper(), "model": s, "corpus": c, "baseline": b or "—", "all": rb.share_positive(curve)}
        row.update({origin: rb.share_positive(g) for origin, g in curve.groupby("origin")})
        rows.append(row)
    return pd.DataFrame(rows)


def joint_view(joints: pd.DataFrame, *, label: Callable[[str], str]) -> pd.DataFrame:
    """The joint tests as the page shows them, each system by its label."""
    columns = [
        "effect",
        "model",
        "corpus",
        "baseline",
        "excluded",
        "median_effect",
        "share_significant_positive",
        "p_median",
        "p_n_significant",
    ]
    return labelled(joints, label=label)[columns]


def labelled(table: pd.DataFrame, *, label: Callable[[str], str]) -> pd.DataFrame:
    """``table`` with its ``model`` column (systems) replaced by their labels."""
    return table.assign(model=table["model"].map(label))


def lengths(study: Study, systems: Sequence[str], *, n_bins: int) -> pd.DataFrame:
    """H1 and H2 by token length for ``systems`` (published terms at q = 0.9)."""
    cfg = study.configs[("published", Q)]
    return pd.concat([rb.by_length(study.table(s, "published"), cfg, n_bins=n_bins) for s in systems], ignore_index=True)


def head_statistics(study: Study, *, n_boot: int = 999, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per head, F against the head statistics; and per system and definitions, the R² of entropy alone and of all statistics."""
    heads, rows = [], []
    for s in study.systems:
        for d in rb.DEFINITIONS:
            table, r2 = rb.head_stat_r2(study.table(s, d), study.configs[(d, Q)], n_boot=n_boot, seed=seed)
            heads.append(table)
            rows.append({"model": s, "preset": d, **r2})
    return pd.concat(heads, ignore_index=True), pd.DataFrame(rows)


def measures(
    study: Study,
    *,
    curve_map: dict[CurveKey, pd.DataFrame],
    spec_list: list[rb.Spec],
    r2_table: pd.DataFrame,
    null_table: pd.DataFrame,
    dec: pd.DataFrame,
    length_table: pd.DataFrame,
    table2: dict[str, str],
) -> dict[str, object]:
    """The chapter's measures. ``table2`` maps each Table 2 system whose model the study scored to
    the study's system for that model (its per-specification effects feed the claims' robustness share)."""
    out: dict[str, object] = {
        "robustness.n_specs": len(spec_list),
        "robustness.n_zero_by_construction": int(curve_map[("h1", study.systems[0], study.base, "permuted")]["zero_by_construction"].sum()),
        "spec.systems": list(table2),
        "robustness.n_texts": study.n_texts(),
    }
    for s in study.systems:
        for k, c in enumerate(study.corpora, 1):  # corpus1: the profile's texts (WikiText's role), corpus2: its second (SST's)
            out[f"robustness.corpus{k}"] = c
            out[f"robustness.{s}.corpus{k}.share_random_positive"] = rb.share_positive(curve_map[("h1", s, c, "random")])
            out[f"robustness.{s}.corpus{k}.share_permuted_positive"] = rb.share_positive(curve_map[("h1", s, c, "permuted")])
            out[f"robustness.{s}.corpus{k}.share_h2_positive"] = rb.share_positive(curve_map[("h2", s, c, "")])
        for r in r2_table[r2_table["model"] == s].itertuples():
            out[f"robustness.{s}.r2_entropy_{r.preset}"] = r.r2_entropy_F
            out[f"robustness.{s}.r2_all_{r.preset}"] = r.r2_all_F
            if isinstance(getattr(r, "r2_entropy_F_ci", None), tuple):
                out[f"ci.robustness.{s}.r2_entropy_{r.preset}"] = list(r.r2_entropy_F_ci)
        for r in null_table[null_table["model"] == s].itertuples():
            out[f"robustness.{s}.{r.preset}.{r.baseline}.ci_low"] = r.ci_low
            out[f"robustness.{s}.{r.preset}.{r.baseline}.dF"] = r.dF
            out[f"ci.robustness.{s}.{r.preset}.{r.baseline}.dF"] = [r.ci_low, r.ci_high]
        for r in dec[(dec["model"] == s) & (dec["baseline"] == "random")].itertuples():
            out[f"robustness.{s}.{r.preset}.random.share_{TERM_KEYS[r.term]}"] = r.share
            out[f"ci.robustness.{s}.{r.preset}.random.share_{TERM_KEYS[r.term]}"] = list(r.share_ci)
    for t, s in table2.items():
        out[f"spec.{t}.random.dF"] = curve_map[("h1", s, study.base, "random")]["effect"].tolist()
        out[f"spec.{t}.h2.layer1_minus_layer0"] = curve_map[("h2", s, study.base, "")]["effect"].tolist()
    for r in length_table.itertuples():
        out[f"robustness.{r.model}.length_bin{r.bin}.h1_holds"] = r.h1_holds
        out[f"robustness.{r.model}.length_bin{r.bin}.dF"] = r.h1_dF
        out[f"ci.robustness.{r.model}.length_bin{r.bin}.dF"] = [r.h1_low, r.h1_high]
    for s, g in length_table.groupby("model"):
        out[f"robustness.{s}.h1_holds_in_every_length_bin"] = bool(g["h1_holds"].all())
    return out


def table2_systems(table2: Sequence[str], model_of: Callable[[str], str | None], trained: dict[str, str]) -> dict[str, str]:
    """Each Table 2 system whose model the study scored, with the study's system for that model."""
    by_model = {m: s for s, m in reversed(list(trained.items()))}
    return {t: by_model[m] for t in table2 if (m := model_of(t)) in by_model}


def spec_share_first(curve_map: dict[CurveKey, pd.DataFrame], system: str, corpus: str) -> float:
    """The share of H1-against-random specifications whose CI lies above 0, for one system and corpus."""
    return rb.share_positive(curve_map[("h1", system, corpus, "random")])
