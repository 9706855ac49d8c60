"""The head explorer's data and the interactive figures: the page's edges are exactly the gauge's
edge set, its terms are the gauge's terms, the payload is reproducible and cached, and the Plotly
figures carry what their hover promises without embedding plotly.js."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAMILIES, family

import gedig
from gedig import GaugeConfig, GedigError, gauge
from gedig.figures.explorer import ExplorerConfig, arrays, edge_levels, explore, explorer_html
from gedig.figures.interactive import layer_figure, spec_curve, to_html
from gedig.gauge.batched import _above
from gedig.models.attention import extract
from gedig.util.io import CacheWarning

TINY = ExplorerConfig(models=("minilm-l6",), n_wiki=1, n_reviews=1, qs=(0.5, 0.9), taus=(0.01,))


@pytest.mark.parametrize("kind", FAMILIES)
def test_levels_and_ranks_reproduce_every_edge_set(kind, rng):
    """level > rank[c] must be A > τ_c as the gauge decides it, ties at the threshold included."""
    A = torch.from_numpy(np.stack([family(kind, 9, rng) for _ in range(4)])).float()
    configs = [GaugeConfig.published(q=q) for q in (0.3, 0.5, 0.9, 0.95)] + [GaugeConfig.published(tau=t) for t in (0.0, 0.01, 0.2)]
    taus = np.stack([gauge(A, config=c).threshold.numpy() for c in configs], -1)
    level, rank = edge_levels(A, taus)
    for c, config in enumerate(configs):
        edges = (level > rank[:, c, None, None]).astype(float)
        np.testing.assert_array_equal(edges, _above(A, torch.from_numpy(taus[:, c])).numpy())
        np.testing.assert_array_equal(edges.sum((-2, -1)), gauge(A, config=config).n_edges.numpy())


def test_config_rejects_bad_values():
    for bad in ({"n_wiki": 0, "n_reviews": 0}, {"qs": (1.5,)}, {"taus": (-0.1,)}, {"qs": (), "taus": ()}, {"models": ()}):
        with pytest.raises(GedigError):
            ExplorerConfig(**bad)


def test_unknown_model_is_a_clear_error(score_cache):
    with pytest.raises(GedigError, match=r"Embedded models that work offline"):
        explore(ExplorerConfig(models=("no-such-model",), n_wiki=1, n_reviews=0), progress=False)


@pytest.mark.slow
def test_payload_terms_are_the_gauge_on_each_head(score_cache):
    payload = explore(TINY, progress=False)
    model = gedig.load_model("minilm-l6")
    texts = [t for _, t in TINY.texts()]
    configs = TINY.configurations()
    assert [c["label"] for c in payload["configs"]] == [label for label, _ in configs]
    m = payload["models"][0]
    stored = arrays(payload)
    assert (m["layers"], m["heads"]) == (6, 12) and len(m["texts"]) == 2
    for ti, entry in enumerate(m["texts"]):
        A = extract(model, texts, [ti], max_length=TINY.max_length).attn[0].float()
        assert entry["L"] == A.shape[-1] == len(entry["tokens"])
        head_terms = stored[f"m0t{ti}.head_terms"]  # (layers, heads, C, sources, 4)
        level, rank = stored[f"m0t{ti}.level"], stored[f"m0t{ti}.rank"]
        assert entry["per_head"][0] == "head" and "random" in entry["per_head"]
        for c, (_, config) in enumerate(configs):
            r = gauge(A, config=config)
            got = head_terms[:, :, c, 0].astype(float)
            for q, term in enumerate(("F", "delta_epc", "delta_h", "delta_sp")):
                np.testing.assert_allclose(got[..., q], getattr(r, term).numpy(), atol=1e-6, rtol=0)
            edges = level > rank[:, :, c, None, None]
            np.testing.assert_array_equal(edges.sum((-2, -1)), r.n_edges.numpy())
        # the deterministic baselines are stored once per text and equal the gauge on that matrix
        text_terms = stored[f"m0t{ti}.text_terms"]
        L = entry["L"]
        for s, kind in enumerate(entry["per_text"]):
            for c, (_, config) in enumerate(configs):
                r = gauge(gedig.make_baseline(kind, L), config=config)
                np.testing.assert_allclose(text_terms[c, s], [r.F, r.delta_epc, r.delta_h, r.delta_sp], atol=1e-6, rtol=0)


@pytest.mark.slow
def test_payload_is_reproducible_cached_and_recovers_from_corruption(score_cache, monkeypatch):
    first = explore(TINY, progress=False, cache=False)
    assert explore(TINY, progress=False, cache=False)["blob"] == first["blob"], "same inputs and seed, same bytes"
    cached = explore(TINY, progress=False)
    assert cached["blob"] == first["blob"]
    with monkeypatch.context() as mp:
        mp.setattr("gedig.figures.explorer.load_model", lambda *a, **k: pytest.fail("recomputed what the cache holds"))
        assert explore(TINY, progress=False)["blob"] == first["blob"]
    (entry,) = (score_cache / "explorer").glob("*.json")
    entry.write_text('{"format": 1, "blo')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = explore(TINY, progress=False)
    assert any(issubclass(w.category, CacheWarning) for w in caught)
    assert again["blob"] == first["blob"]


@pytest.mark.slow
def test_page_fragment_embeds_data_safely_and_needs_plotly(score_cache):
    payload = explore(TINY, progress=False)
    page = explorer_html(payload)
    assert 'data-plotly="required"' in page, "the book's extension loads plotly.js on pages with this marker"
    data = page.split('id="gedig-explorer-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and json.loads(data)["blob"] == payload["blob"]
    assert "plotly.min.js" not in page and len(page) < 1_000_000


def _score_table(rng, n_texts=30, layers=3, heads=4):
    rows = [
        {"text_id": t, "layer": layer, "head": h, "F": rng.normal(-0.3 + 0.02 * layer, 0.05), "F_random": rng.normal(-0.5, 0.02)}
        for t in range(n_texts)
        for layer in range(layers)
        for h in range(heads)
    ]
    return pd.DataFrame(rows)


def test_layer_figure_boxes_use_every_row_and_points_a_seeded_sample(rng):
    df = _score_table(rng)
    texts = [f"text number {i} " * 3 for i in range(30)]
    fig = layer_figure(df, texts, max_texts=5, seed=3)
    box, points = fig.data
    np.testing.assert_allclose(box.median, df.groupby("layer")["F"].median().to_numpy())
    custom = np.asarray(points.customdata)
    assert len({int(t) for t in custom[:, 2]}) == 5 and len(custom) == 5 * 3 * 4
    assert "head %{customdata[1]}" in points.hovertemplate and "text %{customdata[2]}" in points.hovertemplate
    again = layer_figure(df, texts, max_texts=5, seed=3)
    np.testing.assert_array_equal(np.asarray(again.data[1].customdata), custom)
    with pytest.raises(GedigError, match="columns"):
        layer_figure(df.drop(columns="F_random"), texts)
    with pytest.raises(GedigError, match="texts"):
        layer_figure(df, texts[:3])


def test_spec_curve_hover_names_each_choice_and_html_has_no_library(rng):
    n = 12
    curve = pd.DataFrame(
        {
            "effect": rng.normal(size=n),
            "definitions": ["published", "as_written"] * (n // 2),
            "threshold": ["q 0.9"] * n,
            "lam": [0.5, 1.0, 2.0] * (n // 3),
            "gamma": [0.5] * n,
            "origin": ["author's code", "paper's text", "other", "other"] * (n // 4),
        }
    )
    curve["ci_low"], curve["ci_high"] = curve["effect"] - 0.1, curve["effect"] + 0.1
    fig = spec_curve(curve)
    assert sum(len(t.x) for t in fig.data) == n
    assert [t.name.split(" (")[0] for t in fig.data][-1] == "author's code", "the author's specifications are drawn on top"
    assert all("λ = %{customdata[2]}" in t.hovertemplate for t in fig.data)
    html = to_html(fig, div_id="fixed-id")
    assert 'id="fixed-id"' in html and len(html) < 200_000 and "PlotlyConfig" not in html
    with pytest.raises(GedigError, match="columns"):
        spec_curve(curve.drop(columns="lam"))


@pytest.mark.slow
def test_cli_writes_one_offline_page_for_the_readers_own_text(score_cache, tmp_path, capsys):
    from gedig.cli import main

    out = tmp_path / "heads.html"
    argv = [
        "explore",
        "--model",
        "minilm-l6",
        "--text",
        "The cat sat on the mat.",
        "--preset",
        "published",
        "--q",
        "0.9",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    page = out.read_text(encoding="utf-8")
    assert "Plotly" in page.split("</head>")[0], "plotly.js is inlined: the page needs nothing else"
    assert "src=" not in page.split("<body>")[1].split('id="gedig-explorer-data"')[0]
    data = json.loads(page.split('id="gedig-explorer-data">', 1)[1].split("</script>", 1)[0])
    assert [t["text"] for t in data["models"][0]["texts"]] == ["The cat sat on the mat."]
    assert [c["label"] for c in data["configs"]] == ["q = 0.9", "τ = 0.01"]
    assert "wrote" in capsys.readouterr().out
    assert main(["explore", "--model", "minilm-l6", "--text", "  ", "--out", str(out)]) == 2
    assert "empty" in capsys.readouterr().err
