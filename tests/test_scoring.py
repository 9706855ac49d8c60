"""score(): the tidy table, its cache, resumption after an interruption, and the CLI around it."""

from __future__ import annotations

import time

import numpy as np
import pytest

import gedig.scoring as scoring
from gedig import GaugeConfig, gauge
from gedig.cli import main
from gedig.corpora import load_texts
from gedig.models import load_model

pytestmark = pytest.mark.slow
TEXTS = load_texts(n=10, seed=5)


@pytest.fixture(scope="module")
def minilm():
    return load_model("minilm-l6", device="cpu")


def test_table_shape_columns_and_values(minilm, score_cache):
    df = scoring.score(minilm, TEXTS, batch_size=4, progress=False)
    assert len(df) == 10 * 6 * 12
    expected = {
        "text_id",
        "layer",
        "head",
        "L",
        "F",
        "delta_epc",
        "delta_h",
        "delta_sp",
        "n_edges",
        "threshold",
        "F_random",
        "F_uniform",
        "F_local",
        "F_diagonal",
        "model",
        "preset",
    }
    assert expected <= set(df.columns)
    assert (df["F_uniform"].round(12) == -0.5).all()
    # a row equals the gauge on that text's attention computed alone
    one = scoring.extract(minilm, TEXTS, [3], max_length=256)
    ref = gauge(one.attn[0, 2, 7]).F
    assert float(df.query("text_id == 3 and layer == 2 and head == 7")["F"].iloc[0]) == pytest.approx(float(ref), abs=1e-6)


def test_same_inputs_same_table_and_warm_cache_is_fast(minilm, score_cache):
    a = scoring.score(minilm, TEXTS, batch_size=4, progress=False)
    t0 = time.perf_counter()
    b = scoring.score("minilm-l6", TEXTS, batch_size=4, progress=False)
    assert time.perf_counter() - t0 < 1.0
    assert a.equals(b)
    c = scoring.score(minilm, TEXTS, batch_size=4, progress=False, cache=False)
    assert np.array_equal(a["F_random"], c["F_random"])  # seeded baselines: identical without the cache
    d = scoring.score(minilm, TEXTS, batch_size=4, progress=False, cache=False, seed=1)
    assert not np.array_equal(a["F_random"], d["F_random"])


def test_interrupted_run_resumes_without_redoing_finished_batches(minilm, score_cache, monkeypatch):
    calls = {"n": 0}
    real = scoring.score_batch

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "score_batch", flaky)
    with pytest.raises(KeyboardInterrupt):
        scoring.score(minilm, TEXTS, batch_size=4, progress=False)
    parts = list(score_cache.glob("scores/*.partial/part-*.parquet"))
    assert len(parts) == 2
    calls["n"] = 10
    df = scoring.score(minilm, TEXTS, batch_size=4, progress=False)
    assert calls["n"] == 11 and len(df) == 720  # only the third batch was computed again
    assert not list(score_cache.glob("scores/*.partial"))


def test_as_written_masks_causal_baselines(score_cache):
    smol = load_model("smollm2-135m", device="cpu")
    df = scoring.score(smol, TEXTS[:3], config=GaugeConfig.as_written(), baselines=("uniform",), progress=False)
    assert (df["preset"] == "as_written").all()
    # a causal uniform baseline has edges (rows differ), unlike the full uniform matrix
    assert df["F_uniform"].nunique() >= 1 and np.isfinite(df["F_uniform"]).all()


def test_cli_prints_h1_summary(capsys, score_cache):
    assert main(["score", "--model", "minilm-l6", "--n", "12", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Table 2 row: ΔF_random" in out and "d_pooled" in out and "p_wilcoxon" in out


def test_cli_reports_bad_input_cleanly(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["score", "--model", "gpt2", "--n", "3", "--quiet"]) == 2
    assert "minilm-l6" in capsys.readouterr().err
