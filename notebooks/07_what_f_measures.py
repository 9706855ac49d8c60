# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. What F measures, and how robust each verdict is
#
# The chapters so far reproduce the paper's numbers. This one checks what they mean. Three
# questions follow from the gauge's definition itself,
#
# $$F = \Delta EPC - \lambda\,(\Delta H + \gamma\,\Delta SP).$$
#
# 1. With a q-quantile threshold, $\Delta EPC = |E|/L^2 \approx 1 - q$ for every head, so ΔF between
#    a real head and a baseline of the same length comes almost entirely from $-\lambda\,\Delta\Delta H$
#    and $-\lambda\gamma\,\Delta\Delta SP$. Is H1 more than "real heads have lower entropy than
#    i.i.d. uniform noise"?
# 2. The `random` baseline is close to maximum entropy. Two nulls built from each head's *own*
#    weights separate entropy from structure: `permuted` shuffles each row among its allowed
#    positions (same weights, same threshold, same ΔEPC and ΔH, so ΔF comes from ΔSP alone), and
#    `entropy_matched` draws each row from a Dirichlet whose expected entropy is the real row's.
# 3. Each verdict rests on one choice of λ, γ, threshold and term definitions. In how many
#    reasonable specifications does it hold (Simonsohn, Simmons & Nelson 2020)?
#
# Then two checks a reviewer of attention analyses asks for: does the result hold at every token
# length, and how much of F do the simple head statistics of Clark et al. (2019) already explain?
#
# Every table here comes from one forward pass per batch: each model is run once and gauged under
# all ten (term definitions × threshold) configurations; λ and γ only recombine the stored terms.

# %% tags=["parameters"]
models = ["minilm-l6", "smollm2-135m", "minilm-l6@random-init", "smollm2-135m@random-init"]
corpora = ["wiki-summaries", "rotten-tomatoes"]
n_texts = 200
seed = 0
lams = [0.25, 0.5, 1.0, 2.0]
gammas = [0.0, 0.5, 1.0, 2.0]
n_flips = 1000
n_boot = 999
n_length_bins = 4

# %%
import time

import matplotlib.pyplot as plt
import pandas as pd

import gedig
from gedig.analysis import robustness as rb
from gedig.book.claims import write_measures
from gedig.book.provenance import record
from gedig.figures import interactive, plots

configs = rb.term_configs()
nulls = ("random", "permuted", "entropy_matched")
t0 = time.perf_counter()
tables = {}
for c in corpora:
    texts = gedig.load_texts(c, n=n_texts, seed=seed)
    for m in models:
        scored = gedig.score(m, texts, config=list(configs.values()), baselines=nulls, seed=seed)
        for key, table in zip(configs, scored, strict=True):
            tables[(m, c, *key)] = table
grid_seconds = time.perf_counter() - t0
print(f"{len(models)} models × {len(corpora)} corpora × {len(configs)} configurations on {n_texts} texts: {grid_seconds:.0f} s")

# %% [markdown]
# ## 1. Where ΔF comes from
#
# For every model, both term definitions (at the paper's 0.9 quantile) and every baseline, ΔF
# splits exactly into the three terms' contributions. Text-level means, with bootstrap 95 % CIs;
# the black dots are ΔF.

# %%
base = "wiki-summaries"
dec = pd.concat(
    [
        rb.decomposition(tables[(m, base, d, "q 0.9")], configs[(d, "q 0.9")], nulls, n_boot=n_boot, seed=seed)
        for m in models
        for d in rb.DEFINITIONS
    ],
    ignore_index=True,
)
plots.decomposition_figure(dec)
plt.tight_layout()

# %%
shares = dec.pivot_table(index=["model", "preset", "baseline"], columns="term", values="share").round(3)
shares

# %%
pub = dec[(dec["preset"] == "published") & (dec["baseline"] == "random") & ~dec["model"].str.endswith("@random-init")]
for m, g in pub.groupby("model"):
    s = g.set_index("term")["share"]
    print(f"{m}, published, against random: ΔH carries {s['ΔH']:.0%} of ΔF, ΔSP {s['ΔSP']:.0%}, ΔEPC {s['ΔEPC']:.0%}.")

# %% [markdown]
# ## 2. Against nulls that keep each head's own weights
#
# Under `permuted`, threshold, edge count and entropy equal the real head's exactly, so
# $F_{real} - F_{permuted} = -\lambda\gamma\,(\Delta SP_{real} - \Delta SP_{permuted})$: what is left is
# *where* the large weights sit. `entropy_matched` keeps each row's entropy only in expectation.

# %%
rows = []
for m in models:
    for d in rb.DEFINITIONS:
        cfg = configs[(d, "q 0.9")]
        spec = rb.Spec(d, "q 0.9", cfg.lam, cfg.gamma)
        for b in nulls:
            effect, lo, hi = rb.t_interval(rb.h1_per_text(tables[(m, base, d, "q 0.9")], spec, b).to_numpy())
            rows.append({"model": m, "preset": d, "baseline": b, "dF": effect, "ci_low": lo, "ci_high": hi, "holds": lo > 0})
null_table = pd.DataFrame(rows)
null_table.round(4)

# %%
for r in null_table[(null_table["baseline"] == "permuted") & (null_table["preset"] == "published")].itertuples():
    verdict = "survives" if r.holds else "does not survive"
    print(f"{r.model}: ΔF against the permuted null {r.dF:+.4f} (95 % CI {r.ci_low:+.4f} … {r.ci_high:+.4f}): H1 {verdict}.")

# %% [markdown]
# ## 3. The specification curve
#
# H1's effect is the text-level mean ΔF with its 95 % CI, over λ × γ × threshold × term
# definitions, for each model, corpus and baseline (`random`, `permuted`). The upper panel sorts the
# specifications by effect and colours them by origin: the author's code (published terms,
# λ = γ = 0.5), the paper's text (as-written terms, λ = 1, γ = 0.5) and other reasonable choices.
# The lower panel marks each specification's choices.

# %%
spec_list = rb.specs(lams=lams, gammas=gammas)
curves, joints, matrices = {}, [], {}
for m in models:
    for c in corpora:
        by_key = {(d, t): tables[(m, c, d, t)] for d, t in configs}
        for b in ("random", "permuted"):
            curve, D = rb.spec_curve(by_key, "h1", baseline=b, spec_list=spec_list)
            curves[("h1", m, c, b)] = curve
            joints.append({"effect": "H1", "model": m, "corpus": c, "baseline": b, **rb.joint_test(D, n_flips=n_flips, seed=seed)})
        curve, D = rb.spec_curve(by_key, "h2", spec_list=spec_list)
        curves[("h2", m, c, "")] = curve
        joints.append({"effect": "H2", "model": m, "corpus": c, "baseline": "", **rb.joint_test(D, n_flips=n_flips, seed=seed)})
print(f"{len(spec_list)} specifications per model × corpus × baseline")

# %%
for b in ("random", "permuted"):
    plots.spec_curve_figure(curves[("h1", "minilm-l6", base, b)], title=f"H1, minilm-l6, {base}: ΔF against {b}")
    plt.tight_layout()

# %%
plots.spec_curve_figure(curves[("h2", "minilm-l6", base, "")], title=f"H2, minilm-l6, {base}: mean F, layer 1 − layer 0")
plt.tight_layout()

# %% [markdown]
# The H1 curve against `random`, interactive (an addition beside the static figure): hover a
# specification to see its choices and its estimate.

# %%
interactive.show(
    interactive.spec_curve(curves[("h1", "minilm-l6", base, "random")], title=f"H1, minilm-l6, {base}: ΔF against random"),
    div_id="spec-curve-h1-minilm-l6",
)

# %% [markdown]
# Shares of specifications whose 95 % CI lies above 0, per origin, and the joint test under the null
# (the same sign flips of per-text effects applied to every specification).


# %%
def share_positive(curve):
    return float((curve["ci_low"] > 0).mean())


summary_rows = []
for (effect, m, c, b), curve in curves.items():
    row = {"effect": effect.upper(), "model": m, "corpus": c, "baseline": b, "all": share_positive(curve)}
    row.update({origin: share_positive(g) for origin, g in curve.groupby("origin")})
    summary_rows.append(row)
robust = pd.DataFrame(summary_rows)
robust.round(3)

# %%
pd.DataFrame(joints)[
    ["effect", "model", "corpus", "baseline", "median_effect", "share_significant_positive", "p_median", "p_n_significant"]
].round(4)

# %% [markdown]
# ## 4. Token length
#
# Texts binned by token length (bins of about equal counts), published terms at q = 0.9: mean F,
# H1's ΔF against `random` and H2's layer-1 − layer-0 change, each with a 95 % CI.

# %%
lengths = pd.concat(
    [rb.by_length(tables[(m, base, "published", "q 0.9")], configs[("published", "q 0.9")], n_bins=n_length_bins) for m in models[:2]],
    ignore_index=True,
)
lengths.round(4)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for m, g in lengths.groupby("model"):
    mid = (g["L_min"] + g["L_max"]) / 2
    axes[0].errorbar(mid, g["h1_dF"], yerr=[g["h1_dF"] - g["h1_low"], g["h1_high"] - g["h1_dF"]], marker="o", label=m)
    axes[1].errorbar(mid, g["h2_dF"], yerr=[g["h2_dF"] - g["h2_low"], g["h2_high"] - g["h2_dF"]], marker="o", label=m)
for ax, name in zip(axes, ("H1: ΔF vs random", "H2: layer 1 − layer 0"), strict=True):
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("tokens (bin midpoint)")
    ax.set_title(name)
axes[0].legend(fontsize=8)
plt.tight_layout()

# %%
for m, g in lengths.groupby("model"):
    print(f"{m}: H1 holds in {int(g['h1_holds'].sum())} of {len(g)} length bins; H2 in {int(g['h2_holds'].sum())} of {len(g)}.")

# %% [markdown]
# ## 5. F against simple head statistics
#
# Per head (means over texts): mean row entropy, row maximum, and the shares of attention on the
# first token, on the token itself and on its neighbours (Clark et al. 2019). How much of the
# variance of F across heads, and of ΔF against `random`, does entropy alone explain, and how much
# do all of them?

# %%
r2_rows, head_tables = [], []
for m in models:
    for d in rb.DEFINITIONS:
        heads, r2 = rb.head_stat_r2(tables[(m, base, d, "q 0.9")], configs[(d, "q 0.9")])
        head_tables.append(heads)
        r2_rows.append({"model": m, "preset": d, **r2})
r2_table = pd.DataFrame(r2_rows)
r2_table.round(3)

# %%
heads = pd.concat(head_tables, ignore_index=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, d in zip(axes, rb.DEFINITIONS, strict=True):
    for m, g in heads[(heads["preset"] == d) & ~heads["model"].str.endswith("@random-init")].groupby("model"):
        ax.scatter(g["stat_row_entropy"], g["F_spec"], s=10, label=m)
    ax.set_xlabel("mean row entropy (nats)")
    ax.set_ylabel("F (head mean)")
    ax.set_title(f"[{d}]")
axes[0].legend(fontsize=8)
plt.tight_layout()

# %%
for r in r2_table[~r2_table["model"].str.endswith("@random-init")].itertuples():
    print(
        f"{r.model} [{r.preset}]: entropy alone explains {r.r2_entropy_F:.0%} of F's variance across heads "
        f"(all statistics {r.r2_all_F:.0%}); of ΔF against random, {r.r2_entropy_dF:.0%} ({r.r2_all_dF:.0%})."
    )

# %% [markdown]
# ## Measures for the claims registry

# %%
TERM_KEYS = {"ΔEPC": "epc", "ΔH": "h", "ΔSP": "sp"}
measures = {"robustness.n_specs": len(spec_list), "robustness.grid_seconds": grid_seconds}
for m in models:
    for c in corpora:
        measures[f"robustness.{m}.{c}.share_random_positive"] = share_positive(curves[("h1", m, c, "random")])
        measures[f"robustness.{m}.{c}.share_permuted_positive"] = share_positive(curves[("h1", m, c, "permuted")])
        measures[f"robustness.{m}.{c}.share_h2_positive"] = share_positive(curves[("h2", m, c, "")])
    for r in r2_table[r2_table["model"] == m].itertuples():
        measures[f"robustness.{m}.r2_entropy_{r.preset}"] = r.r2_entropy_F
        measures[f"robustness.{m}.r2_all_{r.preset}"] = r.r2_all_F
    for r in null_table[null_table["model"] == m].itertuples():
        measures[f"robustness.{m}.{r.preset}.{r.baseline}.ci_low"] = r.ci_low
    for r in dec[(dec["model"] == m) & (dec["baseline"] == "random")].itertuples():
        measures[f"robustness.{m}.{r.preset}.random.share_{TERM_KEYS[r.term]}"] = r.share
    # per-specification effects on the H1/H2 claims' corpus, for the claims page's robustness share
    measures[f"spec.{m}.random.dF"] = curves[("h1", m, base, "random")]["effect"].tolist()
    measures[f"spec.{m}.h2.layer1_minus_layer0"] = curves[("h2", m, base, "")]["effect"].tolist()
for r in lengths.itertuples():
    measures[f"robustness.{r.model}.length_bin{r.bin}.h1_holds"] = r.h1_holds
for m, g in lengths.groupby("model"):
    measures[f"robustness.{m}.h1_holds_in_every_length_bin"] = bool(g["h1_holds"].all())
parameters = {"models": models, "corpora": corpora, "n_texts": n_texts, "seed": seed, "lams": lams, "gammas": gammas, "n_flips": n_flips}
write_measures({**measures, **record("07_what_f_measures", parameters)}, "07_what_f_measures.json")
{k: v for k, v in measures.items() if ".share_" in k and "random-init" not in k}
