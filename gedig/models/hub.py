"""The Hugging Face hub, written once: whether it answers, and loading a tokenizer, config or model
from a hub id (or its local cache, or a folder) with one clear error when it cannot be had."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import GedigError

HUB_HOST = "huggingface.co"


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE asks for the local cache only."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers; False at once when HF_HUB_OFFLINE is set."""
    if hub_offline():
        return False
    host = os.environ.get("HF_ENDPOINT", f"https://{HUB_HOST}").split("://")[-1].split("/")[0]
    try:
        with socket.create_connection((host.split(":")[0], 443), timeout=timeout):
            return True
    except OSError:
        return False


def offline_error(name: str, alternatives: str, what: str = "model") -> GedigError:
    return GedigError(
        f"{what} {name!r} must come from the Hugging Face hub, which cannot be reached from this machine "
        f"(offline, or HF_HUB_OFFLINE is set) and is not in the local hub cache. "
        f"Embedded {what}s that work offline: {alternatives}."
    )


def from_source(load: Callable[..., Any], source: Path | str, *, hub: bool, name: str, alternatives: str, **kwargs: Any) -> Any:
    """``load(source, **kwargs)`` (a ``from_pretrained``), from the local hub cache only when the hub
    cannot be reached; a failure is one GedigError naming the model (and, offline, what works)."""
    offline = hub and not hub_reachable()
    if offline:
        kwargs["local_files_only"] = True
    try:
        return load(source, **kwargs)
    except OSError as exc:
        if offline:
            raise offline_error(name, alternatives) from None
        raise GedigError(f"could not load {name!r}: {str(exc).splitlines()[0]}") from None
    except ValueError as exc:
        raise GedigError(f"could not load {name!r}: {str(exc).splitlines()[0]}") from None


def prepare_tokenizer(tokenizer: Any, model: Any = None) -> Any:
    """Right padding and a pad token (EOS, else UNK, for tokenizers without one, as GPT-2's); the
    model's config learns the pad id when given."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    if model is not None and getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer
