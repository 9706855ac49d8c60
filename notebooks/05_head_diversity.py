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
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import gedig
from gedig import analysis
from gedig.book.claims import chapter_verdicts, verdict_sentence, write_measures
from gedig.book.profiles import PAIR
from gedig.book.profiles import get as get_profile
from gedig.book.provenance import record
from gedig.figures import page, plots
from gedig.models.attention import display_tokens, extract

page.book_style()
P = get_profile(profile)
bound = P.bound(PAIR)
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %%
runs = {s: gedig.score(m, texts, **P.score_options(m, seed=seed, batch_sizes=batch_sizes)) for s, m in bound.items()}

# %% [markdown]
# ## Mean F per layer × head

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, len(runs), figsize=(9.5, 4.2), squeeze=False)
for ax, (s, df) in zip(axes[0], runs.items(), strict=True):
    plots.head_heatmap(df, ax=ax, title=P.label(s))
plt.tight_layout()
page.figure(fig, f"Mean F of every head (texts averaged over {len(texts)} texts), one panel per model: rows are layers, columns heads; brighter is closer to 0.")

# %% [markdown]
# ## Within-layer spread and the Friedman test

# %% tags=["remove-input"]
div_tables, measures = {}, {}
for s, df in runs.items():
    table, meas = analysis.head_diversity(df.assign(model=s))
    div_tables[s] = table.assign(model=P.label(s))
    measures.update(meas)
diversity = pd.concat(div_tables.values(), ignore_index=True)
summary = diversity.groupby("model").agg(
    layers=("layer", "count"),
    spread_min=("spread", "min"),
    spread_max=("spread", "max"),
    friedman_p_max=("friedman_p", "max"),
)
display(page.table(summary.reset_index(), formats={"spread_min": ".4f", "spread_max": ".4f", "friedman_p_max": ".1e"}, caption="Per model: the range of the within-layer spread of head means (max − min) and the largest Friedman p over its layers."))
page.table(
    diversity[["model", "layer", "head_mean_min", "head_mean_max", "spread", "head_sd", "friedman_chi2", "friedman_p"]],
    formats={"head_mean_min": "+.4f", "head_mean_max": "+.4f", "spread": ".4f", "head_sd": ".4f", "friedman_chi2": ".1f", "friedman_p": ".1e"},
    summary=f"Every layer: head means, spread and the Friedman test ({len(diversity)} rows)",
)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(8, 3.4))
for s, t in div_tables.items():
    ax.plot(t["layer"] / max(t["layer"].max(), 1), t["spread"], marker="o", label=P.label(s))
ax.set_xlabel("relative depth (layer / last layer)")
ax.set_ylabel("max − min of head means")
ax.legend()
page.figure(fig, f"Within-layer spread of the heads' mean F ({len(texts)} texts) by relative depth, one line per model.")

# %% [markdown]
# ## The most and least structured heads
#
# For each model, the layer with the widest spread: its head with the highest mean F (closest to
# 0, "most structured" in H1's reading) and the lowest, on one example text.

# %% tags=["hide-input"]
for s, t in div_tables.items():
    model = gedig.load_model(bound[s], dtype=P.dtypes.get(bound[s]))
    row = t.loc[t["spread"].idxmax()]
    batch = extract(model, texts, [example_index], max_length=256)
    tokens = display_tokens(model, texts[example_index])
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 9))
    for ax_row, which in zip(axes, ["most_structured_head", "least_structured_head"], strict=True):
        head = int(row[which])
        A = batch.attn[0, int(row["layer"]), head].double().numpy()
        plots.attention_panel(A, tokens=tokens, title=f"layer {int(row['layer'])} head {head} ({which.replace('_', ' ')})", axes=ax_row)
    plt.tight_layout()
    display(page.figure(fig, f"{P.label(s)}, layer {int(row['layer'])} (the widest spread): its most structured head (top) and least structured head (bottom) on one text of {len(tokens)} tokens."))

# %% tags=["remove-input"]
parameters = {"profile": profile, "batch_sizes": batch_sizes, "n_texts": n_texts, "seed": seed, "example_index": example_index}
measures.update(record("05_head_diversity", parameters))
write_measures(measures, "05_head_diversity.json")
verdicts = chapter_verdicts(measures, "05_head_diversity")
lines = [
    f"{P.label(s)}: heads differ in {int((t['friedman_p'] < 0.001).sum())} of {len(t)} layers (Friedman p < 0.001), spreads {t['spread'].min():.3f}–{t['spread'].max():.3f}"
    for s, t in div_tables.items()
]
page.takeaway(
    f"Heads of one layer differ in F beyond text-to-text variation, tested with {len(texts)} texts as blocks: " + "; ".join(lines) + ".",
    verdict_sentence(verdicts),
    "Chapter 6 turns F into a training loss.",
)
