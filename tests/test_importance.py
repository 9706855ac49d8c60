"""Head importance (Michel et al. 2019) for causal language models: exact ablation equals an
independent computation that zeroes the head's columns of the output projection's weight, and the
gradient importance equals the chain rule through that weight; on the embedded SmolLM2 and on
tiny models of the seed architectures (GPT-2, Llama with grouped-query attention, Phi-3 with its
fused qkv). An encoder, an untrained control or a model without an output projection is one clear
error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gedig import GedigError
from gedig.experiments.importance import LanguageModel, importance, output_projections, token_losses

pytestmark = pytest.mark.slow
TEXTS = ["The cat sat on the mat because it was warm.", "Paris is the capital of France.", "Heads differ."]
ABLATION_TOLERANCE = 1e-4
"""Absolute, in nats per token: the hook and the edited weight sum the same products in another
order (float32)."""
GRADIENT_TOLERANCE = 1e-4
"""Relative: a batch of texts padded together against each text alone, in float32."""


def _columns(lm: LanguageModel, layer: int, head: int) -> tuple[torch.Tensor, slice, int]:
    """The output projection's weight and the slice of the head's inputs in it, and its input axis
    (Linear stores (out, in); GPT-2's Conv1D stores (in, out))."""
    proj = lm.projections[layer]
    weight = proj.weight
    axis = 0 if type(proj).__name__ == "Conv1D" else 1
    width = weight.shape[axis] // lm.n_heads
    return weight, slice(head * width, (head + 1) * width), axis


def _metric(lm: LanguageModel, texts: list[str]) -> float:
    batch = lm.tokenizer(texts, return_tensors="pt", padding=True).to(lm.device)
    with torch.no_grad():
        summed, n = token_losses(lm, batch)
    return float(summed.sum() / n.sum())


def oracle_ablation(lm: LanguageModel, texts: list[str], layer: int, head: int) -> float:
    """metric(head removed) − metric(full), the head removed by zeroing its weight columns."""
    weight, cols, axis = _columns(lm, layer, head)
    base = _metric(lm, texts)
    kept = weight.data.clone()
    index = (slice(None), cols) if axis == 1 else (cols, slice(None))
    weight.data[index] = 0
    try:
        return _metric(lm, texts) - base
    finally:
        weight.data.copy_(kept)


def oracle_gradient(lm: LanguageModel, texts: list[str], layer: int, head: int) -> float:
    """Mean over texts, each alone, of |dL_text/dξ| = |Σ ∂L/∂W ⊙ W| over the head's weight slice."""
    weight, cols, axis = _columns(lm, layer, head)
    index = (slice(None), cols) if axis == 1 else (cols, slice(None))
    grads = []
    weight.requires_grad_(True)
    for text in texts:
        weight.grad = None
        batch = lm.tokenizer([text], return_tensors="pt").to(lm.device)
        summed, n = token_losses(lm, batch)
        (summed / n).sum().backward()
        grads.append(abs(float((weight.grad[index] * weight.detach()[index]).sum())))
    weight.requires_grad_(False)
    return float(np.mean(grads))


def check(lm: LanguageModel, heads: list[tuple[int, int]]) -> None:
    for p in lm.model.parameters():
        p.requires_grad_(False)
    imp = importance(lm, TEXTS, batch_size=2, replicas=4, progress=False)
    assert imp.ablation.shape == imp.gradient.shape == (lm.n_layers, lm.n_heads)
    assert imp.metric == pytest.approx(_metric(lm, TEXTS), abs=1e-5)
    for layer, head in heads:
        assert imp.ablation[layer, head] == pytest.approx(oracle_ablation(lm, TEXTS, layer, head), abs=ABLATION_TOLERANCE)
        assert imp.gradient[layer, head] == pytest.approx(oracle_gradient(lm, TEXTS, layer, head), rel=GRADIENT_TOLERANCE)
    assert np.abs(imp.ablation).max() > 1e-3, "removing a head changes the metric somewhere"


def test_smollm2_importance_equals_the_independent_computation():
    from gedig.experiments.importance import load_language_model

    lm = load_language_model("smollm2-135m", device="cpu")
    assert (lm.n_layers, lm.n_heads) == (30, 9)
    check(lm, [(0, 0), (7, 4), (29, 8)])


@pytest.mark.parametrize("arch", ["gpt2", "llama", "phi3"])
def test_tiny_seed_architectures_equal_the_independent_computation(arch, tmp_path):
    from transformers import AutoModelForCausalLM

    from gedig.models.hub import prepare_tokenizer
    from gedig.models.localhub import byte_level_bpe, tiny_config

    tok = prepare_tokenizer(byte_level_bpe(tmp_path))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(arch, len(tok), tok.eos_token_id), attn_implementation="eager").eval()
    heads = model.config.num_attention_heads
    lm = LanguageModel(arch, model, tok, output_projections(model), heads, torch.device("cpu"))
    assert lm.n_layers == model.config.num_hidden_layers
    check(lm, [(0, 0), (lm.n_layers - 1, heads - 1)])


def test_an_encoder_or_an_untrained_model_is_one_clear_error():
    from gedig.experiments.importance import load_language_model

    with pytest.raises(GedigError, match="not a causal language model"):
        load_language_model("minilm-l6")
    with pytest.raises(GedigError, match="untrained control"):
        load_language_model("smollm2-135m@random-init")
    with pytest.raises(GedigError, match="no attention output projection"):
        output_projections(torch.nn.Sequential(torch.nn.Linear(2, 2)))
