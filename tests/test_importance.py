"""Head importance (Michel et al. 2019): exact ablation (layers below the removed head replayed,
a layer's heads removed together) equals an independent computation that zeroes the head's columns
of the output projection's weight and runs the whole model; the gradient importance equals the
chain rule through that weight; a pruned model's metric equals the same weight surgery for every
head it removes. On the embedded SmolLM2 and on tiny models of every seed architecture, for each
metric (causal LM, masked LM, sequence classifier). An encoder asked for next-token loss, a causal
LM asked for a masked-LM loss, an untrained control or a model without an output projection is one
clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gedig import GedigError
from gedig.experiments.importance import (
    HeadModel,
    MetricDoesNotApply,
    encode,
    importance,
    layer_blocks,
    load_head_model,
    output_projections,
    pruned_metric,
    text_losses,
)

pytestmark = pytest.mark.slow
TEXTS = ["The cat sat on the mat because it was warm.", "Paris is the capital of France.", "Heads differ."]
LABELS = [1, 0, 1]
ABLATION_TOLERANCE = 1e-4
"""Absolute, in nats per position: the hook and the edited weight sum the same products in another
order (float32)."""
GRADIENT_TOLERANCE = 1e-4
"""Relative: a batch of texts padded together against each text alone, in float32."""


def _columns(hm: HeadModel, layer: int, head: int) -> tuple[torch.Tensor, tuple[slice, slice]]:
    """The output projection's weight and the index of the head's inputs in it (Linear stores
    (out, in); GPT-2's Conv1D stores (in, out))."""
    proj = hm.projections[layer]
    weight = proj.weight
    axis = 0 if type(proj).__name__ == "Conv1D" else 1
    width = weight.shape[axis] // hm.n_heads
    cols = slice(head * width, (head + 1) * width)
    return weight, ((slice(None), cols) if axis == 1 else (cols, slice(None)))


def _labels(hm: HeadModel, texts: list[str]) -> list[int] | None:
    return LABELS[: len(texts)] if hm.task == "classifier" else None


def _metric(hm: HeadModel, texts: list[str]) -> float:
    """The whole model run on all texts at once, the metric token-weighted."""
    with torch.no_grad():
        summed, n, _ = text_losses(hm, encode(hm, texts, _labels(hm, texts)))
    return float(summed.sum() / n.sum())


def oracle_ablation(hm: HeadModel, texts: list[str], heads: list[tuple[int, int]]) -> float:
    """metric(heads removed) − metric(full), the heads removed by zeroing their weight columns."""
    base = _metric(hm, texts)
    kept = [(w, i, w.data[i].clone()) for w, i in (_columns(hm, layer, head) for layer, head in heads)]
    for w, i, _ in kept:
        w.data[i] = 0
    try:
        return _metric(hm, texts) - base
    finally:
        for w, i, values in kept:
            w.data[i] = values


def oracle_gradient(hm: HeadModel, texts: list[str], layer: int, head: int) -> float:
    """Mean over texts, each alone, of |dL_text/dξ| = |Σ ∂L/∂W ⊙ W| over the head's weight slice
    (each text's masking is that of its place in the list)."""
    weight, index = _columns(hm, layer, head)
    grads = []
    weight.requires_grad_(True)
    labels = _labels(hm, texts)
    for k, text in enumerate(texts):
        weight.grad = None
        summed, n, _ = text_losses(hm, encode(hm, [text], None if labels is None else [labels[k]], first=k))
        (summed / n).sum().backward()
        grads.append(abs(float((weight.grad[index] * weight.detach()[index]).sum())))
    weight.requires_grad_(False)
    return float(np.mean(grads))


def check(hm: HeadModel, heads: list[tuple[int, int]], texts: list[str] = TEXTS) -> None:
    for p in hm.model.parameters():
        p.requires_grad_(False)
    imp = importance(hm, texts, _labels(hm, texts), batch_size=2, replicas=max(1, hm.n_heads // 2), progress=False)
    assert imp.ablation.shape == imp.gradient.shape == (hm.n_layers, hm.n_heads)
    assert imp.metric == pytest.approx(_metric(hm, texts), abs=1e-5)
    for layer, head in heads:
        assert imp.ablation[layer, head] == pytest.approx(oracle_ablation(hm, texts, [(layer, head)]), abs=ABLATION_TOLERANCE)
        assert imp.gradient[layer, head] == pytest.approx(oracle_gradient(hm, texts, layer, head), rel=GRADIENT_TOLERANCE)
    assert np.abs(imp.ablation).max() > 1e-6, "removing a head changes the metric somewhere"
    # pruning: a mask that removes several heads across layers equals removing their weight columns
    rng = np.random.default_rng(0)
    mask = np.ones((hm.n_layers, hm.n_heads), dtype=np.float32)
    removed = [(int(i // hm.n_heads), int(i % hm.n_heads)) for i in rng.choice(hm.n_layers * hm.n_heads, size=3, replace=False)]
    for layer, head in removed:
        mask[layer, head] = 0
    pruned = pruned_metric(hm, texts, np.stack([np.ones_like(mask), mask]), _labels(hm, texts), batch_size=2, replicas=2, progress=False)
    metric = pruned.metric()
    assert metric[0] == pytest.approx(imp.metric, abs=1e-5)
    assert metric[1] - metric[0] == pytest.approx(oracle_ablation(hm, texts, removed), abs=ABLATION_TOLERANCE)


def test_smollm2_importance_equals_the_independent_computation():
    hm = load_head_model("smollm2-135m", device="cpu")
    assert (hm.n_layers, hm.n_heads, hm.task) == (30, 9, "causal-lm")
    check(hm, [(0, 0), (7, 4), (29, 8)])


def _tiny(arch: str, task: str, tmp_path) -> HeadModel:
    import transformers

    from gedig.models.hub import prepare_tokenizer
    from gedig.models.localhub import byte_level_bpe, tiny_config, wordpiece

    encoder = arch in ("bert", "distilbert")
    tok = wordpiece(tmp_path, "BertTokenizerFast") if encoder else byte_level_bpe(tmp_path)
    tok = prepare_tokenizer(tok)
    loader = {"causal-lm": "AutoModelForCausalLM", "masked-lm": "AutoModelForMaskedLM", "classifier": "AutoModelForSequenceClassification"}[
        task
    ]
    torch.manual_seed(0)
    config = tiny_config(arch, len(tok), tok.eos_token_id if tok.eos_token_id is not None else 0)
    model = getattr(transformers, loader).from_config(config, attn_implementation="eager").eval()
    heads = getattr(model.config, "num_attention_heads", None) or model.config.n_heads
    return HeadModel(arch, model, tok, output_projections(model), heads, torch.device("cpu"), task)


@pytest.mark.parametrize(
    ("arch", "task"),
    [
        ("gpt2", "causal-lm"),
        ("llama", "causal-lm"),
        ("phi3", "causal-lm"),
        ("bert", "masked-lm"),
        ("distilbert", "classifier"),
        ("bert", "classifier"),
    ],
)
def test_tiny_seed_architectures_equal_the_independent_computation(arch, task, tmp_path):
    hm = _tiny(arch, task, tmp_path)
    assert len(layer_blocks(hm)) == hm.n_layers
    check(hm, [(0, 0), (hm.n_layers - 1, hm.n_heads - 1), (hm.n_layers // 2, 1)])


def test_the_layer_replay_runs_only_the_layers_at_and_above_the_removed_head(tmp_path):
    """Naive: every ablation runs every layer. Replayed: removing a head of layer l runs L − l
    layers, a layer's heads together: Σ_l (L − l) layer passes per batch instead of L·H·L."""
    hm = _tiny("llama", "causal-lm", tmp_path)
    calls = []
    for block in layer_blocks(hm):
        block.register_forward_pre_hook(lambda module, args: calls.append(1))
    L, H = hm.n_layers, hm.n_heads
    importance(hm, TEXTS[:2], batch_size=2, progress=False)
    replayed = len(calls) - 2 * L  # less the gradient pass and the recording pass
    assert replayed == sum(L - layer for layer in range(L))
    calls.clear()
    importance(hm, TEXTS[:2], batch_size=2, replicas=1, reuse_layers=False, progress=False)
    assert len(calls) - 2 * L == L * H * L


def test_masked_lm_masking_is_fixed_per_text_whatever_the_batching(tmp_path):
    hm = _tiny("bert", "masked-lm", tmp_path)
    one = encode(hm, TEXTS, seed=3)
    for k, text in enumerate(TEXTS):
        alone = encode(hm, [text], seed=3, first=k)
        n = int(alone.inputs["attention_mask"].sum())
        assert torch.equal(alone.labels[0, :n], one.labels[k, :n])
    assert (one.labels != -100).sum(1).min() >= 1
    assert not torch.equal(encode(hm, TEXTS, seed=4).labels, one.labels)


def test_a_metric_that_does_not_apply_is_one_clear_error():
    with pytest.raises(MetricDoesNotApply, match=r"is a causal-lm \(llama\): a masked-lm metric .* does not apply"):
        load_head_model("smollm2-135m", task="masked-lm")
    with pytest.raises(MetricDoesNotApply, match="no trained masked-lm head"):
        load_head_model("minilm-l6")
    with pytest.raises(MetricDoesNotApply, match="does not apply"):
        load_head_model("minilm-l6", task="causal-lm")
    with pytest.raises(GedigError, match="untrained control"):
        load_head_model("smollm2-135m@random-init")
    with pytest.raises(GedigError, match="task must be"):
        load_head_model("smollm2-135m", task="regression")
    with pytest.raises(GedigError, match="no attention output projection"):
        output_projections(torch.nn.Sequential(torch.nn.Linear(2, 2)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "smollm2-135m", "--task", "masked-lm"], "is a causal-lm (llama): a masked-lm metric"),
        (["--model", "no-such/model-here"], "no-such/model-here"),
        (["--model", "smollm2-135m", "--n", "100000"], "cannot draw n = 100000"),
    ],
)
def test_the_command_line_names_a_bad_request_in_one_line_and_caches_nothing(args, message, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "GEDIG_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    shared = os.path.join(os.environ["GEDIG_CACHE"], "models")
    if os.path.isdir(shared):
        os.symlink(shared, tmp_path / "models")
    run = subprocess.run(
        [sys.executable, "-m", "gedig", "importance", *(["--n", "4"] if "--n" not in args else []), *args, "--quiet"], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], run.stderr
    assert not (tmp_path / "importance").exists() and not (tmp_path / "scores").exists()
