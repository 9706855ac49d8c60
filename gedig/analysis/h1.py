"""Chapter 3 (H1): every model scored per preset, our Table 2, the effect sizes, and the flat
measures of the real-vs-baseline comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..gauge.baselines import BASELINES
from ..gauge.config import GaugeConfig
from ..paper import paper_table2
from ..pipeline.scoring import score
from .stats import learned_effect, summarize

H1_STATS = (
    "F_real",
    "F_base",
    "dF",
    "dF_std",
    "win_rate",
    "d_pooled",
    "d_z",
    "d_z_text",
    "p_t",
    "p_wilcoxon",
    "ci_low",
    "ci_high",
    "n_texts",
)
"""The columns of the H1 summary (``gedig.analysis.stats.summarize``) stored per system, preset and baseline."""
H1_INTERVALS = ("dF", "win_rate", "d_z", "d_pooled")
"""The H1 statistics written with their 95 % text-bootstrap interval (``ci.<key>``)."""


def h1_measures(summary: pd.DataFrame, controls: pd.DataFrame | None = None) -> dict[str, object]:
    """Flatten an H1 summary to ``h1.<model>.<preset>.<baseline>.<stat>`` measures.

    ``all_positive``: every baseline's ΔF > 0 with its bootstrap CI above 0. With ``controls``
    (the summary of the ``@random-init`` models) each trained model also gets
    ``trained_exceeds_control``: its ΔF_random exceeds the untrained one's and the CIs do not overlap.
    """
    out: dict[str, object] = {}
    for r in summary.itertuples():
        key = f"h1.{r.model}.{r.preset}.{r.baseline}"
        for s in H1_STATS:
            out[f"{key}.{s}"] = getattr(r, s)
        for s in H1_INTERVALS:
            if hasattr(r, f"{s}_ci"):
                out[f"ci.{key}.{s}"] = list(getattr(r, f"{s}_ci"))
        if isinstance(getattr(r, "learned_ci", None), tuple) and not r.model.endswith("@random-init"):
            out[f"{key}.learned_dF"] = float(r.learned_dF)
            out[f"ci.{key}.learned_dF"] = list(r.learned_ci)
    for (model, preset), g in summary.groupby(["model", "preset"]):
        out[f"h1.{model}.{preset}.all_positive"] = bool(((g["dF"] > 0) & (g["ci_low"] > 0)).all())
    if controls is not None:
        for r in summary[summary["baseline"] == "random"].itertuples():
            c = controls[
                (controls["model"] == f"{r.model}@random-init") & (controls["preset"] == r.preset) & (controls["baseline"] == "random")
            ]
            if len(c):
                c = c.iloc[0]
                out[f"h1.{r.model}.{r.preset}.random.control_dF"] = float(c["dF"])
                out[f"h1.{r.model}.{r.preset}.random.trained_exceeds_control"] = bool(r.ci_low > c["ci_high"])
    return out


def scored_models(bound: dict[str, str], *, twins_of: tuple[str, ...] = ()) -> list[str]:
    """The models to score: each bound model once, then the untrained twin of each system in ``twins_of``."""
    models = list(dict.fromkeys(bound.values()))
    return models + [f"{bound[s]}@random-init" for s in twins_of if s in bound]


def h1_summary(
    models: list[str], texts: list[str], *, presets: list[str], options: Callable[[str], dict[str, Any]], seed: int = 0
) -> pd.DataFrame:
    """Every model scored once per preset (``options(model)``: its scoring options), summarised per
    model × preset × baseline (``gedig.analysis.stats.summarize``)."""
    tables = [score(m, texts, config=GaugeConfig.from_name(p), **options(m)) for m in models for p in presets]
    rows = pd.concat(tables, ignore_index=True)
    return with_learned(summarize(rows, seed=seed), rows, seed=seed)


def with_learned(summary: pd.DataFrame, rows: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """The summary with, on each trained model's random-baseline rows whose untrained twin was scored,
    ``learned_dF`` (its ΔF less the twin's, same texts) and ``learned_ci`` (its 95 % text-bootstrap
    interval, ``gedig.analysis.stats.learned_effect``)."""
    summary = summary.assign(learned_dF=float("nan"), learned_ci=None)
    for i, r in summary.iterrows():
        twin = f"{r['model']}@random-init"
        if r["baseline"] != "random" or r["model"].endswith("@random-init"):
            continue
        mine = rows[(rows["model"] == r["model"]) & (rows["preset"] == r["preset"])]
        theirs = rows[(rows["model"] == twin) & (rows["preset"] == r["preset"])]
        if len(theirs):
            effect, ci = learned_effect(mine, theirs, seed=seed)
            summary.at[i, "learned_dF"] = effect
            summary.at[i, "learned_ci"] = ci
    return summary


def by_system(summary: pd.DataFrame, bound: dict[str, str], *, suffix: str = "") -> pd.DataFrame:
    """The summary's rows of each system's model (``suffix``: '@random-init' for the twins), labelled by the system."""
    frames = [summary[summary["model"] == f"{m}{suffix}"].assign(model=f"{s}{suffix}") for s, m in bound.items()]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else summary.iloc[:0]


def system_measures(summary: pd.DataFrame, bound: dict[str, str], *, twins_of: tuple[str, ...] = ()) -> dict[str, object]:
    """The chapter's measures, per system (a model bound to several systems counts for each), with
    the untrained twins of the systems in ``twins_of`` as their controls (none: no controls)."""
    twins = by_system(summary, {s: bound[s] for s in twins_of if s in bound}, suffix="@random-init") if twins_of else None
    return h1_measures(by_system(summary, bound), controls=twins)


def table2_ours(trained: pd.DataFrame, *, label: Callable[[str], str]) -> pd.DataFrame:
    """Our Table 2: ΔF per baseline (columns), one row per model and preset."""
    ours = trained.pivot_table(index=["model", "preset"], columns="baseline", values="dF")
    ours = ours.reindex(columns=list(BASELINES)).reset_index()
    return ours.assign(model=ours["model"].map(label))


def effect_sizes(trained: pd.DataFrame, *, label: Callable[[str], str]) -> pd.DataFrame:
    """Against random: the pooled d, the paired d_z over rows and over text means, and the p-value with texts as the unit."""
    cols = {
        "model": "model",
        "preset": "preset",
        "dF": "dF",
        "d_pooled": "pooled d",
        "d_z": "paired d_z (rows)",
        "d_z_text": "paired d_z (texts)",
        "n_texts": "texts",
        "p_t": "p (t, texts)",
    }
    out = trained[trained["baseline"] == "random"][list(cols)].rename(columns=cols)
    return out.assign(model=out["model"].map(label))


def trained_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's rows of trained models (the untrained twins left out)."""
    return summary[~summary["model"].str.endswith("@random-init")]


def table2_paper(column: str = "paper") -> pd.DataFrame:
    """The paper's Table 2 (``column='paper'``) or the author's stored run (``'author_stored'``),
    one row per system and one column per baseline; systems with no value left out."""
    wide = paper_table2().pivot_table(index="model", columns="baseline", values=column).reindex(columns=list(BASELINES))
    return wide.dropna(how="all").reset_index()
