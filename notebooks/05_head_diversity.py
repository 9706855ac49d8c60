# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Head diversity
#
# **The question.** Do the heads of one layer differ in F, beyond what the variation between texts
# explains?
#
# Section 5.4: "even within the same layer, heads differ in F", read as heads holding different
# thermodynamic states. We map the mean F of every head, measure the spread within each layer, and
# test whether heads differ with texts as replicates (a Friedman test per layer: each text is a
# block, each head a treatment). Then we look at the most and least structured heads.

# %% tags=["parameters"]
profile = "full"
n_texts = 200
seed = 0
batch_sizes = {}  # texts per forward pass, by model (the paper profile sizes them from the GPU memory); 16 where unset
example_index = 0

# %% tags=["hide-input"]
import gedig
from gedig import analysis
from gedig.book.notebook import finish
from gedig.book.profiles import PAIR
from gedig.book.profiles import get as get_profile
from gedig.figures import heads as figures
from gedig.figures import page

page.book_style()
P = get_profile(profile)
bound = P.bound(PAIR)
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %%
runs = analysis.head_runs(
    bound, texts, options=P.scoring(seed=seed, batch_sizes=batch_sizes)
)

# %% [markdown]
# ## Mean F per layer × head

# %% tags=["hide-input"]
page.figure(
    figures.head_heatmaps(runs, label=P.label),
    f"Mean F of every head (texts averaged over {len(texts)} texts), one panel per "
    "model: rows are layers, columns heads; brighter is closer to 0.",
)

# %% [markdown]
# ## Within-layer spread and the Friedman test

# %% tags=["remove-input"]
tables, measures = analysis.diversity_tables(runs, label=P.label)
page.table(
    analysis.diversity_summary(tables),
    formats={"spread_min": ".4f", "spread_max": ".4f", "friedman_p_max": ".1e"},
    caption="Per model: the range of the within-layer spread of head means (max − min) and "
    "the largest Friedman p over its layers.",
)

# %% tags=["remove-input"]
diversity = analysis.every_layer(tables)
page.table(
    diversity,
    formats={
        "spread": ".4f",
        "head_sd": ".4f",
        "friedman_chi2": ".1f",
        "friedman_p": ".1e",
    },
    number_format="+.4f",
    summary=f"Every layer: head means, spread and the Friedman test ({len(diversity)} rows)",
)

# %% tags=["hide-input"]
page.figure(
    figures.spread_by_depth(tables, label=P.label),
    f"Within-layer spread of the heads' mean F ({len(texts)} texts) by relative depth, "
    "one line per model.",
)

# %% [markdown]
# ## The most and least structured heads
#
# For each model, the layer with the widest spread: its head with the highest mean F (closest to
# 0, "most structured" in H1's reading) and the lowest, on one example text.

# %% tags=["hide-input"]
loaded = P.load_models(bound)
page.figures(figures.extreme_heads(loaded, tables, texts[example_index], label=P.label))

# %% tags=["remove-input"]
finish(measures | {"heads.n_texts": len(texts)})
