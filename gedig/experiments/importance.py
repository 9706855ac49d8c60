"""What a model loses when a head is removed: head importance by exact ablation and by gradient
(Michel, Levy & Neubig 2019), for causal language models.

Removing head (l, h) multiplies its slice of the attention output (its context vector, the input
of the layer's output projection) by a mask ξ_lh = 0. A forward pre-hook on the output projection
applies the masks, so the same code serves every architecture the book loads (GPT-2's ``c_proj``,
Llama's and Phi-3's ``o_proj``, BERT's ``attention.output.dense``, DistilBERT's ``out_lin``);
grouped-query attention changes nothing, since every query head has its own slice there.

The metric of a causal LM is the token-weighted mean next-token cross-entropy over every predicted
non-pad token of the texts. Importance by ablation is metric(head removed) − metric(full model),
computed exactly, several ablations per forward pass (the batch replicated, one mask per replica).
Importance by gradient is the mean over texts of |∂L_text/∂ξ_h| at ξ = 1, L_text the text's mean
token cross-entropy (one mask per text, so one backward pass gives every text's gradient).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import GedigError
from ..models.assets import EMBEDDED, resolve_source
from ..models.devices import resolve_device
from ..models.hub import from_source, prepare_tokenizer
from ..models.loading import split_name, torch_dtype

PROJECTIONS = ("o_proj", "c_proj", "out_lin", "out_proj")
"""Names of an attention block's output projection, by architecture (BERT's is ``output.dense``)."""


@dataclass
class LanguageModel:
    """A causal language model with its tokenizer and each layer's attention output projection."""

    name: str
    model: Any
    tokenizer: Any
    projections: list[torch.nn.Module]
    n_heads: int
    device: torch.device

    @property
    def n_layers(self) -> int:
        return len(self.projections)


def output_projections(model: Any) -> list[torch.nn.Module]:
    """Each layer's attention output projection, in layer order; a model without one the hook can
    find is an error naming what was looked for."""
    found = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        in_attention = any(part in ("attn", "self_attn", "attention") for part in name.split("."))
        if in_attention and (leaf in PROJECTIONS or name.endswith("attention.output.dense")):
            found.append(module)
    if not found:
        raise GedigError(
            f"{type(model).__name__} has no attention output projection the head mask can hook "
            f"(looked for {', '.join(PROJECTIONS)} and attention.output.dense inside attention blocks)"
        )
    return found


def load_language_model(name: str, *, device: str = "auto", dtype: str | None = None) -> LanguageModel:
    """A causal LM for ``name`` (an embedded stand-in, a model folder or a hub id) with its LM head.
    An encoder is an error: its metric is not next-token cross-entropy."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    base, random_init = split_name(name)
    if random_init:
        raise GedigError(f"head importance needs trained weights; {name!r} is an untrained control")
    dev = resolve_device(device)
    source, hub = resolve_source(base)
    alternatives = ", ".join(EMBEDDED)
    config = from_source(AutoConfig.from_pretrained, source, hub=hub, name=base, alternatives=alternatives)
    if getattr(config, "is_encoder_decoder", False) or not _is_causal(config):
        raise GedigError(f"{name} is not a causal language model ({config.model_type}): next-token cross-entropy does not apply to it")
    tokenizer = prepare_tokenizer(from_source(AutoTokenizer.from_pretrained, source, hub=hub, name=base, alternatives=alternatives))
    hf_logging.disable_progress_bar()  # loading bars would clutter the command's output; our own bar shows progress
    try:
        model = from_source(
            AutoModelForCausalLM.from_pretrained, source, hub=hub, name=base, alternatives=alternatives, dtype=torch_dtype(dtype)
        )
    finally:
        hf_logging.enable_progress_bar()
    model = model.to(dev).eval()
    heads = getattr(model.config, "num_attention_heads", None) or model.config.n_head
    return LanguageModel(name, model, tokenizer, output_projections(model), int(heads), dev)


def _is_causal(config: Any) -> bool:
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    return config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and config.model_type not in ("bert", "distilbert", "roberta")


@contextmanager
def head_mask(lm: LanguageModel, xi: torch.Tensor) -> Iterator[None]:
    """Multiply each head's context vector by ``xi`` (samples × layers × heads) while inside."""
    if xi.shape[1:] != (lm.n_layers, lm.n_heads):
        raise GedigError(f"the head mask has shape {tuple(xi.shape)}; this model needs (n, {lm.n_layers}, {lm.n_heads})")

    def hook(layer: int) -> Any:
        def scale(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
            x = args[0]
            b, s, width = x.shape
            heads = x.reshape(b, s, lm.n_heads, width // lm.n_heads) * xi[:b, layer, None, :, None].to(x.dtype)
            return (heads.reshape(b, s, width), *args[1:])

        return scale

    handles = [p.register_forward_pre_hook(hook(layer)) for layer, p in enumerate(lm.projections)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _encode(lm: LanguageModel, texts: Sequence[str], max_length: int) -> dict[str, torch.Tensor]:
    return lm.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True, max_length=max_length).to(lm.device)


def token_losses(lm: LanguageModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per text: the summed next-token cross-entropy over its predicted non-pad tokens, and their count."""
    logits = lm.model(**batch).logits[:, :-1].float()
    target = batch["input_ids"][:, 1:]
    keep = batch["attention_mask"][:, 1:].bool() & batch["attention_mask"][:, :-1].bool()
    # over (tokens, vocabulary) rows: the (batch, vocabulary, tokens) form reduces over a strided axis
    # and loses about 1e-4 of the value in float32
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none").reshape(target.shape)
    return (ce * keep).sum(1), keep.sum(1)


@dataclass(frozen=True)
class Importance:
    """Per head (layers × heads): importance by ablation and by gradient, and the full model's metric."""

    ablation: np.ndarray
    gradient: np.ndarray
    metric: float
    n_tokens: int


def importance(
    lm: LanguageModel, texts: Sequence[str], *, batch_size: int = 8, max_length: int = 256, replicas: int = 8, progress: bool = True
) -> Importance:
    """Importance by exact ablation and by gradient of every head of ``lm`` on ``texts``."""
    if not texts:
        raise GedigError("head importance needs at least one text")
    if batch_size < 1 or replicas < 1:
        raise GedigError(f"batch_size and replicas must be ≥ 1, got {batch_size}, {replicas}")
    L, H = lm.n_layers, lm.n_heads
    batches = [_encode(lm, texts[i : i + batch_size], max_length) for i in range(0, len(texts), batch_size)]
    ones = torch.ones(1, L, H, device=lm.device)
    total, count, grads = 0.0, 0, torch.zeros(L, H, dtype=torch.float64)
    for batch in batches:
        xi = ones.expand(len(batch["input_ids"]), L, H).clone().requires_grad_(True)
        with head_mask(lm, xi):
            summed, n = token_losses(lm, batch)
        if (n == 0).any():
            raise GedigError("a text has fewer than two tokens: there is no next token to predict")
        (summed / n).sum().backward()
        grads += xi.grad.abs().double().sum(0).cpu()
        total, count = total + float(summed.detach().sum()), count + int(n.sum())
    if count == 0:
        raise GedigError("the texts have no predicted tokens")
    base = total / count
    heads = [(layer, head) for layer in range(L) for head in range(H)]
    ablated = np.zeros((L, H))
    bar = tqdm(total=len(heads), desc=f"ablate {lm.name}", unit="head", disable=not progress)
    with torch.no_grad():
        for start in range(0, len(heads), replicas):
            group = heads[start : start + replicas]
            sums = np.zeros(len(group))
            for batch in batches:
                b = len(batch["input_ids"])
                xi = torch.ones(len(group) * b, L, H, device=lm.device)
                for k, (layer, head) in enumerate(group):
                    xi[k * b : (k + 1) * b, layer, head] = 0.0
                stacked = {key: value.repeat(len(group), 1) for key, value in batch.items()}
                with head_mask(lm, xi):
                    summed, _ = token_losses(lm, stacked)
                sums += summed.double().reshape(len(group), b).sum(1).cpu().numpy()
            for k, (layer, head) in enumerate(group):
                ablated[layer, head] = sums[k] / count - base
            bar.update(len(group))
    bar.close()
    return Importance(ablation=ablated, gradient=(grads / len(texts)).numpy(), metric=base, n_tokens=count)
