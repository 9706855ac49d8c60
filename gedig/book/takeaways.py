"""Prose generated from computed values, written once: every chapter's Takeaway (from its measures,
read through their declarations), the sentences and bullet lines the chapters print between their
figures, the F-regularisation summary on the audit page, and the first page's headline.

A chapter's takeaway function takes the chapter's measures and returns sentences; the registry
(``gedig.book.chapters``) names it, and ``gedig.book.notebook.finish`` adds the chapter's verdicts
and the sentence leading to the next chapter. Every number here is read or computed, never typed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..analysis.heads import DIFFER_P
from ..errors import GedigError
from ..paper import PAPER_BERT_LAYERS, paper_delta_f, paper_freg_pp
from ..util.text import signed
from .claims import WHY_MISSING, tally_words
from .named import fields, has, key_of, read
from .profiles import PAIR, SYSTEMS, Profile
from .profiles import get as get_profile

Measures = Mapping[str, Any]
Label = Callable[[str], str]
TWIN = "@random-init"


def _profile(m: Measures) -> Profile:
    return get_profile(str(m.get("profile", "full")))


def _systems(m: Measures, template: str, *, field: str = "system", **fixed: Any) -> list[str]:
    """The paper's pair systems, in order, for which ``template`` was measured (``field``: the
    template's system field; ``fixed``: its other fields)."""
    return [s for s in PAIR if has(m, template, **{field: s}, **fixed)]


# chapter takeaways ------------------------------------------------------------------------------


def theory(m: Measures) -> list[str]:
    beats = read(m, "theory.shortcut_beats_random")
    return [
        f"On a chain of {read(m, 'theory.chain_length')} tokens one long shortcut lowers the structural cost by "
        f"{signed(read(m, 'theory.shortcut_gain_per_edge'), '+.4f')} per edge,",
        f"while {read(m, 'theory.random_edges_last')} random edges lower it by {signed(read(m, 'theory.random_gain_per_edge_last'), '+.4f')} per edge:",
        f"the shortcut {'pays more per edge than every random edge set' if beats else 'does not pay more than every random edge set'}, "
        "which is the intuition of Figure 1.",
        f"The three readings of the gauge are different numbers on the same matrix: F moves by up to {read(m, 'theory.preset_spread_max'):.3f} "
        f"between presets (on the {read(m, 'theory.preset_spread_matrix')} matrix),",
        "so every later chapter names the preset it uses.",
    ]


def mapping(m: Measures) -> list[str]:
    P = _profile(m)
    systems = _systems(m, "mapping.{system}.q_all_positive")
    lines = []
    for s in systems:
        hits = [f for f in fields(m, "mapping.{system}.{threshold}.dF") if f["system"] == s]
        q = sorted(
            (float(f["threshold"][2:]), read(m, "mapping.{system}.{threshold}.dF", **f)) for f in hits if f["threshold"].startswith("q=")
        )
        tau = [(f["threshold"][2:], read(m, "mapping.{system}.{threshold}.dF", **f)) for f in hits if f["threshold"].startswith("τ=")]
        values = [v for _, v in q]
        line = f"{P.label(s)}: ΔF from {signed(min(values))} to {signed(max(values))} over q = {q[0][0]:g}…{q[-1][0]:g}"
        lines.append(line + "".join(f", and {signed(v)} at τ = {t}" for t, v in tau))
    holds = all(read(m, "mapping.{system}.q_all_positive", system=s) for s in systems)
    flips = any(read(m, "mapping.{system}.tau_flips_sign", system=s) for s in systems)
    return [
        "A head becomes a graph of its strongest weights; padding is removed first, and the causal zeros the author kept lower "
        "the threshold of a causal model.",
        f"On {read(m, 'mapping.n_texts')} texts the sign of ΔF against random {'holds' if holds else 'does not hold'} at every quantile, "
        f"while a fixed threshold {'flips it' if flips else 'keeps it'}: " + "; ".join(lines) + ".",
    ]


def h1(m: Measures) -> list[str]:
    P = _profile(m)
    key = "h1.{system}.{preset}.{baseline}.{stat}"
    systems = _systems(m, key, preset="published", baseline="random", stat="dF")

    def stat(s: str, name: str) -> Any:
        return read(m, key, system=s, preset="published", baseline="random", stat=name)

    lines = [
        f"{P.label(s)}: ΔF = {signed(stat(s, 'dF'))} (95 % CI {signed(stat(s, 'ci_low'))} … {signed(stat(s, 'ci_high'))}; "
        f"win rate {stat(s, 'win_rate'):.0%}, pooled d {stat(s, 'd_pooled'):.2f}, paired d_z {stat(s, 'd_z'):.2f})"
        for s in systems
    ]
    paper = " and ".join(f"{signed(paper_delta_f(SYSTEMS[s]), '+.2f')} for {SYSTEMS[s]}" for s in PAIR)
    out = [
        f"Against the i.i.d. random baseline, on {stat(systems[0], 'n_texts')} texts: " + "; ".join(lines) + f". The paper reports {paper}."
    ]
    written = [s for s in systems if has(m, "h1.{system}.{preset}.all_positive", system=s, preset="as_written")]
    if written:
        beats = sum(bool(read(m, "h1.{system}.{preset}.all_positive", system=s, preset="as_written")) for s in written)
        out.append(f"Under the paper's text (`as_written`), real attention beats every baseline for {beats} of {len(written)} models.")
    controlled = [s for s in systems if has(m, "h1.{system}.{preset}.random.control_dF", system=s, preset="published")]
    if controlled:
        twins = "; ".join(
            f"{signed(read(m, 'h1.{system}.{preset}.random.control_dF', system=s, preset='published'))} for {P.label(s)}"
            for s in controlled
        )
        learned = sum(
            bool(read(m, "h1.{system}.{preset}.random.trained_exceeds_control", system=s, preset="published")) for s in controlled
        )
        out.append(
            f"The untrained twins reach {twins}, and the trained model's CI lies above its twin's for {learned} of {len(controlled)}."
        )
    return out


def h2(m: Measures) -> list[str]:
    P = _profile(m)
    systems = _systems(m, "h2.{system}.{preset}.spearman_rho", preset="published")
    rhos = "; ".join(
        f"{P.label(s)}: ρ = {signed(read(m, 'h2.{system}.{preset}.spearman_rho', system=s, preset='published'))} "
        f"({_ci(m, 'h2.{system}.{preset}.spearman_rho', '+.2f', system=s, preset='published')} over texts)"
        for s in systems
    )
    out = [f"On {read(m, 'h2.n_texts')} texts, the depth trend of F is {rhos}."]
    if "bert" in systems:
        lowest = read(m, "h2.{system}.{preset}.layer0_lowest", system="bert", preset="published")
        out.append(
            f"For {P.label('bert')}, layer 0 is {'the lowest' if lowest else 'not the lowest'} "
            f"(F = {signed(read(m, 'h2.{system}.{preset}.layer{layer}.F', system='bert', preset='published', layer=0))} against the paper's "
            f"{signed(PAPER_BERT_LAYERS['layer 0'], '+.2f')}), and the largest rise is from layer "
            f"{read(m, 'h2.{system}.{preset}.largest_jump_from_layer', system='bert', preset='published')}; the lowest other layer's F "
            f"less layer 0's is {signed(read(m, 'h2.{system}.{preset}.layer0_margin', system='bert', preset='published'), '+.3f')} "
            f"({_ci(m, 'h2.{system}.{preset}.layer0_margin', '+.3f', system='bert', preset='published')})."
        )
    return out


def heads(m: Measures) -> list[str]:
    P = _profile(m)
    key = "heads.{system}.{preset}."
    systems = _systems(m, key + "n_layers", preset="published")

    def value(s: str, name: str) -> Any:
        return read(m, key + name, system=s, preset="published")

    lines = [
        f"{P.label(s)}: heads differ in {value(s, 'n_layers_differ')} of {value(s, 'n_layers')} layers (Friedman p < {DIFFER_P:g}), "
        f"spreads {value(s, 'spread_min'):.3f}–{value(s, 'spread_max'):.3f}"
        for s in systems
    ]
    return [
        f"Heads of one layer differ in F beyond text-to-text variation, tested with {read(m, 'heads.n_texts')} texts as blocks: "
        + "; ".join(lines)
        + "."
    ]


def freg(m: Measures) -> list[str]:
    P = _profile(m)
    alphas = sorted(float(f["alpha"]) for f in fields(m, "freg.acc.alpha{alpha}"))
    lo, hi = alphas[0], alphas[-1]

    def at(template: str, alpha: float) -> Any:
        return read(m, template, alpha=f"{alpha:g}")

    h_lo, h_hi = at("freg.soft_delta_h.alpha{alpha}", lo), at("freg.soft_delta_h.alpha{alpha}", hi)
    f_lo, f_hi = at("freg.final_F_published_gauge.alpha{alpha}", lo), at("freg.final_F_published_gauge.alpha{alpha}", hi)
    rises = f_hi > f_lo
    return [
        f"Fine-tuning {P.label('distilbert-sst2')} with F in the loss ({read(m, 'freg.n_seeds')} seeds per arm, {read(m, 'freg.steps')} steps each):",
        f"α = 0.001 changes accuracy by {signed(read(m, 'freg.gain_pp.alpha{alpha}', alpha='0.001'), '+.2f')} points against α = 0 "
        f"({_ci(m, 'freg.F.diff_pp.alpha{alpha}', alpha='0.001')} over paired seeds; paired t p = "
        f"{read(m, 'freg.F.p_paired_t.alpha{alpha}', alpha='0.001'):.2g}; the paper reports {signed(paper_freg_pp(0.001), '+.2f')}; this "
        f"design detects {_mde(m)}), and α = {hi:g} by {signed(read(m, 'freg.collapse_drop_pp'), '+.2f')} points "
        f"({_ci(m, 'freg.collapse_drop_pp')}; the paper: {signed(paper_freg_pp(1.0), '+.2f')}).",
        f"Minimising F moves the soft entropy from {h_lo:.4f} at α = {lo:g} to {h_hi:.4f} at α = {hi:g}, and the published gauge's F from "
        f"{signed(f_lo, '+.4f')} to {signed(f_hi, '+.4f')}:",
        f"{'toward' if rises else 'away from'} 0, {'the structured' if rises else 'the random-like'} side in H1's reading.",
    ]


def _ci(m: Measures, template: str, spec: str = "+.2f", **fields: Any) -> str:
    """'95 % interval [low, high]' of a measure the chapter wrote with its interval (``ci.<key>``)."""
    read(m, template, **fields)  # the estimate itself: a missing one names its chapter
    key = "ci." + key_of(template, **fields)
    if not isinstance(m.get(key), list):
        raise GedigError(f"measure {key!r} is missing: the chapter writes the 95 % interval of {key[3:]!r} there")
    low, high = m[key]
    return f"95 % interval [{signed(low, spec)}, {signed(high, spec)}]"


def _mde(m: Measures) -> str:
    """The smallest paired difference chapter 6's design detects, in words (a design whose paired
    differences have no spread has none: the chapter writes it as missing)."""
    if "freg.mde_pp" not in m:
        read(m, "freg.mde_pp")  # names the chapter
    mde = m["freg.mde_pp"]
    return "no effect (the paired differences have no spread)" if mde is None else f"differences ≥ {mde:.2f} points"


def robustness(m: Measures) -> list[str]:
    P = _profile(m)
    trained = _systems(m, "robustness.{model}.r2_entropy_{preset}", field="model", preset="published")
    every = trained + [
        f"{s}{TWIN}" for s in trained if has(m, "robustness.{model}.r2_entropy_{preset}", model=f"{s}{TWIN}", preset="published")
    ]
    r2s = " and ".join(
        f"{read(m, 'robustness.{model}.r2_entropy_{preset}', model=s, preset='published'):.0%} for {P.label(s)}" for s in trained
    )
    share_h = " and ".join(
        f"{read(m, 'robustness.{model}.{preset}.random.share_{term}', model=s, preset='published', term='h'):.0%} for {P.label(s)}"
        for s in trained
    )
    survive = []
    for b in ("permuted", "entropy_matched"):
        for d in ("published", "as_written"):
            key = "robustness.{model}.{preset}.{baseline}.ci_low"
            ok = [P.label(s) for s in every if _above_zero(read(m, key, model=s, preset=d, baseline=b))]
            survive.append(f"against `{b}` under `{d}` for {len(ok)} of {len(every)} models" + (f" ({', '.join(ok)})" if ok else ""))
    first = trained[0]
    share = read(m, "robustness.{model}.corpus{k}.share_{effect}_positive", model=first, k=1, effect="random")
    return [
        f"F mostly measures entropy: across heads, mean row entropy alone explains {r2s} of F's variance under the published gauge,",
        f"and of ΔF against the random baseline the entropy term carries {share_h}.",
        "With each head's own weights as the null, H1 survives " + "; ".join(survive) + ",",
        "so what is left after entropy is small and depends on the preset (untrained twins included in the counts). Against `random`, the H1 "
        f"effect's CI lies above 0 in {share:.0%} of {read(m, 'robustness.n_specs')} specifications for {P.label(first)}.",
    ]


def explorer(m: Measures) -> list[str]:
    wins, total = read(m, "explorer.wins_over_random"), read(m, "explorer.head_text_pairs")
    return [
        f"The explorer holds {read(m, 'explorer.n_heads')} heads of {read(m, 'explorer.n_models')} models on {read(m, 'explorer.n_texts')} texts "
        f"under {read(m, 'explorer.n_configurations')} configurations (presets × thresholds),",
        f"and its {read(m, 'explorer.checked_pairs')} sampled values equal `gedig.gauge` to within {read(m, 'explorer.max_abs_diff'):.1e} (float32 storage).",
        f"Under the published gauge at q = 0.9, {wins} of {total} head × text pairs ({wins / total:.0%}) score a higher F than their random "
        "baseline, the pattern behind H1;",
        "the graph beside the heatmap shows which entries make the difference.",
    ]


IMPORTANCE_SYSTEMS = ("bert", "gpt2", "llama3.0", "llama3.1", "distilbert-sst2")
"""Chapter 9's systems, in the order its takeaway names them."""


def heads_that_matter(m: Measures) -> list[str]:
    P = _profile(m)
    key = "importance.{system}.{column}.{part}"
    studied = [s for s in IMPORTANCE_SYSTEMS if has(m, "importance.{system}.n_heads", system=s)]
    seen: dict[tuple[str, bool], str] = {}
    for s in studied:  # a model that stands for several language-model systems is reported once
        seen.setdefault((P.model(s) or s, s == "distilbert-sst2"), s)
    lines = []
    for s in seen.values():
        rho = read(m, key, system=s, column="F_published", part="rho")
        lo, hi = (
            read(m, key, system=s, column="F_published", part="rho_ci_low"),
            read(m, key, system=s, column="F_published", part="rho_ci_high"),
        )
        ent = read(m, key, system=s, column="stat_row_entropy", part="rho")
        conf = read(m, key, system=s, column="stat_max_weight", part="rho")
        part = read(m, key, system=s, column="F_published", part="partial")
        p_lo, p_hi = (
            read(m, key, system=s, column="F_published", part="partial_ci_low"),
            read(m, key, system=s, column="F_published", part="partial_ci_high"),
        )
        g30, g50 = (read(m, "importance.{system}.prune{k}.{part}", system=s, k=k, part="gap") for k in (30, 50))
        beats = [k for k in (30, 50) if read(m, "importance.{system}.prune{k}.{part}", system=s, k=k, part="ci_high") < 0]
        ranks = [read(m, "importance.{system}.prune{k}.{part}", system=s, k=k, part="rank_p") for k in (30, 50)]
        lines.append(
            f"{P.label(s) if s != 'distilbert-sst2' else 'the fine-tuned classifier'}: ρ(F, importance) = {signed(rho, '+.2f')} "
            f"[{signed(lo, '+.2f')}, {signed(hi, '+.2f')}] against {signed(ent, '+.2f')} for entropy and {signed(conf, '+.2f')} for confidence; "
            f"given entropy, confidence and layer, F's partial ρ is {signed(part, '+.2f')} [{signed(p_lo, '+.2f')}, {signed(p_hi, '+.2f')}] "
            f"({interval_words(p_lo, p_hi)}); pruning by F "
            f"(lowest first) changes the metric against random by {signed(g30, '+.3f')} at 30 % and {signed(g50, '+.3f')} at 50 % "
            f"({'better than random at ' + ' and '.join(f'{k} %' for k in beats) if beats else 'not better than random at either'}; "
            f"rank p among the random orders {ranks[0]:.3f} and {ranks[1]:.3f})"
        )
    out = ["Does F find the heads that matter? " + "; ".join(lines) + "."]
    reasons = {s: m.get(f"{WHY_MISSING}importance.{s}.F_published.rho_ci_low") for s in IMPORTANCE_SYSTEMS if s not in studied}
    if any(reasons.values()):
        out.append("Not measured: " + "; ".join(why for why in reasons.values() if why) + ".")
    cos = {
        state: read(m, "freg_signal.{system}.{state}.{signal}", system="distilbert-sst2", state=state, signal="cosine")
        for state in ("init", "trained")
    }
    bound = _bound("OURS-Freg-is-entropy-reg")
    same = all(c > bound for c in cos.values())
    out.append(
        f"F-regularisation's gradient has cosine {cos['init']:.3f} with the entropy term's alone at initialisation and {cos['trained']:.3f} "
        f"on the fine-tuned classifier: {'F-regularisation is, to within that, entropy regularisation' if same else 'F-regularisation is more than entropy regularisation'} "
        f"(threshold {bound:g})."
    )
    return out


def detectable_sentence(power: Mapping[str, Any], mde_pp: float) -> str:
    """What this design can see: the smallest paired difference its seeds detect with 80 % power,
    beside the paper's effect (Simonsohn's 'small telescopes')."""
    n, target = int(power["pairs"]), float(power["target_pp"])
    if not math.isfinite(mde_pp):
        return (
            f"With {n} paired seeds whose differences have no spread, no detectable effect can be computed: "
            f"the claims about the paper's {signed(target, '+.2f')} pp are inconclusive."
        )
    can = "can" if mde_pp <= abs(target) else "cannot"
    return (
        f"With {n} paired seeds and a paired SD of {power['paired_sd_pp']:.2f} pp, this design detects differences of "
        f"{mde_pp:.2f} pp or more with 80 % power (two-sided 5 %). It {can} see the paper's {signed(target, '+.2f')} pp; "
        + (
            "the claims about that gain are therefore inconclusive whatever their intervals say."
            if can == "cannot"
            else "its intervals decide."
        )
    )


def interval_words(low: float, high: float) -> str:
    """Where an interval lies against 0, in words: 'above 0', 'below 0' or 'includes 0'."""
    return "above 0" if low > 0 else "below 0" if high < 0 else "includes 0"


def _bound(claim_id: str) -> float:
    """A registered claim's bound (its threshold is written once, in the claims registry)."""
    from .claims import load_registry

    return float(next(c["bound"] for c in load_registry() if c["id"] == claim_id))


def classifier_label(system_label: str, seed: int) -> str:
    return f"{system_label}, fine-tuned (α = 0, seed {seed})"


def classifier_origin(record: Mapping[str, Any]) -> str:
    """Where chapter 9's classifier weights come from, by its record's ``kept_by``."""
    from ..experiments.classifier import KEPT_BY_STUDY, KEPT_BY_SWEEP

    seed = record["arm"]["seed"]
    kept_by = record.get("kept_by")
    if kept_by == KEPT_BY_SWEEP:
        return f"These are the weights of chapter 6's α = 0 run of seed {seed}, kept by its sweep."
    if kept_by == KEPT_BY_STUDY:
        return f"Chapter 6's sweep had not kept the weights of its α = 0 run of seed {seed}, so this chapter trained that run with the same function."
    return f"The weights were kept by code that did not record how (the α = 0 run of seed {seed})."


def importance_setup(studies: Sequence[Any], why: Mapping[str, str], record: Mapping[str, Any]) -> str:
    """What was measured: each model with its metric and texts, the classifier's accuracy, and the
    systems whose metric does not apply to their model."""
    parts = []
    for st in studies:
        g = st.ranking[st.ranking["statistic"] == "importance_gradient"].iloc[0]
        parts.append(
            f"{st.label}: {st.metric}, {len(st.heads)} heads, ranked on {st.n_rank} and pruned on {st.n_prune} other texts, "
            f"gradient importance ranks heads like exact ablation with Spearman ρ = {signed(st.gradient_rho, '+.2f')} "
            f"[{signed(g['ci_low'], '+.2f')}, {signed(g['ci_high'], '+.2f')}]"
        )
    lines = ["Measured: " + "; ".join(parts) + "."]
    lines.append(
        f"The classifier's accuracy on the whole evaluation split is {100 * record['accuracy']:.2f} % ({record['steps']} training steps). "
        + classifier_origin(record)
    )
    lines += [f"Not measured for {SYSTEMS[system]}: {reason}." for system, reason in why.items()]
    return "\n\n".join(lines)


def ranking_view(studies: Sequence[Any]) -> pd.DataFrame:
    """Per model and statistic: ρ with importance and its CI (spearman, then the partial given entropy,
    confidence and layer, then the gradient importance's ρ with ablation)."""
    from ..figures.heads_that_matter import NAMES

    rows = []
    for st in studies:
        for r in st.ranking.itertuples():
            name = NAMES.get(r.statistic, r.statistic) + (" given entropy, confidence, layer (partial)" if r.kind != "spearman" else "")
            rows.append({"model": st.label, "statistic": name, "ρ": r.rho, "CI low": r.ci_low, "CI high": r.ci_high})
    return pd.DataFrame(rows)


def ranking_lines(studies: Sequence[Any]) -> list[str]:
    """Per model: which head statistic ranks heads best (the gradient importance is not one), and
    whether F's CI lies above 0."""
    from ..figures.heads_that_matter import NAMES

    out = []
    for st in studies:
        r = st.ranking[(st.ranking["kind"] == "spearman") & (st.ranking["statistic"] != "importance_gradient")].set_index("statistic")
        best = r["rho"].abs().idxmax()
        f = r.loc["F_published"]
        where = "above 0" if f["ci_low"] > 0 else "below 0" if f["ci_high"] < 0 else "includes 0"
        out.append(
            f"{st.label}: F's ρ with importance is {signed(f['rho'], '+.2f')} (CI {where}); the strongest ranker is "
            f"{NAMES.get(best, best)} (ρ = {signed(r.loc[best, 'rho'], '+.2f')})."
        )
    return out


def pruning_lines(studies: Sequence[Any]) -> list[str]:
    """Per model: pruning by F against random and layer-matched random orders at each tested share,
    with the CI of each gap and F's rank p among the orders."""
    out = []
    for st in studies:
        parts = []
        for share, gap in st.gaps.items():
            for prefix, what in (("", "random"), ("stratified_", "layer-matched random")):
                if f"{prefix}gap" not in gap:
                    continue
                lo, hi = gap[f"{prefix}ci_low"], gap[f"{prefix}ci_high"]
                verdict = "better than" if hi < 0 else "worse than" if lo > 0 else "no different from"
                parts.append(
                    f"at {share:.0%}, {verdict} {what} ({signed(gap[f'{prefix}gap'], '+.3f')} [{signed(lo, '+.3f')}, {signed(hi, '+.3f')}], "
                    f"rank p {gap[f'{prefix}rank_p']:.3f} among {gap[f'{prefix}n_orders']:.0f} orders)"
                )
        out.append(f"{st.label}, pruning by F (lowest first): " + "; ".join(parts) + ".")
    return out


def _above_zero(ci_low: float | None) -> bool:
    """Whether a CI's lower end lies above 0; a CI that could not be computed (None) does not."""
    return ci_low is not None and ci_low > 0


# lines between the figures ----------------------------------------------------------------------


def decomposition_lines(dec: pd.DataFrame, trained: Sequence[str], *, label: Label) -> list[str]:
    """Per trained system, the share of ΔF against random each term carries under the published gauge."""
    pub = dec[(dec["preset"] == "published") & (dec["baseline"] == "random") & dec["model"].isin(list(trained))]
    lines = []
    for s, g in pub.groupby("model"):
        share = g.set_index("term")["share"]
        lines.append(
            f"{label(s)}, published, against random: ΔH carries {share['ΔH']:.0%} of ΔF, ΔSP {share['ΔSP']:.0%}, ΔEPC {share['ΔEPC']:.0%}."
        )
    return lines


def null_lines(null_table: pd.DataFrame, *, label: Label) -> list[str]:
    """Whether H1 survives each structure-preserving null, and for ``permuted`` which way the paths moved."""
    lines = []
    for r in null_table[null_table["baseline"] != "random"].itertuples():
        direction = ""
        if r.baseline == "permuted":
            shorter = r.dsp_real > r.dsp_null
            direction = (
                f" (mean ΔSP {r.dsp_real:.4f} real against {r.dsp_null:.4f} shuffled: the real graph's paths are "
                f"{'shorter' if shorter else 'longer'}, which {'lowers' if shorter else 'raises'} its F)"
            )
        lines.append(
            f"{label(r.model)} [{r.preset}] against `{r.baseline}`: ΔF = {signed(r.dF, '+.4f')} (95 % CI {signed(r.ci_low, '+.4f')} … "
            f"{signed(r.ci_high, '+.4f')}): H1 **{'survives' if r.holds else 'does not survive'}**{direction}."
        )
    return lines


def length_lines(lengths: pd.DataFrame, *, label: Label) -> list[str]:
    """In how many token-length bins H1 and H2 hold, per system."""
    return [
        f"{label(s)}: H1 holds in {int(g['h1_holds'].sum())} of {len(g)} length bins; H2 in {int(g['h2_holds'].sum())} of {len(g)}."
        for s, g in lengths.groupby("model")
    ]


def stale_warning(runs: pd.DataFrame) -> str:
    """A warning admonition naming the runs kept from other training code (empty when none was)."""
    stale = runs[runs["stale"] != ""]
    if stale.empty:
        return ""
    kept = "; ".join(f"α = {r.alpha:g}, seed {r.seed} ({r.stale})" for r in stale.itertuples())
    return (
        f"```{{warning}}\n{len(stale)} of {len(runs)} runs below were made by other training code or data and kept on request "
        f"(`--reuse-stale`): {kept}\n```"
    )


def sweep_sentence(runs: pd.DataFrame, protocol: Any, *, label: str) -> str:
    layouts = runs["layout"].fillna("unrecorded").value_counts() if "layout" in runs.columns else pd.Series({"unrecorded": len(runs)})
    how = "; ".join(f"{n} made before records named it" if layout == "unrecorded" else f"{n} as {layout}" for layout, n in layouts.items())
    return (
        f"{len(runs)} runs of {int(runs['steps'].iloc[0])} steps each: {label} on `{protocol.corpus}` ({protocol.n_train} training and "
        f"{protocol.n_eval} evaluation examples, selection '{protocol.selection}'). How the runs shared the cores: {how}."
    )


def notebook_caption(notebook: pd.DataFrame) -> str:
    """The caption of the author's executed sweep notebook's table: whether its mean accuracies equal
    the paper's, and where its mean final F departs from the paper's column."""
    equal = bool(((notebook["nb_acc"] - notebook["paper_acc_mean"]).abs() < 0.005).all())
    apart = notebook[(notebook["nb_F"] - notebook["paper_final_F"]).abs() > 0.01]
    where = "; ".join(
        f"at α = {r.alpha:g} the notebook's mean F is {signed(r.nb_F)}, the paper's {signed(r.paper_final_F)}" for r in apart.itertuples()
    )
    return (
        f"The author's executed sweep notebook, per seed: the paper's mean accuracies {'equal' if equal else 'differ from'} its means; "
        f"the paper's final-F column equals a results file that no stored run produced ({where})."
    )


def cost_sentence(cost: Mapping[str, float]) -> str:
    minutes = cost["sweep_minutes"]
    if "overhead" not in cost:
        return f"Step timing skipped at this size (`measure_overhead = False`). The sweep trained for {minutes:.1f} minutes in all."
    return (
        f"CE only: {cost['ce_only']:.3f} s per step; CE + α·F: {cost['ce_plus_F']:.3f} s ({cost['overhead']:+.0%}). "
        f"The sweep trained for {minutes:.0f} minutes in all."
    )


def power_sentences(power: Mapping[str, Any], cost: Mapping[str, float], *, n_workers: int) -> str:
    if not cost:
        return f"The measured paired SD ({power['paired_sd_pp']}) allows no power analysis (too few seeds, or identical arms)."
    return (
        f"Paired SD {power['paired_sd_pp']:.3f} pp over {power['pairs']} seeds: **{power['seeds_needed']} seeds per arm** detect "
        f"+{power['target_pp']} pp with 80 % power; the powered grid is {cost['runs']} runs, about {cost['hours_here']:.1f} h on this "
        f"machine and {cost[f'hours_on_{n_workers}_workers']:.1f} h on {n_workers} workers ({power['minutes_per_run']:.1f} min per run, "
        f"from {power['minutes_source']}). At the SD's one-sided 95 % upper bound ({power['paired_sd_upper95_pp']:.3f} pp; {power['pairs']} "
        f"pairs estimate it loosely): {power['seeds_needed_upper95']} seeds per arm, about {cost['hours_here_upper95']:.1f} h here."
    )


def powered_sentence(powered: Mapping[str, float], to_do: int, power: Mapping[str, Any]) -> str:
    if powered:
        return (
            f"α = 0.001 against α = 0 over {int(powered['freg.powered.n_seeds'])} seeds: {powered['freg.powered.diff_pp']:+.3f} pp "
            f"(paired t p = {powered['freg.powered.p_paired_t']:.3g}, exact sign-flip p = {powered['freg.powered.p_sign_flip']:.3g})."
        )
    if to_do:
        runs = int(power["arms"] * power["seeds_needed"])
        return (
            f"The powered grid ({runs} runs) has {to_do} runs still to do: `python -m gedig sweep grids/powered.yml` "
            "(add `--executor ray --address auto` on a cluster), then rebuild this chapter."
        )
    return "No powered grid to read: the power analysis gave no seed count, or `powered_runs` is empty."


def control_sentence(matched: int, total: int) -> str:
    return f"The control's accuracy equals α = 0's for {matched} of {total} seeds."


# pages around the chapters ----------------------------------------------------------------------


def audit_freg(m: Measures, table: pd.DataFrame, *, parameters: str, model_label: str) -> str:
    """The F-regularisation chapter's outcome in two sentences for the audit page, from its measures,
    its recorded parameters and its claims' verdicts."""
    rows = table[table["id"].str.startswith("FREG-")]
    verdicts = ", ".join(f"{int((rows['verdict'] == v).sum())} {v}" for v in rows["verdict"].unique())
    f0, f1 = read(m, "freg.final_F_author.alpha{alpha}", alpha="0"), read(m, "freg.final_F_author.alpha{alpha}", alpha="1")
    rho, gain = read(m, "freg.F_alpha_spearman"), read(m, "freg.gain_pp.alpha{alpha}", alpha="0.001")
    p = ast.literal_eval(parameters)
    protocol = (
        f"{len(p['seeds'])} seeds per arm, α ∈ {{{', '.join(f'{a:g}' for a in p['alphas'])}}}, "
        f"{p['n_train']} training and {p['n_eval']} evaluation examples, {p['epochs']} epoch{'s' if p['epochs'] != 1 else ''}"
    )
    return (
        f"Rerun under the book profile `{p['profile']}` on {model_label}, with {protocol}: the training-time F measured as "
        f"the author did is {signed(f0)} at α = 0 and {signed(f1)} at α = 1 (Spearman ρ between α and final F: "
        f"{signed(rho, '+.2f')}); the accuracy gain at α = 0.001 over α = 0 is {signed(gain, '+.2f')} percentage points. "
        f"Of its {len(rows)} claims: {verdicts} (see [Claims](claims.md)).\n"
    )


def headline(table: pd.DataFrame, m: Measures) -> str:
    """The first page's findings: the paper's claims tallied, the companion's findings tallied apart
    (each adding up to its count in the registry), and the book's central numbers."""
    P = _profile(m)
    paper = table[table["origin"] != "ours"]
    ours = table[table["origin"] == "ours"]
    counts, mine = tally_words(table), tally_words(table, "ours")
    lines = [
        f"**The paper's {len(paper)} claims:** " + ", ".join(f"{n} {w}" for w, n in counts) + f" (together {sum(n for _, n in counts)}).",
        f"**This companion's {len(ours)} findings:** " + ", ".join(f"{n} {w}" for w, n in mine) + f" (together {sum(n for _, n in mine)}).",
        "",
        f"Built under the profile `{P.name}` ({P.title}): {P.description}. What the chapters found:",
        "",
    ]
    pair = [s for s in PAIR if P.systems.get(s)]
    key = "h1.{system}.{preset}.{baseline}.{stat}"
    if pair and all(has(m, key, system=s, preset="published", baseline="random", stat="dF") for s in pair):
        held = sum(read(m, key, system=s, preset="published", baseline="random", stat="ci_low") > 0 for s in pair)
        values = "; ".join(
            f"{P.label(s)} ΔF = {signed(read(m, key, system=s, preset='published', baseline='random', stat='dF'))}" for s in pair
        )
        paper_values = " and ".join(f"{signed(paper_delta_f(SYSTEMS[s]), '+.2f')} for {SYSTEMS[s]}" for s in pair)
        verb = "holds" if held == len(pair) else f"holds for {held} of {len(pair)} models"
        lines.append(f"- **H1 as published {verb} against the random baseline:** {values} (the paper: {paper_values}).")
    r2 = "robustness.{model}.r2_entropy_{preset}"
    if pair and all(has(m, r2, model=s, preset="published") for s in pair):
        values = [read(m, r2, model=s, preset="published") for s in pair]
        lines.append(
            f"- **{'But F mostly measures entropy' if all(v > 0.5 for v in values) else 'Entropy explains only part of F'}:** mean row entropy "
            f"alone explains {' and '.join(f'{v:.0%}' for v in values)} of F's variance across heads (chapter 7)."
        )
        ci = "robustness.{model}.{preset}.{baseline}.ci_low"
        survived = {
            b: sum(_above_zero(read(m, ci, model=s, preset=d, baseline=b)) for s in pair for d in ("published", "as_written"))
            for b in ("permuted", "entropy_matched")
        }
        lines.append(
            f"- **Against nulls that keep each head's own weights, H1 survives** in {survived['permuted']} of {2 * len(pair)} model × preset "
            f"cases against `permuted` and {survived['entropy_matched']} of {2 * len(pair)} against `entropy_matched`."
        )
    if has(m, "freg.gain_pp.alpha{alpha}", alpha="0.001"):
        lines.append(
            f"- **F-regularisation:** α = 0.001 moves accuracy by {signed(read(m, 'freg.gain_pp.alpha{alpha}', alpha='0.001'), '+.2f')} points "
            f"({_ci(m, 'freg.F.diff_pp.alpha{alpha}', alpha='0.001')} over paired seeds; this design detects {_mde(m)}; the paper: "
            f"{signed(paper_freg_pp(0.001), '+.2f')}, 'significant'), α = 1 by {signed(read(m, 'freg.collapse_drop_pp'), '+.2f')} "
            f"(the paper: {signed(paper_freg_pp(1.0), '+.2f')})."
        )
    cos = "freg_signal.{system}.{state}.{signal}"
    if has(m, cos, system="distilbert-sst2", state="init", signal="cosine") and has(
        m, "importance.{system}.{column}.{part}", system="gpt2", column="F_published", part="rho"
    ):
        rho = read(m, "importance.{system}.{column}.{part}", system="gpt2", column="F_published", part="rho")
        partial = read(m, "importance.{system}.{column}.{part}", system="gpt2", column="F_published", part="partial")
        lines.append(
            f"- **Does F find the heads that matter?** For {P.label('gpt2')}, ρ(F, importance by ablation) = {signed(rho, '+.2f')}, "
            f"and {signed(partial, '+.2f')} once entropy, confidence and layer are accounted for; F-regularisation's gradient has cosine "
            f"{read(m, cos, system='distilbert-sst2', state='init', signal='cosine'):.3f} with the entropy term's (chapter 9)."
        )
    lines += ["", "Every verdict is computed from the executed chapters (see [Claims](claims.md))."]
    return "\n".join(lines) + "\n"
