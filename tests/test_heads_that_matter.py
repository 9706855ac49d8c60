"""Chapter 9's statistics: the ranking's partial ρ equals the correlation of rank residuals, its
bootstrap CIs cover the point estimate and are seeded; the pruning masks remove the stated share
in the stated order; the gap to random pruning has the sign of the data; the training signal's
gradients add up (∇F = ∇ΔEPC − λ∇ΔH, so the entropy and density parts explain ∇F exactly)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from gedig import GedigError
from gedig.analysis import heads_that_matter as study
from gedig.experiments.importance import Importance


def _data(T: int = 20, L: int = 3, H: int = 4, seed: int = 0) -> tuple[pd.DataFrame, Importance]:
    rng = np.random.default_rng(seed)
    head = rng.random(L * H)  # each head's own level, seen through text-to-text noise
    entropy = head + 0.5 * rng.random((T, L * H))
    F = -head + 0.5 * rng.random(L * H) + 0.3 * rng.random((T, L * H))
    delta = (1 - head) + 0.5 * rng.random(L * H) + 0.5 * rng.random((T, L * H))
    t, lh = np.meshgrid(np.arange(T), np.arange(L * H), indexing="ij")
    per_text = pd.DataFrame(
        {
            "text_id": t.ravel(),
            "layer": lh.ravel() // H,
            "head": lh.ravel() % H,
            "F_published": F.ravel(),
            "stat_row_entropy": entropy.ravel(),
            "stat_max_weight": (1 - entropy + 0.3 * rng.random((T, L * H))).ravel(),
        }
    )
    counts = rng.integers(5, 15, T).astype(float)
    imp = Importance(
        delta=delta.reshape(T, L, H) * counts[:, None, None],
        gradient_per_text=np.abs(delta).reshape(T, L, H),
        sums=counts * 3,
        counts=counts,
    )
    return per_text, imp


def test_partial_rho_is_the_correlation_of_rank_residuals():
    rng = np.random.default_rng(1)
    x, y, z = rng.random(50), rng.random(50), rng.random(50)
    rx, ry, rz = (sps.rankdata(v) for v in (x, y, z))

    def residual(a: np.ndarray) -> np.ndarray:
        slope, intercept = np.polyfit(rz, a, 1)
        return a - (slope * rz + intercept)

    assert study._partial(x, y, z) == pytest.approx(np.corrcoef(residual(rx), residual(ry))[0, 1], abs=1e-12)


def test_the_partial_rho_removes_every_covariate_at_once():
    """Given entropy, confidence and layer: a statistic that is importance only through the layer
    has a partial ρ near 0, though its plain ρ is large."""
    rng = np.random.default_rng(2)
    layer = np.repeat(np.arange(6), 12).astype(float)
    importance = layer + rng.normal(0, 0.3, len(layer))
    f = layer + rng.normal(0, 0.3, len(layer))
    entropy, confidence = rng.random(len(layer)), rng.random(len(layer))
    assert sps.spearmanr(f, importance).statistic > 0.8
    assert abs(study._partial(f, importance, entropy, confidence, layer)) < 0.3
    Z = np.column_stack([np.ones(len(layer)), *(sps.rankdata(v) for v in (entropy, confidence, layer))])

    def residual(a: np.ndarray) -> np.ndarray:
        r = sps.rankdata(a)
        return r - Z @ np.linalg.lstsq(Z, r, rcond=None)[0]

    expected = np.corrcoef(residual(f), residual(importance))[0, 1]
    assert study._partial(f, importance, entropy, confidence, layer) == pytest.approx(expected, abs=1e-12)


def test_ranking_table_has_a_seeded_ci_around_each_estimate():
    per_text, imp = _data()
    data = study.RankingData.from_tables(per_text, imp, ["F_published", "stat_row_entropy", "stat_max_weight"])
    table = study.ranking_table(data, n_boot=199, seed=3)
    assert list(table["kind"]) == ["spearman"] * 3 + [study.PARTIAL, "spearman"]
    assert table["statistic"].iloc[-1] == study.GRADIENT  # the gradient importance's ρ with ablation, with its own interval
    assert (table["ci_low"] <= table["rho"]).all() and (table["rho"] <= table["ci_high"]).all()
    importance = imp.delta.sum(0).ravel() / imp.counts.sum()
    heads_f = per_text.groupby(["layer", "head"])["F_published"].mean().to_numpy()
    assert table["rho"].iloc[0] == pytest.approx(sps.spearmanr(heads_f, importance).statistic)
    assert table.equals(study.ranking_table(data, n_boot=199, seed=3))


def test_pruning_masks_remove_each_share_in_order():
    heads = pd.DataFrame({"layer": np.repeat([0, 1], 5), "head": np.tile(range(5), 2), "F_published": np.arange(10.0)})
    heads = heads.assign(
        stat_row_entropy=-heads["F_published"],
        stat_max_weight=heads["F_published"],
        importance_ablation=heads["F_published"][::-1].to_numpy(),
    )
    orders = study.pruning_orders(heads, n_random=3, seed=0)
    assert list(orders["F, lowest first"][:3]) == [0, 1, 2]
    assert list(orders["F, highest first"][:3]) == [9, 8, 7]
    assert sum(name.startswith("random") for name in orders) == 3
    assert sum(name.startswith(study.STRATIFIED) for name in orders) == 3
    masks, index = study.pruning_masks(orders, 2, 5)
    along = [n for n in orders if study.along_curve(n)]
    assert len(masks) == 1 + len(along) * 9 + (len(orders) - len(along)) * len(study.GAP_SHARES)
    row = index[(index["order"] == "F, lowest first") & (index["share"] == 0.3)].index[0]
    assert masks[row].ravel().tolist() == [0, 0, 0] + [1] * 7
    assert (1 - masks[1:]).sum(axis=(1, 2)).tolist() == index["removed"].iloc[1:].tolist()


def test_the_gap_to_random_pruning_has_the_sign_of_the_data():
    index = pd.DataFrame({"order": ["none", "F, lowest first", "random 1", "random 2"], "share": [0.0, 0.3, 0.3, 0.3]})
    counts = np.full(30, 10.0)
    rng = np.random.default_rng(0)
    sums = np.vstack([np.full(30, 20.0), 20 + rng.normal(0, 1, 30), 25 + rng.normal(0, 1, 30), 25 + rng.normal(0, 1, 30)])
    gap = study.pruning_gap(index, sums, counts, 0.3, n_boot=199)
    assert gap["gap"] == pytest.approx((sums[1] - sums[2:].mean(0)).sum() / counts.sum())
    assert gap["ci_high"] < 0 < -gap["gap"]
    assert gap["rank_p"] == pytest.approx(1 / 3) and gap["n_orders"] == 2  # better than both random orders: (1 + 0) / (2 + 1)
    assert "stratified_gap" not in gap  # no layer-matched orders were drawn


def test_a_layer_matched_order_takes_the_same_layers_in_the_same_steps():
    layers = np.repeat([0, 1, 2], 4)
    order = np.array([11, 0, 5, 1, 10, 9, 2, 3, 4, 6, 7, 8])
    matched = study.layer_matched(order, layers, np.random.default_rng(0))
    assert sorted(matched) == list(range(12)) and (layers[matched] == layers[order]).all()
    assert not (matched == order).all()


def test_split_texts_keeps_ranking_and_pruning_apart():
    rank, prune = study.split_texts([f"t{i}" for i in range(10)], 4, 5)
    assert not set(rank) & set(prune) and len(rank) == 4 and len(prune) == 5
    with pytest.raises(GedigError, match="cannot give 4 ranking texts and 7"):
        study.split_texts([f"t{i}" for i in range(10)], 4, 7)


@pytest.mark.slow
def test_f_gradient_is_its_entropy_part_plus_its_density_part():
    import torch

    from gedig.experiments.splits import load_splits
    from gedig.experiments.training import Protocol, load_classifier
    from gedig.experiments.training_signal import gradient_comparison

    protocol = Protocol(n_train=32, n_eval=16, epochs=1, max_length=32)
    model, tok = load_classifier(protocol.model, 0, torch.device("cpu"))
    out = gradient_comparison(model, tok, load_splits(protocol)[0], protocol, n_batches=1)
    # ∇F = ∇ΔEPC + (−λ∇ΔH) exactly (the path term has no gradient): with c the cosine of ∇F and −λ∇ΔH
    # and r = ‖λ∇ΔH‖/‖∇F‖, ‖∇ΔEPC‖² = ‖∇F − (−λ∇ΔH)‖² = ‖∇F‖²(1 − 2c·r + r²)
    c, r = out["cosine"], out["entropy_ratio"]
    assert out["density_ratio"] ** 2 == pytest.approx(1 - 2 * c * r + r**2, rel=1e-3)
    assert out["entropy_share"] == pytest.approx(c**2) and out["n_batches"] == 1


def test_pruning_curves_keep_the_named_orders_first_and_mark_the_random_ones():
    heads = pd.DataFrame({"layer": np.repeat([0, 1], 5), "head": np.tile(range(5), 2), "F_published": np.arange(10.0)})
    heads = heads.assign(stat_row_entropy=0.0, stat_max_weight=0.0, importance_ablation=0.0)
    masks, index = study.pruning_masks(study.pruning_orders(heads, n_random=2, seed=0), 2, 5)
    counts = np.full(4, 8.0)
    sums = (1 - masks).sum(axis=(1, 2))[:, None] * np.ones((1, 4))  # the metric grows with the heads removed
    curves = study.pruning_curves(index, sums, counts)
    assert list(curves["order"].unique()) == [*study.ORDERS, "random 1", "random 2"]
    assert curves["random"].tolist() == curves["order"].str.startswith("random").tolist()
    assert (curves.groupby("order")["share"].min() == 0).all()  # every curve starts at the unpruned model
    line = curves[curves["order"] == study.F_ORDER]
    assert line["metric"].tolist() == pytest.approx([r / 8 for r in line["removed"]])

    from gedig.figures import heads_that_matter as figures

    st = study.ModelStudy("m", "CE (nats)", heads, pd.DataFrame(), curves, {}, 0.0, 4, 4)
    ax = figures.pruning([st]).axes[0]
    assert ax.get_legend_handles_labels()[1] == ["random (2 orders)", *study.ORDERS]
