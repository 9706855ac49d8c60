"""H1 statistics: the author's pooled d, the paired d_z, and tests with texts as the unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from gedig.analysis.stats import by_layer, cohen_d_pooled, summarize


def table(rng, n_texts=30, rows=12, shift=0.05):
    text = np.repeat(np.arange(n_texts), rows)
    text_effect = rng.normal(0, 0.02, n_texts)[text]
    base = rng.normal(-0.5, 0.01, len(text))
    real = base + shift + text_effect + rng.normal(0, 0.02, len(text))
    return pd.DataFrame(
        {
            "model": "m",
            "preset": "published",
            "text_id": text,
            "layer": np.tile(np.arange(rows) // 4, n_texts),
            "head": np.tile(np.arange(rows) % 4, n_texts),
            "F": real,
            "F_random": base,
        }
    )


def test_summary_numbers_follow_their_definitions(rng):
    df = table(rng)
    s = summarize(df).iloc[0]
    delta = df["F"] - df["F_random"]
    per_text = delta.groupby(df["text_id"]).mean()
    assert s["dF"] == pytest.approx(delta.mean())
    assert s["dF_std"] == pytest.approx(delta.std(ddof=0))
    assert s["win_rate"] == pytest.approx((delta > 0).mean())
    assert s["d_z"] == pytest.approx(delta.mean() / delta.std(ddof=1))
    pooled = np.sqrt((df["F"].var(ddof=1) + df["F_random"].var(ddof=1)) / 2)
    assert s["d_pooled"] == pytest.approx((df["F"].mean() - df["F_random"].mean()) / pooled)
    assert s["p_t"] == pytest.approx(sps.ttest_1samp(per_text, 0).pvalue)
    assert s["n_texts"] == 30 and s["n_rows"] == 360
    assert s["ci_low"] < per_text.mean() < s["ci_high"]


def test_texts_are_the_unit_of_independence(rng):
    """Duplicating rows within texts must not make p smaller: only texts count."""
    df = table(rng, n_texts=8, shift=0.004)
    more_rows = pd.concat([df] * 10, ignore_index=True)
    assert summarize(more_rows).iloc[0]["p_t"] == pytest.approx(summarize(df).iloc[0]["p_t"])


def test_bootstrap_is_reproducible_and_seeded(rng):
    df = table(rng)
    a, b, c = summarize(df, seed=1), summarize(df, seed=1), summarize(df, seed=2)
    assert a.equals(b) and a["ci_low"].iloc[0] != c["ci_low"].iloc[0]


def test_no_effect_gives_large_p(rng):
    df = table(rng, shift=0.0)
    df["F"] = df["F_random"] + rng.normal(0, 0.02, len(df))
    assert summarize(df).iloc[0]["p_t"] > 0.01


def test_pooled_d_and_by_layer(rng):
    # means 2 and 5, variances 1 and 4 (ddof = 1): pooled SD √((2·1 + 2·4) / 4) = √2.5, d = −3 / √2.5
    assert cohen_d_pooled(np.array([1.0, 2.0, 3.0]), np.array([3.0, 5.0, 7.0])) == pytest.approx(-3 / np.sqrt(2.5), abs=1e-12)
    assert cohen_d_pooled(np.array([3.0, 5.0, 7.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(3 / np.sqrt(2.5), abs=1e-12)
    assert np.isnan(cohen_d_pooled(np.ones(3), np.ones(3))), "no spread: no effect size, not 0"
    df = table(rng)
    out = by_layer(df).set_index("layer")
    assert list(out.index) == [0, 1, 2]
    delta = (df["F"] - df["F_random"]).groupby(df["layer"])
    assert np.allclose(out["dF"], delta.mean()) and np.allclose(out["win_rate"], delta.apply(lambda d: (d > 0).mean()))
