# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Explore the heads
#
# **The question.** What does one head's graph, and its F against the baselines, look like for a
# text, a layer and a head the reader picks?
#
# The paper scores each head with $F = \Delta\mathrm{EPC} - \lambda(\Delta H + \gamma\,\Delta\mathrm{SP})$
# on the graph of its weights above a threshold $\tau$ (section 4.1), and the chapters before this
# one report those scores in aggregate. Here a reader picks the head. For a handful of short
# Wikipedia sentences and Rotten Tomatoes snippets, and both embedded models, the page below shows:
#
# - the head's weights $A$ as a heatmap, with the entries above $\tau$ (the graph's edges) outlined
#   in red;
# - the thresholded graph: an arrow for each edge $i \to j$ (query to key) and a red ring for each
#   self-loop $A_{ii} > \tau$;
# - `delta_epc`, `delta_h`, `delta_sp` and `F` for that head, beside the same terms for each of the
#   paper's baselines on the same text (the random one is drawn per head, the others depend only
#   on the text).
#
# The threshold control moves $\tau$ over a grid of quantiles $q$ and the paper's auxiliary fixed
# $\tau = 0.01$; the preset switch moves between the terms as the author's code computed them
# (`published`) and as the paper's text defines them (`as_written`, chapter 1). Every value on the
# page was computed by `gedig` when the book was built; the page only displays it. The heatmap's
# colours are 8-bit (scaled to the head's largest weight); edges and terms are exact.

# %% tags=["parameters"]
profile = "full"
n_wiki = 8
n_reviews = 4
qs = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
taus = [0.01]
seed = 0
n_check = 40

# %% tags=["remove-input"]
from gedig.book.notebook import finish
from gedig.book.profiles import PAIR
from gedig.book.profiles import get as get_profile
from gedig.figures import explorer_check as ch
from gedig.figures import page
from gedig.figures.explorer import explore, explorer_html

page.book_style()
P = get_profile(profile)
cfg = ch.config(
    P.bound(PAIR), n_wiki=n_wiki, n_reviews=n_reviews, qs=qs, taus=taus, seed=seed
)
payload = explore(cfg)
page_html = explorer_html(payload)
page.raw(page_html)

# %% [markdown]
# Pick a model, a text, a layer and a head; the table beside the heatmap shows the head's terms
# and each baseline's on the same text, with ΔF = F(head) − F(baseline). Every value was computed by
# `gedig` when the book was built; the page only displays it (the heatmap's colours are 8-bit,
# scaled to the head's largest weight; edges and terms are exact).

# %% tags=["remove-input"]
page.table(
    ch.holdings(payload, label=P.model_label), caption="What the explorer holds."
)

# %% [markdown]
# ## Checked against the gauge
#
# The page's numbers are the library's. To show it, we recompute `gedig.gauge` on a seeded sample
# of heads, straight from each model's attention, under every configuration on the page, and
# compare with the values the page decodes.

# %% tags=["hide-input"]
attention = ch.Attention(payload, cfg)
checked, worst = ch.check(payload, attention, n_check=n_check, seed=seed)
page.say(
    f"{checked} head × configuration pairs checked; the largest difference between the "
    f"page's value (stored as float32) and `gedig.gauge` is **{worst:.2e}**, below "
    "half a unit of the page's sixth decimal."
)

# %% [markdown]
# ## Without JavaScript
#
# The explorer's first selection (the first model, text, layer and head, `published`, $q = 0.9$),
# drawn as a static figure by `gedig.figures.plots.attention_panel`.

# %% tags=["hide-input"]
first = payload["models"][0]
page.figure(
    ch.first_selection(payload, attention),
    "The explorer's first selection without JavaScript: "
    f"{P.model_label(first['name'])}, layer 0, head 0 on its first text "
    f"({len(first['texts'][0]['tokens'])} tokens), weights with edges outlined (left) "
    "and its graph (right).",
)

# %% tags=["remove-input"]
finish(ch.measures(payload, cfg, page_html, checked=checked, worst=worst))
