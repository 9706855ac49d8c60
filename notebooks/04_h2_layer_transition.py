# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. H2: a layer-wise transition? (Figure 2)
#
# **The question.** Does F rise toward 0 with depth, with a sharp jump after layer 0, as section
# 5.3 reads Figure 2?
#
# Section 5.3 shows BERT's F per layer as boxplots with the random baseline's mean as a red dashed
# line, and reads them as a transition: layer 0 at F ≈ −0.34 ("exploration"), a sharp rise to
# ≈ −0.24 in layers 1–2, and a plateau near −0.25 from layer 3 on ("structure"). H2 states that
# F rises toward 0 with depth. We redraw the figure for every model this book binds to the paper's
# systems, test the depth trend (Spearman ρ of F with the layer index, per-text layer means as
# replicates), find the largest jump between adjacent layers, and set our per-layer values beside
# the paper's BERT values and the author's per-layer Llama-3 and Phi-3 run.
#
# The paper's BERT magnitudes are close to what the author's *earlier* directed-ΔSP code gives
# (its ΔSP is almost always 0), so the encoder is also scored with that preset.

# %% tags=["parameters"]
profile = "full"
extra_presets = {"bert": ["directed_sp"]}
n_texts = 200
seed = 0
batch_sizes = {}  # texts per forward pass, by model (the paper profile sizes them from the GPU memory); 16 where unset

# %% tags=["hide-input"]
import gedig
from gedig import analysis
from gedig.book.notebook import finish
from gedig.book.profiles import TABLE2
from gedig.book.profiles import get as get_profile
from gedig.figures import h2 as figures
from gedig.figures import page
from gedig.paper import AUTHOR_TEXTS, PAPER_BERT_LAYERS, author_llm_by_layer

page.book_style()
P = get_profile(profile)
bound = P.bound(TABLE2)
label = P.labeller(among=TABLE2)
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %%
options = P.scoring(seed=seed, batch_sizes=batch_sizes)
runs = analysis.h2_runs(bound, texts, extra_presets=extra_presets, options=options)
layer_tables = analysis.h2_layer_tables(runs)

# %% [markdown]
# ## Figure 2, per model

# %% tags=["hide-input"]
page.figures(figures.figure2(runs, label=label))

# %% [markdown]
# The same figure, interactive (an addition; the static one above is the one matched to the
# paper): hover a point to see its head, its text and its value. The boxes use every text × head;
# the points are a seeded sample of texts, which keeps the page small at full size.

# %% tags=["hide-input"]
figures.figure2_interactive(runs, texts, seed=seed, label=label)

# %% [markdown]
# ## Depth trend and the largest jump

# %% tags=["remove-input"]
page.table(
    analysis.trend_table(runs, label=label),
    formats={"spearman ρ": "+.3f", "jump size": "+.4f"},
    caption="H2 per model and preset: Spearman ρ of F with the layer index "
    f"(per-text layer means of {len(texts)} texts).",
)

# %% tags=["remove-input"]
per_layer = analysis.per_layer_table(layer_tables, label=label)
page.table(
    per_layer,
    formats={"win_rate": ".3f"},
    number_format="+.4f",
    summary="Per-layer F, random baseline and ΔF for every model and preset "
    f"({len(per_layer)} rows; the figures above draw them)",
)

# %% [markdown]
# ## Beside the paper's BERT values
#
# The paper gives three BERT levels; we plot them against the encoder's per-layer mean F under the
# executed gauge and under the directed-ΔSP variant.

# %% tags=["hide-input"]
page.figure(
    figures.paper_levels(
        layer_tables, bound.get("bert"), PAPER_BERT_LAYERS, label=label
    ),
    f"Mean F per layer of {P.label('bert')} over {len(texts)} texts, under the "
    "executed gauge and the directed-ΔSP variant, beside the three levels the paper "
    "gives for BERT (black bars).",
)

# %% [markdown]
# ## Beside the author's per-layer LLM run
#
# The author's executed notebook stored per-layer ΔF (vs random) for Phi-3, Llama-3 and Llama-3.1
# (32 layers each). On a relative-depth axis, next to our models:

# %% tags=["hide-input"]
author = author_llm_by_layer()
page.figure(
    figures.author_depth(author, layer_tables, label=label),
    "Per-layer ΔF against random on a relative-depth axis: the author's stored "
    f"{author.groupby('model')['layer'].nunique().max()}-layer runs ({AUTHOR_TEXTS} "
    f"texts each) and ours ({len(texts)} texts).",
)

# %% tags=["remove-input"]
finish(analysis.h2_measures(runs, bound) | {"h2.n_texts": len(texts)})
