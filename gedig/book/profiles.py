"""Book profiles: each binds the paper's systems to a model and its data (the chapters' sizes under
each profile are in the chapter registry, ``gedig.book.chapters``).

Claims are about the systems the paper measured (``bert``, ``gpt2``, ``llama3.0``, ``llama3.1``,
``phi3`` for Table 2 and Figure 2; ``distilbert-sst2`` for Table 3). ``full`` and ``ci`` bind the
embedded stand-ins (no Phi-3-family model ships in a package registry, so ``phi3`` is unbound and
its claims are not checkable there); ``paper`` binds the paper's own hub models and data, for a
machine with the hub and a GPU; ``paper-tiny`` binds the same ids at tiny counts, which the test
suite runs on a local hub (``gedig.models.localhub``) to prove that path offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import GedigError

SYSTEMS = {
    "bert": "BERT",
    "gpt2": "GPT-2",
    "llama3.0": "Llama 3.0 8B",
    "llama3.1": "Llama 3.1 8B",
    "phi3": "Phi-3-mini",
    "distilbert-sst2": "DistilBERT on SST-2",
}
"""The paper's systems, with the names the paper uses for them."""
PAIR = ("bert", "gpt2")
"""The encoder and the causal model of the 12 × 12 pair, the systems of the per-head chapters."""
TABLE2 = ("bert", "gpt2", "llama3.0", "llama3.1", "phi3")

STAND_INS = {
    "bert": "minilm-l6",
    "gpt2": "smollm2-135m",
    "llama3.0": "smollm2-135m",
    "llama3.1": "smollm2-135m",
    "phi3": None,
    "distilbert-sst2": "minilm-l6",
}
PAPER_MODELS = {
    "bert": "bert-base-uncased",
    "gpt2": "gpt2",
    "llama3.0": "meta-llama/Meta-Llama-3-8B",
    "llama3.1": "meta-llama/Llama-3.1-8B",
    "phi3": "microsoft/Phi-3-mini-4k-instruct",
    "distilbert-sst2": "distilbert-base-uncased",
}
LARGE_DTYPE = {
    "meta-llama/Meta-Llama-3-8B": "bfloat16",
    "meta-llama/Llama-3.1-8B": "bfloat16",
    "microsoft/Phi-3-mini-4k-instruct": "bfloat16",
}
"""The 8B-class models run in bfloat16 with eager attention (the author ran them in float16 on a T4)."""
UNBOUND_WHY = {
    "phi3": "no Phi-3-family model ships in a package registry; the paper profile (python -m gedig book --size paper) runs microsoft/Phi-3-mini-4k-instruct"
}

DEFAULT_BATCH = 16
"""Texts per forward pass where the preflight chose none (the stand-ins, the local hub)."""
STAND_IN_FREG = {"model": "minilm-l6", "corpus": "rotten-tomatoes"}
PAPER_FREG = {"model": "distilbert-base-uncased", "corpus": "glue/sst2", "selection": "first"}


def system_label(system: str, model: str) -> str:
    """How a value is labelled with its model: the paper's own model by its id ('gpt2'), a stand-in
    with the system it stands for ('minilm-l6 (for BERT)')."""
    return model if PAPER_MODELS.get(system) == model else f"{model} (for {SYSTEMS[system]})"


@dataclass(frozen=True)
class Profile:
    """One way to build the book: the models bound to the paper's systems, the corpora, the sizes."""

    name: str
    title: str
    description: str
    systems: dict[str, str | None]
    corpus: str
    second_corpus: str
    freg: dict[str, Any]
    dtypes: dict[str, str] = field(default_factory=dict)
    needs_hub: bool = False
    local_hub: bool = False
    """Its hub ids resolve from a local hub cache (``gedig.models.localhub``), offline: the
    preflight checks that cache instead of the hub, the GPU and the downloads."""

    def model(self, system: str) -> str | None:
        if system not in self.systems:
            raise GedigError(f"profile {self.name!r} has no system {system!r}; its systems: {', '.join(self.systems)}")
        return self.systems[system]

    def bound(self, systems: tuple[str, ...] | list[str]) -> dict[str, str]:
        """The systems among ``systems`` that have a model here, with it."""
        return {s: m for s in systems if (m := self.model(s)) is not None}

    def label(self, system: str) -> str:
        """'minilm-l6 (for BERT)' for a stand-in; the model's id alone for the paper's own model; a
        system's untrained twin ('bert@random-init') adds ', untrained'."""
        if system.endswith("@random-init"):
            return f"{self.label(system.removesuffix('@random-init'))}, untrained"
        model = self.model(system)
        if model is None:
            return f"none (for {SYSTEMS[system]})"
        return system_label(system, model)

    def model_label(self, model: str, among: tuple[str, ...] | list[str] | None = None) -> str:
        """A model with the systems it stands for (among ``among``, default all):
        'smollm2-135m (for GPT-2, Llama 3.0 8B, Llama 3.1 8B)'."""
        base = model.removesuffix("@random-init")
        systems = [SYSTEMS[s] for s, m in self.systems.items() if m == base and (among is None or s in among)]
        twin = ", untrained" if model.endswith("@random-init") else ""
        own = all(PAPER_MODELS[s] == base for s, m in self.systems.items() if m == base)
        if own or not systems:
            return f"{model}" if not twin else f"{base} (untrained)"
        return f"{base} (for {', '.join(systems)}{twin})"

    def load_models(self, bound: dict[str, str]) -> dict[str, Any]:
        """The models of ``bound`` (system → model name), each loaded in this profile's dtype for it."""
        from ..models.loading import load_model

        return {s: load_model(m, dtype=self.dtypes.get(m)) for s, m in bound.items()}

    def scoring(self, *, seed: int, batch_sizes: dict[str, int] | None = None) -> Callable[[str], dict[str, Any]]:
        """``score_options`` with the seed and batch sizes bound: model name → keyword arguments."""
        return lambda model: self.score_options(model, seed=seed, batch_sizes=batch_sizes)

    def labeller(self, among: tuple[str, ...] | list[str] | None = None) -> Callable[[str], str]:
        """``model_label`` with ``among`` bound: model name → its label."""
        return lambda model: self.model_label(model, among=among)

    def score_options(self, model: str, *, seed: int, batch_sizes: dict[str, int] | None = None) -> dict[str, Any]:
        """How a chapter scores ``model`` under this profile (keyword arguments of ``gedig.score``):
        the seed, the model's dtype, and its batch size (the preflight's, else ``DEFAULT_BATCH``)."""
        base = model.removesuffix("@random-init")
        return {"seed": seed, "dtype": self.dtypes.get(base), "batch_size": (batch_sizes or {}).get(base, DEFAULT_BATCH)}


PROFILES = {
    "full": Profile(
        name="full",
        title="full size",
        description="the embedded stand-ins (minilm-l6 for BERT and DistilBERT, smollm2-135m for GPT-2 and Llama) at the paper's counts",
        systems=STAND_INS,
        corpus="wiki-summaries",
        second_corpus="rotten-tomatoes",
        freg=STAND_IN_FREG,
    ),
    "ci": Profile(
        name="ci",
        title="CI size",
        description="the embedded stand-ins at small counts, so that the test suite builds the whole book in minutes",
        systems=STAND_INS,
        corpus="wiki-summaries",
        second_corpus="rotten-tomatoes",
        freg=STAND_IN_FREG,
    ),
    "paper": Profile(
        name="paper",
        title="the paper's systems",
        description="the paper's own models from the Hugging Face hub (bert-base-uncased, gpt2, Meta-Llama-3-8B, Llama-3.1-8B, "
        "Phi-3-mini-4k-instruct, distilbert-base-uncased) on WikiText-2 as the author's loader selected it and GLUE SST-2 with "
        "the author's protocol",
        systems={**PAPER_MODELS},
        corpus="wikitext",
        second_corpus="sst2",
        freg=PAPER_FREG,
        dtypes=LARGE_DTYPE,
        needs_hub=True,
    ),
    "paper-tiny": Profile(
        name="paper-tiny",
        title="the paper's systems, tiny",
        description="the paper's hub ids bound to tiny random-weight models of the same architectures and tokenizer kinds on a local "
        "hub (gedig.models.localhub), with tiny WikiText-2 and GLUE: the paper profile's code path, offline, at tiny counts",
        systems={**PAPER_MODELS},
        corpus="wikitext",
        second_corpus="sst2",
        freg=PAPER_FREG,
        dtypes=LARGE_DTYPE,
        needs_hub=True,
        local_hub=True,
    ),
}


def get(name: str) -> Profile:
    """The profile called ``name``; an unknown one is an error naming the others."""
    if name not in PROFILES:
        raise GedigError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]
