"""What a model loses when a head is removed: head importance by exact ablation and by gradient
(Michel, Levy & Neubig 2019), and the metric of a model with any set of heads removed (pruning).

Removing head (l, h) multiplies its slice of the attention output (its context vector, the input
of the layer's output projection) by a mask ξ_lh = 0. A forward pre-hook on the output projection
applies the masks, so the same code serves every architecture the book loads (GPT-2's ``c_proj``,
Llama's and Phi-3's ``o_proj``, BERT's ``attention.output.dense``, DistilBERT's ``out_lin``);
grouped-query attention changes nothing, since every query head has its own slice there.

The metric depends on the model (``METRICS``): a causal LM's token-weighted mean next-token
cross-entropy over every predicted non-pad token; a masked LM's cross-entropy on 15 % of the tokens
masked with a fixed seed; a sequence classifier's cross-entropy (and accuracy) per example.

Importance by ablation is metric(head removed) − metric(full model), exact. Every layer's output
is computed once per batch and replayed, so removing a head of layer l re-runs only layers ≥ l, and
the heads of one layer are removed together in one forward pass (the batch replicated, one mask per
replica). Importance by gradient is the mean over texts of |∂L_text/∂ξ_h| at ξ = 1, L_text the
text's mean loss (one mask per text, so one backward pass gives every text's gradient). Both are
kept per text, so that a chapter can bootstrap over texts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import GedigError
from ..models.assets import EMBEDDED, resolve_source
from ..models.devices import resolve_device
from ..models.hub import from_source, prepare_tokenizer
from ..models.loading import split_name, torch_dtype

PROJECTIONS = ("o_proj", "c_proj", "out_lin", "out_proj")
"""Names of an attention block's output projection, by architecture (BERT's is ``output.dense``)."""

METRICS = {
    "causal-lm": "next-token cross-entropy (nats per predicted token)",
    "masked-lm": "masked-token cross-entropy (nats per masked token, 15 % of tokens masked, fixed seed)",
    "classifier": "classification cross-entropy (nats per example)",
}
"""Each kind of model's metric, as tables and pages name it."""

MASK_SHARE = 0.15
"""The share of a text's ordinary tokens a masked LM's metric masks (BERT's pre-training share;
every chosen token becomes the mask token)."""

ENCODERS = ("bert", "distilbert", "roberta")


class MetricDoesNotApply(GedigError):
    """The metric asked for does not apply to the model (a masked-LM loss on a causal LM, or on an
    encoder without a trained masked-LM head): a chapter states this instead of a number."""


@dataclass
class HeadModel:
    """A model with its tokenizer, each layer's attention output projection, and its metric's kind."""

    name: str
    model: Any
    tokenizer: Any
    projections: list[torch.nn.Module]
    n_heads: int
    device: torch.device
    task: str = "causal-lm"

    @property
    def n_layers(self) -> int:
        return len(self.projections)

    @property
    def metric(self) -> str:
        return METRICS[self.task]


def output_projections(model: Any) -> list[torch.nn.Module]:
    """Each layer's attention output projection, in layer order; a model without one the hook can
    find is an error naming what was looked for."""
    found = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        in_attention = any(part in ("attn", "self_attn", "attention") for part in name.split("."))
        if in_attention and (leaf in PROJECTIONS or name.endswith("attention.output.dense")):
            found.append(module)
    if not found:
        raise GedigError(
            f"{type(model).__name__} has no attention output projection the head mask can hook "
            f"(looked for {', '.join(PROJECTIONS)} and attention.output.dense inside attention blocks)"
        )
    return found


def layer_blocks(hm: HeadModel) -> torch.nn.ModuleList:
    """The list of the model's layers (each holding one output projection), whose outputs the
    ablations replay."""
    for module in hm.model.modules():
        mine = isinstance(module, torch.nn.ModuleList) and len(module) == hm.n_layers
        if mine and all(any(m is p for m in block.modules()) for block, p in zip(module, hm.projections, strict=True)):
            return module
    raise GedigError(f"{hm.name}: no list of layers holding its attention output projections was found")


def task_of(config: Any) -> str:
    """'causal-lm', 'classifier' (a checkpoint saved as a sequence classifier) or 'masked-lm'."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if any(a.endswith("ForSequenceClassification") for a in getattr(config, "architectures", None) or []):
        return "classifier"
    if config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and config.model_type not in ENCODERS:
        return "causal-lm"
    return "masked-lm"


def load_head_model(
    name: str, *, task: str = "auto", device: str = "auto", dtype: str | None = None, label: str | None = None
) -> HeadModel:
    """The model ``name`` (an embedded stand-in, a model folder or a hub id) with the head its
    metric needs: 'auto' takes the task from the checkpoint (``task_of``); a task that does not
    apply (a masked-LM loss on a causal LM, a classifier without a trained classification head)
    is an error. ``label`` names the model in messages and tables (default: ``name``)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    label = label or name
    base, random_init = split_name(name)
    if random_init:
        raise GedigError(f"head importance needs trained weights; {name!r} is an untrained control")
    if task not in ("auto", *METRICS):
        raise GedigError(f"task must be 'auto' or one of {', '.join(METRICS)}, got {task!r}")
    dev = resolve_device(device)
    source, hub = resolve_source(base)
    alternatives = ", ".join(EMBEDDED)
    config = from_source(AutoConfig.from_pretrained, source, hub=hub, name=base, alternatives=alternatives)
    found = task_of(config)
    if getattr(config, "is_encoder_decoder", False):
        raise GedigError(f"{label} is an encoder-decoder ({config.model_type}); head importance covers decoders and encoders")
    if task == "auto":
        task = found
    elif task != found and not (task == "masked-lm" and found == "classifier"):
        raise MetricDoesNotApply(f"{label} is a {found} ({config.model_type}): a {task} metric ({METRICS[task]}) does not apply to it")
    loader = {"causal-lm": AutoModelForCausalLM, "masked-lm": AutoModelForMaskedLM, "classifier": AutoModelForSequenceClassification}[task]
    tokenizer = prepare_tokenizer(from_source(AutoTokenizer.from_pretrained, source, hub=hub, name=base, alternatives=alternatives))
    hf_logging.disable_progress_bar()  # loading bars would clutter the command's output; our own bar shows progress
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # missing weights are checked below, not warned about
    try:
        model, info = from_source(
            loader.from_pretrained,
            source,
            hub=hub,
            name=base,
            alternatives=alternatives,
            dtype=torch_dtype(dtype),
            attn_implementation="eager",
            output_loading_info=True,
        )
    finally:
        hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(verbosity)
    untrained = sorted(k for k in info.get("missing_keys", []) if not k.endswith("position_ids"))  # a set: sorted, so the message is the same every run
    if task != "causal-lm" and untrained:
        raise MetricDoesNotApply(
            f"{label} has no trained {task} head (missing {', '.join(untrained[:2])}): its {METRICS[task]} would measure random weights"
        )
    model = model.to(dev).eval().requires_grad_(False)  # gradients flow to the head mask only
    heads = getattr(model.config, "num_attention_heads", None) or getattr(model.config, "n_heads", None) or model.config.n_head
    return HeadModel(label, model, tokenizer, output_projections(model), int(heads), dev, task)


@contextmanager
def head_mask(hm: HeadModel, xi: torch.Tensor) -> Iterator[None]:
    """Multiply each head's context vector by ``xi`` (samples × layers × heads) while inside."""
    if xi.shape[1:] != (hm.n_layers, hm.n_heads):
        raise GedigError(f"the head mask has shape {tuple(xi.shape)}; this model needs (n, {hm.n_layers}, {hm.n_heads})")

    def hook(layer: int) -> Any:
        def scale(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
            x = args[0]
            b, s, width = x.shape
            heads = x.reshape(b, s, hm.n_heads, width // hm.n_heads) * xi[:b, layer, None, :, None].to(x.dtype)
            return (heads.reshape(b, s, width), *args[1:])

        return scale

    handles = [p.register_forward_pre_hook(hook(layer)) for layer, p in enumerate(hm.projections)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class Batch:
    """Model inputs for some texts, and their labels (a masked LM's targets, a classifier's classes)."""

    inputs: dict[str, torch.Tensor]
    labels: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.inputs["input_ids"])

    def repeat(self, times: int) -> Batch:
        """The batch ``times`` over, one copy after another (one copy per head mask)."""
        inputs = {k: v.repeat(times, *[1] * (v.ndim - 1)) for k, v in self.inputs.items()}
        labels = None if self.labels is None else self.labels.repeat(times, *[1] * (self.labels.ndim - 1))
        return Batch(inputs, labels)


def encode(
    hm: HeadModel, texts: Sequence[str], labels: Sequence[int] | None = None, *, max_length: int = 256, seed: int = 0, first: int = 0
) -> Batch:
    """The texts as one padded batch. A masked LM's masked positions are drawn per text (text
    ``first + i`` with seed ``seed``), so they do not depend on how the texts are batched."""
    enc = hm.tokenizer(
        list(texts), return_tensors="pt", padding=True, truncation=True, max_length=max_length, return_special_tokens_mask=True
    )
    special = enc.pop("special_tokens_mask").bool()
    inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    if hm.task == "classifier":
        if labels is None:
            raise GedigError("a classifier's metric needs the texts' labels")
        return Batch({k: v.to(hm.device) for k, v in inputs.items()}, torch.as_tensor(list(labels)).to(hm.device))
    if hm.task == "causal-lm":
        return Batch({k: v.to(hm.device) for k, v in inputs.items()})
    ids = inputs["input_ids"].clone()
    target = torch.full_like(ids, -100)
    for i in range(len(ids)):
        candidates = torch.nonzero(inputs["attention_mask"][i].bool() & ~special[i]).ravel()
        if len(candidates) == 0:
            raise GedigError(f"text {first + i + 1} has no ordinary token to mask")
        k = max(1, round(MASK_SHARE * len(candidates)))
        chosen = candidates[torch.randperm(len(candidates), generator=torch.Generator().manual_seed(seed * 1_000_003 + first + i))[:k]]
        target[i, chosen] = ids[i, chosen]
        ids[i, chosen] = hm.tokenizer.mask_token_id
    return Batch({**{k: v.to(hm.device) for k, v in inputs.items()}, "input_ids": ids.to(hm.device)}, target.to(hm.device))


def text_losses(hm: HeadModel, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Per text: the summed loss over the positions the metric counts, their count, and (a
    classifier) whether the prediction is right."""
    extra = {"use_cache": False} if hm.task == "causal-lm" else {}  # no key/value cache: each pass stands alone
    logits = hm.model(**batch.inputs, **extra).logits.float()
    if hm.task == "classifier":
        ce = torch.nn.functional.cross_entropy(logits, batch.labels, reduction="none")
        return ce, torch.ones_like(ce), (logits.argmax(-1) == batch.labels).float()
    if hm.task == "causal-lm":
        logits = logits[:, :-1]
        mask = batch.inputs["attention_mask"]
        target = batch.inputs["input_ids"][:, 1:]
        keep = mask[:, 1:].bool() & mask[:, :-1].bool()
    else:
        target = batch.labels
        keep = target != -100
        target = target.clamp(min=0)
    # over (tokens, vocabulary) rows: the (batch, vocabulary, tokens) form reduces over a strided axis
    # and loses about 1e-4 of the value in float32
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none").reshape(target.shape)
    return (ce * keep).sum(1), keep.sum(1).to(ce.dtype), None


def token_losses(hm: HeadModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """A causal LM's per-text summed next-token cross-entropy and predicted-token count."""
    summed, n, _ = text_losses(hm, Batch(batch))
    return summed, n


class _Replay(torch.nn.Module):
    """Stands in for a layer: returns what that layer returned for the batch, once per copy."""

    def __init__(self, output: Any, size: int, times: int) -> None:
        super().__init__()
        self.output, self.size, self.times = output, size, times

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return _repeated(self.output, self.size, self.times)


def _repeated(value: Any, size: int, times: int) -> Any:
    if isinstance(value, torch.Tensor):
        return value.repeat(times, *[1] * (value.ndim - 1)) if value.ndim and value.shape[0] == size and times > 1 else value
    if isinstance(value, tuple):
        return type(value)(_repeated(v, size, times) for v in value) if not hasattr(value, "_fields") else value
    return value


@contextmanager
def replayed(blocks: torch.nn.ModuleList, outputs: list[Any], upto: int, size: int, times: int) -> Iterator[None]:
    """Layers below ``upto`` replay their recorded outputs (the batch of ``size`` texts, ``times``
    over) instead of computing them."""
    kept = [blocks[i] for i in range(upto)]
    try:
        for i in range(upto):
            blocks[i] = _Replay(outputs[i], size, times)
        yield
    finally:
        for i, block in enumerate(kept):
            blocks[i] = block


def layer_outputs(hm: HeadModel, blocks: torch.nn.ModuleList, batch: Batch) -> tuple[list[Any], torch.Tensor]:
    """Every layer's output for the batch (no head removed), and the per-text summed loss."""
    outputs: list[Any] = [None] * len(blocks)

    def keep(i: int) -> Any:
        def record(module: Any, args: Any, output: Any) -> None:
            outputs[i] = output

        return record

    handles = [block.register_forward_hook(keep(i)) for i, block in enumerate(blocks)]
    try:
        summed, _, _ = text_losses(hm, batch)
    finally:
        for handle in handles:
            handle.remove()
    return outputs, summed


@dataclass(frozen=True)
class Importance:
    """Per text and head: the summed loss change when the head is removed (texts × layers × heads)
    and |∂L_text/∂ξ|; per text: the summed loss and the count of positions it is taken over."""

    delta: np.ndarray
    gradient_per_text: np.ndarray
    sums: np.ndarray
    counts: np.ndarray

    @property
    def ablation(self) -> np.ndarray:
        """metric(head removed) − metric(full model), token-weighted over all texts (layers × heads)."""
        return self.delta.sum(0) / self.counts.sum()

    @property
    def gradient(self) -> np.ndarray:
        """The mean over texts of |∂L_text/∂ξ| (layers × heads)."""
        return self.gradient_per_text.mean(0)

    @property
    def metric(self) -> float:
        return float(self.sums.sum() / self.counts.sum())

    @property
    def n_tokens(self) -> int:
        return int(self.counts.sum())


def _batches(hm: HeadModel, texts: Sequence[str], labels: Sequence[int] | None, batch_size: int, max_length: int, seed: int) -> list[Batch]:
    if not texts:
        raise GedigError("head importance needs at least one text")
    if batch_size < 1:
        raise GedigError(f"batch_size must be ≥ 1, got {batch_size}")
    if labels is not None and len(labels) != len(texts):
        raise GedigError(f"{len(labels)} labels for {len(texts)} texts")
    return [
        encode(
            hm, texts[i : i + batch_size], None if labels is None else labels[i : i + batch_size], max_length=max_length, seed=seed, first=i
        )
        for i in range(0, len(texts), batch_size)
    ]


def importance(
    hm: HeadModel,
    texts: Sequence[str],
    labels: Sequence[int] | None = None,
    *,
    batch_size: int = 8,
    max_length: int = 256,
    replicas: int | None = None,
    seed: int = 0,
    reuse_layers: bool = True,
    progress: bool = True,
) -> Importance:
    """Importance by exact ablation and by gradient of every head of ``hm`` on ``texts`` (and
    their ``labels``, for a classifier). ``replicas``: heads removed per forward pass (default: a
    whole layer's); ``seed``: a masked LM's masking; ``reuse_layers=False`` recomputes the layers
    below the removed head (the naive cost, for the bench)."""
    replicas = replicas or hm.n_heads
    if replicas < 1:
        raise GedigError(f"replicas must be ≥ 1, got {replicas}")
    L, H = hm.n_layers, hm.n_heads
    batches = _batches(hm, texts, labels, batch_size, max_length, seed)
    blocks = layer_blocks(hm)
    T = len(texts)
    delta, grads = np.zeros((T, L, H)), np.zeros((T, L, H))
    sums, counts = np.zeros(T), np.zeros(T)
    bar = tqdm(total=T * L * H, desc=f"ablate {hm.name}", unit="head·text", disable=not progress)
    start = 0
    for batch in batches:
        b = len(batch)
        rows = slice(start, start + b)
        xi = torch.ones(b, L, H, device=hm.device, requires_grad=True)
        with head_mask(hm, xi):
            summed, n, _ = text_losses(hm, batch)
        if (n == 0).any():
            raise GedigError("a text has no position the metric counts (a causal LM needs at least two tokens)")
        (summed / n).sum().backward()
        grads[rows] = xi.grad.abs().double().cpu().numpy()
        counts[rows] = n.detach().double().cpu().numpy()
        with torch.no_grad():
            outputs, base = layer_outputs(hm, blocks, batch)
            sums[rows] = base.double().cpu().numpy()
            for layer in range(L):
                for first in range(0, H, replicas):
                    group = list(range(first, min(first + replicas, H)))
                    mask = torch.ones(len(group) * b, L, H, device=hm.device)
                    for k, head in enumerate(group):
                        mask[k * b : (k + 1) * b, layer, head] = 0.0
                    with replayed(blocks, outputs, layer if reuse_layers else 0, b, len(group)), head_mask(hm, mask):
                        removed, _, _ = text_losses(hm, batch.repeat(len(group)))
                    delta[rows, layer, group] = (removed.double().reshape(len(group), b) - base.double()).T.cpu().numpy()
                    bar.update(b * len(group))
        start += b
    bar.close()
    return Importance(delta=delta, gradient_per_text=grads, sums=sums, counts=counts)


@dataclass(frozen=True)
class Pruned:
    """Per mask and text: the summed loss and (a classifier) the right predictions; per text the count."""

    sums: np.ndarray
    counts: np.ndarray
    correct: np.ndarray | None

    def metric(self) -> np.ndarray:
        """Each mask's metric (token-weighted over the texts)."""
        return self.sums.sum(1) / self.counts.sum()

    def accuracy(self) -> np.ndarray | None:
        return None if self.correct is None else self.correct.mean(1)


def pruned_metric(
    hm: HeadModel,
    texts: Sequence[str],
    masks: np.ndarray,
    labels: Sequence[int] | None = None,
    *,
    batch_size: int = 8,
    max_length: int = 256,
    replicas: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> Pruned:
    """The metric of the model with each mask's heads removed (``masks``: configurations × layers
    × heads, 1 = kept, 0 = removed), per text; several masks per forward pass."""
    masks = np.asarray(masks, dtype=np.float32)
    if masks.ndim != 3 or masks.shape[1:] != (hm.n_layers, hm.n_heads):
        raise GedigError(f"masks must be (configurations, {hm.n_layers}, {hm.n_heads}), got {masks.shape}")
    batches = _batches(hm, texts, labels, batch_size, max_length, seed)
    C, T = len(masks), len(texts)
    sums, correct, counts = np.zeros((C, T)), np.zeros((C, T)), np.zeros(T)
    bar = tqdm(total=C * T, desc=f"prune {hm.name}", unit="mask·text", disable=not progress)
    start = 0
    with torch.no_grad():
        for batch in batches:
            b = len(batch)
            for first in range(0, C, replicas):
                group = masks[first : first + replicas]
                xi = torch.as_tensor(group, device=hm.device).repeat_interleave(b, dim=0)
                with head_mask(hm, xi):
                    summed, n, right = text_losses(hm, batch.repeat(len(group)))
                sums[first : first + len(group), start : start + b] = summed.double().reshape(len(group), b).cpu().numpy()
                if right is not None:
                    correct[first : first + len(group), start : start + b] = right.reshape(len(group), b).cpu().numpy()
                counts[start : start + b] = n[:b].double().cpu().numpy()
                bar.update(b * len(group))
            start += b
    bar.close()
    return Pruned(sums=sums, counts=counts, correct=correct if hm.task == "classifier" else None)
