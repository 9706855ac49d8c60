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
example_heads = {
    "bert": (2, 3),
    "gpt2": (10, 0),
}  # (layer, head), clipped to the model's depth
quantiles = [0.8, 0.85, 0.9, 0.95]
fixed_tau = 0.01

# %% tags=["hide-input"]
import gedig
from gedig import analysis
from gedig.book.notebook import finish
from gedig.book.profiles import PAIR
from gedig.book.profiles import get as get_profile
from gedig.figures import mapping as figures
from gedig.figures import page
from gedig.models.attention import display_tokens

page.book_style()
P = get_profile(profile)
bound = P.bound(PAIR)  # the encoder and the causal model of this profile
loaded = P.load_models(bound)
heads = analysis.clip_heads(loaded, example_heads)

# %% [markdown]
# ## One real head per model
#
# Left: the weights, with the entries above the threshold marked red. Right: the resulting graph.
# The encoder's rows spread over the whole sentence; the causal model's upper triangle is exactly
# zero, and its first column (the first token, an "attention sink") collects much of the mass.

# %% tags=["hide-input"]
page.figures(figures.example_heads(loaded, example_text, heads, label=P.label))

# %% [markdown]
# ## Padding and the causal mask
#
# Texts of different lengths share a batch, so the shorter one is padded. The gauge takes the
# token mask and works on the pad-removed matrix; the numbers equal those of the text scored alone.
# For a causal model the author's code kept the causal zeros in the matrix: they count in the
# quantile (lowering τ) and in $L^2$. The `as_written` preset removes them first.

# %% tags=["hide-input"]
padding = analysis.padding_table(loaded, example_text, heads, label=P.label)
page.table(padding, number_format="+.5f")

# %% [markdown]
# ## The four baselines, drawn the same way
#
# Random (i.i.d. uniform rows), uniform, local (window 5) and diagonal, at the example's length.
# Note how ties decide uniform and diagonal: with the strict ">" no uniform entry beats the
# quantile (0 edges), and the identity has no edges up to L = 9 but L self-loops from L = 10.

# %% tags=["hide-input"]
first = next(iter(loaded))
L = len(display_tokens(loaded[first], example_text))
page.figure(
    figures.baselines_figure(L, seed=seed),
    f"The paper's four baselines at the example's length (L = {L} tokens of "
    f"{P.label(first)}), each as weights with edges outlined and as a graph; F and its "
    "terms in each title.",
)

# %% [markdown]
# ## Threshold sensitivity (section 4.3)
#
# ΔF against the random baseline for several quantiles, and for the fixed threshold τ = 0.01 that
# the author reported flipping the sign, on `n_texts` texts per model.

# %%
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)
sweeps, measures = analysis.threshold_sweeps(
    loaded,
    texts,
    quantiles=quantiles,
    fixed_tau=fixed_tau,
    options=P.scoring(seed=seed, batch_sizes=batch_sizes),
)

# %% tags=["hide-input"]
page.figure(
    figures.threshold_figure(sweeps, fixed_tau=fixed_tau, label=P.label),
    f"ΔF against the random baseline on {len(texts)} texts as the threshold moves: a "
    "quantile of each head's own weights (left, joined by lines) and the fixed τ = "
    f"{fixed_tau} the author tried (right, a separate axis); 95 % bootstrap CIs over "
    "texts.",
)

# %% tags=["remove-input"]
finish(measures)
