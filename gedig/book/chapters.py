"""The chapter registry: every fact about a chapter, written once.

Each entry names the chapter's notebook, its title, the question it opens with, where it sits in
the table of contents, its papermill parameters under each book profile (none: its full-size
defaults, the notebook's ``parameters`` cell), and the measure families it writes
(``gedig.book.measures``). The build's chapter list, the table of contents (``toc``), the size
tables, the chapter numbers and the "next chapter" sentence of each takeaway come from here; no
other module of the package types a chapter's name. To add a chapter, write its notebook and add
one ``Chapter`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GedigError
from ..util.paths import NOTEBOOK_DIR
from .measures import Measure, declare

PARTS = ("The paper, rerun", "Checking the claims")
"""The table of contents' parts: the chapters first, then the pages about the claims."""
PAGES = ("book/claims", "book/provenance", "book/data", "book/audit")
"""The pages of the second part (Markdown, not notebooks), in order."""
ROOT_PAGE = "book/intro"


@dataclass(frozen=True)
class Chapter:
    """One chapter: its notebook (``notebooks/<name>.py`` unless ``source`` says otherwise), the
    title its first heading carries after its number, what it does (the sentence "Chapter N …"
    that closes the chapter before it), its sizes under each profile, and the measures it writes."""

    name: str
    title: str
    lead: str
    measures: tuple[Measure, ...] = ()
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)
    takeaway: str | None = None
    """The function of ``gedig.book.takeaways`` that writes its Takeaway from its measures; None:
    the notebook passes its sentences to ``finish``."""
    source: Path | None = None

    @property
    def notebook(self) -> Path:
        return self.source or NOTEBOOK_DIR / f"{self.name}.py"

    @property
    def number(self) -> int:
        return names().index(self.name) + 1

    @property
    def heading(self) -> str:
        """The notebook's first heading: '3. H1: is real attention more structured than random? (Table 2)'."""
        return f"{self.number}. {self.title}"

    def parameters(self, profile: str) -> dict[str, Any]:
        """Its papermill parameters under ``profile``: the profile's name, then its sizes there."""
        return {"profile": profile, **self.sizes.get(profile, {})}


_TINY_COUNTS = {"n_texts": None}  # every text the selection yields (63 on the author's WikiText-2 selection)
_TINY_FREG = {"alphas": [0, 0.001, 0.01, 1.0], "seeds": [42, 123], "epochs": 1, "measure_overhead": False}

CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "01_theory",
        "The geDIG gauge, term by term",
        "sets out what the gauge rewards on graphs simple enough to check by hand",
        declare(
            ("theory.shortcut_gain_per_edge", "fall of the structural cost per edge when one long shortcut joins a chain"),
            ("theory.random_gain_per_edge_last", "the same per edge for the largest random edge set"),
            ("theory.shortcut_beats_random", "whether the shortcut pays more per edge than every random edge set"),
            ("theory.chain_length", "tokens in the chain"),
            ("theory.random_edges_last", "edges in the largest random edge set"),
            ("theory.preset_spread_max", "the largest range of F between presets on one matrix"),
            ("theory.preset_spread_matrix", "the matrix where it is largest"),
        ),
        takeaway="theory",
    ),
    Chapter(
        "02_graph_mapping",
        "From an attention head to a graph",
        "turns real attention heads into these graphs",
        declare(
            ("mapping.{system}.{threshold}.dF", "ΔF against random at one threshold (a quantile q or a fixed τ)"),
            ("mapping.{system}.q_all_positive", "whether ΔF against random is positive at every quantile"),
            ("mapping.{system}.tau_flips_sign", "whether the fixed threshold flips the sign of ΔF"),
            ("mapping.n_texts", "texts of the threshold sweep"),
        ),
        {"ci": {"n_texts": 12}, "paper": _TINY_COUNTS, "paper-tiny": _TINY_COUNTS},
        takeaway="mapping",
    ),
    Chapter(
        "03_h1_real_vs_random",
        "H1: is real attention more structured than random? (Table 2)",
        "scores every head against every baseline",
        declare(
            ("h1.{system}.{preset}.{baseline}.{stat}", "the H1 summary of real against one baseline (ΔF, CI, effect sizes, tests)"),
            ("h1.{system}.{preset}.all_positive", "whether ΔF is positive against every baseline"),
            ("h1.{system}.{preset}.random.control_dF", "ΔF against random of the untrained twin"),
            ("h1.{system}.{preset}.random.trained_exceeds_control", "whether the trained model's CI lies above its twin's ΔF"),
            ("h1.{system}.{preset}.random.learned_dF", "ΔF against random less the untrained twin's, on the same texts"),
        ),
        {"ci": {"n_texts": 12}, "paper": _TINY_COUNTS, "paper-tiny": _TINY_COUNTS},
        takeaway="h1",
    ),
    Chapter(
        "04_h2_layer_transition",
        "H2: a layer-wise transition? (Figure 2)",
        "asks how F changes from layer to layer",
        declare(
            ("h2.{system}.{preset}.layer{layer}.F", "mean F of one layer"),
            ("h2.{system}.{preset}.layer{layer}.dF", "ΔF against random of one layer"),
            ("h2.{system}.{preset}.layer{layer}.win_rate", "share of texts in which the layer beats random"),
            ("h2.{system}.{preset}.n_layers", "how many layers were measured (the model's depth)"),
            ("h2.{system}.{preset}.spearman_rho", "Spearman ρ of per-text layer means of F with the layer index"),
            ("h2.{system}.{preset}.spearman_p", "its p-value"),
            ("h2.{system}.{preset}.largest_jump_from_layer", "the layer after which mean F rises most"),
            ("h2.{system}.{preset}.largest_jump", "that rise"),
            ("h2.{system}.{preset}.largest_jump_at_start", "whether it is after layer 0 or 1"),
            ("h2.{system}.{preset}.layer0_lowest", "whether layer 0 has the lowest mean F"),
            ("h2.{system}.{preset}.all_layers_positive", "whether ΔF against random is positive in every layer"),
            ("h2.{system}.{preset}.layer0_margin", "how far layer 0's mean F lies below the lowest other layer's"),
            ("h2.{system}.{preset}.start_jump_margin", "the largest rise of mean F after layer 0 or 1 less the largest later rise"),
            ("h2.n_texts", "texts scored"),
        ),
        {"ci": {"n_texts": 12}, "paper": _TINY_COUNTS, "paper-tiny": _TINY_COUNTS},
        takeaway="h2",
    ),
    Chapter(
        "05_head_diversity",
        "Head diversity",
        "asks whether the heads of one layer differ",
        declare(
            ("heads.{system}.{preset}.all_layers_differ", "whether the heads differ in every layer (Friedman p < 0.001)"),
            ("heads.{system}.{preset}.friedman_p_max", "the largest Friedman p over layers"),
            ("heads.{system}.{preset}.spread_mean", "mean spread of head means of F within a layer"),
            ("heads.n_texts", "texts scored (the blocks of the Friedman tests)"),
            ("heads.{system}.{preset}.n_layers", "layers tested"),
            ("heads.{system}.{preset}.n_layers_differ", "layers whose heads differ"),
            ("heads.{system}.{preset}.spread_min", "the narrowest within-layer spread of head means"),
            ("heads.{system}.{preset}.spread_max", "the widest"),
        ),
        {"ci": {"n_texts": 12}, "paper": _TINY_COUNTS, "paper-tiny": _TINY_COUNTS},
        takeaway="heads",
    ),
    Chapter(
        "06_f_regularization",
        "F-regularisation (Table 3, Figure 3)",
        "turns F into a training loss",
        declare(
            ("freg.acc.alpha{alpha}", "mean accuracy of the F arm at α"),
            ("freg.gain_pp.alpha{alpha}", "accuracy gain over α = 0, percentage points"),
            ("freg.F.diff_pp.alpha{alpha}", "paired difference from α = 0, percentage points"),
            ("freg.F.p_paired_t.alpha{alpha}", "paired t-test p against α = 0"),
            ("freg.F.p_sign.alpha{alpha}", "exact sign-flip test p against α = 0"),
            ("freg.control.diff_pp.alpha{alpha}", "the random-value control's paired difference from α = 0"),
            ("freg.control.p_paired_t.alpha{alpha}", "its paired t-test p"),
            ("freg.control.p_sign.alpha{alpha}", "its exact sign-flip p"),
            ("freg.final_F_author.alpha{alpha}", "final training-time F as the author measured it"),
            ("freg.final_F_published_gauge.alpha{alpha}", "final F under the published gauge"),
            ("freg.F_alpha_spearman", "Spearman ρ between α and the final F"),
            ("freg.best_alpha", "the α of the best mean accuracy"),
            ("freg.lead_pp.alpha{alpha}", "accuracy of α = 0.001 less that of α, paired by seed, percentage points"),
            ("freg.published_gauge_rise", "the published gauge's final F at the largest α less at α = 0, paired by seed"),
            ("freg.control_gap_pp", "accuracy of the F arm at the control's α less the random-value control's, paired by seed"),
            ("freg.mde_pp", "the smallest paired accuracy difference this design detects (80 % power, two-sided 5 %)"),
            ("freg.best_is_0.001", "whether that is α = 0.001"),
            ("freg.collapse_drop_pp", "accuracy change at the largest α, percentage points"),
            ("freg.inverted_u", "whether accuracy rises then falls over α"),
            ("freg.beats_control", "whether the F arm beats the random-value control"),
            ("freg.entropy_rises", "whether the soft entropy rises with α"),
            ("freg.published_gauge_rises", "whether the published gauge's F rises with α"),
            ("freg.stale_runs_kept", "runs made by other training code kept on request"),
            ("freg.step_overhead", "the regulariser's cost per step, relative"),
            ("freg.power.pairs", "seeds paired in the power analysis"),
            ("freg.power.paired_sd_pp", "SD of the paired differences, percentage points"),
            ("freg.power.paired_sd_upper95_pp", "its one-sided 95 % upper bound"),
            ("freg.power.target_pp", "the effect to detect: the paper's gain"),
            ("freg.power.seeds_needed", "seeds per arm for 80 % power"),
            ("freg.power.seeds_needed_upper95", "the same at the SD's upper bound"),
            ("freg.power.arms", "arms of the powered grid"),
            ("freg.power.minutes_per_run", "minutes one run takes here"),
            ("freg.power.minutes_source", "where those minutes come from"),
            ("freg.power.runs", "runs of the powered grid"),
            ("freg.power.hours_here", "hours the powered grid takes on this machine"),
            ("freg.power.hours_on_{k}_workers", "the same spread over workers"),
            ("freg.power.hours_here_upper95", "hours at the SD's upper bound"),
            ("freg.powered.n_seeds", "seeds of the powered grid"),
            ("freg.powered.diff_pp", "its paired difference at α = 0.001"),
            ("freg.powered.p_paired_t", "its paired t-test p"),
            ("freg.powered.p_sign_flip", "its exact sign-flip p"),
            ("freg.soft_delta_h.alpha{alpha}", "soft entropy of the evaluation attention after training at α"),
            ("freg.n_seeds", "seeds per arm"),
            ("freg.steps", "optimisation steps per run"),
        ),
        {
            "ci": {**_TINY_FREG, "n_train": 64, "n_eval": 80},
            "paper-tiny": {**_TINY_FREG, "n_train": 32, "n_eval": 16},
        },
        takeaway="freg",
    ),
    Chapter(
        "07_what_f_measures",
        "What F measures, and how robust each verdict is",
        "asks what F measures",
        declare(
            ("robustness.corpus{k}", "the corpora of the specification curves"),
            ("robustness.n_specs", "specifications per curve"),
            ("robustness.n_zero_by_construction", "specifications left out against permuted (γ = 0)"),
            ("robustness.{model}.{preset}.{baseline}.ci_low", "lower end of the 95 % CI of ΔF against a null"),
            ("robustness.{model}.{preset}.{baseline}.dF", "ΔF against a null, the mean over texts"),
            ("robustness.{model}.length_bin{bin}.dF", "ΔF against random in one token-length bin"),
            ("robustness.{model}.{preset}.random.share_{term}", "the share of ΔF against random one term carries"),
            ("robustness.{model}.corpus{k}.share_{effect}_positive", "share of specifications whose 95 % CI lies above 0"),
            ("robustness.{model}.r2_entropy_{preset}", "R² of F on mean row entropy across heads"),
            ("robustness.{model}.r2_all_{preset}", "R² of F on every head statistic"),
            ("robustness.{model}.length_bin{bin}.h1_holds", "whether H1 holds in one token-length bin"),
            ("robustness.{model}.h1_holds_in_every_length_bin", "whether H1 holds in every length bin"),
            ("spec.systems", "the systems the specification curves cover"),
            ("spec.{system}.random.dF", "H1's effect per specification (for the claims' robustness share)"),
            ("spec.{system}.h2.layer1_minus_layer0", "H2's effect per specification"),
            ("robustness.n_texts", "texts of the first corpus"),
        ),
        {
            "ci": {"n_texts": 8, "n_flips": 200, "n_boot": 199, "n_length_bins": 2},
            "paper": _TINY_COUNTS,
            "paper-tiny": {"n_texts": 6, "n_flips": 100, "n_boot": 99, "n_length_bins": 2, "lams": [0.5, 1.0], "gammas": [0.0, 0.5]},
        },
        takeaway="robustness",
    ),
    Chapter(
        "08_explore_heads",
        "Explore the heads",
        "lets the reader look at any head",
        declare(
            ("explorer.n_texts", "texts in the explorer"),
            ("explorer.n_configurations", "gauge configurations in the explorer"),
            ("explorer.n_heads", "heads in the explorer"),
            ("explorer.page_bytes", "size of the explorer's page"),
            ("explorer.checked_pairs", "sampled values checked against gedig.gauge"),
            ("explorer.max_abs_diff", "their largest difference"),
            ("explorer.n_models", "models in the explorer"),
            ("explorer.wins_over_random", "head × text pairs above their random baseline (published, q = 0.9)"),
            ("explorer.head_text_pairs", "head × text pairs"),
        ),
        {
            "ci": {"n_wiki": 3, "n_reviews": 2, "qs": [0.7, 0.9], "n_check": 10},
            "paper-tiny": {"n_wiki": 2, "n_reviews": 1, "qs": [0.9], "n_check": 6},
        },
        takeaway="explorer",
    ),
    Chapter(
        "09_heads_that_matter",
        "Does F find the heads that matter?",
        "asks whether F finds the heads a model needs",
        declare(
            ("importance.n_random_orders", "random pruning orders in the band"),
            ("importance.classifier_accuracy", "the fine-tuned classifier's accuracy on the evaluation split"),
            ("importance.{system}.n_heads", "heads of the model"),
            ("importance.{system}.n_rank", "texts that rank the heads"),
            ("importance.{system}.n_prune", "other texts that score the pruned models"),
            ("importance.{system}.metric_full", "the full model's metric on the pruning texts"),
            ("importance.{system}.gradient_rho", "Spearman ρ of gradient importance with exact ablation"),
            (
                "importance.{system}.{column}.{part}",
                "ρ of a head statistic with importance, or its partial ρ given entropy, confidence and layer, and CIs",
            ),
            (
                "importance.{system}.prune{k}.{part}",
                "metric gap, pruning by F against random (or layer-matched random) orders at k % of heads, its CI and F's rank p",
            ),
            ("freg_signal.{system}.{state}.{signal}", "F's training gradient against the entropy term's"),
        ),
        {
            "ci": {
                "n_rank": 4,
                "n_prune": 4,
                "max_length": 16,
                "n_random": 3,
                "n_rank_classifier": 16,
                "n_prune_classifier": 16,
                "n_train": 64,
                "n_eval": 80,
                "epochs": 1,
                "signal_batches": 2,
                "n_boot": 199,
            },
            "paper": {"n_rank": 48, "n_prune": 48, "max_length": 128, "n_rank_classifier": 250, "n_prune_classifier": 250},
            "paper-tiny": {
                "n_rank": 6,
                "n_prune": 6,
                "max_length": 24,
                "n_rank_classifier": 8,
                "n_prune_classifier": 8,
                "n_train": 32,
                "n_eval": 16,
                "epochs": 1,
                "signal_batches": 1,
                "n_boot": 99,
            },
        },
        takeaway="heads_that_matter",
    ),
)
"""The chapters in book order."""

_EXTRA: list[Chapter] = []


def registry() -> tuple[Chapter, ...]:
    """Every chapter in book order (the registered ones, then any added with ``register``)."""
    return (*CHAPTERS, *_EXTRA)


def register(chapter: Chapter) -> Chapter:
    """Add a chapter after the registered ones for this process (a test's throwaway chapter, a
    fork's own); a second chapter of the same name is an error."""
    if chapter.name in names():
        raise GedigError(f"a chapter {chapter.name!r} is registered already")
    _EXTRA.append(chapter)
    return chapter


def unregister(name: str) -> None:
    """Remove a chapter added with ``register``."""
    _EXTRA[:] = [c for c in _EXTRA if c.name != name]


def names() -> tuple[str, ...]:
    return tuple(c.name for c in registry())


def get(name: str) -> Chapter:
    """The chapter called ``name``; an unknown one is an error naming the chapters."""
    for chapter in registry():
        if chapter.name == name:
            return chapter
    raise GedigError(f"no chapter {name!r}; the chapters are {', '.join(names())}")


def of_measure(key: str) -> Chapter | None:
    """The chapter whose declarations cover measure ``key`` (None: no chapter declares it)."""
    return next((c for c in registry() if any(m.matches(key) for m in c.measures)), None)


def next_sentence(name: str) -> str:
    """What closes a chapter's takeaway: the next chapter's lead, or the claims page after the last."""
    order = names()
    k = order.index(name)
    if k + 1 < len(order):
        after = get(order[k + 1])
        return f"Chapter {after.number} {after.lead}."
    return "The claims page collects every verdict the chapters computed."


def toc() -> dict[str, Any]:
    """The Jupyter Book table of contents (what ``_toc.yml`` holds), from the registry."""
    return {
        "format": "jb-book",
        "root": ROOT_PAGE,
        "parts": [
            {"caption": PARTS[0], "chapters": [{"file": f"book/executed/{c.name}"} for c in registry()]},
            {"caption": PARTS[1], "chapters": [{"file": p} for p in PAGES]},
        ],
    }
