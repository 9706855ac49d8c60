"""score(): the tidy table, its cache, resumption after an interruption, and the CLI around it."""

from __future__ import annotations

import numpy as np
import pytest

import gedig.pipeline.scoring as scoring
from gedig import GaugeConfig, GedigError, gauge, make_baseline
from gedig.cli import main
from gedig.models.attention import extract, plan_batches
from gedig.models.corpora import load_texts
from gedig.models.loading import load_model

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
    # a row is the gauge on that head of the batch score() extracted (same process and threads: the same attention)
    index = next(b for b in plan_batches(minilm, TEXTS, batch_size=4, max_length=256) if 3 in b)
    batch = extract(minilm, TEXTS, index, max_length=256)
    b, n = index.index(3), int(batch.mask[index.index(3)].sum())
    ref = gauge(batch.attn[b, 2, 7, :n, :n])
    row = df.query("text_id == 3 and layer == 2 and head == 7").iloc[0]
    for term in ("F", "delta_epc", "delta_h", "delta_sp", "n_edges", "threshold"):
        assert abs(row[term] - float(getattr(ref, term))) <= 1e-12, term  # float64 sums over padded vs unpadded rows


def test_same_inputs_same_table_and_a_warm_cache_loads_no_model(minilm, score_cache, monkeypatch):
    a = scoring.score(minilm, TEXTS, batch_size=4, progress=False)
    with monkeypatch.context() as mp:  # the cached table is returned without loading the model (its speed is in `bench`)
        mp.setattr(scoring, "load_model", lambda *a, **k: pytest.fail("loaded a model for a cached table"))
        b = scoring.score("minilm-l6", TEXTS, batch_size=4, progress=False)
    assert a.equals(b)
    c = scoring.score(minilm, TEXTS, batch_size=4, progress=False, cache=False)
    assert np.array_equal(a["F_random"], c["F_random"])  # seeded baselines: identical without the cache
    d = scoring.score(minilm, TEXTS, batch_size=4, progress=False, cache=False, seed=1)
    assert not np.array_equal(a["F_random"], d["F_random"])


def test_interrupted_run_resumes_without_redoing_finished_batches(minilm, score_cache, monkeypatch):
    calls = {"n": 0}
    real = scoring.gauge_batch

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "gauge_batch", flaky)
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
    # a causal uniform baseline has edges (its rows differ), unlike the full uniform matrix (no edges, F = −λ)
    for L, g in df.groupby("L"):
        causal = gauge(make_baseline("uniform", int(L), causal=True), causal=True, config=GaugeConfig.as_written())
        full = gauge(make_baseline("uniform", int(L)), config=GaugeConfig.as_written())
        assert (g["F_uniform"] == float(causal.F)).all() and float(causal.delta_epc) > 0
        assert float(full.delta_epc) == 0 and float(full.F) == pytest.approx(-1.0, abs=1e-12)


def test_cli_prints_h1_summary(capsys, score_cache):
    assert main(["score", "--model", "minilm-l6", "--n", "12", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Table 2 row: ΔF_random" in out and "d_pooled" in out and "p_wilcoxon" in out


def test_cli_reports_bad_input_cleanly(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["score", "--model", "gpt2", "--n", "3", "--quiet"]) == 2
    assert "minilm-l6" in capsys.readouterr().err


ALL_KINDS = ("random", "uniform", "local", "diagonal", "permuted", "entropy_matched")


@pytest.fixture(scope="module")
def smollm():
    return load_model("smollm2-135m", device="cpu")


@pytest.mark.parametrize("which", ["minilm", "smollm"])
def test_every_baseline_term_is_in_the_table_and_satisfies_the_F_identity(which, request, score_cache):
    model = request.getfixturevalue(which)
    texts = TEXTS[:3]
    for cfg in (GaugeConfig.published(), GaugeConfig.as_written()):
        df = scoring.score(model, texts, config=cfg, baselines=ALL_KINDS, batch_size=2, progress=False)
        for b in ALL_KINDS:
            rebuilt = df[f"delta_epc_{b}"] - cfg.lam * (df[f"delta_h_{b}"] + cfg.gamma * df[f"delta_sp_{b}"])
            assert (df[f"F_{b}"] - rebuilt).abs().max() <= 1e-12, b
        # permuted keeps threshold, edges and entropy: F differs only through ΔSP
        gap = (df["F"] - df["F_permuted"]) + cfg.lam * cfg.gamma * (df["delta_sp"] - df["delta_sp_permuted"])
        assert gap.abs().max() <= 1e-12
        assert (df["delta_h"] - df["delta_h_permuted"]).abs().max() <= 1e-12
        assert (df["delta_epc"] - df["delta_epc_permuted"]).abs().max() <= 1e-12


@pytest.mark.parametrize("which", ["minilm", "smollm"])
def test_null_columns_agree_with_the_networkx_reference(which, request, score_cache):
    from gedig.gauge.baselines import text_rng
    from gedig.gauge.reference import reference_gauge

    model = request.getfixturevalue(which)
    texts = TEXTS[:2]
    cfg = GaugeConfig.as_written() if model.causal else GaugeConfig.published()
    df = scoring.score(model, texts, config=cfg, baselines=("permuted", "entropy_matched"), batch_size=1, progress=False)
    for tid in range(len(texts)):
        one = extract(model, texts, [tid], max_length=256)
        own = one.attn[0].numpy()
        for kind in ("permuted", "entropy_matched"):
            null = gedig_null(kind, own, model.causal, text_rng(kind, 0, tid))
            for layer, h in ((0, 0), (model.n_layers - 1, model.n_heads - 1), (1, 2)):
                ref = reference_gauge(null[layer, h], causal=model.causal, config=cfg)
                row = df[(df.text_id == tid) & (df.layer == layer) & (df["head"] == h)].iloc[0]
                for term in ("F", "delta_epc", "delta_h", "delta_sp"):
                    assert abs(row[f"{term}_{kind}"] - ref[term]) <= 1e-9, (kind, term)


def gedig_null(kind, attn, causal, rng):
    from gedig import structured_null

    return structured_null(kind, attn, causal=causal, seed=rng)


def test_list_config_equals_single_calls_and_shares_their_cache(minilm, score_cache):
    configs = [GaugeConfig.published(q=q) for q in (0.8, 0.9)] + [GaugeConfig.as_written(), GaugeConfig.published(tau=0.01)]
    many = scoring.score(minilm, TEXTS, config=configs, baselines=("random", "permuted"), batch_size=4, progress=False)
    assert isinstance(many, list) and len(many) == len(configs)
    files = sorted(p.name for p in (score_cache / "scores").glob("*.parquet"))
    assert len(files) == len(configs), "each configuration is cached under its own key"
    for cfg, table in zip(configs, many, strict=True):
        fresh = scoring.score(minilm, TEXTS, config=cfg, baselines=("random", "permuted"), batch_size=4, progress=False, cache=False)
        numeric = fresh.select_dtypes("number").columns
        assert (table[numeric] - fresh[numeric]).abs().max().max() <= 1e-12
        cached = scoring.score(minilm, TEXTS, config=cfg, baselines=("random", "permuted"), batch_size=4, progress=False)
        assert cached.equals(table)  # a single call finds the list call's entry
    assert sorted(p.name for p in (score_cache / "scores").glob("*.parquet")) == files
    with pytest.raises(GedigError, match="empty list"):
        scoring.score(minilm, TEXTS, config=[], progress=False)
