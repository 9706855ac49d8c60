"""Model loading, offline first: two embedded stand-ins, hub ids (online, or from the local hub
cache), model folders, and random-init controls.

Every model is loaded with eager attention (the only kernel that returns attention weights) and
wrapped with what the scorer needs to know: its tokenizer, layer and head counts, and whether
it is causal (found by looking at its attention, not guessed from its name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..errors import GedigError
from .assets import EMBEDDED, resolve_source
from .devices import resolve_device
from .hub import from_source, prepare_tokenizer

RANDOM_INIT = "@random-init"


@dataclass
class LoadedModel:
    """A model ready for attention extraction, with the facts the scorer needs."""

    name: str
    model: Any
    tokenizer: Any
    causal: bool
    n_layers: int
    n_heads: int
    device: torch.device
    dtype: str = "float32"

    def __repr__(self) -> str:
        kind = "causal" if self.causal else "bidirectional"
        return f"LoadedModel({self.name!r}, {self.n_layers}×{self.n_heads}, {kind}, device={self.device})"


def split_name(name: str) -> tuple[str, bool]:
    """(base name, whether the '@random-init' control was asked for)."""
    if not isinstance(name, str) or not name.strip():
        raise GedigError(f"model name must be a non-empty string, got {name!r}")
    return (name[: -len(RANDOM_INIT)], True) if name.endswith(RANDOM_INIT) else (name, False)


def _detect_causal(model: Any, tokenizer: Any, device: torch.device) -> bool:
    """Causal iff every attention weight above the diagonal is exactly zero on a short probe."""
    enc = tokenizer(["attention probe sentence here"], return_tensors="pt").to(device)
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    return all(bool((torch.triu(a.float(), diagonal=1) == 0).all()) for a in out.attentions)


def load_tokenizer(name: str) -> Any:
    """The tokenizer of model ``name`` alone, set up as ``load_model`` sets it up (right padding, a
    pad token): enough to plan batches on a driver that never loads the weights."""
    from transformers import AutoTokenizer

    base, _ = split_name(name)
    source, hub = resolve_source(base)
    return prepare_tokenizer(from_source(AutoTokenizer.from_pretrained, source, hub=hub, name=base, alternatives=", ".join(EMBEDDED)))


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def torch_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """'float32', 'bfloat16' or 'float16' (or the torch dtype itself) as a torch dtype; None is float32."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype) and dtype in DTYPES.values():
        return dtype
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    raise GedigError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")


def load_model(name: str, *, device: str | torch.device = "auto", dtype: str | torch.dtype | None = None) -> LoadedModel:
    """Load ``name`` for attention extraction.

    ``name`` is an embedded stand-in (``minilm-l6``, ``smollm2-135m``), a local model folder, or a
    Hugging Face hub id (``bert-base-uncased``, ``gpt2``, ``meta-llama/Meta-Llama-3-8B``, …), from
    the hub when it answers, else from the local hub cache. A ``@random-init`` suffix keeps the
    architecture and tokenizer but draws untrained weights from a fixed seed: the control for
    "training created the structure". ``dtype`` (default float32) is applied while loading, so an
    8B model in bfloat16 never exists in float32; on a GPU the weights load straight onto it.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    base, random_init = split_name(name)
    dev = resolve_device(device)
    source, hub = resolve_source(base)
    alternatives = ", ".join(EMBEDDED)
    dtype = torch_dtype(dtype)
    hf_logging.disable_progress_bar()  # loading bars would clutter notebooks; our own bars show progress
    try:
        tokenizer = from_source(AutoTokenizer.from_pretrained, source, hub=hub, name=base, alternatives=alternatives)
        if random_init:
            config = from_source(AutoConfig.from_pretrained, source, hub=hub, name=base, alternatives=alternatives)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = AutoModel.from_config(config, attn_implementation="eager")
        else:
            placed = {"device_map": str(dev)} if dev.type == "cuda" else {}
            model = from_source(
                AutoModel.from_pretrained,
                source,
                hub=hub,
                name=base,
                alternatives=alternatives,
                attn_implementation="eager",
                dtype=dtype,
                **placed,
            )
    finally:
        hf_logging.enable_progress_bar()
    prepare_tokenizer(tokenizer)
    model.config.output_attentions = True
    model = model.to(device=dev, dtype=dtype).eval()
    cfg = model.config
    n_layers = getattr(cfg, "num_hidden_layers", None) or cfg.n_layer
    n_heads = getattr(cfg, "num_attention_heads", None) or cfg.n_head
    causal = _detect_causal(model, tokenizer, dev)
    dtype_name = next(k for k, v in DTYPES.items() if v == dtype)
    return LoadedModel(
        name=name,
        model=model,
        tokenizer=tokenizer,
        causal=causal,
        n_layers=int(n_layers),
        n_heads=int(n_heads),
        device=dev,
        dtype=dtype_name,
    )
