"""The encoder stand-in's fine-tuned sequence classifier, kept as a model folder: chapter 6's α = 0
arm, trained by chapter 6's own ``train_arm`` (chapter 6's run records keep no weights), so that
chapter 9 can ask which of its heads it needs.

The folder is keyed by the protocol, the seed, the training code's version and the data, like a
run record, and written atomically (a half-written folder never looks finished); one that does not
load is set aside and trained again.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..util.io import cache_dir
from ..util.keys import key_of
from ..util.progress import say
from .training import Arm, Protocol, data_version, train_arm, training_version

RECORD = "record.json"


def classifier_dir(protocol: Protocol, seed: int, data: tuple[pd.DataFrame, pd.DataFrame]) -> Path:
    key = key_of({"protocol": protocol.key(), "seed": seed, "training": training_version(), "data": data_version(*data)})
    return cache_dir() / "classifiers" / key


def _finished(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        if not (folder / "config.json").exists() or "accuracy" not in record:
            raise ValueError("incomplete")
        return record
    except (OSError, ValueError):
        if folder.exists():
            aside = folder.with_name(f"{folder.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            say(f"[classifier] {folder} is unreadable; moved aside as {aside.name} and trained again")
            folder.rename(aside)
        return None


def fine_tuned_classifier(
    protocol: Protocol, seed: int, *, data: tuple[pd.DataFrame, pd.DataFrame] | None = None, device: str = "auto", progress: bool = True
) -> tuple[Path, dict[str, Any]]:
    """The folder of ``protocol``'s α = 0 classifier for ``seed`` (trained once, then read), and its
    run record (accuracy, steps, the code and data versions)."""
    from .splits import load_splits

    data = data if data is not None else load_splits(protocol)
    folder = classifier_dir(protocol, seed, data)
    record = _finished(folder) if folder.exists() else None
    if record is not None:
        return folder, record
    kept: dict[str, Any] = {}

    def keep(model: Any, tokenizer: Any) -> None:
        kept["model"], kept["tokenizer"] = model, tokenizer

    if progress:
        say(f"[classifier] training the α = 0 arm of {protocol.model} on {protocol.corpus} (seed {seed}) to keep its weights")
    # train_arm is the one training loop; its record keeps no weights, so it hands the trained model to keep
    record = train_arm(protocol, Arm(0.0, seed), data=data, device=device, progress=progress, keep=keep)
    part = folder.with_name(f"{folder.name}.part-{os.getpid()}")
    shutil.rmtree(part, ignore_errors=True)
    kept["model"].save_pretrained(part)
    kept["tokenizer"].save_pretrained(part)
    summary = {k: v for k, v in record.items() if k != "log"}
    (part / RECORD).write_text(json.dumps(summary, default=str), encoding="utf-8")
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, folder)
    return folder, summary
