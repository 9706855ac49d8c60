# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Does F find the heads that matter?
#
# **The question.** Chapter 7 showed that F is mostly entropy. The paper offers the gauge as a
# "structural evaluation" of attention; an evaluation of heads is useful only if it tells apart the
# heads a model needs from the heads it can lose. Does F rank heads by what the model loses when
# they are removed, does it know more than entropy or confidence already do, and does pruning by
# F beat pruning at random?
#
# Michel, Levy & Neubig (2019) asked this of their own importance score: remove head $h$ by
# multiplying its output by a mask $\xi_h = 0$, and see what the model loses. We do the same, for
# every head:
#
# - **Ablation.** Head $(l, h)$'s context vector (its slice of the input of the layer's output
#   projection) is multiplied by $\xi_{lh} = 0$; its **importance** is
#   $\text{metric}(\text{head removed}) - \text{metric}(\text{full model})$, exactly.
# - **Gradient.** Michel et al.'s first-order estimate,
#   $I_h = \mathbb{E}_x \left|\partial L(x) / \partial \xi_h\right|$ at $\xi = 1$ (not normalised
#   per layer), which a reader with an 8B model can afford.
# - **The metric.** A causal LM: next-token cross-entropy over every predicted non-pad token. A
#   masked LM: cross-entropy on 15 % of the tokens, masked with a fixed seed. The SST-2 classifier:
#   the cross-entropy (and accuracy) of the examples.
# - **The heads are ranked on some texts and the pruned models scored on others**, so the pruning
#   curves do not reward a ranking for fitting its own data.
#
# Then the question chapter 6 leaves: in the soft gauge only ΔEPC and ΔH carry gradient, so is
# F-regularisation entropy regularisation under another name?

# %% tags=["parameters"]
profile = "full"
n_rank = 64  # texts that rank the heads (F, statistics, importance, on the same tokens)
n_prune = 16  # other texts that score the pruned models
max_length = 16  # tokens per text, ranking and pruning (64 × 16 tokens: within 10 min on 2 cores)
n_rank_classifier = 100  # evaluation examples that rank the classifier's heads
n_prune_classifier = 100  # the next ones, which score its pruned versions
n_train = 2000  # the classifier: chapter 6's protocol (its α = 0 arm)
n_eval = 500
epochs = 3
classifier_seed = 42  # chapter 6's α = 0 run whose weights its sweep keeps (gedig.experiments.classifier.CLASSIFIER_SEED)
signal_batches = 8  # training batches for F's gradient against entropy's
n_boot = 1000
n_random = 39  # random pruning orders (the first 10 along the whole curve) and as many layer-matched ones
seed = 0
batch_size = 8

# %% tags=["hide-input"]
from gedig import load_texts
from gedig.analysis import heads_that_matter as study
from gedig.book import takeaways
from gedig.book.notebook import finish
from gedig.book.profiles import get as get_profile
from gedig.experiments.training import Protocol
from gedig.figures import heads_that_matter as figures
from gedig.figures import page

page.book_style()
P = get_profile(profile)
options = {
    "n_boot": n_boot,
    "n_random": n_random,
    "seed": seed,
    "batch_size": batch_size,
}

# %% [markdown]
# ## The language models
#
# Each bound language model is scored on `n_rank` texts of the corpus and pruned on the next
# `n_prune`. A model that stands for several of the paper's systems is run once.

# %%
texts = load_texts(P.corpus, n=n_rank + n_prune, seed=seed)
rank_texts, prune_texts = study.split_texts(texts, n_rank, n_prune)
bound = P.bound(list(study.LANGUAGE_MODELS))
lm_options = {**options, "max_length": max_length}
studies, why = study.language_model_studies(
    bound, rank_texts, prune_texts, label=P.label, options=lm_options
)

# %% [markdown]
# ## The classifier
#
# The encoder on SST-2 is chapter 6's α = 0 arm: the weights of that run, which chapter 6's sweep
# keeps (its run records keep none), or, when they are not there, the same run trained here by the
# same function. Its heads are ranked on `n_rank_classifier`
# examples of the evaluation split and its pruned versions scored on `n_prune_classifier` others,
# both drawn at random with the chapter's seed (the split is stored class by class).

# %%
protocol = Protocol(n_train=n_train, n_eval=n_eval, epochs=epochs, **P.freg)
classifier, record, folder = study.classifier_study(
    protocol,
    classifier_seed,
    n_rank=n_rank_classifier,
    n_prune=n_prune_classifier,
    label=takeaways.classifier_label(P.label(study.CLASSIFIER), classifier_seed),
    options=options,
)
studies[study.CLASSIFIER] = classifier
every = study.distinct(studies)

# %% tags=["remove-input"]
page.blocks(takeaways.importance_setup(every, why, record))

# %% [markdown]
# ## Does F rank heads by importance?
#
# Spearman's ρ between each head statistic and its importance by ablation, with a percentile
# bootstrap 95 % CI over the ranking texts (each resample recomputes every head's mean statistic
# and its importance). F and importance are computed on the same texts, cut at the same
# `max_length` tokens. The partial rows are the partial ρ of F given row entropy, confidence and
# layer: the correlation of F's ranks with importance's ranks once the ranks of all three are
# regressed out of both. The paper reads F closer to 0 as "more structured", so its reading
# predicts a positive ρ: heads with higher F matter more. If the partial ρ's CI includes 0, F knows
# nothing about importance that entropy, confidence and depth do not. The statements are about this
# checkpoint's heads, on texts like these.

# %% tags=["hide-input"]
page.figure(
    figures.importance_vs_f(every),
    "Each head's importance by ablation (the metric's increase when the head is "
    "removed) against its mean F under the published gauge, coloured by layer; ρ is "
    "Spearman's, over heads.",
)

# %% tags=["hide-input"]
page.figure(
    figures.ranking_intervals(every),
    f"Spearman ρ of each head statistic with importance by ablation, and the partial ρ "
    f"of each F given entropy, with percentile bootstrap 95 % CIs ({n_boot} "
    "resamples of the ranking texts).",
)

# %% tags=["remove-input"]
page.table(
    takeaways.ranking_view(every),
    number_format="+.3f",
    caption="The same numbers: ρ with importance by ablation, and its 95 % CI, per model.",
)

# %% tags=["remove-input"]
page.bullets(takeaways.ranking_lines(every))

# %% [markdown]
# ## Pruning curves
#
# Heads are removed cumulatively, 10 % of all heads at a time, in each order, and the pruned model
# is scored on the pruning texts; nothing is retrained. The grey band is the range of the first
# ten random orders, drawn along the whole curve (the others are scored where F is tested); the
# dashed line, removing the least important heads first by exact ablation on the ranking texts, is
# the best a ranking of single heads could expect.
#
# At 30 % and 50 % of heads, F's order is judged two ways: by the gap between its metric and the
# random orders' mean, with a bootstrap interval over the pruning texts, and by its rank among the
# random orders (with 39 orders, the smallest rank p is 1/40). The same is done against as many
# *layer-matched* random orders, which remove a random head of the same layer as F's order at every
# step: if F only knows which layers to spare, it does no better than those.

# %% tags=["hide-input"]
page.figure(
    figures.pruning(every),
    "The metric against the share of heads removed (0–90 %), per order; grey: "
    f"the range of {min(n_random, study.N_BAND)} random orders and their mean. "
    "Scored on texts the rankings did not see.",
)

# %% tags=["hide-input"]
page.figure(
    figures.pruning([classifier], column="accuracy"),
    f"Accuracy of {classifier.label} against the share of heads removed, per order, on "
    f"{classifier.n_prune} held-out evaluation examples.",
)

# %% tags=["remove-input"]
page.bullets(takeaways.pruning_lines(every))

# %% [markdown]
# ## Is F-regularisation entropy regularisation?
#
# On the classifier's first `signal_batches` training batches, the parameter gradient of
# $\alpha \cdot \mathcal{F}_{mean}$ against that of its entropy term alone,
# $-\alpha\lambda\,\Delta H_{mean}$ (α cancels): their cosine, the share of $\|\nabla F\|^2$ the
# entropy direction explains (the cosine squared), and the size of the soft-density part,
# $\|\nabla \Delta EPC\| / \|\nabla F\|$. Measured at initialisation, where every chapter-6 arm
# starts, and on the fine-tuned α = 0 classifier. The α = 1 run's final weights are not kept by
# chapter 6, so that state is not measured.

# %% tags=["remove-input"]
signal = study.training_signal(
    protocol, classifier_seed, folder, n_batches=signal_batches
)
page.table(
    signal,
    formats={"entropy_share": ".1%", "n_batches": ".0f"},
    number_format=".4f",
    caption="F's training gradient against the entropy term's.",
)

# %% tags=["remove-input"]
measures = study.measures(
    studies, why, signal, classifier_record=record, n_random=n_random
)
finish(measures)
