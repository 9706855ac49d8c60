"""The fine-tuning protocol's training and evaluation splits, drawn once: every arm of a sweep,
the timed step and chapter 9's classifier read the same tables. It sits below the sweep, so that
the modules the sweep uses (its layouts and timed steps) can read the splits too."""

from __future__ import annotations

import pandas as pd

from ..models.corpora import labelled_splits
from .training import Protocol


def load_splits(protocol: Protocol) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The protocol's training and evaluation tables, drawn once (the same for every arm)."""
    return labelled_splits(
        protocol.corpus, n_train=protocol.n_train, n_eval=protocol.n_eval, seed=protocol.data_seed, selection=protocol.selection
    )
