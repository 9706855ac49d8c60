"""A local Hugging Face cache that proves the paper profile offline: tiny random-weight models with
the real architectures and tokenizer kinds, saved under the paper's exact hub ids, and tiny
WikiText-2 and GLUE datasets, in the layouts the hub client and ``datasets`` read with
``HF_HUB_OFFLINE=1``. Loading from it is the code path that runs online; only the download differs.

    python -m gedig local-hub .cache/localhub     # then export the variables it prints
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .assets import minilm_dir
from .corpora import GLUE, load_labelled, load_texts

ARCHITECTURES = {  # hub id: (architecture, tokenizer kind)
    "bert-base-uncased": ("bert", "BertTokenizerFast"),
    "gpt2": ("gpt2", "bpe"),
    "distilbert-base-uncased": ("distilbert", "DistilBertTokenizerFast"),
    "meta-llama/Meta-Llama-3-8B": ("llama", "bpe"),
    "meta-llama/Llama-3.1-8B": ("llama", "bpe"),
    "microsoft/Phi-3-mini-4k-instruct": ("phi3", "bpe"),
}
TINY = {"layers": 4, "heads": 4, "hidden": 32, "ffn": 64, "positions": 256}
"""Four layers, so that every layer-wise claim has its layers: layer 0, layers 1–2 and layer 3 on."""


def _commit(name: str) -> str:
    return hashlib.sha1(f"gedig-local-hub/{name}".encode()).hexdigest()


def _repo(hub: Path, kind: str, repo_id: str, fill: Callable[[Path], None]) -> Path:
    """A repo in the hub cache layout: refs/main names a snapshot that holds the files."""
    folder = hub / f"{kind}s--{repo_id.replace('/', '--')}"
    commit = _commit(repo_id)
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    fill(snapshot)
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    return snapshot


def byte_level_bpe(folder: Path) -> object:
    """A byte-level BPE tokenizer (the kind GPT-2, Llama 3 and Phi-3 ship), trained on the embedded corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(load_texts(n=300, seed=99), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", model_input_names=["input_ids", "attention_mask"]
    )
    fast.save_pretrained(folder)
    return fast


def wordpiece(folder: Path, cls_name: str) -> object:
    """BERT's WordPiece tokenizer (the uncased vocabulary of the embedded MiniLM)."""
    import transformers

    tok = getattr(transformers, cls_name).from_pretrained(minilm_dir())
    tok.save_pretrained(folder)
    return tok


def tiny_config(arch: str, vocab: int, eos: int, tiny: dict[str, int] | None = None) -> object:
    """The architecture's own config class, tiny: Llama 3 with grouped-query attention (2 key/value
    heads for 4 query heads), Phi-3 with its fused qkv projection."""
    import transformers as tf

    tiny = {**TINY, **(tiny or {})}
    L, H, d, f, P = tiny["layers"], tiny["heads"], tiny["hidden"], tiny["ffn"], tiny["positions"]
    if arch == "bert":
        return tf.BertConfig(
            vocab_size=vocab, hidden_size=d, num_hidden_layers=L, num_attention_heads=H, intermediate_size=f, max_position_embeddings=P
        )
    if arch == "distilbert":
        return tf.DistilBertConfig(vocab_size=vocab, dim=d, n_layers=L, n_heads=H, hidden_dim=f, max_position_embeddings=P)
    if arch == "gpt2":
        return tf.GPT2Config(vocab_size=vocab, n_embd=d, n_layer=L, n_head=H, n_positions=P, bos_token_id=eos, eos_token_id=eos)
    common = dict(
        vocab_size=vocab, hidden_size=d, num_hidden_layers=L, num_attention_heads=H, intermediate_size=f, max_position_embeddings=P
    )
    ids = dict(bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
    if arch == "llama":
        return tf.LlamaConfig(**common, num_key_value_heads=2, **ids)
    return tf.Phi3Config(**common, num_key_value_heads=H, **ids)


HEADS = {
    "bert": "AutoModelForMaskedLM",
    "distilbert": "AutoModelForMaskedLM",
    "gpt2": "AutoModelForCausalLM",
    "llama": "AutoModelForCausalLM",
    "phi3": "AutoModelForCausalLM",
}
"""The class each real checkpoint is saved as (BertForMaskedLM, GPT2LMHeadModel, LlamaForCausalLM, …)."""


def save_tiny(arch: str, tokenizer: str, folder: Path, *, seed: int = 0, tiny: dict[str, int] | None = None) -> Path:
    """A seeded random-initialised tiny model of ``arch`` and its tokenizer, saved to ``folder``
    (``tiny`` overrides ``TINY``'s sizes: {"layers": 3} for a model shallower than a claim's band),
    with the head its real checkpoint has (``HEADS``), so that every loader of the real model works."""
    import transformers

    loader = getattr(transformers, HEADS[arch])

    tok = byte_level_bpe(folder) if tokenizer == "bpe" else wordpiece(folder, tokenizer)
    eos = tok.eos_token_id if tok.eos_token_id is not None else 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = loader.from_config(tiny_config(arch, len(tok), eos, tiny), attn_implementation="eager")
    model.save_pretrained(folder)
    return folder


def _arrow_dataset(cache: Path, repo_id: str, config: str, splits: dict[str, pd.DataFrame]) -> Path:
    """A prepared dataset in the ``datasets`` cache layout (what ``load_dataset`` reads offline)."""
    import datasets
    import pyarrow as pa

    name = repo_id.split("/")[-1]
    folder = cache / "___".join(repo_id.split("/")) / config / "0.0.0" / _commit(f"{repo_id}/{config}")[:16]
    folder.mkdir(parents=True, exist_ok=True)
    split_dict = datasets.SplitDict(dataset_name=name)
    features = None
    for split, df in splits.items():
        ds = datasets.Dataset.from_pandas(df, preserve_index=False)
        features = ds.features
        path = folder / f"{name}-{split}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, ds.data.table.schema) as writer:
            writer.write_table(ds.data.table)
        split_dict.add(datasets.SplitInfo(name=split, num_bytes=path.stat().st_size, num_examples=len(df), dataset_name=name))
    info = datasets.DatasetInfo(features=features, config_name=config, dataset_name=name, builder_name=name)
    info.splits = split_dict
    info.write_to_directory(str(folder))
    return folder


def tiny_wikitext(n_lines: int = 240, seed: int = 0) -> dict[str, pd.DataFrame]:
    """WikiText-2's raw shape: blank lines, '= Heading =' lines and long paragraphs, each line ending
    in a newline, built from the embedded Wikipedia sentences."""
    rng = np.random.default_rng(seed)
    sentences = load_texts("wiki-summaries", n=600, seed=seed, min_chars=20, max_chars=200)
    lines, k = [], 0
    while len(lines) < n_lines:
        lines.append("")
        lines.append(f" = {' '.join(sentences[k].split()[:3])} = \n")
        lines.append("")
        for _ in range(int(rng.integers(1, 3))):
            lines.append(" " + " ".join(sentences[k : k + 4]) + " \n")
            k += 4
    train = pd.DataFrame({"text": lines[:n_lines]})
    return {"train": train, "validation": train.iloc[: n_lines // 4].reset_index(drop=True)}


def tiny_glue(task: str, n: int = 120, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A GLUE task's columns (sentence / sentence1 + sentence2 / question + sentence, label, idx)
    filled from the embedded labelled reviews: the shape of the task, not its content."""
    first, second = GLUE[task]
    pool = load_labelled("rotten-tomatoes", n=2 * n, seed=seed)
    out = {}
    for split, part in (("train", pool.iloc[:n]), ("validation", pool.iloc[n:])):
        frame = {first: part["text"].tolist()}
        if second:
            frame[second] = part["text"].iloc[::-1].tolist()
        frame["label"] = part["label"].astype("int64").tolist()
        frame["idx"] = list(range(len(part)))
        out[split] = pd.DataFrame(frame)
    return out


DATASET_IDS = {"wikitext": "Salesforce/wikitext", "glue": "nyu-mll/glue"}
"""The hub's current dataset ids; ``names="legacy"`` writes the older ones (the keys), as many
existing caches and the author's code have them (``gedig.models.corpora.DATASET_ALIASES``)."""


def build_local_hub(
    root: Path | str,
    *,
    models: tuple[str, ...] = tuple(ARCHITECTURES),
    tiny: dict[str, int] | None = None,
    names: str = "current",
) -> dict[str, str]:
    """Write the local hub under ``root`` (``hub/`` for models, ``datasets/`` for data) and return the
    environment that points the Hugging Face libraries at it, offline. ``tiny`` overrides the
    models' sizes (``TINY``); ``names`` is 'current' (the datasets under the hub's ids) or 'legacy'
    (under the older names ``wikitext`` and ``glue``)."""
    if names not in ("current", "legacy"):
        raise ValueError(f"names must be 'current' or 'legacy', got {names!r}")
    unknown = sorted(set(tiny or {}) - set(TINY))
    if unknown:
        raise ValueError(f"unknown tiny sizes {unknown}; the sizes are {', '.join(TINY)}")
    root = Path(root).resolve()
    hub, data = root / "hub", root / "datasets"
    for repo_id in models:
        arch, tokenizer = ARCHITECTURES[repo_id]
        _repo(hub, "model", repo_id, lambda folder, a=arch, t=tokenizer: save_tiny(a, t, folder, tiny=tiny))
    ids = {k: (k if names == "legacy" else v) for k, v in DATASET_IDS.items()}
    _arrow_dataset(data, ids["wikitext"], "wikitext-2-raw-v1", tiny_wikitext())
    for task in GLUE:
        _arrow_dataset(data, ids["glue"], task, tiny_glue(task))
    manifest = {"models": list(models), "tiny": {**TINY, **(tiny or {})}, "datasets": ["wikitext-2-raw-v1", *GLUE], "dataset_ids": ids}
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return local_hub_env(root)


def local_hub_env(root: Path | str) -> dict[str, str]:
    """The variables that make the Hugging Face libraries read the local hub at ``root``, offline."""
    root = Path(root).resolve()
    return {"HF_HUB_CACHE": str(root / "hub"), "HF_DATASETS_CACHE": str(root / "datasets"), "HF_HUB_OFFLINE": "1"}
