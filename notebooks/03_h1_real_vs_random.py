# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. H1: is real attention more structured than random? (Table 2)
#
# **The question.** Does a trained model's attention score a higher F (closer to 0) than each of the
# paper's four baselines, by the margins of Table 2, and is that structure learned?
#
# Section 5.2 reports the mean $\Delta F = F_{real} - F_{baseline}$ over every (text, layer, head)
# and reads a positive value as "real attention is more structured". We score the models this book
# binds to the paper's systems (the note above says which), under the author's executed gauge
# (`published`) and the paper's text (`as_written`, which also masks the baselines causally for a
# causal model), and the same architectures with untrained weights (`@random-init`): if the
# structure was learned, the untrained twins should show much less of it.
#
# Statistics: win rate (share of rows with ΔF > 0), Cohen's d as the author pooled it (rows as
# independent samples) and the paired $d_z$, p-values with **texts** as the unit (per-text mean ΔF;
# one-sample t and Wilcoxon), and a 95 % bootstrap CI over texts.

# %% tags=["parameters"]
profile = "full"
controls = True
presets = ["published", "as_written"]
n_texts = 200
seed = 0
batch_sizes = {}  # texts per forward pass, by model (the paper profile sizes them from the GPU memory); 16 where unset

# %% tags=["hide-input"]
import gedig
from gedig import analysis
from gedig.book.notebook import finish
from gedig.book.profiles import PAIR, TABLE2
from gedig.book.profiles import get as get_profile
from gedig.figures import h1 as figures
from gedig.figures import page
from gedig.paper import AUTHOR_TEXTS

page.book_style()
P = get_profile(profile)
bound = P.bound(TABLE2)  # system → model, for the systems this profile has a model for
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %% [markdown]
# Every model is scored once per preset; each system then reads its model's rows.

# %%
twins_of = PAIR if controls else ()
names = analysis.scored_models(bound, twins_of=twins_of)
options = P.scoring(seed=seed, batch_sizes=batch_sizes)
summary = analysis.h1_summary(names, texts, presets=presets, options=options, seed=seed)
trained = analysis.trained_rows(summary)

# %% tags=["remove-input"]
label = P.labeller(among=TABLE2)
page.say(
    f"{len(texts)} texts from `{P.corpus}`; {len(names)} models × {len(presets)} "
    f"presets × {len(gedig.BASELINES)} baselines."
)

# %% [markdown]
# ## Our Table 2
#
# ΔF per baseline, one row per model and preset, beside the paper's values and the author's stored run.

# %% tags=["remove-input"]
page.tables(
    (
        analysis.table2_ours(trained, label=label),
        f"Ours: ΔF = F_real − F_baseline, mean over {len(texts)} texts × layers × "
        "heads.",
    ),
    (analysis.table2_paper("paper"), "The paper's Table 2."),
    (
        analysis.table2_paper("author_stored"),
        f"The author's stored LLM run ({AUTHOR_TEXTS} texts, λ = 0.5), "
        "the source of Table 2's LLM rows.",
    ),
    number_format="+.3f",
)

# %% tags=["hide-input"]
page.figure(
    figures.h1_bars(trained, presets, label=label),
    "ΔF of the real heads against each baseline, under the executed gauge (left) and "
    f"the paper's text (right): the mean over {len(texts)} texts of every layer and "
    "head, with 95 % bootstrap CIs over texts. Above 0: real attention scores the "
    "higher F.",
)

# %% [markdown]
# ## Two effect sizes, one claim
#
# The paper's "d > 2.0" matches the author's pooled Cohen's d, which treats $F_{real}$ and
# $F_{random}$ as independent samples. The rows are paired (same text, layer and head), and the
# paired $d_z$ answers the question actually asked; with tens of thousands of rows from a few hundred
# texts, the p-value is only meaningful with texts as the unit.

# %% tags=["remove-input"]
page.table(
    analysis.effect_sizes(trained, label=label),
    formats={"dF": "+.4f", "p (t, texts)": ".1e"},
    number_format=".2f",
    caption="Against random: the pooled d the author computed, the paired d_z over rows and "
    "over text means, and the p-value with texts as the unit.",
)

# %% tags=["remove-input"]
finish(analysis.system_measures(summary, bound, twins_of=twins_of))
