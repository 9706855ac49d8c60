"""Cache keys: a stable hash of a computation's description, and dataclasses described by the
fields that differ from their defaults (so a new field that keeps today's behaviour moves no key)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any


def key_of(payload: dict[str, Any]) -> str:
    """A stable hash of a JSON-serialisable description of a computation."""
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def canonical(obj: Any) -> dict[str, Any]:
    """A dataclass as its non-default fields (nested dataclasses likewise), for keys."""
    default = type(obj)()
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value != getattr(default, f.name):
            out[f.name] = canonical(value) if dataclasses.is_dataclass(value) else value
    return out
