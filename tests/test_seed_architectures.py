"""Every architecture the paper used, tiny and offline: BERT, GPT-2, DistilBERT, Llama 3 (grouped-query
attention) and Phi-3 (fused qkv), each built from its transformers config (4 layers, 4 heads,
hidden 32) by the local hub's builder with a tokenizer of its kind, saved to a folder, loaded with ``load_model(folder)``,
detected as causal or not, and scored to ≤ 1e-9 of the networkx reference on its own attention.
Only the hub download of the real weights is missing offline; everything after it runs here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gedig import GaugeConfig
from gedig.gauge.reference import reference_gauge
from gedig.models.attention import extract, plan_batches
from gedig.models.corpora import load_texts
from gedig.models.loading import load_model
from gedig.models.localhub import TINY, save_tiny
from gedig.pipeline.scoring import score

TEXTS = load_texts(n=5, seed=3)
ARCHS = {  # name: (the paper's system, tokenizer kind, causal)
    "bert": ("bert-base-uncased", "BertTokenizerFast", False),
    "gpt2": ("gpt2", "bpe", True),
    "distilbert": ("distilbert-base-uncased", "DistilBertTokenizerFast", False),
    "llama": ("meta-llama/Meta-Llama-3-8B", "bpe", True),
    "phi3": ("microsoft/Phi-3-mini-4k-instruct", "bpe", True),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Each architecture as gedig.models.localhub builds it (the local hub's own builder), in a folder."""
    return {arch: save_tiny(arch, ARCHS[arch][1], tmp_path_factory.mktemp(arch)) for arch in ARCHS}


@pytest.mark.parametrize("arch", list(ARCHS))
def test_tiny_architecture_loads_detects_causality_and_matches_the_reference(tiny, arch, score_cache):
    model = load_model(str(tiny[arch]), device="cpu")
    assert model.causal is ARCHS[arch][2], f"{arch}: causal detection"
    assert (model.n_layers, model.n_heads) == (TINY["layers"], TINY["heads"])
    plan = plan_batches(model, TEXTS, batch_size=8, max_length=64)
    batch = extract(model, TEXTS, plan[0], max_length=64)
    assert batch.attn.shape[1:3] == (TINY["layers"], TINY["heads"])
    for cfg in (GaugeConfig.published(), GaugeConfig.as_written()):
        table = score(model, TEXTS, config=cfg, batch_size=8, max_length=64, baselines=(), progress=False, cache=False)
        assert len(table) == len(TEXTS) * TINY["layers"] * TINY["heads"]
        worst = 0.0
        for b, tid in enumerate(batch.index):
            n = int(batch.mask[b].sum())
            for layer in range(TINY["layers"]):
                for head in range(TINY["heads"]):
                    ref = reference_gauge(batch.attn[b, layer, head, :n, :n].double().numpy(), causal=model.causal, config=cfg)
                    row = table[(table.text_id == tid) & (table.layer == layer) & (table["head"] == head)].iloc[0]
                    worst = max(worst, *(abs(row[k] - ref[k]) for k in ("F", "delta_epc", "delta_h", "delta_sp")))
        assert worst <= 1e-9, f"{arch} [{cfg.name}]: max |difference| {worst:.2e}"


def test_tiny_distilbert_fine_tunes_with_f_regularisation(tiny):
    """DistilBertForSequenceClassification: the soft gauge sends gradient into attention, and a
    few steps of the sweep's own training loop run with α > 0."""
    from gedig.experiments.splits import load_splits
    from gedig.experiments.training import Arm, Protocol, load_classifier, train_arm
    from gedig.gauge.soft import f_mean

    model, tok = load_classifier(str(tiny["distilbert"]), seed=0, device=torch.device("cpu"))
    assert type(model).__name__ == "DistilBertForSequenceClassification"
    enc = tok(TEXTS[:4], padding=True, return_tensors="pt")
    out = model(**enc, output_attentions=True)
    f_mean(out.attentions, enc["attention_mask"].bool(), with_path=False).backward()
    grad = model.distilbert.transformer.layer[0].attention.q_lin.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0, "the soft gauge gives no gradient to the queries"
    protocol = Protocol(
        model=str(tiny["distilbert"]), n_train=16, n_eval=8, epochs=1, batch_size=8, eval_batch_size=8, max_length=32, lr=5e-3
    )
    data = load_splits(protocol)
    result = train_arm(protocol, Arm(1.0, 0), data=data, device="cpu", progress=False)
    plain = train_arm(protocol, Arm(0.0, 0), data=data, device="cpu", progress=False)
    assert result["steps"] == 2 and result["accuracy"] * 8 == round(result["accuracy"] * 8)
    assert all(abs(entry["reg"]) > 0 for entry in result["log"]) and all(entry["reg"] == 0 for entry in plain["log"])
    # the regulariser moved the weights: the same seed and batches end with another loss and final F
    assert result["log"][-1]["ce"] != plain["log"][-1]["ce"] and result["final_F_author"] != plain["final_F_author"]
    assert np.isfinite(result["final_F_published_gauge"])
