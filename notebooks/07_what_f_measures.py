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
# **The question.** When a real head scores a higher F than a baseline, is that because its graph
# is more structured, or only because its weights are peakier (lower entropy)? And in how many
# reasonable specifications of the gauge do H1 and H2 hold?
#
# Three questions follow from the gauge's definition itself,
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
profile = "full"
n_texts = 200
seed = 0
batch_sizes = {}  # texts per forward pass, by model (the paper profile sizes them from the GPU memory); 16 where unset
lams = [0.25, 0.5, 1.0, 2.0]
gammas = [0.0, 0.5, 1.0, 2.0]
n_flips = 1000
n_boot = 999
n_length_bins = 4

# %% tags=["hide-input"]
from gedig.analysis import robustness as rb
from gedig.analysis import what_f_measures as study
from gedig.book import takeaways
from gedig.book.notebook import finish
from gedig.book.profiles import PAIR, TABLE2
from gedig.book.profiles import get as get_profile
from gedig.figures import interactive, page
from gedig.figures import robustness as figures

page.book_style()
P = get_profile(profile)
trained = P.bound(PAIR)
systems = study.twins(trained)  # then each one's untrained twin ('bert@random-init')
corpora = [P.corpus, P.second_corpus]

# %% [markdown]
# Each model runs once per batch on each corpus and is gauged under all ten configurations.

# %%
texts = study.corpus_texts(corpora, n=n_texts, seed=seed)
options = P.scoring(seed=seed, batch_sizes=batch_sizes)
S = study.run(systems, texts, options=options)
n_base = S.n_texts()

# %% [markdown]
# ## 1. Where ΔF comes from
#
# For every model, both term definitions (at the paper's 0.9 quantile) and every baseline, ΔF
# splits exactly into the three terms' contributions: text-level means with bootstrap 95 % CIs
# (the error bars), and ΔF itself (the diamonds).

# %% tags=["hide-input"]
dec = study.decomposition(S, n_boot=n_boot, seed=seed)
page.figure(
    figures.decomposition(dec, trained, label=P.label),
    "ΔF of the trained models against each null or baseline, split into its three "
    f"terms, under both term definitions at q = 0.9: text-level means over {n_base} "
    f"texts of `{S.base}` with bootstrap 95 % CIs ({n_boot} resamples); diamonds mark "
    "ΔF.",
)

# %% tags=["hide-input"]
page.figure(
    figures.term_shares(dec, label=P.label),
    "The signed share of ΔF each term carries, for every model (untrained twins "
    f"included), preset and null ({n_base} texts). A share above 1 means the other "
    "terms pull the other way.",
)

# %% tags=["remove-input"]
page.bullets(takeaways.decomposition_lines(dec, trained, label=P.label))

# %% [markdown]
# ## 2. Against nulls that keep each head's own weights
#
# Under `permuted`, threshold, edge count and entropy equal the real head's exactly, so
# $F_{real} - F_{permuted} = -\lambda\gamma\,(\Delta SP_{real} - \Delta SP_{permuted})$: what is left is
# *where* the large weights sit. Mind the direction: under `published`, ΔSP is 1/ASPL of the largest
# component, so a graph with *shorter* paths has a *higher* ΔSP, and a higher ΔSP *lowers* F.
# `entropy_matched` keeps each row's entropy only in expectation.

# %% tags=["hide-input"]
null_table = study.nulls(S)
page.figure(
    figures.nulls(null_table, S.systems, study.NULLS, label=P.label),
    "H1 against each null under both term definitions (q = 0.9): the text-level mean "
    f"ΔF with its t-based 95 % CI over {n_base} texts, for the trained models and "
    "their untrained twins. Right of 0: the real head scores the higher F.",
)

# %% tags=["remove-input"]
page.bullets(takeaways.null_lines(null_table, label=P.label))

# %% [markdown]
# (spec-share)=
# ## 3. The specification curve
#
# H1's effect is the text-level mean ΔF with its 95 % CI, over λ × γ × threshold × term
# definitions, for each model, corpus and baseline (`random`, `permuted`). The upper panel sorts the
# specifications by effect and colours them by origin: the author's code (published terms,
# λ = γ = 0.5), the paper's text (as-written terms, λ = 1, γ = 0.5) and other reasonable choices.
# The lower panel marks each specification's choices.
#
# **Share**, here, is the share of specifications whose 95 % CI lies above 0: the effect is there.
# Against `permuted`, every specification with γ = 0 is 0 by construction (the null keeps ΔEPC and
# ΔH, and γ = 0 removes ΔSP), so it tests nothing: those are left out of every share and joint
# test, and counted below. The claims page's "holds in N % of specifications" is another share: that
# of specifications in which a claim's own predicate holds.

# %% tags=["remove-input"]
spec_list = rb.specs(lams=lams, gammas=gammas)
curves, joints = study.curves(S, spec_list, n_flips=n_flips, seed=seed)
first = S.systems[0]
excluded = int(curves[("h1", first, S.base, "permuted")]["zero_by_construction"].sum())
page.say(
    f"{len(spec_list)} specifications per model × corpus × baseline; against "
    f"`permuted`, {excluded} of them (γ = 0) are 0 by construction and left out."
)

# %% tags=["hide-input"]
page.figures(figures.h1_curves(curves, first, S.base, label=P.label, n_texts=n_base))

# %% tags=["hide-input"]
page.figure(
    figures.spec_curve(
        curves[("h2", first, S.base, "")],
        f"H2, {P.label(first)}, {S.base}: mean F, layer 1 − layer 0",
    ),
    "Specification curve of H2 (the per-text change of mean F from layer 0 to layer "
    f"1) for {P.label(first)} on {n_base} texts: {len(spec_list)} specifications.",
)

# %% [markdown]
# The H1 curve against `random`, interactive (an addition beside the static figure): hover a
# specification to see its choices and its estimate.

# %% tags=["hide-input"]
title = f"H1, {P.label(first)}, {S.base}: ΔF against random"
h1_curve = interactive.spec_curve(curves[("h1", first, S.base, "random")], title=title)
page.plotly_figure(
    interactive.show(h1_curve, div_id="spec-curve-h1"),
    f"The H1 curve against random for {P.label(first)} ({len(spec_list)} "
    f"specifications, {n_base} texts), interactive: hover for a specification's "
    "choices and estimate.",
)

# %% [markdown]
# Shares of specifications whose 95 % CI lies above 0, per origin, and the joint test under the null
# (the same sign flips of per-text effects applied to every specification).

# %% tags=["hide-input"]
page.figure(
    figures.share_grid(study.shares(curves), label=P.label),
    "The share of specifications in which the effect's 95 % CI lies above 0, per "
    f"model, corpus and effect ({len(spec_list)} specifications each; against "
    f"`permuted`, the {excluded} zero by construction are left out).",
)

# %% tags=["remove-input"]
page.table(
    study.joint_view(joints, label=P.label),
    formats={"median_effect": "+.4f", "share_significant_positive": ".0%"},
    number_format=".3f",
    summary=f"The joint test for every curve ({len(joints)} rows): median effect, share of "
    f"significantly positive specifications, and their sign-flip p-values ({n_flips} "
    "flips)",
)

# %% [markdown]
# ## 4. Token length
#
# Texts binned by token length (bins of about equal counts), published terms at q = 0.9: H1's ΔF
# against `random` and H2's layer-1 − layer-0 change, each with a 95 % CI.

# %% tags=["hide-input"]
lengths = study.lengths(S, list(trained), n_bins=n_length_bins)
page.figure(
    figures.by_length(lengths, label=P.label),
    f"H1 and H2 by token length: {n_base} texts of `{S.base}` in {n_length_bins} bins "
    "of about equal counts, published terms at q = 0.9, with 95 % CIs.",
)

# %% tags=["remove-input"]
page.bullets(takeaways.length_lines(lengths, label=P.label))

# %% [markdown]
# ## 5. F against simple head statistics
#
# Per head (means over texts): mean row entropy, row maximum, and the shares of attention on the
# first token, on the token itself and on its neighbours (Clark et al. 2019). How much of the
# variance of F across heads, and of ΔF against `random`, does entropy alone explain, and how much
# do all of them?

# %% tags=["hide-input"]
heads, r2_table = study.head_statistics(S, n_boot=n_boot, seed=seed)
page.figure(
    figures.entropy_scatter(heads, r2_table, list(trained), label=P.label),
    f"Each head's mean F against its mean row entropy ({n_base} texts), under both "
    "term definitions, with the R² of entropy alone.",
)

# %% tags=["remove-input"]
page.table(
    study.labelled(r2_table, label=P.label),
    number_format=".0%",
    caption="R² across heads: of F and of ΔF against random, from mean row entropy alone and "
    "from all six head statistics.",
)

# %% tags=["remove-input"]
table2 = study.table2_systems(TABLE2, P.model, trained)
measures = study.measures(
    S,
    curve_map=curves,
    spec_list=spec_list,
    r2_table=r2_table,
    null_table=null_table,
    dec=dec,
    length_table=lengths,
    table2=table2,
)
finish(measures)
