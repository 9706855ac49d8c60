"""Batched attention extraction: texts → (texts, layers, heads, L, L) tensors with a token mask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..errors import GedigError
from .loading import LoadedModel


@dataclass
class AttentionBatch:
    """Attention of a batch of texts: ``attn`` (B, layers, heads, L, L), ``mask`` (B, L), ``index`` into the input."""

    index: list[int]
    attn: torch.Tensor
    mask: torch.Tensor


def check_texts(texts: Sequence[str]) -> list[str]:
    """Texts must be a non-empty list of non-empty strings; anything else is named in the error."""
    if isinstance(texts, str):
        raise GedigError("texts must be a list of strings, not a single string")
    texts = list(texts)
    if not texts:
        raise GedigError("the text list is empty: nothing to score")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise GedigError(f"text {i} is a {type(t).__name__}, not a string")
        if not t.strip():
            raise GedigError(f"text {i} is empty or whitespace only")
    return texts


def plan_batches(model: LoadedModel, texts: Sequence[str], *, batch_size: int, max_length: int) -> list[list[int]]:
    """Group texts of similar token length (stable sort) so little padding is computed."""
    if batch_size < 1 or max_length < 1:
        raise GedigError(f"batch_size and max_length must be ≥ 1, got {batch_size}, {max_length}")
    lengths = [len(ids) for ids in model.tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]


@torch.no_grad()
def extract(model: LoadedModel, texts: Sequence[str], index: list[int], *, max_length: int) -> AttentionBatch:
    """One forward pass over ``texts[index]`` returning every layer's post-softmax attention."""
    enc = model.tokenizer([texts[i] for i in index], return_tensors="pt", padding=True, truncation=True, max_length=max_length)
    enc = {k: v.to(model.device) for k, v in enc.items()}
    out = model.model(**enc, output_attentions=True)
    if not out.attentions or out.attentions[0] is None:
        raise GedigError(f"model {model.name!r} returned no attention weights (it must run with eager attention)")
    attn = torch.stack(out.attentions, dim=1)  # (B, layers, heads, L, L)
    if attn.dtype in (torch.float16, torch.bfloat16):
        attn = attn.float()  # exact: every half-precision value is a float32 value, and the gauge reads float32
    return AttentionBatch(index=list(index), attn=attn, mask=enc["attention_mask"].bool())


def display_tokens(model: LoadedModel, text: str, *, max_length: int = 256) -> list[str]:
    """The tokens of ``text`` as the model sees them, readable (byte-level BPE markers removed)."""
    ids = model.tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
    return [t.replace("Ġ", "").replace("▁", "").replace("Ċ", "\\n") or "␣" for t in model.tokenizer.convert_ids_to_tokens(ids)]
