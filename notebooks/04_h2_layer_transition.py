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
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import gedig
from gedig import analysis
from gedig.book.claims import chapter_verdicts, verdict_sentence, write_measures
from gedig.book.profiles import TABLE2
from gedig.book.profiles import get as get_profile
from gedig.book.provenance import record
from gedig.figures import interactive, page, plots
from gedig.paper import AUTHOR_TEXTS, PAPER_BERT_LAYERS, author_llm_by_layer

page.book_style()
P = get_profile(profile)
bound = P.bound(TABLE2)
models = list(dict.fromkeys(bound.values()))
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %%
runs = {(m, "published"): gedig.score(m, texts, **P.score_options(m, seed=seed, batch_sizes=batch_sizes)) for m in models}
for s, extra in extra_presets.items():
    for p in extra if s in bound else []:
        config = gedig.GaugeConfig.from_name(p)
        runs[(bound[s], p)] = gedig.score(bound[s], texts, config=config, **P.score_options(bound[s], seed=seed, batch_sizes=batch_sizes))

# %% [markdown]
# ## Figure 2, per model

# %% tags=["hide-input"]
for (m, p), df in runs.items():
    fig, ax = plt.subplots(figsize=(9.5, 3.6))
    plots.layer_boxplot(df, ax=ax, title=f"{P.model_label(m, among=TABLE2)} [{p}]")
    display(page.figure(fig, f"F per layer for {P.model_label(m, among=TABLE2)} under the {p} gauge: every head of {df['text_id'].nunique()} texts (boxes), and the random baseline's mean (red dashed line), as in the paper's Figure 2."))

# %% [markdown]
# The same figure, interactive (an addition; the static one above is the one matched to the
# paper): hover a point to see its head, its text and its value. The boxes use every text × head;
# the points are a seeded sample of texts, which keeps the page small at full size.

# %% tags=["hide-input"]
for m in models:
    df = runs[(m, "published")]
    fragment = interactive.show(interactive.layer_figure(df, texts, seed=seed, title=f"{P.model_label(m, among=TABLE2)} [published]: F per layer"), div_id=f"h2-layers-{m.replace('/', '-')}")
    display(page.plotly_figure(fragment, f"F per layer for {P.model_label(m, among=TABLE2)}, interactive: boxes over every head of {df['text_id'].nunique()} texts, points for a seeded sample of texts (hover for head, text and value)."))

# %% [markdown]
# ## Depth trend and the largest jump

# %% tags=["remove-input"]
layer_tables, measures = {}, {}
for key, df in runs.items():
    layer_tables[key], _ = analysis.layer_transition(df)
for s, m in bound.items():  # each system reads its model's rows
    for (model, _preset), df in runs.items():
        if model == m:
            measures.update(analysis.layer_transition(df.assign(model=s))[1])
trend = pd.DataFrame(
    [
        {
            "model": P.model_label(m, among=TABLE2),
            "preset": p,
            "spearman ρ": table_m["spearman_rho"],
            "largest jump": f"layer {table_m['largest_jump_from_layer']} → {table_m['largest_jump_from_layer'] + 1}",
            "jump size": table_m["largest_jump"],
            "layer 0 lowest": table_m["layer0_lowest"],
            "ΔF > 0 in every layer": table_m["all_layers_positive"],
        }
        for (m, p), df in runs.items()
        for table_m in [{k.split(".")[-1]: v for k, v in analysis.layer_transition(df.assign(model="m"))[1].items() if k.count(".") == 3}]
    ]
)
display(page.table(trend, formats={"spearman ρ": "+.3f", "jump size": "+.4f"}, caption=f"H2 per model and preset: Spearman ρ of F with the layer index (per-text layer means of {len(texts)} texts)."))
per_layer = pd.concat([t.assign(model=P.model_label(m, among=TABLE2), preset=p) for (m, p), t in layer_tables.items()], ignore_index=True)
page.table(
    per_layer[["model", "preset", "layer", "F_real", "F_base", "dF", "win_rate"]],
    formats={"F_real": "+.4f", "F_base": "+.4f", "dF": "+.4f", "win_rate": ".3f"},
    summary=f"Per-layer F, random baseline and ΔF for every model and preset ({len(per_layer)} rows; the figures above draw them)",
)

# %% [markdown]
# ## Beside the paper's BERT values
#
# The paper gives three BERT levels; we plot them against the encoder's per-layer mean F under the
# executed gauge and under the directed-ΔSP variant.

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(8, 3.6))
encoder = bound.get("bert")
for (m, p), t in layer_tables.items():
    if m == encoder:
        ax.plot(t["layer"], t["F_real"], marker="o", label=f"{P.model_label(m, among=TABLE2)} [{p}]")
paper_x = {"layer 0": [0], "layers 1–2": [1, 2], "layers 3+": list(range(3, max(4, int(per_layer["layer"].max()) + 1)))}
for name, value in PAPER_BERT_LAYERS.items():
    ax.plot(paper_x[name], [value] * len(paper_x[name]), color="black", linewidth=3, alpha=0.6)
ax.plot([], [], color="black", linewidth=3, alpha=0.6, label="paper, BERT (section 5.3)")
ax.set_xlabel("layer")
ax.set_ylabel("mean F")
ax.legend()
page.figure(fig, f"Mean F per layer of {P.label('bert')} over {len(texts)} texts, under the executed gauge and the directed-ΔSP variant, beside the three levels the paper gives for BERT (black bars).")

# %% [markdown]
# ## Beside the author's per-layer LLM run
#
# The author's executed notebook stored per-layer ΔF (vs random) for Phi-3, Llama-3 and Llama-3.1
# (32 layers each). On a relative-depth axis, next to our models:

# %% tags=["hide-input"]
author = author_llm_by_layer()
frames = {f"author: {name}": g for name, g in author.groupby("model")}
for (m, p), t in layer_tables.items():
    if p == "published":
        frames[f"ours: {P.model_label(m, among=TABLE2)}"] = t
fig, ax = plt.subplots(figsize=(9.5, 4))
plots.depth_profile(frames, value="dF", ax=ax, title="ΔF vs random by relative depth")
ax.set_ylabel("ΔF vs random")
depths = sorted(author.groupby("model")["layer"].nunique().unique())
page.figure(fig, f"Per-layer ΔF against random on a relative-depth axis: the author's stored {'/'.join(map(str, depths))}-layer runs ({AUTHOR_TEXTS} texts each) and ours ({len(texts)} texts).")

# %% tags=["remove-input"]
parameters = {"profile": profile, "batch_sizes": batch_sizes, "extra_presets": extra_presets, "n_texts": n_texts, "seed": seed}
measures.update(record("04_h2_layer_transition", parameters))
write_measures(measures, "04_h2_layer_transition.json")
verdicts = chapter_verdicts(measures, "04_h2_layer_transition")
pair = [s for s in ("bert", "gpt2") if s in bound]
rhos = "; ".join(f"{P.label(s)}: ρ = {page.fmt(measures[f'h2.{s}.published.spearman_rho'], '+.3f')}" for s in pair)
b = "bert" if "bert" in bound else None
first = ""
if b:
    first = (
        f"For {P.label('bert')}, layer 0 is {'the lowest' if measures['h2.bert.published.layer0_lowest'] else 'not the lowest'} "
        f"(F = {page.fmt(measures['h2.bert.published.layer0.F'])} against the paper's {page.fmt(PAPER_BERT_LAYERS['layer 0'], '+.2f')}), and the largest rise is from layer "
        f"{measures['h2.bert.published.largest_jump_from_layer']}."
    )
page.takeaway(
    f"On {len(texts)} texts, the depth trend of F is {rhos}.",
    first,
    verdict_sentence(verdicts),
    "Chapter 5 asks whether the heads of one layer differ.",
)
