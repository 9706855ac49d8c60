# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. From an attention head to a graph
#
# Section 4.1: a head's weights $A \in \mathbb{R}^{L\times L}$ (row $i$ = query, column $j$ = key)
# become a directed graph with an edge $i \to j$ whenever $A_{ij} > \tau$, where $\tau$ is the top-10%
# threshold, "after pad and causal masks". This chapter shows that mapping on one real head of each
# embedded model, on the four baselines, and how the threshold choice moves the result.

# %% tags=["parameters"]
models = ["minilm-l6", "smollm2-135m"]
corpus = "wiki-summaries"
n_texts = 100
seed = 0
example_text = "The cat sat on the mat because it was warm."
example_heads = {"minilm-l6": (2, 3), "smollm2-135m": (10, 0)}
quantiles = [0.8, 0.85, 0.9, 0.95]
fixed_tau = 0.01

# %%
import matplotlib.pyplot as plt
import pandas as pd

import gedig
from gedig import analysis
from gedig.book.claims import write_measures
from gedig.book.provenance import record
from gedig.figures import plots
from gedig.models.attention import display_tokens, extract

loaded = {name: gedig.load_model(name) for name in models}

# %% [markdown]
# ## One real head per model
#
# Left: the weights, with the entries above the threshold marked red. Right: the resulting graph.
# The encoder's rows spread over the whole sentence; the causal model's upper triangle is exactly
# zero, and its first column (the first token, an "attention sink") collects much of the mass.

# %%
for name, model in loaded.items():
    batch = extract(model, [example_text], [0], max_length=256)
    layer, head = example_heads[name]
    tokens = display_tokens(model, example_text)
    A = batch.attn[0, layer, head].double().numpy()
    plots.attention_panel(A, tokens=tokens, title=f"{name}: layer {layer}, head {head}")
    plt.tight_layout()

# %% [markdown]
# ## Padding and the causal mask
#
# Texts of different lengths share a batch, so the shorter one is padded. The gauge takes the
# token mask and works on the pad-removed matrix; the numbers equal those of the text scored alone.
# For a causal model the author's code kept the causal zeros in the matrix: they count in the
# quantile (lowering τ) and in $L^2$. The `as_written` preset removes them first.

# %%
pair = [example_text, "Short one."]
rows = []
for name, model in loaded.items():
    batch = extract(model, pair, [0, 1], max_length=256)
    mask = batch.mask[:, None, None, :]
    layer, head = example_heads[name]
    padded = gedig.gauge(batch.attn, mask, causal=model.causal)
    alone = gedig.gauge(extract(model, pair, [1], max_length=256).attn, causal=model.causal)
    aw = gedig.gauge(batch.attn, mask, causal=model.causal, config=gedig.GaugeConfig.as_written())
    rows.append(
        {
            "model": name,
            "tokens (short text)": int(batch.mask[1].sum()),
            "padded to": batch.attn.shape[-1],
            "F short, padded batch": float(padded.F[1, layer, head]),
            "F short, alone": float(alone.F[0, layer, head]),
            "τ published (zeros counted)": float(padded.threshold[0, layer, head]),
            "τ as_written (masked first)": float(aw.threshold[0, layer, head]),
        }
    )
pd.DataFrame(rows)

# %% [markdown]
# ## The four baselines, drawn the same way
#
# Random (i.i.d. uniform rows), uniform, local (window 5) and diagonal, at the example's length.
# Note how ties decide uniform and diagonal: with the strict ">" no uniform entry beats the
# quantile (0 edges), and the identity has no edges up to L = 9 but L self-loops from L = 10.

# %%
L = int(extract(loaded[models[0]], [example_text], [0], max_length=256).mask.sum())
fig, axes = plt.subplots(4, 2, figsize=(9, 15))
for row, kind in zip(axes, gedig.BASELINES, strict=True):
    plots.attention_panel(gedig.make_baseline(kind, L, seed=seed), title=f"{kind} baseline (L = {L})", axes=row)
plt.tight_layout()

# %% [markdown]
# ## Threshold sensitivity (section 4.3)
#
# ΔF against the random baseline for several quantiles, and for the fixed threshold τ = 0.01 that
# the author reported flipping the sign, on `n_texts` texts per model.

# %%
texts = gedig.load_texts(corpus, n=n_texts, seed=seed)
sweeps, measures = {}, {}
for name, model in loaded.items():
    tables = {
        f"q={q}": gedig.score(model, texts, config=gedig.GaugeConfig.published(q=q), baselines=("random",), seed=seed) for q in quantiles
    }
    tables[f"τ={fixed_tau}"] = gedig.score(
        model, texts, config=gedig.GaugeConfig.published(tau=fixed_tau), baselines=("random",), seed=seed
    )
    sweep, m = analysis.threshold_sweep(tables, model=name)
    sweeps[name] = sweep.assign(model=name)
    measures.update(m)
sweep_table = pd.concat(sweeps.values(), ignore_index=True)
sweep_table

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, t in sweeps.items():
    ax.errorbar(t["threshold"], t["dF"], yerr=[t["dF"] - t["ci_low"], t["ci_high"] - t["dF"]], marker="o", capsize=3, label=name)
ax.axhline(0, color="grey", linewidth=0.8)
ax.set_ylabel("ΔF vs random (95% CI over texts)")
ax.legend()

# %%
parameters = {"models": models, "corpus": corpus, "n_texts": n_texts, "seed": seed, "quantiles": quantiles, "fixed_tau": fixed_tau}
write_measures({**measures, **record("02_graph_mapping", parameters)}, "02_graph_mapping.json")
