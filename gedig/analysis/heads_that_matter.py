"""Chapter 9: does F tell the heads a model needs from the ones it can lose?

Three measurements on one model at a time:

- **Ranking.** Spearman ρ between each head statistic (F under each preset, row entropy,
  confidence) and importance by exact ablation, with percentile bootstrap CIs over the ranking
  texts (``scipy.stats.bootstrap``: each resample recomputes every head's mean statistic and its
  importance from the same texts), and the partial ρ of F given entropy (the Pearson partial
  correlation of the ranks): does F know anything about importance that entropy does not?
- **Pruning curves** (Michel et al.'s figure): heads removed cumulatively, 0 → 90 % of all heads
  in steps of 10 %, in several orders, scored on *other* texts than those that ranked the heads;
  the gap between pruning by F and pruning at random gets a paired bootstrap CI over those texts.
- **F as a training signal** (``gedig.experiments.training_signal``) lives beside the training code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import GedigError
from ..experiments.importance import Importance

SHARES = tuple(round(0.1 * k, 1) for k in range(10))
"""The shares of all heads removed along a pruning curve: 0 → 90 % in steps of 10 %."""

N_RANDOM_ORDERS = 39
"""Random pruning orders drawn for the null band (Michel et al. show one; a band needs several): with
39, an order better than all of them has a rank p of 1/40 = 0.025."""

N_BOOT = 1000
CONFIDENCE = 0.95

ORDERS = {
    "F, lowest first": ("F_published", True),
    "F, highest first": ("F_published", False),
    "entropy, highest first": ("stat_row_entropy", False),
    "confidence, lowest first": ("stat_max_weight", True),
    "ablation importance, least first (oracle)": ("importance_ablation", True),
}
"""Each named pruning order: the per-head column it sorts by, and whether ascending. F lowest first
is H1's reading (low F is 'random-like', so expendable)."""

F_ORDER = "F, lowest first"
RANDOM = "random"
N_BAND = 10
"""The random orders drawn along the whole pruning curve (the figure's band); the others are
scored at the tested shares only (``GAP_SHARES``), where F's order is ranked among all of them."""
STRATIFIED = "layer-matched random"
"""Random orders that remove, at every step, a head of the same layer as F's order does (a random
head of that layer): they keep F's choice of layers and randomise only its choice within a layer."""


def _head_means(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per head, the mean over the texts ``idx`` of a (texts × heads) array."""
    return values[idx].mean(0)


def _ranks(x: np.ndarray) -> np.ndarray:
    return sps.rankdata(x)


def _partial(x: np.ndarray, y: np.ndarray, *given: np.ndarray) -> float:
    """The partial Spearman correlation of x and y given every array in ``given``: the Pearson
    correlation of the ranks of x and of y once the ranks of the covariates (and a constant) are
    regressed out of both."""
    Z = np.column_stack([np.ones(len(x)), *(_ranks(z) for z in given)])
    rx, ry = _ranks(x), _ranks(y)
    ex = rx - Z @ np.linalg.lstsq(Z, rx, rcond=None)[0]
    ey = ry - Z @ np.linalg.lstsq(Z, ry, rcond=None)[0]
    denominator = np.sqrt((ex @ ex) * (ey @ ey))
    return float(ex @ ey / denominator) if denominator > 1e-12 else float("nan")


COVARIATES = ("stat_row_entropy", "stat_max_weight", "layer")
"""What F's partial ρ with importance is taken given: a head's row entropy, its confidence (mean
maximum weight) and its layer (F rises with depth in some models, and so may importance)."""
PARTIAL = "partial given entropy, confidence and layer"


@dataclass(frozen=True)
class RankingData:
    """Per text and head (texts × heads, heads flattened layer-major): each statistic, and the
    importance's summed loss change and the text's count of positions."""

    statistics: dict[str, np.ndarray]
    delta: np.ndarray
    counts: np.ndarray
    layers: np.ndarray
    gradient: np.ndarray

    @classmethod
    def from_tables(cls, per_text: pd.DataFrame, imp: Importance, columns: Sequence[str]) -> RankingData:
        T, L, H = imp.delta.shape
        ordered = per_text.sort_values(["text_id", "layer", "head"])
        if len(ordered) != T * L * H:
            raise GedigError(f"the scoring table has {len(ordered)} rows; the importance needs {T} texts × {L} layers × {H} heads")
        stats = {c: ordered[c].to_numpy(dtype=float).reshape(T, L * H) for c in columns}
        return cls(
            stats,
            imp.delta.reshape(T, L * H),
            imp.counts,
            np.repeat(np.arange(L), H).astype(float),
            imp.gradient_per_text.reshape(T, L * H),
        )

    def importance(self, idx: np.ndarray) -> np.ndarray:
        return self.delta[idx].sum(0) / self.counts[idx].sum()


GRADIENT = "importance_gradient"
"""The ranking table's row for the gradient importance's ρ with exact ablation."""


def ranking_statistics(data: RankingData, idx: np.ndarray) -> np.ndarray:
    """On texts ``idx``: ρ of each statistic with importance, the partial ρ of each F given the
    ``COVARIATES``, and ρ of the gradient importance with importance by ablation."""
    importance = data.importance(idx)
    means = {c: _head_means(v, idx) for c, v in data.statistics.items()}
    rhos = [sps.spearmanr(means[c], importance).statistic for c in data.statistics]
    given = [means["stat_row_entropy"], means["stat_max_weight"], data.layers]
    partials = [_partial(means[c], importance, *given) for c in data.statistics if c.startswith("F_")]
    gradient = sps.spearmanr(data.gradient[idx].mean(0), importance).statistic
    return np.asarray([*rhos, *partials, gradient], dtype=float)


MIN_FINITE = 0.95
"""The share of bootstrap resamples that must give a value for a percentile interval: a tiny model's
resample can leave a statistic undefined (a constant column of ranks, say)."""


def finite_percentiles(boot: Any) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.stats.bootstrap``'s percentile interval, or, for a statistic that some resamples leave
    undefined, the same percentiles of the resamples that define it, when at least ``MIN_FINITE`` of
    them do (NaN otherwise: the interval is undefined, and the chapter says so)."""
    low, high = np.array(boot.confidence_interval.low, dtype=float), np.array(boot.confidence_interval.high, dtype=float)
    dist = np.atleast_2d(boot.bootstrap_distribution)
    tail = 100 * (1 - CONFIDENCE) / 2
    for i in np.flatnonzero(~(np.isfinite(low) & np.isfinite(high))):
        values = dist[i][np.isfinite(dist[i])]
        if len(values) >= MIN_FINITE * dist.shape[1]:
            low[i], high[i] = np.percentile(values, [tail, 100 - tail])
    return low, high


def ranking_table(data: RankingData, *, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """ρ with importance for each statistic, each F's partial ρ given the ``COVARIATES``, and the
    gradient importance's ρ with ablation, with percentile bootstrap CIs over the ranking texts."""
    T = len(data.counts)
    every = np.arange(T)
    point = ranking_statistics(data, every)
    names = [
        *((c, "spearman") for c in data.statistics),
        *((c, PARTIAL) for c in data.statistics if c.startswith("F_")),
        (GRADIENT, "spearman"),
    ]
    if T < 3:
        low = high = np.full(len(point), np.nan)
    else:
        boot = sps.bootstrap(
            (every,),
            lambda idx: ranking_statistics(data, np.asarray(idx, dtype=int)),
            n_resamples=n_boot,
            confidence_level=CONFIDENCE,
            method="percentile",
            vectorized=False,
            rng=np.random.default_rng(seed),
        )
        low, high = finite_percentiles(boot)
    return pd.DataFrame(
        [
            {"statistic": c, "kind": kind, "rho": float(p), "ci_low": float(lo), "ci_high": float(hi)}
            for (c, kind), p, lo, hi in zip(names, point, low, high, strict=True)
        ]
    )


def pruning_orders(heads: pd.DataFrame, *, n_random: int = N_RANDOM_ORDERS, seed: int = 0) -> dict[str, np.ndarray]:
    """Each named order, then ``n_random`` seeded random orders, then ``n_random`` layer-matched
    random orders (``STRATIFIED``, ``layer_matched``), as head indices (layer-major) in the order they
    are removed. Ties keep the layer-major order (a stable sort)."""
    heads = heads.sort_values(["layer", "head"]).reset_index(drop=True)
    orders = {}
    for name, (column, ascending) in ORDERS.items():
        values = heads[column].to_numpy(dtype=float)
        orders[name] = np.argsort(values if ascending else -values, kind="stable")
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        orders[f"{RANDOM} {k + 1}"] = rng.permutation(len(heads))
    layers = heads["layer"].to_numpy()
    for k in range(n_random):
        orders[f"{STRATIFIED} {k + 1}"] = layer_matched(orders[F_ORDER], layers, rng)
    return orders


def layer_matched(order: np.ndarray, layers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order with the same layer at every step as ``order``: the j-th head ``order`` takes
    from layer l becomes the j-th head of a random permutation of layer l's heads."""
    pools = {int(layer): list(rng.permutation(np.flatnonzero(layers == layer))) for layer in np.unique(layers)}
    return np.array([pools[int(layers[h])].pop(0) for h in order], dtype=int)


def along_curve(name: str) -> bool:
    """Whether an order is scored at every share: the named ones and the first ``N_BAND`` random ones."""
    if name.startswith(STRATIFIED):
        return False
    if name.startswith(RANDOM):
        return int(name.rsplit(" ", 1)[1]) <= N_BAND
    return True


def pruning_masks(
    orders: dict[str, np.ndarray], n_layers: int, n_heads: int, shares: Sequence[float] = SHARES
) -> tuple[np.ndarray, pd.DataFrame]:
    """One head mask per order and share (the unpruned model once), and which order and share
    each mask is; the orders that are not drawn along the curve (``along_curve``) only at the tested
    shares (``GAP_SHARES``)."""
    total = n_layers * n_heads
    masks, rows = [np.ones((n_layers, n_heads), dtype=np.float32)], [{"order": "none", "share": 0.0, "removed": 0}]
    for name, order in orders.items():
        for share in shares if along_curve(name) else [s for s in shares if s in GAP_SHARES]:
            if share == 0:
                continue
            removed = round(share * total)
            mask = np.ones(total, dtype=np.float32)
            mask[order[:removed]] = 0.0
            masks.append(mask.reshape(n_layers, n_heads))
            rows.append({"order": name, "share": float(share), "removed": removed})
    return np.stack(masks), pd.DataFrame(rows)


def pruning_curves(index: pd.DataFrame, sums: np.ndarray, counts: np.ndarray, correct: np.ndarray | None = None) -> pd.DataFrame:
    """The tidy curves: one row per order and share with the metric (and accuracy), in the order the
    orders were drawn (the named ones first); the unpruned model is share 0 of every order; ``random``
    marks the random orders (the band)."""
    metric = sums.sum(1) / counts.sum()
    table = index.assign(metric=metric)
    if correct is not None:
        table = table.assign(accuracy=correct.mean(1))
    base = table[table["order"] == "none"].iloc[0]
    starts = [base.to_frame().T.assign(order=name) for name in table["order"].unique() if name != "none"]
    out = pd.concat([*starts, table[table["order"] != "none"]], ignore_index=True)
    out["random"] = out["order"].str.startswith(RANDOM)
    out = out[out["order"].map(along_curve)]  # the others are scored at the tested shares only: in the gaps, not on the curves
    types = {"share": float, "removed": int, "metric": float, **({"accuracy": float} if correct is not None else {})}
    position = {name: i for i, name in enumerate(index["order"].unique())}  # the named orders first, as drawn
    out = out.astype(types).assign(_position=out["order"].map(position))
    return out.sort_values(["_position", "share"], kind="stable").drop(columns="_position").reset_index(drop=True)


def pruning_gap(
    index: pd.DataFrame, sums: np.ndarray, counts: np.ndarray, share: float, *, order: str = F_ORDER, n_boot: int = N_BOOT, seed: int = 0
) -> dict[str, float]:
    """At ``share``: metric(pruned by ``order``) − mean metric(pruned at random), with a paired
    percentile bootstrap CI over the evaluation texts (token-weighted, as the metric is; the orders
    fixed), and the order's rank p among the random orders, (1 + #{random ≤ it}) / (n + 1); the same
    against the layer-matched random orders (``stratified_*``) where they were drawn."""
    at = index["share"].round(3) == round(share, 3)
    mine = sums[np.flatnonzero(at & (index["order"] == order))[0]]
    out: dict[str, float] = {}
    for prefix, family in (("", RANDOM), ("stratified_", STRATIFIED)):
        rows = np.flatnonzero(at & index["order"].str.startswith(family))
        if not len(rows):
            continue
        diff = mine - sums[rows].mean(0)
        every = np.arange(len(counts))

        def gap(idx: np.ndarray, diff: np.ndarray = diff) -> float:
            idx = np.asarray(idx, dtype=int)
            return float(diff[idx].sum() / counts[idx].sum())

        boot = sps.bootstrap(
            (every,),
            gap,
            n_resamples=n_boot,
            confidence_level=CONFIDENCE,
            method="percentile",
            vectorized=False,
            rng=np.random.default_rng(seed),
        )
        metric_mine, metric_random = mine.sum() / counts.sum(), sums[rows].sum(1) / counts.sum()
        out.update(
            {
                f"{prefix}gap": gap(every),
                f"{prefix}ci_low": float(boot.confidence_interval.low),
                f"{prefix}ci_high": float(boot.confidence_interval.high),
                f"{prefix}rank_p": float((1 + np.sum(metric_random <= metric_mine)) / (len(rows) + 1)),
                f"{prefix}n_orders": float(len(rows)),
            }
        )
    return out


def split_texts(texts: Sequence[str], n_rank: int, n_prune: int) -> tuple[list[str], list[str]]:
    """The first ``n_rank`` texts rank the heads; the next ``n_prune`` score the pruned models."""
    if n_rank < 1 or n_prune < 1:
        raise GedigError(f"n_rank and n_prune must be ≥ 1, got {n_rank}, {n_prune}")
    if len(texts) < n_rank + n_prune:
        raise GedigError(f"{len(texts)} texts cannot give {n_rank} ranking texts and {n_prune} other ones for pruning")
    return list(texts[:n_rank]), list(texts[n_rank : n_rank + n_prune])


@dataclass(frozen=True)
class ModelStudy:
    """Chapter 9's measurements of one model: its per-head table, the ranking with CIs, the pruning
    curves, the gap to random pruning at each tested share, and how the gradient importance ranks
    heads against exact ablation."""

    label: str
    metric: str
    heads: pd.DataFrame
    ranking: pd.DataFrame
    curves: pd.DataFrame
    gaps: dict[float, dict[str, float]]
    gradient_rho: float
    n_rank: int
    n_prune: int


GAP_SHARES = (0.3, 0.5)
"""The shares at which pruning by F is tested against pruning at random."""


def study_model(
    model: str,
    rank_texts: Sequence[str],
    prune_texts: Sequence[str],
    rank_labels: Sequence[int] | None = None,
    prune_labels: Sequence[int] | None = None,
    *,
    label: str,
    task: str = "auto",
    n_boot: int = N_BOOT,
    n_random: int = N_RANDOM_ORDERS,
    seed: int = 0,
    batch_size: int = 8,
    max_length: int = 256,
    device: str = "auto",
    cache: bool = True,
    progress: bool = True,
) -> ModelStudy:
    """Rank ``model``'s heads on ``rank_texts`` and prune it on ``prune_texts`` (every step cached
    unless ``cache=False``)."""
    from .importance import head_scores, importance_per_text, pruned_per_text

    options = {"batch_size": batch_size, "device": device, "cache": cache, "progress": progress}
    imp, metric = importance_per_text(model, rank_texts, rank_labels, task=task, max_length=max_length, label=label, **options)
    per_text = head_scores(model, rank_texts, **options)
    columns = [c for c in per_text.columns if c.startswith("F_")] + list(ORDER_STATISTICS)
    heads = per_text.drop(columns="text_id").groupby(["layer", "head"]).mean().reset_index()
    L, H = imp.ablation.shape
    heads = heads.assign(importance_ablation=imp.ablation.ravel(), importance_gradient=imp.gradient.ravel(), model=label, metric=metric)
    ranking = ranking_table(RankingData.from_tables(per_text, imp, columns), n_boot=n_boot, seed=seed)
    masks, index = pruning_masks(pruning_orders(heads, n_random=n_random, seed=seed), L, H)
    pruned = pruned_per_text(model, prune_texts, masks, prune_labels, task=task, max_length=max_length, label=label, **options)
    curves = pruning_curves(index, pruned.sums, pruned.counts, pruned.correct)
    gaps = {share: pruning_gap(index, pruned.sums, pruned.counts, share, n_boot=n_boot, seed=seed) for share in GAP_SHARES}
    rho = float(sps.spearmanr(heads["importance_gradient"], heads["importance_ablation"]).statistic)
    return ModelStudy(label, metric, heads, ranking, curves, gaps, rho, len(rank_texts), len(prune_texts))


ORDER_STATISTICS = ("stat_row_entropy", "stat_max_weight")
"""The surface statistics ranked beside F: row entropy and confidence."""


LANGUAGE_MODELS = {"bert": "masked-lm", "gpt2": "causal-lm", "llama3.0": "causal-lm", "llama3.1": "causal-lm"}
"""The paper's language-model systems and the metric each is scored by (the classifier, the
``distilbert-sst2`` system, is studied from its fine-tuned weights)."""
CLASSIFIER = "distilbert-sst2"


def language_model_studies(
    bound: dict[str, str], rank_texts: Sequence[str], prune_texts: Sequence[str], *, label: Any, options: dict[str, Any]
) -> tuple[dict[str, ModelStudy], dict[str, str]]:
    """Every bound language-model system's study (each model once, shared by the systems it stands
    for), and for each system whose metric does not apply to its model, the reason."""
    from ..experiments.importance import MetricDoesNotApply

    studies: dict[str, ModelStudy] = {}
    why: dict[str, str] = {}
    done: dict[tuple[str, str], ModelStudy | str] = {}
    for system, model in bound.items():
        task = LANGUAGE_MODELS[system]
        if (model, task) not in done:
            try:
                done[(model, task)] = study_model(model, rank_texts, prune_texts, label=label(system), task=task, **options)
            except MetricDoesNotApply as exc:
                done[(model, task)] = str(exc)
        found = done[(model, task)]
        if isinstance(found, str):
            why[system] = found
        else:
            studies[system] = found
    return studies, why


def classifier_study(
    protocol: Any, seed: int, *, n_rank: int, n_prune: int, label: str, options: dict[str, Any]
) -> tuple[ModelStudy, dict[str, Any], str]:
    """The fine-tuned classifier's study: its heads ranked on ``n_rank`` examples of the evaluation
    split and pruned on ``n_prune`` others (both drawn with the options' seed); its training record;
    its folder."""
    from ..experiments.classifier import fine_tuned_classifier
    from ..experiments.splits import load_splits

    data = load_splits(protocol)
    folder, record = fine_tuned_classifier(
        protocol, seed, data=data, device=options.get("device", "auto"), progress=options.get("progress", True)
    )
    evals = data[1]
    if "text_pair" in evals.columns:
        raise GedigError(f"{protocol.corpus} has sentence pairs; chapter 9 scores single-sentence classifiers")
    if len(evals) < n_rank + n_prune:
        raise GedigError(f"the evaluation split has {len(evals)} examples; ranking and pruning need {n_rank} + {n_prune}")
    # the split is stored class by class: draw both sets from a seeded shuffle, so that each holds both classes
    drawn = evals.sample(frac=1.0, random_state=options.get("seed", 0))
    rank, prune = drawn.iloc[:n_rank], drawn.iloc[n_rank : n_rank + n_prune]
    study = study_model(
        str(folder),
        rank["text"].tolist(),
        prune["text"].tolist(),
        rank["label"].tolist(),
        prune["label"].tolist(),
        label=label,
        task="classifier",
        max_length=protocol.max_length,
        **{k: v for k, v in options.items() if k != "max_length"},
    )
    return study, record, str(folder)


def training_signal(protocol: Any, seed: int, folder: str, *, n_batches: int, device: str = "auto") -> pd.DataFrame:
    """F's training gradient against the entropy term's (``gedig.experiments.training_signal``) at
    initialisation (the pretrained encoder with a new head, as every chapter-6 arm starts) and on the
    fine-tuned α = 0 classifier, on the first training batches."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from ..experiments.splits import load_splits
    from ..experiments.training import load_classifier
    from ..experiments.training_signal import gradient_comparison
    from ..models.devices import resolve_device

    dev = resolve_device(device)
    train, _ = load_splits(protocol)
    hf_logging.disable_progress_bar()  # no loading bars on the page
    try:
        start, tok = load_classifier(protocol.model, seed, dev)
        tuned = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager").to(dev)
    finally:
        hf_logging.enable_progress_bar()
    rows = []
    for state, model, tokenizer in (("initialisation", start, tok), ("fine-tuned (α = 0)", tuned, AutoTokenizer.from_pretrained(folder))):
        rows.append({"state": state, **gradient_comparison(model, tokenizer, train, protocol, n_batches=n_batches)})
    return pd.DataFrame(rows)


def distinct(studies: dict[str, ModelStudy]) -> list[ModelStudy]:
    """Each study once (a model that stands for several systems has one study), in system order."""
    seen: list[ModelStudy] = []
    for st in studies.values():
        if not any(st is s for s in seen):
            seen.append(st)
    return seen


STATES = {"initialisation": "init", "fine-tuned (α = 0)": "trained"}
"""How the measures name the two states of the training-signal comparison."""


def measures(
    studies: dict[str, ModelStudy], why: dict[str, str], signal: pd.DataFrame, *, classifier_record: dict[str, Any], n_random: int
) -> dict[str, Any]:
    """The chapter's measures: per system, each statistic's ρ with importance and its CI, each F's
    partial ρ given entropy, the pruning gaps at the tested shares, the gradient's ρ with ablation;
    per training state, the gradient comparison; the reason for every system not studied."""
    out: dict[str, Any] = {"importance.n_random_orders": n_random, "importance.classifier_accuracy": float(classifier_record["accuracy"])}
    for system, st in studies.items():
        k = f"importance.{system}"
        out[f"{k}.n_heads"] = len(st.heads)
        out[f"{k}.n_rank"], out[f"{k}.n_prune"] = st.n_rank, st.n_prune
        out[f"{k}.metric_full"] = float(st.curves.loc[st.curves["share"] == 0, "metric"].iloc[0])
        out[f"{k}.gradient_rho"] = st.gradient_rho
        for r in st.ranking.itertuples():
            if r.statistic == GRADIENT:
                out[f"ci.{k}.gradient_rho"] = [r.ci_low, r.ci_high]
                continue
            name = "rho" if r.kind == "spearman" else "partial"
            out[f"{k}.{r.statistic}.{name}"] = r.rho
            out[f"{k}.{r.statistic}.{name}_ci_low"] = r.ci_low
            out[f"{k}.{r.statistic}.{name}_ci_high"] = r.ci_high
            out[f"ci.{k}.{r.statistic}.{name}"] = [r.ci_low, r.ci_high]
            if not (np.isfinite(r.ci_low) and np.isfinite(r.ci_high)):
                out[f"why_missing.ci.{k}.{r.statistic}.{name}"] = (
                    f"{st.label}: fewer than {MIN_FINITE:.0%} of the bootstrap resamples of its {st.n_rank} ranking texts define this ρ, "
                    "so it has no 95 % interval"
                )
            if name == "partial":
                out[f"{k}.{r.statistic}.partial_excludes_0"] = bool(r.ci_low > 0 or r.ci_high < 0)
        for share, gap in st.gaps.items():
            for part, value in gap.items():
                if part != "n_orders" and part != "stratified_n_orders":
                    out[f"{k}.prune{round(100 * share)}.{part}"] = value
            out[f"ci.{k}.prune{round(100 * share)}.gap"] = [gap["ci_low"], gap["ci_high"]]
            if "stratified_gap" in gap:
                out[f"ci.{k}.prune{round(100 * share)}.stratified_gap"] = [gap["stratified_ci_low"], gap["stratified_ci_high"]]
    for system, reason in why.items():
        for part in ("rho", "rho_ci_low", "partial", "partial_excludes_0"):
            out[f"why_missing.importance.{system}.F_published.{part}"] = reason
        for share in GAP_SHARES:
            for part in ("gap", "ci_high", "rank_p", "stratified_gap", "stratified_rank_p"):
                out[f"why_missing.importance.{system}.prune{round(100 * share)}.{part}"] = reason
    for r in signal.itertuples():
        k = f"freg_signal.{CLASSIFIER}.{STATES[r.state]}"
        out[f"{k}.cosine"], out[f"{k}.entropy_share"], out[f"{k}.density_ratio"] = r.cosine, r.entropy_share, r.density_ratio
    return out
