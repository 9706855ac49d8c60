"""Bad input fails with a GedigError that names the problem, never a deep traceback or a wrong number."""

from __future__ import annotations

import numpy as np
import pytest

from gedig import GaugeConfig, GedigError, gauge, make_baseline
from gedig.models.attention import check_texts
from gedig.models.corpora import load_labelled, load_texts
from gedig.models.loading import load_model
from gedig.pipeline.scoring import score


@pytest.mark.parametrize(
    ("attn", "match"),
    [
        (np.ones(5), "1-D"),
        (np.ones((3, 4)), "square"),
        (np.ones((2, 0, 0)), "empty"),
        (np.array([[0.5, np.nan], [0.5, 0.5]]), "NaN"),
        (np.array([[0.5, np.inf], [0.5, 0.5]]), "infinite"),
        (np.array([[1.5, -0.5], [0.5, 0.5]]), "non-negative"),
        (np.zeros((3, 3)), "no positive weight"),
        ([["a", "b"], ["c", "d"]], "numeric"),
    ],
)
def test_bad_attention(attn, match):
    with pytest.raises(GedigError, match=match):
        gauge(attn)


def test_nan_in_padding_is_ignored():
    A = np.full((3, 3), np.nan)
    A[:2, :2] = 0.5
    assert np.isfinite(gauge(A, np.array([True, True, False])).F)


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (np.ones(4, bool), "does not match"),
        (np.ones((5, 3), bool), "does not broadcast"),
        (np.zeros(3, bool), "no valid token"),
        (np.full(3, 2), "boolean"),
    ],
)
def test_bad_mask(mask, match):
    with pytest.raises(GedigError, match=match):
        gauge(np.ones((2, 3, 3)) / 3, mask)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"q": 0.0}, "between 0 and 1"),
        ({"q": 1.0}, "between 0 and 1"),
        ({"q": float("nan")}, "finite"),
        ({"lam": -1.0}, "≥ 0"),
        ({"sp": "bogus"}, "sp must"),
        ({"tau": float("inf")}, "tau"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(GedigError, match=match):
        GaugeConfig.published(**kwargs)


def test_unknown_names():
    with pytest.raises(GedigError, match="unknown preset"):
        GaugeConfig.from_name("as-written")
    with pytest.raises(GedigError, match="unknown baseline kind"):
        make_baseline("gaussian", 5)
    with pytest.raises(GedigError, match="positive integer"):
        make_baseline("random", 0)
    with pytest.raises(GedigError, match="unknown corpus"):
        load_texts("wikitext-103", n=3)
    with pytest.raises(GedigError, match="unknown model"):
        load_model("./no/such/thing/here")
    with pytest.raises(GedigError, match="not a model folder"):
        load_model(".")


def test_corpus_sizes():
    with pytest.raises(GedigError, match="cannot draw n = 100000"):
        load_texts("wiki-summaries", n=100_000)
    with pytest.raises(GedigError, match="positive integer"):
        load_texts("wiki-summaries", n=0)
    with pytest.raises(GedigError, match="even n"):
        load_labelled("rotten-tomatoes", n=3)
    with pytest.raises(GedigError, match="no labels"):
        load_labelled("wiki-summaries", n=4)


def test_hub_names_offline_fail_fast_and_name_the_alternatives(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GedigError, match="minilm-l6, smollm2-135m"):
        load_model("bert-base-uncased")
    with pytest.raises(GedigError, match="wiki-summaries"):
        load_texts("wikitext", n=5)
    with pytest.raises(GedigError, match="rotten-tomatoes"):
        load_labelled("sst2", n=4)


@pytest.mark.parametrize(
    ("texts", "match"),
    [
        ([], "empty"),
        (["fine", ""], "text 1 is empty"),
        (["ok", "   "], "whitespace"),
        ("a string", "not a single string"),
        ([1, 2], "not a string"),
    ],
)
def test_bad_texts(texts, match):
    with pytest.raises(GedigError, match=match):
        check_texts(texts)


def test_score_rejects_bad_arguments_before_loading_anything():
    with pytest.raises(GedigError, match="empty"):
        score("minilm-l6", [])
    with pytest.raises(GedigError, match="unknown baseline"):
        score("minilm-l6", ["a text"], baselines=("random", "noise"))
    with pytest.raises(GedigError, match="GaugeConfig"):
        score("minilm-l6", ["a text"], config={"lam": 1})
