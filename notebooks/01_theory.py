# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The geDIG gauge, term by term
#
# **The question.** What does the gauge reward on graphs simple enough to check by hand, and how
# far apart are the three ways of computing it (the author's code, the paper's text, and the
# author's earlier variant)?
#
# The paper (section 2) proposes one scalar that weighs the cost of a structural edit against
# what it buys:
#
# $$\mathcal{F} = \Delta EPC_{norm} - \lambda\,(\Delta H_{norm} + \gamma\,\Delta SP_{rel})$$
#
# | term | meaning | theory (paper's Table 1) | sign |
# |---|---|---|---|
# | $\Delta EPC_{norm}$ | edit-path cost: how many edges the structure needs | MDL: model length $L(M)$ | large → bad |
# | $\Delta H_{norm}$ | entropy of the weights | FEP: surprise | negative → ordering |
# | $\Delta SP_{rel}$ | relative shortest-path gain | MDL: compression | positive → efficiency |
# | $\lambda, \gamma$ | weights | "information temperature" | – |
#
# On attention (section 4), a head's $L \times L$ weight matrix becomes a graph whose edges are the
# entries above the top-10% threshold. This chapter computes the paper's Figure 1 intuition, its
# two-stage gate, and shows the three ways the gauge can be read (the author's code, the paper's
# text, and the author's earlier directed variant) on the same matrices.

# %% tags=["parameters"]
profile = "full"
chain_length = 12
random_edge_counts = [1, 3, 6, 12, 24]
lam = 1.0
gamma = 0.5
seed = 0

# %% tags=["hide-input"]
from gedig import analysis
from gedig.book.notebook import finish
from gedig.figures import page
from gedig.figures import theory as figures

page.book_style()

# %% [markdown]
# ## Figure 1: a shortcut pays, random edges stop paying
#
# We build each graph of the figure as an attention matrix (every row spreads its mass evenly over
# its edges) and score it with the paper's text reading (`as_written`): $\Delta SP_{rel}$ is the
# relative drop of the average shortest path against the bare chain. $\Delta EPC$ grows with every
# edge; the path gain does not. `gain_per_edge` is how much the structural part
# $\Delta EPC - \lambda\gamma\,\Delta SP_{rel}$ falls per added edge.

# %%
examples = analysis.chain_examples(chain_length, n_random=random_edge_counts, seed=seed)
fig1 = analysis.figure1_table(examples, lam=lam, gamma=gamma)
page.table(fig1, number_format="+.4f")

# %% tags=["hide-input"]
shown = [
    "chain",
    "chain + long shortcut",
    f"chain + {random_edge_counts[-1]} random edges",
]
fig = figures.figure1_graphs(examples, fig1, shown, tau=analysis.theory.TAU)
page.figure(
    fig,
    f"Figure 1's graphs built as attention matrices on a chain of {chain_length} "
    "tokens: the bare chain, the chain with one long shortcut, and the chain with "
    f"{random_edge_counts[-1]} random edges, each with its ΔEPC and relative path gain "
    "under the paper's text.",
)

# %% tags=["hide-input"]
page.figure(
    figures.gain_per_edge(fig1),
    "Structural gain per added edge (how much ΔEPC − λγ·ΔSP_rel falls per edge, λ = "
    f"{lam}, γ = {gamma}) for random edge sets of "
    f"{', '.join(map(str, random_edge_counts))} edges, against one long and one local "
    "shortcut.",
)

# %% [markdown]
# ## The two-stage gate (AG / DG)
#
# Section 2.5 describes an attention gate (0-hop: $g_0 > \theta_{AG}$ deepens the search) and a
# decision gate (multi-hop: $g_{min} < \theta_{DG}$ integrates the edit), without formulas. Our
# operationalisation (`gedig.analysis.two_stage_gate`): $g_0 = \Delta EPC - \lambda \Delta H$
# without paths, and $g_{min}$ the minimum over hop limits $h = 1..4$ of the gauge that counts only
# paths of at most $h$ hops as shortened. Thresholds are set relative to the bare chain: the AG
# fires when $g_0$ exceeds the chain's by 0.005, the DG accepts an edit that lowers $g_{min}$ by
# more than 0.02 below the chain's.

# %% tags=["hide-input"]
gates = analysis.gate_table(examples, lam=lam, gamma=gamma)
page.table(gates, formats={"g0": "+.4f", "g_min": "+.4f"})

# %% [markdown]
# ## Three readings of the same gauge
#
# The author's executed code and the paper's text define the terms differently (see the
# provenance chapter). `published` is what produced the paper's numbers (λ = 0.5, ΔSP = 1/ASPL,
# entropy over the non-zero entries); `as_written` follows the text (λ = 1, masks first, log L²,
# relative path gain over the token chain); `directed_sp` is the author's earlier code, whose ΔSP is
# almost always 0. The same matrices, scored three ways:

# %% tags=["hide-input"]
readings = analysis.preset_readings(16, seed=seed)
page.table(
    analysis.readings_wide(readings),
    number_format="+.4f",
    caption="F and ΔSP of the same matrices under each preset (L = 16).",
)

# %% tags=["remove-input"]
finish(analysis.theory_measures(fig1, readings, chain_length=chain_length))
