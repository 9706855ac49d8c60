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
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import gedig
from gedig import analysis, stats
from gedig.book.claims import chapter_verdicts, verdict_sentence, write_measures
from gedig.book.profiles import PAIR, SYSTEMS, TABLE2
from gedig.book.profiles import get as get_profile
from gedig.book.provenance import record
from gedig.figures import page
from gedig.paper import AUTHOR_TEXTS, paper_delta_f, paper_table2

page.book_style()
P = get_profile(profile)
bound = P.bound(TABLE2)  # system → model, for the systems this profile has a model for
models = list(dict.fromkeys(bound.values()))
texts = gedig.load_texts(P.corpus, n=n_texts, seed=seed)

# %% [markdown]
# Every model is scored once per preset; each system then reads its model's rows.

# %%
twins = [f"{bound[s]}@random-init" for s in PAIR if s in bound] if controls else []
names = models + twins
tables = {
    (m, p): gedig.score(m, texts, config=gedig.GaugeConfig.from_name(p), **P.score_options(m, seed=seed, batch_sizes=batch_sizes))
    for m in names
    for p in presets
}
summary = stats.summarize(pd.concat(tables.values(), ignore_index=True), seed=seed)

# %% tags=["remove-input"]
trained = summary[~summary["model"].str.endswith("@random-init")]
label = {m: P.model_label(m, among=TABLE2) for m in names}
page.say(f"{len(texts)} texts from `{P.corpus}`; {len(names)} models × {len(presets)} presets × 4 baselines.")

# %% [markdown]
# ## Our Table 2
#
# ΔF per baseline, one row per model and preset, beside the paper's values and the author's stored run.

# %% tags=["remove-input"]
ours = trained.pivot_table(index=["model", "preset"], columns="baseline", values="dF").reindex(columns=list(gedig.BASELINES)).reset_index()
ours["model"] = ours["model"].map(label)
stored = paper_table2().pivot_table(index="model", columns="baseline", values=["paper", "author_stored"]).reindex(columns=list(gedig.BASELINES), level=1)
fmt = {c: "+.3f" for c in gedig.BASELINES}
display(page.table(ours, formats=fmt, caption=f"Ours: ΔF = F_real − F_baseline, mean over {len(texts)} texts × layers × heads."))
display(page.table(stored["paper"].reset_index(), formats=fmt, caption="The paper's Table 2."))
page.table(stored["author_stored"].dropna(how="all").reset_index(), formats=fmt, caption=f"The author's stored LLM run ({AUTHOR_TEXTS} texts, λ = 0.5), the source of Table 2's LLM rows.")

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, len(presets), figsize=(9.5, 3.6), squeeze=False, sharey=True)
for ax, preset in zip(axes[0], presets, strict=True):
    part = trained[trained["preset"] == preset]
    dF = part.pivot(index="baseline", columns="model", values="dF").reindex(list(gedig.BASELINES))
    lo = part.pivot(index="baseline", columns="model", values="ci_low").reindex(dF.index)
    hi = part.pivot(index="baseline", columns="model", values="ci_high").reindex(dF.index)
    dF.rename(columns=label).plot.bar(ax=ax, yerr=[[dF[c] - lo[c], hi[c] - dF[c]] for c in dF.columns], capsize=2, rot=0, legend=False)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_title(preset)
    ax.set_xlabel("baseline")
axes[0][0].set_ylabel("ΔF (95 % CI over texts)")
fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.08))
plt.tight_layout()
page.figure(fig, f"ΔF of the real heads against each baseline, under the executed gauge (left) and the paper's text (right): the mean over {len(texts)} texts of every layer and head, with 95 % bootstrap CIs over texts. Above 0: real attention scores the higher F.")

# %% [markdown]
# ## Two effect sizes, one claim
#
# The paper's "d > 2.0" matches the author's pooled Cohen's d, which treats $F_{real}$ and
# $F_{random}$ as independent samples. The rows are paired (same text, layer and head), and the
# paired $d_z$ answers the question actually asked; with tens of thousands of rows from a few hundred
# texts, the p-value is only meaningful with texts as the unit.

# %% tags=["remove-input"]
effects = trained[trained["baseline"] == "random"][["model", "preset", "dF", "d_pooled", "d_z", "d_z_text", "n_texts", "p_t"]].copy()
effects["model"] = effects["model"].map(label)
effects = effects.rename(columns={"d_pooled": "pooled d", "d_z": "paired d_z (rows)", "d_z_text": "paired d_z (texts)", "n_texts": "texts", "p_t": "p (t, texts)"})
page.table(
    effects,
    formats={"dF": "+.4f", "pooled d": ".2f", "paired d_z (rows)": ".2f", "paired d_z (texts)": ".2f", "p (t, texts)": ".1e"},
    caption="Against random: the pooled d the author computed, the paired d_z over rows and over text means, and the p-value with texts as the unit.",
)

# %% tags=["remove-input"]
h1_systems = pd.concat([trained[trained["model"] == m].assign(model=s) for s, m in bound.items()], ignore_index=True)
control_rows = summary[summary["model"].str.endswith("@random-init")]
control_systems = pd.concat([control_rows[control_rows["model"] == f"{bound[s]}@random-init"].assign(model=f"{s}@random-init") for s in PAIR if s in bound], ignore_index=True)
measures = analysis.h1_measures(h1_systems, controls=control_systems if controls else None)
parameters = {"profile": profile, "batch_sizes": batch_sizes, "controls": controls, "presets": presets, "n_texts": n_texts, "seed": seed}
measures.update(record("03_h1_real_vs_random", parameters))
write_measures(measures, "03_h1_real_vs_random.json")

# %% tags=["remove-input"]
verdicts = chapter_verdicts(measures, "03_h1_real_vs_random")


def random_row(system, preset="published"):
    return summary[(summary["model"] == bound[system]) & (summary["preset"] == preset) & (summary["baseline"] == "random")].iloc[0]


lines = []
for s in [s for s in PAIR if s in bound]:
    r = random_row(s)
    lines.append(f"{P.label(s)}: ΔF = {page.fmt(r.dF)} (95 % CI {page.fmt(r.ci_low)} … {page.fmt(r.ci_high)}; win rate {r.win_rate:.0%}, pooled d {r.d_pooled:.2f}, paired d_z {r.d_z:.2f})")
aw = {s: measures[f"h1.{s}.as_written.all_positive"] for s in PAIR if s in bound}
learned = {s: measures.get(f"h1.{s}.published.random.trained_exceeds_control") for s in PAIR if s in bound}
ctrl = {s: measures.get(f"h1.{s}.published.random.control_dF") for s in PAIR if s in bound}
page.takeaway(
    f"Against the i.i.d. random baseline, on {len(texts)} texts: " + "; ".join(lines) + ". The paper reports " + " and ".join(f"{page.fmt(paper_delta_f(SYSTEMS[s]), '+.2f')} for {SYSTEMS[s]}" for s in PAIR) + ".",
    f"Under the paper's text (`as_written`), real attention beats every baseline for {sum(aw.values())} of {len(aw)} models.",
    ("The untrained twins reach " + "; ".join(f"{page.fmt(v)} for {P.label(s)}" for s, v in ctrl.items() if v is not None) + f", and the trained model's CI lies above its twin's for {sum(bool(v) for v in learned.values())} of {len(learned)}." if controls else ""),
    verdict_sentence(verdicts),
    "Chapter 4 asks how F changes from layer to layer.",
)
