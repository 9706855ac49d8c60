"""The encoder stand-in's fine-tuned sequence classifier, kept as a model folder: chapter 6's α = 0
arm of seed ``CLASSIFIER_SEED``, so that chapter 9 can ask which of its heads it needs.

Chapter 6's sweep trains that arm anyway; run with ``train=train_keeping`` it keeps the run's
weights here (its records keep none), and chapter 9 reads them instead of training the same run a
second time. When they are not here (chapter 9 built alone, another seed, a sweep that ran
elsewhere), ``fine_tuned_classifier`` trains the arm with the same ``train_arm``.

The folder is keyed by the protocol, the seed, the training code's version and the data, like a
run record, and written atomically (a half-written folder never looks finished); one that does not
load is set aside and trained again. Its record says which of the two kept it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import GedigError
from ..util.io import cache_dir
from ..util.keys import key_of
from ..util.progress import say
from .training import Arm, Protocol, data_version, train_arm, training_version

RECORD = "record.json"

CLASSIFIER_SEED = 42
"""The seed of the α = 0 arm that chapter 9 studies (its ``classifier_seed``) and whose weights
chapter 6's sweep keeps."""

KEPT_BY_SWEEP = "the F-regularisation sweep"
KEPT_BY_STUDY = "the classifier study"


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


def _save(folder: Path, model: Any, tokenizer: Any, record: dict[str, Any], kept_by: str) -> dict[str, Any]:
    """Write the model folder atomically (beside it first, then renamed into place, replacing an
    older one); returns the record it holds (the run record without its log, and who kept it)."""
    part = folder.with_name(f"{folder.name}.part-{os.getpid()}")
    shutil.rmtree(part, ignore_errors=True)
    model.save_pretrained(part)
    tokenizer.save_pretrained(part)
    summary = {**{k: v for k, v in record.items() if k != "log"}, "kept_by": kept_by}
    (part / RECORD).write_text(json.dumps(summary, default=str), encoding="utf-8")
    folder.parent.mkdir(parents=True, exist_ok=True)
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    os.replace(part, folder)
    shutil.rmtree(old, ignore_errors=True)
    return summary


def _trained(
    protocol: Protocol, seed: int, data: tuple[pd.DataFrame, pd.DataFrame], kept_by: str, **kwargs: Any
) -> tuple[dict[str, Any], Path]:
    """``train_arm`` on the α = 0 arm of ``seed``, its weights saved as the classifier folder."""
    kept: dict[str, Any] = {}

    def keep(model: Any, tokenizer: Any) -> None:
        kept["model"], kept["tokenizer"] = model, tokenizer

    # train_arm is the one training loop; its record keeps no weights, so it hands the trained model to keep
    record = train_arm(protocol, Arm(0.0, seed), data=data, keep=keep, **kwargs)
    folder = classifier_dir(protocol, seed, data)
    _save(folder, kept["model"], kept["tokenizer"], record, kept_by)
    return record, folder


def train_keeping(protocol: Protocol, arm: Arm, *, data: tuple[pd.DataFrame, pd.DataFrame], **kwargs: Any) -> dict[str, Any]:
    """A sweep's ``train``: ``train_arm``, which for the α = 0 arm of ``CLASSIFIER_SEED`` also keeps
    the trained weights as the classifier folder chapter 9 reads. The record is ``train_arm``'s."""
    if arm != Arm(0.0, CLASSIFIER_SEED):
        return train_arm(protocol, arm, data=data, **kwargs)
    record, _ = _trained(protocol, arm.seed, data, KEPT_BY_SWEEP, **kwargs)
    return record


def fine_tuned_classifier(
    protocol: Protocol, seed: int, *, data: tuple[pd.DataFrame, pd.DataFrame] | None = None, device: str = "auto", progress: bool = True
) -> tuple[Path, dict[str, Any]]:
    """The folder of ``protocol``'s α = 0 classifier for ``seed`` (kept by chapter 6's sweep, or
    trained here once, then read), and its run record (accuracy, steps, the code and data
    versions, who kept it)."""
    from .splits import load_splits

    data = data if data is not None else load_splits(protocol)
    folder = classifier_dir(protocol, seed, data)
    record = _finished(folder) if folder.exists() else None
    if record is not None:
        return folder, record
    if progress:
        say(f"[classifier] training the α = 0 arm of {protocol.model} on {protocol.corpus} (seed {seed}) to keep its weights")
    _trained(protocol, seed, data, KEPT_BY_STUDY, device=device, progress=progress)
    record = _finished(folder)
    if record is None:  # _finished has said why and set it aside
        raise GedigError(f"the classifier just saved in {folder} does not read back")
    return folder, record
