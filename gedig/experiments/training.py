"""F-regularised fine-tuning of one arm (the paper's experiment 2): L = CE + α·F_mean.

A plain PyTorch loop with the Hugging Face Trainer's defaults made explicit (fused AdamW, weight
decay off for biases and LayerNorm weights, linear decay without warm-up, gradient clipping at 1.0,
accuracy of the final weights). Every arm runs eager attention and returns attentions, α = 0
included, so the arms differ only in the loss. The data comes in as tables (``gedig.experiments.sweep`` draws
them), so a run depends on this module's code and on the data's content, both of which its record
names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..errors import GedigError
from ..gauge.batched import gauge
from ..gauge.soft import FRegConfig, f_mean, soft_gauge
from ..models.assets import EMBEDDED, resolve_source
from ..models.devices import resolve_device
from ..models.hub import from_source, prepare_tokenizer
from ..util.keys import canonical, key_of
from ..util.versions import code_version

SELECTIONS = ("balanced", "first")

CONTROL_MEAN, CONTROL_SD = -0.4, 0.2
"""The negative control's stand-in for F: a fresh N(mean, sd²) value each step, with no gradient
(the values the author's later script drew)."""

NOISE_SEED_OFFSET = 10_000
"""The control's noise generator is seeded with ``NOISE_SEED_OFFSET + seed``, apart from the
data-order generator seeded with ``seed``."""


@dataclass(frozen=True)
class Protocol:
    """Everything shared by the arms of a sweep (the paper's protocol by default).

    ``selection``: 'balanced' draws n_train and n_eval examples, half of each class, with
    ``data_seed`` (the stand-in corpora); 'first' takes the first n_train rows of the training
    split and the first n_eval of the validation split, as the author's notebook did on GLUE.
    """

    model: str = "minilm-l6"
    corpus: str = "rotten-tomatoes"
    n_train: int = 2000
    n_eval: int = 500
    data_seed: int = 0
    selection: str = "balanced"
    max_length: int = 128
    batch_size: int = 16
    eval_batch_size: int = 32
    epochs: int = 3
    lr: float = 2e-5
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    freg: FRegConfig = field(default_factory=FRegConfig.published)

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise GedigError(f"Protocol.selection must be one of {', '.join(SELECTIONS)}, got {self.selection!r}")
        for name in ("n_train", "n_eval", "batch_size", "eval_batch_size", "epochs", "max_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise GedigError(f"Protocol.{name} must be a positive integer, got {value!r}")
        if not (self.lr > 0 and self.weight_decay >= 0 and self.max_grad_norm > 0):
            raise GedigError("Protocol.lr and max_grad_norm must be > 0 and weight_decay ≥ 0")

    def key(self) -> str:
        """The sweep folder's key: the fields that differ from the defaults (a new field with a
        default that keeps today's behaviour moves no folder)."""
        return key_of(canonical(self))


@dataclass(frozen=True)
class Arm:
    """One run: the regulariser weight, the seed, and whether F is replaced by a random value."""

    alpha: float
    seed: int
    control: bool = False

    @property
    def label(self) -> str:
        return f"{'random-value' if self.control else 'F'} α={self.alpha:g} seed={self.seed}"

    @property
    def filename(self) -> str:
        return f"{'control' if self.control else 'freg'}_a{self.alpha:g}_s{self.seed}.json"


def training_version() -> str:
    """The version of the code that trains and evaluates an arm (this module's import closure)."""
    return code_version(__name__)


def data_version(train: pd.DataFrame, evals: pd.DataFrame) -> str:
    """A content hash of the two splits (text, optional pair, label), in order."""
    h = hashlib.sha256()
    for part in (train, evals):
        cols = [c for c in ("text", "text_pair", "label") if c in part.columns]
        h.update(json.dumps(part[cols].to_dict("split")["data"], ensure_ascii=True).encode())
    return h.hexdigest()[:12]


def load_classifier(name: str, seed: int, device: torch.device) -> tuple[Any, Any]:
    """A sequence classifier (2 labels, new head initialised under ``seed``) with eager attention."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed
    from transformers.utils import logging as hf_logging

    source, hub = resolve_source(name)
    set_seed(seed)
    alternatives = ", ".join(EMBEDDED)
    hf_logging.set_verbosity_error()  # the 'newly initialised classifier' notice is expected
    try:
        tok = from_source(AutoTokenizer.from_pretrained, source, hub=hub, name=name, alternatives=alternatives)
        model = from_source(
            AutoModelForSequenceClassification.from_pretrained,
            source,
            hub=hub,
            name=name,
            alternatives=alternatives,
            num_labels=2,
            attn_implementation="eager",
        )
    finally:
        hf_logging.set_verbosity_warning()
    prepare_tokenizer(tok, model)
    return model.to(device), tok


def batches(
    tok: Any, data: pd.DataFrame, order: Sequence[int], size: int, max_length: int, device: torch.device
) -> Iterator[dict[str, torch.Tensor]]:
    """Tokenised batches of ``data`` rows in ``order`` (sentence pairs where it has ``text_pair``)."""
    texts, labels = data["text"].tolist(), data["label"].tolist()
    pairs = data["text_pair"].tolist() if "text_pair" in data.columns else None
    for s in range(0, len(order), size):
        idx = list(order[s : s + size])
        second = [pairs[i] for i in idx] if pairs is not None else None
        enc = tok([texts[i] for i in idx], second, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        enc["labels"] = torch.tensor([labels[i] for i in idx])
        yield {k: v.to(device) for k, v in enc.items()}


OPTIMIZER = "adamw_torch_fused"
"""The optimiser, by the Hugging Face Trainer's name for it (its default on torch ≥ 2.8): AdamW
in one fused kernel per parameter group. Its update is the per-parameter loop's to float32
rounding, and the chapter-6 step takes about 12 % less time with it on a 2-core CPU."""


def make_optimizer(model: Any, protocol: Protocol) -> torch.optim.Optimizer:
    """AdamW (``OPTIMIZER``) at the protocol's rate, weight decay off for biases and norm weights."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "norm" in name.lower() else decay).append(p)
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": protocol.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=protocol.lr,
        fused=True,
    )


def regulariser(out: Any, mask: torch.Tensor, arm: Arm, protocol: Protocol, noise: torch.Generator) -> torch.Tensor:
    """α·F_mean for an F arm; α·N(CONTROL_MEAN, CONTROL_SD²) without gradient for the negative control."""
    if arm.control:
        return arm.alpha * (torch.randn((), generator=noise) * CONTROL_SD + CONTROL_MEAN).to(mask.device)
    if arm.alpha == 0:
        return torch.zeros((), device=mask.device)
    # the path term has no gradient: leaving it out of the step gives the same update (see soft_gauge)
    return arm.alpha * f_mean(out.attentions, mask, config=protocol.freg, with_path=False)


def train_step(
    model: Any,
    batch: dict[str, torch.Tensor],
    arm: Arm,
    protocol: Protocol,
    noise: torch.Generator,
    opt: torch.optim.Optimizer,
    sched: Any,
) -> tuple[Any, torch.Tensor]:
    """One optimisation step of ``arm``, the one every run takes and the one the cost and layout
    timings time: forward with attentions, CE + the arm's regulariser, backward, gradient clipping,
    the optimiser and the learning-rate schedule. Returns the forward's output and the regulariser."""
    out = model(**batch, output_attentions=True)
    reg = regulariser(out, batch["attention_mask"].bool(), arm, protocol, noise)
    loss = out.loss + reg
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), protocol.max_grad_norm)
    opt.step()
    sched.step()
    return out, reg


@torch.no_grad()
def evaluate_model(model: Any, tok: Any, evals: pd.DataFrame, protocol: Protocol, device: torch.device) -> dict[str, float]:
    """Accuracy of the final weights and the final F measured three ways, plus the soft terms."""
    model.eval()
    correct, ce = 0, []
    author_F, author_h, author_epc, example_F, published_F = [], [], [], [], []
    for batch in batches(tok, evals, range(len(evals)), protocol.eval_batch_size, protocol.max_length, device):
        out = model(**batch, output_attentions=True)
        correct += int((out.logits.argmax(-1) == batch["labels"]).sum())
        ce.append(float(out.loss) * len(batch["labels"]))
        mask = batch["attention_mask"].bool()
        for a in out.attentions:  # the author's way: mean F per (batch, layer), then their mean
            g = soft_gauge(a, mask, config=protocol.freg)
            author_F.append(float(g.F.mean()))
            author_h.append(float(g.delta_h.mean()))
            author_epc.append(float(g.delta_epc.mean()))
        stacked = torch.stack(out.attentions, 1)  # (B, layers, heads, S, S)
        for i, n in enumerate(mask.sum(1).tolist()):  # per example, on its own tokens only
            single = stacked[i, :, :, :n, :n]
            example_F.append(float(soft_gauge(single, config=protocol.freg).F.mean()))
        published_F.append(gauge(stacked, mask[:, None, None, :]).F.mean(dim=(1, 2)).cpu().numpy())
    return {
        "accuracy": correct / len(evals),
        "eval_ce": float(np.sum(ce) / len(evals)),
        "final_F_author": float(np.mean(author_F)),
        "final_F_example": float(np.mean(example_F)),
        "final_F_published_gauge": float(np.concatenate(published_F).mean()),
        "soft_delta_h": float(np.mean(author_h)),
        "soft_density": float(np.mean(author_epc)),
    }


def train_arm(
    protocol: Protocol,
    arm: Arm,
    *,
    data: tuple[pd.DataFrame, pd.DataFrame],
    device: str = "auto",
    progress: bool = True,
    keep: Callable[[Any, Any], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune one arm on ``data`` (training and evaluation tables) and evaluate its final weights.
    The record names the code version and the data version it was made with; it keeps no weights,
    so a caller that needs them passes ``keep(model, tokenizer)``, called with the trained model."""
    from transformers import get_linear_schedule_with_warmup

    dev = resolve_device(device)
    train, evals = data
    model, tok = load_classifier(protocol.model, arm.seed, dev)
    steps_per_epoch = -(-len(train) // protocol.batch_size)
    total = steps_per_epoch * protocol.epochs
    opt = make_optimizer(model, protocol)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=total)
    order_gen = torch.Generator().manual_seed(arm.seed)
    noise = torch.Generator().manual_seed(NOISE_SEED_OFFSET + arm.seed)
    log: list[dict[str, float]] = []
    t0 = time.perf_counter()
    bar = tqdm(total=total, desc=arm.label, unit="step", leave=False, disable=not progress)
    step = 0
    for epoch in range(protocol.epochs):
        model.train()
        order = torch.randperm(len(train), generator=order_gen).tolist()
        for batch in batches(tok, train, order, protocol.batch_size, protocol.max_length, dev):
            out, reg = train_step(model, batch, arm, protocol, noise, opt, sched)
            step += 1
            if step % 10 == 0 or step == total:
                log.append({"step": step, "epoch": epoch, "ce": float(out.loss.detach()), "reg": float(reg.detach())})
            bar.update(1)
    bar.close()
    train_s = time.perf_counter() - t0
    metrics = evaluate_model(model, tok, evals, protocol, dev)
    if keep is not None:
        keep(model, tok)
    return {
        "protocol": dataclasses.asdict(protocol),
        "arm": dataclasses.asdict(arm),
        "code_version": training_version(),
        "data_version": data_version(train, evals),
        "optimizer": OPTIMIZER,
        "train_seconds": train_s,
        "steps": total,
        **metrics,
        "log": log,
    }
