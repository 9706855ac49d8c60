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
# Section 5.4: "even within the same layer, heads differ in F", read as heads holding different
# thermodynamic states. We map the mean F of every head, measure the spread within each layer, and
# test whether heads differ with texts as replicates (a Friedman test per layer: each text is a
# block, each head a treatment). Then we look at the most and least structured heads.

# %% tags=["parameters"]
models = ["minilm-l6", "smollm2-135m"]
corpus = "wiki-summaries"
n_texts = 200
seed = 0
example_index = 0

# %%
import matplotlib.pyplot as plt
import pandas as pd

import gedig
from gedig import analysis
from gedig.book.claims import write_measures
from gedig.book.provenance import record
from gedig.figures import plots
from gedig.models.attention import display_tokens, extract

texts = gedig.load_texts(corpus, n=n_texts, seed=seed)
runs = {m: gedig.score(m, texts, seed=seed) for m in models}

# %% [markdown]
# ## Mean F per layer × head

# %%
fig, axes = plt.subplots(1, len(models), figsize=(7 * len(models), 4), squeeze=False)
for ax, (m, df) in zip(axes[0], runs.items(), strict=True):
    plots.head_heatmap(df, ax=ax, title=f"{m}: mean F per head")
plt.tight_layout()

# %% [markdown]
# ## Within-layer spread and the Friedman test

# %%
div_tables, measures = {}, {}
for m, df in runs.items():
    table, meas = analysis.head_diversity(df)
    div_tables[m] = table.assign(model=m)
    measures.update(meas)
diversity = pd.concat(div_tables.values(), ignore_index=True)
diversity[["model", "layer", "head_mean_min", "head_mean_max", "spread", "head_sd", "friedman_chi2", "friedman_p"]]

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
for m, t in div_tables.items():
    ax.plot(t["layer"] / max(t["layer"].max(), 1), t["spread"], marker="o", label=m)
ax.set_xlabel("relative depth")
ax.set_ylabel("max − min of head means")
ax.legend()

# %% [markdown]
# ## The most and least structured heads
#
# For each model, the layer with the widest spread: its head with the highest mean F (closest to
# 0, "most structured" in H1's reading) and the lowest, on one example text.

# %%
for m, t in div_tables.items():
    model = gedig.load_model(m)
    row = t.loc[t["spread"].idxmax()]
    batch = extract(model, texts, [example_index], max_length=256)
    tokens = display_tokens(model, texts[example_index])
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    for ax_row, which in zip(axes, ["most_structured_head", "least_structured_head"], strict=True):
        head = int(row[which])
        A = batch.attn[0, int(row["layer"]), head].double().numpy()
        plots.attention_panel(A, tokens=tokens, title=f"{m} layer {int(row['layer'])} head {head} ({which.replace('_', ' ')})", axes=ax_row)
    plt.tight_layout()

# %%
parameters = {"models": models, "corpus": corpus, "n_texts": n_texts, "seed": seed, "example_index": example_index}
write_measures({**measures, **record("05_head_diversity", parameters)}, "05_head_diversity.json")
