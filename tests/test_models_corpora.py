"""Embedded models and corpora load offline, deterministically, with the facts the scorer needs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from gedig.models.attention import extract, plan_batches
from gedig.models.corpora import load_labelled, load_texts
from gedig.models.loading import load_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm():
    return load_model("minilm-l6", device="cpu")


@pytest.fixture(scope="module")
def smol():
    return load_model("smollm2-135m", device="cpu")


def test_minilm_is_a_bidirectional_6x12(minilm):
    assert (minilm.n_layers, minilm.n_heads, minilm.causal) == (6, 12, False)


def test_smollm2_is_a_causal_30x9(smol):
    assert (smol.n_layers, smol.n_heads, smol.causal) == (30, 9, True)


def test_attention_is_row_stochastic_and_padding_free(minilm, smol):
    texts = ["A short one.", "A considerably longer sentence that forces padding in the batch."]
    for model in (minilm, smol):
        batch = extract(model, texts, [0, 1], max_length=64)
        n0 = int(batch.mask[0].sum())
        a = batch.attn[0, :, :, :n0, :n0]
        assert torch.allclose(a.sum(-1), torch.ones_like(a.sum(-1)), atol=1e-5)
        alone = extract(model, texts, [0], max_length=64).attn[0]
        assert torch.allclose(alone, a, atol=1e-5)  # padding does not change the real tokens' attention
        if model.causal:
            assert (torch.triu(batch.attn[1], 1) == 0).all()


def test_random_init_is_seeded_and_untrained(minilm):
    a = load_model("minilm-l6@random-init", device="cpu")
    b = load_model("minilm-l6@random-init", device="cpu")
    wa = next(a.model.parameters())
    assert torch.equal(wa, next(b.model.parameters()))
    assert not torch.equal(wa, next(minilm.model.parameters()))
    assert a.causal is False and a.n_layers == 6


def test_batches_group_similar_lengths(minilm):
    texts = load_texts(n=40, seed=3)
    plan = plan_batches(minilm, texts, batch_size=8, max_length=256)
    assert sorted(i for b in plan for i in b) == list(range(40)) and len(plan) == 5
    n_tokens = [len(ids) for ids in minilm.tokenizer(texts)["input_ids"]]
    spans = [(min(n_tokens[i] for i in b), max(n_tokens[i] for i in b)) for b in plan]
    assert all(hi <= nxt_lo for (_, hi), (nxt_lo, _) in itertools.pairwise(spans)), "batches overlap in length"
    padded = sum(hi * len(b) for (_, hi), b in zip(spans, plan, strict=True))
    arrival = sum(max(n_tokens[i] for i in range(s, s + 8)) * 8 for s in range(0, 40, 8))
    assert padded < arrival, "grouping by length pads less than batching in arrival order"


def test_corpora_are_deterministic_and_within_bounds():
    a = load_texts("wiki-summaries", n=50, seed=1)
    assert a == load_texts("wiki-summaries", n=50, seed=1) and a != load_texts("wiki-summaries", n=50, seed=2)
    assert all(20 <= len(t) <= 120 for t in a) and len(set(a)) == 50
    rt = load_labelled("rotten-tomatoes", n=100, seed=0)
    assert rt["label"].value_counts().to_dict() == {0: 50, 1: 50}
    assert rt.equals(load_labelled("rotten-tomatoes", n=100, seed=0))
    assert np.all(rt["text"].str.len() > 0)
