"""The paper profile's preflight: before any chapter runs, check everything the build will need
and print one report: the hub, access to each gated model, GPU memory for each model in its dtype
(and the batch size that fits), disk for the downloads, and an estimate of the run time.

Online, each model's size comes from the hub (its config and safetensors metadata); offline, from
``PAPER_MODEL_FACTS`` (read off the same files), and the report says which.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GedigError
from ..models.hub import hub_offline, hub_reachable
from ..paper import AUTHOR_TEXTS
from .profiles import Profile

GB = 1024**3
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
PAPER_MODEL_FACTS: dict[str, dict[str, Any]] = {
    # params, layers, heads, hidden, download (GB, safetensors), gated: from each model's config.json and file list on the hub
    "bert-base-uncased": {"params": 110e6, "layers": 12, "heads": 12, "hidden": 768, "download_gb": 0.44, "gated": False},
    "gpt2": {"params": 124e6, "layers": 12, "heads": 12, "hidden": 768, "download_gb": 0.55, "gated": False},
    "meta-llama/Meta-Llama-3-8B": {"params": 8.03e9, "layers": 32, "heads": 32, "hidden": 4096, "download_gb": 16.1, "gated": True},
    "meta-llama/Llama-3.1-8B": {"params": 8.03e9, "layers": 32, "heads": 32, "hidden": 4096, "download_gb": 16.1, "gated": True},
    "microsoft/Phi-3-mini-4k-instruct": {"params": 3.82e9, "layers": 32, "heads": 32, "hidden": 3072, "download_gb": 7.6, "gated": False},
    "distilbert-base-uncased": {"params": 66e6, "layers": 6, "heads": 12, "hidden": 768, "download_gb": 0.27, "gated": False},
}
DATASETS_GB = 0.1
"""WikiText-2 raw and GLUE SST-2 together are about 20 MB; the grid's MRPC, CoLA and QNLI about 40 MB more."""
MAX_TOKENS = 256
"""The longest text the chapters tokenise (the author's --attn-max-len): batch sizes are sized for it."""
TYPICAL_TOKENS = 32
"""The author's WikiText-2 selection is lines under 120 characters: about 32 tokens each."""
EFFECTIVE_TFLOPS = 20.0
"""Assumed sustained throughput of eager-attention forward passes on one GPU, for the time estimate."""
FREG_STEPS = 375 * 18
"""Table 3's sweep: 5 α × 3 seeds and a 3-seed control, 375 steps each."""
PASSES = 6
"""Chapters 2–5 and 7 together run each model over the texts about six times (presets, nulls, corpora)."""
LOAD_GB_PER_S = 1.0
"""About how fast weights move from a local disk into GPU memory."""
STEP_SECONDS = 0.05
"""About how long one fine-tuning step of a base-size model takes on a GPU (latency, not FLOPs)."""


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not checked (and why in the detail)
    detail: str


@dataclass
class Report:
    profile: str
    checks: list[Check] = field(default_factory=list)
    batch_sizes: dict[str, int] = field(default_factory=dict)
    estimates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def text(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}
        lines = [f"Preflight for the {self.profile!r} profile:"]
        lines += [f"  [{mark[c.ok]}] {c.name}: {c.detail}" for c in self.checks]
        if self.estimates:
            lines += ["What the build would need:", *[f"  {e}" for e in self.estimates]]
        lines.append(
            "Ready: every check passed." if self.ok else "Not ready: fix the failed checks above, then run the same command again."
        )
        return "\n".join(lines)


def model_facts(model: str, online: bool) -> tuple[dict[str, Any], str]:
    """A model's size, depth and access, from the hub when it answers, else the recorded facts."""
    recorded = PAPER_MODEL_FACTS.get(model)
    if online:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError

        try:
            info = HfApi().model_info(model, files_metadata=True, token=os.environ.get("HF_TOKEN"))
            size = sum((s.size or 0) for s in info.siblings or [] if s.rfilename.endswith(".safetensors"))
            params = float(info.safetensors.total) if info.safetensors else (recorded or {}).get("params", 0.0)
            facts = {
                **(recorded or {}),
                "params": params,
                "download_gb": size / GB or (recorded or {}).get("download_gb", 0.0),
                "gated": bool(info.gated),
            }
            return facts, "hub"
        except (HfHubHTTPError, OSError, ValueError) as exc:  # reported on the model's line, with the recorded facts
            if recorded is None:
                raise GedigError(f"{model}: the hub did not answer ({type(exc).__name__}) and no facts are recorded for it") from None
            return recorded, f"recorded (the hub said {type(exc).__name__})"
    if recorded is None:
        raise GedigError(f"{model}: no recorded facts for a model outside the paper's systems; the preflight needs the hub for it")
    return recorded, "recorded"


_GATED = "gated: accept its licence on https://huggingface.co/{m} and set HF_TOKEN"


def gated_access(model: str) -> Check:
    """Whether this machine's token (HF_TOKEN, or a saved login) may download a gated model: the
    hub answers for this token, so a licence not yet accepted is caught here, not mid-build."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    name = f"access to {model}"
    try:
        HfApi().auth_check(model, token=os.environ.get("HF_TOKEN"))
    except GatedRepoError:
        token = "HF_TOKEN is set, but its account has not been granted access" if os.environ.get("HF_TOKEN") else "no HF_TOKEN is set"
        return Check(name, False, f"{_GATED.format(m=model)} ({token})")
    except RepositoryNotFoundError:
        return Check(name, False, f"the hub does not show {model} to this token; {_GATED.format(m=model)}")
    except (HfHubHTTPError, OSError) as exc:
        return Check(name, False, f"the hub did not answer the access check ({type(exc).__name__}); try again")
    return Check(name, True, "gated; this token has access")


def per_text_gb(facts: dict[str, Any], dtype: str, tokens: int = MAX_TOKENS) -> float:
    """Memory one text of ``tokens`` takes in a forward pass that returns every layer's attention:
    the attention (model dtype, plus the float32 copy the gauge reads) and the hidden states."""
    attention = facts["layers"] * facts["heads"] * tokens * tokens * (BYTES[dtype] + 4)
    hidden = facts["layers"] * tokens * facts["hidden"] * BYTES[dtype] * 4
    return (attention + hidden) / GB


def gpu_memory_gb() -> tuple[float | None, str]:
    """Free memory of the first GPU, or None (no GPU) with why."""
    try:
        import torch
    except ImportError:
        return None, "torch is not installed"
    if not torch.cuda.is_available():
        return None, "no CUDA GPU on this machine"
    free, total = torch.cuda.mem_get_info(0)
    return free / GB, f"{torch.cuda.get_device_name(0)}, {free / GB:.1f} of {total / GB:.1f} GB free"


def run(profile: Profile, *, gpu_gb: float | None = None, disk_path: Path | None = None, recorded: bool = False) -> Report:
    """Every check at once; ``gpu_gb`` assumes a GPU of that free memory (to plan on another machine);
    ``recorded`` plans from the recorded model facts without asking the hub."""
    report = Report(profile=profile.name)
    offline_mode = hub_offline()
    online = False if recorded else hub_reachable()
    report.checks.append(
        Check(
            "hub",
            online,
            "huggingface.co answers"
            if online
            else ("HF_HUB_OFFLINE is set" if offline_mode else "huggingface.co cannot be reached from this machine"),
        )
    )
    models = list(dict.fromkeys(m for m in profile.systems.values() if m))
    facts = {m: model_facts(m, online) for m in models}
    for m, (f, _source) in facts.items():
        if f.get("gated"):
            report.checks.append(gated_access(m) if online else Check(f"access to {m}", None, f"{_GATED.format(m=m)}; not checked offline"))
    free, where = (gpu_gb, f"assumed: {gpu_gb:.0f} GB free") if gpu_gb is not None else gpu_memory_gb()
    report.checks.append(Check("GPU", free is not None, where))
    for m, (f, source) in facts.items():
        dtype = profile.dtypes.get(m, "float32")
        weights = f["params"] * BYTES[dtype] / GB
        one = per_text_gb(f, dtype)
        if free is None:
            report.checks.append(
                Check(f"GPU memory for {m}", False, f"{weights:.1f} GB of weights in {dtype} ({source}); no GPU to hold them")
            )
            continue
        batch = int((0.9 * free - weights) // one) if 0.9 * free > weights else 0
        batch = max(0, min(batch, 64))
        report.batch_sizes[m] = batch
        ok = batch >= 1
        report.checks.append(
            Check(
                f"GPU memory for {m}",
                ok,
                f"{weights:.1f} GB of weights in {dtype} with eager attention, {one:.2f} GB per {MAX_TOKENS}-token text: "
                + (f"batch {batch} fits" if ok else f"does not fit in {free:.1f} GB"),
            )
        )
    cache = Path(os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    target = disk_path or next((p for p in [cache, *cache.parents] if p.exists()), Path.home())
    need = sum(f["download_gb"] for f, _ in facts.values()) + DATASETS_GB
    have = shutil.disk_usage(target).free / GB
    report.checks.append(Check("disk", have > need * 1.1, f"{need:.1f} GB of downloads; {have:.0f} GB free at {target}"))
    flops = sum(2 * f["params"] * TYPICAL_TOKENS + 4 * f["layers"] * TYPICAL_TOKENS**2 * f["hidden"] for f, _ in facts.values())
    forward = AUTHOR_TEXTS * PASSES * flops / (EFFECTIVE_TFLOPS * 1e12)
    freg_model = profile.systems.get("distilbert-sst2")
    train = FREG_STEPS * 6 * facts[freg_model][0]["params"] * 16 * 64 / (EFFECTIVE_TFLOPS * 1e12) if freg_model else 0.0
    load = sum(f["download_gb"] for f, _ in facts.values()) / LOAD_GB_PER_S
    steps = FREG_STEPS * STEP_SECONDS if freg_model else 0.0
    sizes = ", ".join(f"{m} {f['download_gb']:.1f} GB" for m, (f, _) in facts.items())
    report.estimates += [
        f"downloads: {need:.1f} GB ({sizes}), resumable",
        f"forward passes: {flops / 1e12:.1f} TFLOP per text for all models together (~{TYPICAL_TOKENS} tokens), {AUTHOR_TEXTS} texts × ~{PASSES} passes: about {forward / 60:.1f} min at {EFFECTIVE_TFLOPS:.0f} TFLOP/s",
        f"fine-tuning: {FREG_STEPS} steps of {freg_model} (batch 16 × ≤ 128 tokens): about {train / 60:.1f} min of compute at {EFFECTIVE_TFLOPS:.0f} TFLOP/s; step latency usually dominates (about {STEP_SECONDS} s a step: {steps / 60:.0f} min)",
        f"loading weights: about {load / 60:.1f} min; in all, on one GPU, about {(forward + steps + load) / 3600:.1f} h plus the downloads",
        f"batch sizes chosen from the free memory: {report.batch_sizes or 'none (no GPU)'}",
    ]
    return report


def for_profile(profile: Profile, *, gpu_gb: float | None = None) -> Report:
    """The preflight a profile needs: its local hub's caches, or the hub, the GPU and the disk."""
    if not profile.needs_hub:
        raise GedigError(f"profile {profile.name!r} runs on the embedded stand-ins and needs no preflight")
    return local_hub_check(profile) if profile.local_hub else run(profile, gpu_gb=gpu_gb)


def local_hub_check(profile: Profile) -> Report:
    """paper-tiny's preflight: offline mode, and every bound model and dataset in the local caches."""
    from huggingface_hub import try_to_load_from_cache

    report = Report(profile=profile.name)
    report.checks.append(
        Check(
            "offline",
            hub_offline(),
            "HF_HUB_OFFLINE is set" if hub_offline() else "set HF_HUB_OFFLINE=1 and point HF_HUB_CACHE at the local hub",
        )
    )
    for m in dict.fromkeys(v for v in profile.systems.values() if v):
        found = isinstance(try_to_load_from_cache(m, "config.json"), str)
        report.checks.append(
            Check(
                f"local copy of {m}",
                found,
                "in the hub cache" if found else "missing: build the local hub with python -m gedig local-hub DIR",
            )
        )
    data = Path(os.environ.get("HF_DATASETS_CACHE", Path.home() / ".cache" / "huggingface" / "datasets"))
    for name in ("Salesforce___wikitext", "nyu-mll___glue"):
        ok = (data / name).exists()
        report.checks.append(Check(f"local dataset {name.replace('___', '/')}", ok, str(data / name) if ok else f"missing in {data}"))
    return report


def plan(profile: Profile, gpus_gb: tuple[float, ...] = (24.0, 80.0)) -> str:
    """What the preflight estimates for ``profile`` on GPUs of these sizes (the README's section)."""
    lines = []
    for gb in gpus_gb:
        r = run(profile, gpu_gb=gb, recorded=True)
        fits = {c.name.removeprefix("GPU memory for "): c for c in r.checks if c.name.startswith("GPU memory for ")}
        ok = all(c.ok for c in fits.values())
        lines.append(
            f"- **One {gb:.0f} GB GPU:** {'every model fits' if ok else 'not every model fits'}; batch sizes "
            + ", ".join(f"{m} {b}" for m, b in r.batch_sizes.items())
            + "."
        )
    r = run(profile, gpu_gb=gpus_gb[-1], recorded=True)
    lines += [f"- {e[0].upper()}{e[1:]}" for e in r.estimates if not e.startswith("batch sizes")]
    return "\n".join(lines) + "\n"
