"""Content-addressed, atomically written result files (parquet) under the gedig cache directory."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .models import cache_dir

# modules whose source decides the numbers in a scoring table; editing any of them invalidates the cache
_SCORING_SOURCES = ("measure.py", "config.py", "sampling.py", "baselines.py", "attention.py", "models.py", "scoring.py")


def code_version() -> str:
    """A short hash of the scoring code, so a cached table is never reused after the maths changed."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SCORING_SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:12]


def key_of(payload: dict[str, Any]) -> str:
    """A stable hash of a JSON-serialisable description of a computation."""
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write to a temporary file beside ``path`` and rename it in, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def scores_dir() -> Path:
    return cache_dir() / "scores"
