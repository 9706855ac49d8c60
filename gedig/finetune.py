"""F-regularised fine-tuning (the paper's experiment 2): L = CE + α·F_mean, swept over α × seeds.

A plain PyTorch loop with the Hugging Face Trainer's defaults made explicit (AdamW, weight decay
off for biases and LayerNorm weights, linear decay without warm-up, gradient clipping at 1.0,
accuracy of the final weights). Every arm runs eager attention and returns attentions, α = 0
included, so the arms differ only in the loss. Each finished run is written atomically with its
configuration; an interrupted sweep resumes and skips the finished runs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .cache import atomic_write_text, cache_dir, key_of, read_cached
from .corpora import load_labelled
from .errors import GedigError
from .measure import gauge
from .models import _source, hub_reachable, resolve_device
from .progress import say
from .regularize import FRegConfig, f_mean, soft_gauge


@dataclass(frozen=True)
class Protocol:
    """Everything shared by the arms of a sweep (the paper's protocol by default)."""

    model: str = "minilm-l6"
    corpus: str = "rotten-tomatoes"
    n_train: int = 2000
    n_eval: int = 500
    data_seed: int = 0
    max_length: int = 128
    batch_size: int = 16
    eval_batch_size: int = 32
    epochs: int = 3
    lr: float = 2e-5
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    freg: FRegConfig = field(default_factory=FRegConfig.published)

    def key(self) -> str:
        return key_of(dataclasses.asdict(self))


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


def load_splits(protocol: Protocol) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balanced train and eval sets drawn once with ``data_seed`` (the same for every arm)."""
    if protocol.n_train % 2 or protocol.n_eval % 2:
        raise GedigError("n_train and n_eval must be even (balanced classes)")
    pool = load_labelled(protocol.corpus, n=protocol.n_train + protocol.n_eval, seed=protocol.data_seed)
    train = pd.concat([pool[pool["label"] == c].iloc[: protocol.n_train // 2] for c in (0, 1)])
    evals = pd.concat([pool[pool["label"] == c].iloc[protocol.n_train // 2 :] for c in (0, 1)])
    return train.sample(frac=1.0, random_state=protocol.data_seed).reset_index(drop=True), evals.reset_index(drop=True)


def load_classifier(name: str, seed: int, device: torch.device) -> tuple[Any, Any]:
    """A sequence classifier (2 labels, new head initialised under ``seed``) with eager attention."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed
    from transformers.utils import logging as hf_logging

    source, info = _source(name)
    kwargs: dict[str, Any] = {}
    if info.get("hub"):
        kwargs["local_files_only"] = not hub_reachable()
    set_seed(seed)
    hf_logging.set_verbosity_error()  # the 'newly initialised classifier' notice is expected
    try:
        tok = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=2, attn_implementation="eager", **kwargs)
    except OSError as exc:
        raise GedigError(f"could not load classifier {name!r}: {str(exc).splitlines()[0]}") from None
    finally:
        hf_logging.set_verbosity_warning()
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
        model.config.pad_token_id = tok.pad_token_id
    return model.to(device), tok


def _batches(tok: Any, texts: list[str], labels: list[int], order: Sequence[int], size: int, max_length: int, device: torch.device):
    for s in range(0, len(order), size):
        idx = list(order[s : s + size])
        enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        enc["labels"] = torch.tensor([labels[i] for i in idx])
        yield {k: v.to(device) for k, v in enc.items()}


def _optimizer(model: Any, protocol: Protocol) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "norm" in name.lower() else decay).append(p)
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": protocol.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=protocol.lr
    )


def regulariser(out: Any, mask: torch.Tensor, arm: Arm, protocol: Protocol, noise: torch.Generator) -> torch.Tensor:
    """α·F_mean for an F arm; α·(N(0,1)·0.2 − 0.4) without gradient for the negative control."""
    if arm.control:
        return arm.alpha * (torch.randn((), generator=noise) * 0.2 - 0.4).to(mask.device)
    if arm.alpha == 0:
        return torch.zeros((), device=mask.device)
    # the path term has no gradient: leaving it out of the step gives the same update (see soft_gauge)
    return arm.alpha * f_mean(out.attentions, mask, config=protocol.freg, with_path=False)


@torch.no_grad()
def evaluate_model(model: Any, tok: Any, evals: pd.DataFrame, protocol: Protocol, device: torch.device) -> dict[str, float]:
    """Accuracy of the final weights and the final F measured three ways, plus the soft terms."""
    model.eval()
    texts, labels = evals["text"].tolist(), evals["label"].tolist()
    correct, ce = 0, []
    author_F, author_h, author_epc, example_F, published_F = [], [], [], [], []
    for batch in _batches(tok, texts, labels, range(len(texts)), protocol.eval_batch_size, protocol.max_length, device):
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
        "accuracy": correct / len(texts),
        "eval_ce": float(np.sum(ce) / len(texts)),
        "final_F_author": float(np.mean(author_F)),
        "final_F_example": float(np.mean(example_F)),
        "final_F_published_gauge": float(np.concatenate(published_F).mean()),
        "soft_delta_h": float(np.mean(author_h)),
        "soft_density": float(np.mean(author_epc)),
    }


def train_arm(protocol: Protocol, arm: Arm, *, device: str = "auto", progress: bool = True) -> dict[str, Any]:
    """Fine-tune one arm and evaluate its final weights."""
    from transformers import get_linear_schedule_with_warmup

    dev = resolve_device(device)
    train, evals = load_splits(protocol)
    model, tok = load_classifier(protocol.model, arm.seed, dev)
    texts, labels = train["text"].tolist(), train["label"].tolist()
    steps_per_epoch = -(-len(texts) // protocol.batch_size)
    total = steps_per_epoch * protocol.epochs
    opt = _optimizer(model, protocol)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=total)
    order_gen = torch.Generator().manual_seed(arm.seed)
    noise = torch.Generator().manual_seed(10_000 + arm.seed)
    log: list[dict[str, float]] = []
    t0 = time.perf_counter()
    bar = tqdm(total=total, desc=arm.label, unit="step", leave=False, disable=not progress)
    step = 0
    for epoch in range(protocol.epochs):
        model.train()
        order = torch.randperm(len(texts), generator=order_gen).tolist()
        for batch in _batches(tok, texts, labels, order, protocol.batch_size, protocol.max_length, dev):
            out = model(**batch, output_attentions=True)
            reg = regulariser(out, batch["attention_mask"].bool(), arm, protocol, noise)
            loss = out.loss + reg
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), protocol.max_grad_norm)
            opt.step()
            sched.step()
            step += 1
            if step % 10 == 0 or step == total:
                log.append({"step": step, "epoch": epoch, "ce": float(out.loss.detach()), "reg": float(reg.detach())})
            bar.update(1)
    bar.close()
    train_s = time.perf_counter() - t0
    metrics = evaluate_model(model, tok, evals, protocol, dev)
    return {
        "protocol": dataclasses.asdict(protocol),
        "arm": dataclasses.asdict(arm),
        "train_seconds": train_s,
        "steps": total,
        **metrics,
        "log": log,
    }


def sweep_dir(protocol: Protocol) -> Path:
    return cache_dir() / "freg" / protocol.key()


def _read_run(path: Path) -> dict[str, Any]:
    """A finished run's record; one that does not parse or lacks its fields raises (and is set aside)."""
    record = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in ("arm", "accuracy", "train_seconds") if k not in record]
    if missing:
        raise ValueError(f"record lacks {missing}")
    return record


def _row(record: dict[str, Any]) -> dict[str, Any]:
    """One run record as a flat table row: its measures, then its arm (alpha, seed, control)."""
    return {**{k: v for k, v in record.items() if k not in ("protocol", "arm", "log")}, **record["arm"]}


def finished_runs(folder: Path, alphas: Sequence[float], seeds: Sequence[int]) -> tuple[pd.DataFrame, list[str]]:
    """The finished F-arm runs among α × seed in a sweep folder (never running one), and the labels
    of those not there yet: how a chapter reads a sweep that ran elsewhere, e.g. on a cluster."""
    arms = [Arm(float(a), int(s)) for a in alphas for s in seeds]
    found = {arm: read_cached(Path(folder) / arm.filename, _read_run) for arm in arms}
    rows = [_row(r) for r in found.values() if r is not None]
    return pd.DataFrame(rows), [arm.label for arm, r in found.items() if r is None]


def run_sweep(
    protocol: Protocol,
    alphas: Sequence[float],
    seeds: Sequence[int],
    *,
    control_alpha: float | None = 0.01,
    out_dir: Path | None = None,
    device: str = "auto",
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
    cpus_per_task: int = 1,
    max_retries: int = 2,
    train: Callable[..., dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """Run (or resume) every α × seed arm, plus the random-value control at ``control_alpha``.

    Each finished run is written atomically as it completes and announced on one line (α, seed,
    accuracy, minutes, estimated time left) on the process's own stderr, which reaches the
    terminal of ``make book`` even from inside a notebook kernel. ``executor="ray"`` runs each arm
    as a Ray task (``gedig.distributed``) on the cluster at ``address`` (a local one of this
    machine's cores when None), retried up to ``max_retries`` times; runs that still fail are
    reported together once every other run has finished and been written. ``train`` runs one arm
    (default ``train_arm``, looked up when the sweep starts).
    """
    train = train or train_arm
    if executor not in ("local", "ray"):
        raise GedigError(f"executor must be 'local' or 'ray', got {executor!r}")
    if executor == "local" or address is None:
        resolve_device(device)
    arms = [Arm(float(a), int(s)) for a in alphas for s in seeds]
    if control_alpha is not None:
        arms += [Arm(float(control_alpha), int(s), control=True) for s in seeds]
    folder = out_dir or sweep_dir(protocol)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(json.dumps(dataclasses.asdict(protocol), indent=1, default=str), folder / "protocol.json")
    done = {arm: read_cached(folder / arm.filename, _read_run) for arm in arms}
    todo = [arm for arm in arms if done[arm] is None]
    if progress:
        say(f"[freg] sweep of {len(arms)} runs in {folder}: {len(arms) - len(todo)} already finished, {len(todo)} to run")
    failures: dict[Arm, str] = {}
    if executor == "ray" and todo:
        from .distributed import run_arms_on_ray

        records, failures = run_arms_on_ray(
            protocol, todo, folder, train=train, address=address, cpus_per_task=cpus_per_task, max_retries=max_retries, device=device
        )
        done.update(records)
    started = time.perf_counter()
    for k, arm in enumerate(tqdm(todo if executor == "local" else [], desc="F-regularisation sweep", unit="run", disable=not progress or not todo)):
        t0 = time.perf_counter()
        result = train(protocol, arm, device=device, progress=progress)
        atomic_write_text(json.dumps(result, default=str), folder / arm.filename)
        done[arm] = result
        if progress:
            per_run = (time.perf_counter() - started) / (k + 1)
            say(
                f"[freg] finished {k + 1}/{len(todo)}: {arm.label}: accuracy {100 * result['accuracy']:.2f} %, "
                f"{(time.perf_counter() - t0) / 60:.1f} min; about {per_run * (len(todo) - k - 1) / 60:.0f} min left"
            )
    if failures:
        listed = "; ".join(f"{arm.label}: {why}" for arm, why in failures.items())
        raise GedigError(f"{len(failures)} of {len(arms)} runs failed for good (the other runs are saved in {folder}): {listed}")
    return pd.DataFrame([_row(done[a]) for a in arms])


def step_overhead(protocol: Protocol, *, n_steps: int = 24, alpha: float = 0.01, seed: int = 0, device: str = "auto") -> dict[str, float]:
    """Median seconds per optimisation step for CE-only (attentions returned) and CE + α·F.

    The two kinds of step alternate on the same model and batches, so drift in machine speed
    affects both alike; the first two of each are warm-up and not counted.
    """
    dev = resolve_device(device)
    train, _ = load_splits(protocol)
    texts, labels = train["text"].tolist(), train["label"].tolist()
    order = list(range(min(len(texts), protocol.batch_size * n_steps)))
    model, tok = load_classifier(protocol.model, seed, dev)
    opt = _optimizer(model, protocol)
    noise = torch.Generator().manual_seed(seed)
    arms = (Arm(0.0, seed), Arm(alpha, seed))
    elapsed: dict[int, list[float]] = {0: [], 1: []}
    for i, batch in enumerate(_batches(tok, texts, labels, order, protocol.batch_size, protocol.max_length, dev)):
        for kind in (i % 2, 1 - i % 2):
            t0 = time.perf_counter()
            out = model(**batch, output_attentions=True)
            loss = out.loss + regulariser(out, batch["attention_mask"].bool(), arms[kind], protocol, noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            elapsed[kind].append(time.perf_counter() - t0)
    ce, reg = float(np.median(elapsed[0][2:])), float(np.median(elapsed[1][2:]))
    return {"ce_only": ce, "ce_plus_F": reg, "overhead": reg / ce - 1.0}
