"""Chapter 7's analyses: head statistics, recombining λ and γ from stored terms, the specification
curve's origins, the joint sign-flip test, and the decomposition of ΔF into its terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import softmax_rows
from scipy import stats as sps

from gedig import GaugeConfig, gauge
from gedig.analysis import robustness as rb
from gedig.gauge.headstats import head_stats


def test_head_stats_equal_a_plain_loop(rng):
    A = softmax_rows(rng.normal(size=(3, 7, 7)) * 2)
    lengths = [7, 5, 1]
    mask = np.arange(7)[None, :] < np.array(lengths)[:, None]
    got = head_stats(torch.from_numpy(A), torch.from_numpy(mask))
    for b, n in enumerate(lengths):
        P = A[b, :n, :n] / A[b, :n, :n].sum(-1, keepdims=True)
        want = {
            "row_entropy": np.mean([-(p * np.log(p)).sum() for p in P]),
            "max_weight": P.max(-1).mean(),
            "first_token": P[:, 0].mean(),
            "self": np.diag(P).mean(),
            "prev": np.mean([P[i, i - 1] if i > 0 else 0.0 for i in range(n)]),
            "next": np.mean([P[i, i + 1] if i < n - 1 else 0.0 for i in range(n)]),
        }
        for k, v in want.items():
            assert abs(float(got[k][b]) - v) <= 1e-12, (k, b)


@pytest.mark.parametrize(("lam", "gamma"), [(0.25, 0.0), (2.0, 2.0), (1.0, 0.5)])
def test_recombining_terms_equals_gauging_with_those_weights(rng, lam, gamma):
    A = softmax_rows(rng.normal(size=(20, 9, 9)) * 3)
    for make in (GaugeConfig.published, GaugeConfig.as_written):
        r = gauge(A, config=make())
        table = pd.DataFrame({"delta_epc": r.delta_epc, "delta_h": r.delta_h, "delta_sp": r.delta_sp})
        direct = gauge(A, config=make(lam=lam, gamma=gamma)).F
        assert np.abs(rb.recombine(table, lam, gamma).to_numpy() - direct).max() <= 1e-12


def test_specification_origins_and_grid_size():
    grid = rb.specs()
    assert len(grid) == 4 * 4 * 5 * 2 == 160
    origins = pd.Series([s.origin for s in grid]).value_counts()
    assert origins["author's code"] == 5 and origins["paper's text"] == 5 and origins["other"] == 150
    assert rb.Spec("published", "q 0.9", 0.5, 0.5).origin == "author's code"
    assert rb.Spec("as_written", "τ 0.01", 1.0, 0.5).origin == "paper's text"


def test_t_interval_matches_scipy(rng):
    x = rng.normal(0.3, 1.0, 25)
    m, lo, hi = rb.t_interval(x)
    want = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert abs(m - x.mean()) < 1e-15 and abs(lo - want[0]) < 1e-12 and abs(hi - want[1]) < 1e-12


def test_joint_test_separates_a_real_effect_from_noise(rng):
    effect = rng.normal(0.5, 1.0, (40, 1)) + rng.normal(0, 0.2, (40, 30))
    noise = rng.normal(0.0, 1.0, (40, 1)) + rng.normal(0, 0.2, (40, 30))
    strong = rb.joint_test(effect, n_flips=500, seed=1)
    null = rb.joint_test(noise - noise.mean(0), n_flips=500, seed=1)
    assert strong["p_median"] < 0.01 and strong["share_significant_positive"] > 0.8
    assert null["p_median"] > 0.05 and null["share_significant_positive"] == 0.0
    assert rb.joint_test(effect, n_flips=500, seed=1) == strong  # seeded


def test_decomposition_terms_add_up_to_dF(rng):
    n = 30
    table = pd.DataFrame(
        {
            "text_id": np.repeat(np.arange(10), 3),
            "model": "m",
            **{f"{t}{s}": rng.random(n) for t in ("delta_epc", "delta_h", "delta_sp") for s in ("", "_random")},
        }
    )
    cfg = GaugeConfig.published()
    dec = rb.decomposition(table, cfg, ["random"], n_boot=99)
    F = rb.recombine(table, cfg.lam, cfg.gamma) - rb.recombine(table, cfg.lam, cfg.gamma, "random")
    assert abs(dec["contribution"].sum() - F.groupby(table["text_id"]).mean().mean()) <= 1e-12
    assert abs(dec["share"].sum() - 1.0) <= 1e-12
    assert (dec["ci_low"] <= dec["contribution"]).all() and (dec["contribution"] <= dec["ci_high"]).all()
