"""Every architecture the paper used, tiny and offline: BERT, GPT-2, DistilBERT, Llama 3 (grouped-query
attention) and Phi-3 (fused qkv), each built from its transformers config (2 layers, 4 heads,
hidden 32) with a tokenizer of its kind, saved to a folder, loaded with ``load_model(folder)``,
detected as causal or not, and scored to ≤ 1e-9 of the networkx reference on its own attention.
Only the hub download of the real weights is missing offline; everything after it runs here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gedig import GaugeConfig
from gedig.gauge.reference import reference_gauge
from gedig.models.assets import minilm_dir
from gedig.models.attention import extract, plan_batches
from gedig.models.corpora import load_texts
from gedig.models.loading import load_model
from gedig.pipeline.scoring import score

TEXTS = load_texts(n=5, seed=3)
TINY = {"layers": 2, "heads": 4, "hidden": 32, "ffn": 64, "positions": 128}


def _byte_level_bpe(folder):
    """A byte-level BPE tokenizer (the kind GPT-2, Llama 3 and Phi-3 ship), trained on the embedded corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(load_texts(n=300, seed=99), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", model_input_names=["input_ids", "attention_mask"]
    )
    fast.save_pretrained(folder)
    return fast


def _wordpiece(folder, cls_name):
    import transformers

    tok = getattr(transformers, cls_name).from_pretrained(minilm_dir())
    tok.save_pretrained(folder)
    return tok


def _config(arch, vocab, eos):
    import transformers as tf

    L, H, d, f, P = TINY["layers"], TINY["heads"], TINY["hidden"], TINY["ffn"], TINY["positions"]
    if arch == "bert":
        return tf.BertConfig(
            vocab_size=vocab, hidden_size=d, num_hidden_layers=L, num_attention_heads=H, intermediate_size=f, max_position_embeddings=P
        )
    if arch == "distilbert":
        return tf.DistilBertConfig(vocab_size=vocab, dim=d, n_layers=L, n_heads=H, hidden_dim=f, max_position_embeddings=P)
    if arch == "gpt2":
        return tf.GPT2Config(vocab_size=vocab, n_embd=d, n_layer=L, n_head=H, n_positions=P, bos_token_id=eos, eos_token_id=eos)
    common = dict(
        vocab_size=vocab, hidden_size=d, num_hidden_layers=L, num_attention_heads=H, intermediate_size=f, max_position_embeddings=P
    )
    ids = dict(bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    if arch == "llama":  # Llama 3: grouped-query attention, 2 key/value heads for 4 query heads
        return tf.LlamaConfig(**common, num_key_value_heads=2, **ids)
    return tf.Phi3Config(**common, num_key_value_heads=H, **ids)  # Phi-3: one fused qkv projection


ARCHS = {  # name: (paper's system, tokenizer, causal)
    "bert": ("bert-base-uncased", "BertTokenizerFast", False),
    "gpt2": ("gpt2", "bpe", True),
    "distilbert": ("distilbert-base-uncased", "DistilBertTokenizerFast", False),
    "llama": ("meta-llama/Meta-Llama-3-8B", "bpe", True),
    "phi3": ("microsoft/Phi-3-mini-4k-instruct", "bpe", True),
}


def save_tiny(arch, folder):
    """A seeded random-initialised tiny model of ``arch`` and its tokenizer, saved to ``folder``."""
    from transformers import AutoModel

    tok = _byte_level_bpe(folder) if ARCHS[arch][1] == "bpe" else _wordpiece(folder, ARCHS[arch][1])
    eos = tok.eos_token_id if tok.eos_token_id is not None else 0
    torch.manual_seed(0)
    model = AutoModel.from_config(_config(arch, len(tok), eos), attn_implementation="eager")
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return {arch: save_tiny(arch, tmp_path_factory.mktemp(arch)) for arch in ARCHS}


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
    from gedig.experiments.sweep import load_splits
    from gedig.experiments.training import Arm, Protocol, load_classifier, train_arm
    from gedig.gauge.soft import f_mean

    model, tok = load_classifier(str(tiny["distilbert"]), seed=0, device=torch.device("cpu"))
    assert type(model).__name__ == "DistilBertForSequenceClassification"
    enc = tok(TEXTS[:4], padding=True, return_tensors="pt")
    out = model(**enc, output_attentions=True)
    f_mean(out.attentions, enc["attention_mask"].bool(), with_path=False).backward()
    grad = model.distilbert.transformer.layer[0].attention.q_lin.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0, "the soft gauge gives no gradient to the queries"
    protocol = Protocol(model=str(tiny["distilbert"]), n_train=16, n_eval=8, epochs=1, batch_size=8, eval_batch_size=8, max_length=32, lr=5e-3)
    data = load_splits(protocol)
    result = train_arm(protocol, Arm(1.0, 0), data=data, device="cpu", progress=False)
    plain = train_arm(protocol, Arm(0.0, 0), data=data, device="cpu", progress=False)
    assert result["steps"] == 2 and result["accuracy"] * 8 == round(result["accuracy"] * 8)
    assert all(abs(entry["reg"]) > 0 for entry in result["log"]) and all(entry["reg"] == 0 for entry in plain["log"])
    # the regulariser moved the weights: the same seed and batches end with another loss and final F
    assert result["log"][-1]["ce"] != plain["log"][-1]["ce"] and result["final_F_author"] != plain["final_F_author"]
    assert np.isfinite(result["final_F_published_gauge"])
