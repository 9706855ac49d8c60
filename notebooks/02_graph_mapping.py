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
# **The question.** How does a head's weight matrix become the graph the gauge scores, and does
# the sign of ΔF against random survive a change of threshold?
#
# Section 4.1: a head's weights $A \in \mathbb{R}^{L\times L}$ (row $i$ = query, column $j$ = key)
# become a directed graph with an edge $i \to j$ whenever $A_{ij} > \tau$, where $\tau$ is the top-10%
# threshold, "after pad and causal masks". This chapter shows that mapping on one real head of each
# embedded model, on the four baselines, and how the threshold choice moves the result.

# %% tags=["parameters"]
profile = "full"
n_texts = 100
seed = 0
batch_sizes = {}  # texts per forward pass, by model (the paper profile sizes them from the GPU memory); 16 where unset
example_text = "The cat sat on the mat because it was warm."
example_heads = {"bert": (2, 3), "gpt2": (10, 0)}  # (layer, head), clipped to the model's depth
quantiles = [0.8, 0.85, 0.9, 0.95]
fixed_tau = 0.01

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
bound = P.bound(PAIR)  # the encoder and the causal model of this profile
loaded = {s: gedig.load_model(m, dtype=P.dtypes.get(m)) for s, m in bound.items()}
heads = {s: (min(layer, loaded[s].n_layers - 1), min(head, loaded[s].n_heads - 1)) for s, (layer, head) in example_heads.items() if s in loaded}

# %% [markdown]
# ## One real head per model
#
# Left: the weights, with the entries above the threshold marked red. Right: the resulting graph.
# The encoder's rows spread over the whole sentence; the causal model's upper triangle is exactly
# zero, and its first column (the first token, an "attention sink") collects much of the mass.

# %% tags=["hide-input"]
for s, model in loaded.items():
    batch = extract(model, [example_text], [0], max_length=256)
    layer, head = heads[s]
    tokens = display_tokens(model, example_text)
    A = batch.attn[0, layer, head].double().numpy()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.4))
    plots.attention_panel(A, tokens=tokens, title=f"{P.label(s)}: layer {layer}, head {head}", axes=axes)
    plt.tight_layout()
    display(page.figure(fig, f"One head of {P.label(s)} on the example sentence ({len(tokens)} tokens): its weights with the entries above the top-10 % threshold outlined in red (left), and the graph those entries make (right)."))

# %% [markdown]
# ## Padding and the causal mask
#
# Texts of different lengths share a batch, so the shorter one is padded. The gauge takes the
# token mask and works on the pad-removed matrix; the numbers equal those of the text scored alone.
# For a causal model the author's code kept the causal zeros in the matrix: they count in the
# quantile (lowering τ) and in $L^2$. The `as_written` preset removes them first.

# %% tags=["hide-input"]
pair = [example_text, "Short one."]
rows = []
for s, model in loaded.items():
    batch = extract(model, pair, [0, 1], max_length=256)
    mask = batch.mask[:, None, None, :]
    layer, head = heads[s]
    padded = gedig.gauge(batch.attn, mask, causal=model.causal)
    alone = gedig.gauge(extract(model, pair, [1], max_length=256).attn, causal=model.causal)
    aw = gedig.gauge(batch.attn, mask, causal=model.causal, config=gedig.GaugeConfig.as_written())
    rows.append(
        {
            "model": P.label(s),
            "tokens (short text)": int(batch.mask[1].sum()),
            "padded to": batch.attn.shape[-1],
            "F short, padded batch": float(padded.F[1, layer, head]),
            "F short, alone": float(alone.F[0, layer, head]),
            "τ published (zeros counted)": float(padded.threshold[0, layer, head]),
            "τ as_written (masked first)": float(aw.threshold[0, layer, head]),
        }
    )
page.table(pd.DataFrame(rows), formats={c: "+.5f" for c in rows[0] if c.startswith(("F ", "τ"))})

# %% [markdown]
# ## The four baselines, drawn the same way
#
# Random (i.i.d. uniform rows), uniform, local (window 5) and diagonal, at the example's length.
# Note how ties decide uniform and diagonal: with the strict ">" no uniform entry beats the
# quantile (0 edges), and the identity has no edges up to L = 9 but L self-loops from L = 10.

# %% tags=["hide-input"]
first = next(iter(loaded))
L = int(extract(loaded[first], [example_text], [0], max_length=256).mask.sum())
fig, axes = plt.subplots(4, 2, figsize=(9.5, 17))
for row, kind in zip(axes, gedig.BASELINES, strict=True):
    plots.attention_panel(gedig.make_baseline(kind, L, seed=seed), title=f"{kind} baseline (L = {L})", axes=row)
plt.tight_layout()
page.figure(fig, f"The paper's four baselines at the example's length (L = {L} tokens of {P.label(first)}), each as weights with edges outlined and as a graph; F and its terms in each title.")

# %% [markdown]
# ## Threshold sensitivity (section 4.3)
#
# ΔF against the random baseline for several quantiles, and for the fixed threshold τ = 0.01 that
# the author reported flipping the sign, on `n_texts` texts per model.

# %%
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)
sweeps, measures = {}, {}
for s, model in loaded.items():
    configs = {f"q={q}": gedig.GaugeConfig.published(q=q) for q in quantiles}
    configs[f"τ={fixed_tau}"] = gedig.GaugeConfig.published(tau=fixed_tau)
    tables = {
        k: gedig.score(model, texts, config=c, baselines=("random",), **P.score_options(model.name, seed=seed, batch_sizes=batch_sizes))
        for k, c in configs.items()
    }
    sweeps[s], m = analysis.threshold_sweep(tables, model=s)
    measures.update(m)

# %% tags=["hide-input"]
fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), gridspec_kw={"width_ratios": [3, 1]}, sharey=True)
for s, t in sweeps.items():
    pct, fixed = t[t["threshold"].str.startswith("q=")], t[t["threshold"].str.startswith("τ=")]
    qs = [float(x[2:]) for x in pct["threshold"]]
    left.errorbar(qs, pct["dF"], yerr=[pct["dF"] - pct["ci_low"], pct["ci_high"] - pct["dF"]], marker="o", capsize=3, label=P.label(s))
    right.errorbar([0], fixed["dF"], yerr=[fixed["dF"] - fixed["ci_low"], fixed["ci_high"] - fixed["dF"]], marker="s", capsize=3, linestyle="none")
for ax in (left, right):
    ax.axhline(0, color="grey", linewidth=0.8)
left.set_xlabel("quantile q of the head's own weights")
left.set_ylabel("ΔF vs random (95 % CI)")
left.legend()
right.set_xticks([0], [f"τ = {fixed_tau}"])
right.set_xlabel("fixed threshold")
page.figure(fig, f"ΔF against the random baseline on {len(texts)} texts as the threshold moves: a quantile of each head's own weights (left, joined by lines) and the fixed τ = {fixed_tau} the author tried (right, a separate axis); 95 % bootstrap CIs over texts.")

# %% tags=["remove-input"]
parameters = {"profile": profile, "batch_sizes": batch_sizes, "n_texts": n_texts, "seed": seed, "quantiles": quantiles, "fixed_tau": fixed_tau}
measures.update(record("02_graph_mapping", parameters))
write_measures(measures, "02_graph_mapping.json")
verdicts = chapter_verdicts(measures, "02_graph_mapping")
lines = [
    f"{P.label(s)}: ΔF from {page.fmt(t[t.threshold.str.startswith('q=')]['dF'].min())} to {page.fmt(t[t.threshold.str.startswith('q=')]['dF'].max())} over q = {quantiles[0]}…{quantiles[-1]}, and {page.fmt(t[t.threshold.str.startswith('τ=')]['dF'].iloc[0])} at τ = {fixed_tau}"
    for s, t in sweeps.items()
]
page.takeaway(
    "A head becomes a graph of its strongest weights; padding is removed first, and the causal zeros the author kept lower the threshold of a causal model.",
    f"On {len(texts)} texts the sign of ΔF against random " + ("holds" if all(measures[f"mapping.{s}.q_all_positive"] for s in sweeps) else "does not hold") + " at every quantile, while a fixed threshold " + ("flips it" if any(measures[f"mapping.{s}.tau_flips_sign"] for s in sweeps) else "keeps it") + ": " + "; ".join(lines) + ".",
    verdict_sentence(verdicts),
    "Chapter 3 scores every head against every baseline.",
)
