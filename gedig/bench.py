"""Benchmark: the batched gauge against the networkx reference, on synthetic and real attention."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch

from .errors import GedigError
from .gauge.batched import gauge
from .gauge.config import GaugeConfig
from .gauge.reference import reference_gauge
from .models.attention import extract, plan_batches
from .models.corpora import load_texts
from .models.loading import load_model
from .util.memory import peak_memory


def _synthetic(L: int, n: int, seed: int) -> torch.Tensor:
    """Softmax attention with a spread of sharpness, like real heads."""
    g = torch.Generator().manual_seed(seed)
    temp = torch.empty(n, 1, 1, dtype=torch.float64).uniform_(0.5, 4.0, generator=g)
    return torch.softmax(torch.randn(n, L, L, dtype=torch.float64, generator=g) * temp, -1)


def _time_batched(
    attn: torch.Tensor, mask: torch.Tensor | None, causal: bool, cfg: GaugeConfig, repeats: int = 3
) -> tuple[float, np.ndarray]:
    gauge(attn[:4], None if mask is None else mask[:4], causal=causal, config=cfg)  # warm-up
    best, F = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        F = gauge(attn, mask, causal=causal, config=cfg).F
        best = min(best, time.perf_counter() - t0)
    return best, F.reshape(-1).cpu().numpy()


def _time_reference(mats: list[np.ndarray], cfg: GaugeConfig, causal: bool) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    F = np.array([reference_gauge(m, causal=causal, config=cfg)["F"] for m in mats])
    return time.perf_counter() - t0, F


def lean_networkx_F(A: np.ndarray, *, lam: float = 0.5, gamma: float = 0.5, q: float = 0.9) -> float:
    """The ``published`` gauge of one matrix as a user would write the author's algorithm with
    networkx: no subgraph views, one BFS per node of the largest component. The fair speed baseline
    (``gedig.gauge.reference`` is written for clarity as the tests' oracle, and is 2–4× slower)."""
    L = A.shape[0]
    src, dst = np.nonzero(A > np.quantile(A, q))
    G = nx.Graph()
    G.add_nodes_from(range(L))
    G.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    w = A[A > 1e-10]
    p = w / w.sum()
    delta_h = float(-(p * np.log(p)).sum() / np.log(w.size)) if w.size > 1 else 0.0
    comp = max(nx.connected_components(G), key=lambda c: (len(c), -min(c)))
    n = len(comp)
    delta_sp = 0.0
    if n > 1:
        total = sum(sum(nx.single_source_shortest_path_length(G, u).values()) for u in comp)
        delta_sp = n * (n - 1) / total
    return len(src) / L**2 - lam * (delta_h + gamma * delta_sp)


def _time_lean(mats: list[np.ndarray], cfg: GaugeConfig) -> tuple[float, np.ndarray]:
    published = GaugeConfig.published()
    fields = ("sp", "entropy_norm", "entropy_floor", "mask_causal", "tau")
    if any(getattr(cfg, f) != getattr(published, f) for f in fields):
        raise GedigError("the lean networkx comparison implements the published preset's terms only (any λ, γ, q)")
    t0 = time.perf_counter()
    F = np.array([lean_networkx_F(m, lam=cfg.lam, gamma=cfg.gamma, q=cfg.q) for m in mats])
    return time.perf_counter() - t0, F


def bench_synthetic(
    lengths: Sequence[int] = (16, 32, 64, 128), *, n_heads: int = 2000, n_ref: int = 40, config: GaugeConfig | None = None, seed: int = 0
) -> pd.DataFrame:
    """Time per head of the batched gauge (n_heads matrices) and the reference (n_ref of them)."""
    cfg = config or GaugeConfig.published()
    rows = []
    for L in lengths:
        attn = _synthetic(L, n_heads, seed + L)
        t_b, F_b = _time_batched(attn, None, False, cfg)
        mats = [attn[i].numpy() for i in range(n_ref)]
        t_r, F_r = _time_reference(mats, cfg, False)
        t_l, F_l = _time_lean(mats, cfg)
        rows.append(
            {
                "case": f"synthetic L={L}",
                "heads": n_heads,
                "batched_ms_per_head": 1e3 * t_b / n_heads,
                "lean_nx_ms_per_head": 1e3 * t_l / n_ref,
                "speedup_vs_lean_nx": (t_l / n_ref) / (t_b / n_heads),
                "reference_ms_per_head": 1e3 * t_r / n_ref,
                "speedup": (t_r / n_ref) / (t_b / n_heads),
                "max_abs_dF": float(max(np.abs(F_b[:n_ref] - F_r).max(), np.abs(F_l - F_r).max())),
                "gauge_share_of_forward": float("nan"),
            }
        )
    return pd.DataFrame(rows)


def bench_model(
    name: str,
    *,
    n_texts: int = 200,
    n_ref: int = 300,
    batch_size: int = 16,
    repeats: int = 3,
    config: GaugeConfig | None = None,
    seed: int = 0,
) -> dict[str, float | str]:
    """Forward time, batched gauge time and reference time on a model's real attention.

    The corpus is scored ``repeats`` times, as ``score`` does it (a forward pass, then the gauge,
    batch by batch), and each total is the best of those passes, as ``timeit`` reports: the
    least disturbed by other work on the machine.
    """
    cfg = config or GaugeConfig.published()
    model = load_model(name)
    texts = load_texts("wiki-summaries", n=n_texts, seed=seed)
    plan = plan_batches(model, texts, batch_size=batch_size, max_length=256)
    extract(model, texts, plan[0], max_length=256)  # warm-up
    t_fwd = t_gauge = float("inf")
    for _ in range(max(1, repeats)):
        fwd = gau = 0.0
        batches = []
        for index in plan:
            t0 = time.perf_counter()
            batch = extract(model, texts, index, max_length=256)
            fwd += time.perf_counter() - t0
            t0 = time.perf_counter()
            F = gauge(batch.attn, batch.mask[:, None, None, :], causal=model.causal, config=cfg).F
            gau += time.perf_counter() - t0
            batches.append((batch, F))
        t_fwd, t_gauge = min(t_fwd, fwd), min(t_gauge, gau)
    heads = [
        (b, i, layer, h)
        for b, (batch, _) in enumerate(batches)
        for i in range(len(batch.index))
        for layer in range(model.n_layers)
        for h in range(model.n_heads)
    ]
    total_heads = len(heads)
    rng = np.random.default_rng(seed)
    sample = [heads[k] for k in rng.choice(total_heads, size=min(n_ref, total_heads), replace=False)]
    mats, ours = [], []
    for b, i, layer, h in sample:
        batch, F = batches[b]
        n = int(batch.mask[i].sum())
        mats.append(batch.attn[i, layer, h, :n, :n].double().cpu().numpy())
        ours.append(float(F[i, layer, h]))
    t_ref, F_ref = _time_reference(mats, cfg, model.causal)
    t_lean, F_lean = _time_lean(mats, cfg)
    return {
        "case": f"{name} ({n_texts} texts)",
        "heads": total_heads,
        "batched_ms_per_head": 1e3 * t_gauge / total_heads,
        "lean_nx_ms_per_head": 1e3 * t_lean / len(sample),
        "speedup_vs_lean_nx": (t_lean / len(sample)) / (t_gauge / total_heads),
        "reference_ms_per_head": 1e3 * t_ref / len(sample),
        "speedup": (t_ref / len(sample)) / (t_gauge / total_heads),
        "max_abs_dF": float(max(np.abs(np.asarray(ours) - F_ref).max(), np.abs(F_lean - F_ref).max())),
        "gauge_share_of_forward": t_gauge / t_fwd,
        "forward_s": t_fwd,
        "gauge_s": t_gauge,
    }


def bench_configs(
    name: str = "minilm-l6", *, n_texts: int = 100, n_configs: int = 8, repeats: int = 3, seed: int = 0
) -> dict[str, float | str]:
    """Wall time of one list-config ``score`` (one forward pass per batch, N gauges) against N
    uncached single-config calls on the same texts (best of ``repeats`` each)."""
    from .pipeline.scoring import score

    model = load_model(name)
    texts = load_texts("wiki-summaries", n=n_texts, seed=seed)
    qs = np.linspace(0.8, 0.95, n_configs // 2)
    configs = [GaugeConfig.published(q=float(q)) for q in qs] + [GaugeConfig.as_written(q=float(q)) for q in qs]
    configs = configs[:n_configs]
    t_list = t_single = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        score(model, texts, config=configs, cache=False, progress=False)
        t_list = min(t_list, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for cfg in configs:
            score(model, texts, config=cfg, cache=False, progress=False)
        t_single = min(t_single, time.perf_counter() - t0)
    return {
        "case": f"{name}: {n_configs} configs, {n_texts} texts",
        "list_s": t_list,
        "single_calls_s": t_single,
        "list_over_single": t_list / t_single,
    }


def bench_ray_sweep(*, n_runs: int = 4, workers: int = 2) -> dict[str, float | str]:
    """Wall time of ``n_runs`` tiny fine-tuning runs (n_train 32, 1 epoch) on a local Ray cluster
    of ``workers`` CPUs (one CPU and one torch thread per run) against the local executor with as
    many torch threads as workers, each in a fresh folder; Ray's start-up is timed apart."""
    import tempfile
    from pathlib import Path

    from .experiments.sweep import run_sweep
    from .experiments.training import Protocol
    from .util.cluster import connect

    protocol = Protocol(n_train=32, n_eval=16, epochs=1, batch_size=16, eval_batch_size=16, max_length=48)
    seeds = list(range(1, n_runs // 2 + 1))
    with tempfile.TemporaryDirectory() as tmp:
        threads = torch.get_num_threads()
        torch.set_num_threads(workers)
        t0 = time.perf_counter()
        run_sweep(protocol, [0, 0.1], seeds, control_alpha=None, out_dir=Path(tmp) / "local", device="cpu", progress=False)
        t_local = time.perf_counter() - t0
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        connect(num_cpus=workers)
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_sweep(protocol, [0, 0.1], seeds, control_alpha=None, out_dir=Path(tmp) / "ray", executor="ray", progress=False)
        t_ray = time.perf_counter() - t0
    return {
        "case": f"{n_runs} tiny runs, {workers} Ray workers",
        "local_s": t_local,
        "ray_s": t_ray,
        "ray_startup_s": t_start,
        "speedup": t_local / t_ray,
    }


def bench_warm_cache(name: str = "minilm-l6", *, n_texts: int = 10, seed: int = 5) -> dict[str, float | str]:
    """Seconds for a ``score`` call whose table is cached (in a temporary cache): the call reads
    the table and loads no model."""
    import os
    import tempfile

    from .pipeline.scoring import score

    texts = load_texts("wiki-summaries", n=n_texts, seed=seed)
    old = os.environ.get("GEDIG_CACHE")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GEDIG_CACHE"] = tmp
        try:
            score(name, texts, batch_size=4, progress=False)
            t0 = time.perf_counter()
            score(name, texts, batch_size=4, progress=False)
            warm = time.perf_counter() - t0
        finally:
            if old is None:
                os.environ.pop("GEDIG_CACHE", None)
            else:
                os.environ["GEDIG_CACHE"] = old
    return {"case": f"{name}: cached score() call, {n_texts} texts", "warm_cache_s": warm}


def bench_preflight() -> dict[str, float | str]:
    """Seconds until ``python -m gedig book --size paper`` stops at its preflight on a machine
    without the hub (HF_HUB_OFFLINE=1 stands in for one), and its exit status (2 expected)."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GEDIG_CACHE": tmp}
        t0 = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "gedig", "book", "--size", "paper"], capture_output=True, text=True, env=env, timeout=120
        )
        seconds = time.perf_counter() - t0
    return {"case": "book --size paper without the hub: the preflight", "preflight_s": seconds, "preflight_exit": float(run.returncode)}


def bench_importance(model: str = "smollm2-135m", *, n_texts: int = 8, max_length: int = 48) -> dict[str, float | str]:
    """Exact ablation of every head as chapter 9 runs it (the layers below the removed head
    replayed, a layer's heads in one pass) against the naive way (one full forward per head), on
    the same texts: the cost ratio the layer replay buys."""
    from .experiments.importance import importance, load_head_model
    from .models.corpora import load_texts

    hm = load_head_model(model, device="cpu")
    texts = load_texts("wiki-summaries", n=n_texts, seed=0)
    t0 = time.perf_counter()
    importance(hm, texts, max_length=max_length, progress=False)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    importance(hm, texts, max_length=max_length, replicas=1, reuse_layers=False, progress=False)
    naive = time.perf_counter() - t0
    return {
        "case": f"{model}: importance of {hm.n_layers * hm.n_heads} heads, {n_texts} texts × ≤ {max_length} tokens",
        "replayed_s": fast,
        "naive_s": naive,
        "ablation_cost_ratio": fast / naive,
    }


HEADS_CHAPTER_BUDGET_S = {"full": 600.0, "ci": 60.0}
"""Chapter 9's time budget on 2 cores: 10 min at full size, 1 min at CI size."""


def bench_heads_chapter(profile: str = "full") -> dict[str, float | str]:
    """Chapter 9 at ``profile``'s size, its parts timed with every scoring, importance and pruning
    cache off (the fine-tuned classifier, a model cache, is trained once if absent and not timed):
    which part dominates the chapter's time, and the peak resident memory of it all (training
    included, when it happens)."""
    from .analysis import heads_that_matter as study
    from .analysis.importance import head_scores, importance_per_text, pruned_per_text
    from .book.build import chapter_parameters, notebook_defaults
    from .book.chapters import of_measure
    from .book.profiles import get as get_profile
    from .experiments.classifier import fine_tuned_classifier
    from .experiments.splits import load_splits
    from .experiments.training import Protocol
    from .models.corpora import load_texts

    name = of_measure("importance.n_random_orders").name  # the chapter that writes the importance measures
    p = {**notebook_defaults(name), **chapter_parameters(profile, name)}
    P = get_profile(profile)
    texts = load_texts(P.corpus, n=p["n_rank"] + p["n_prune"], seed=p["seed"])
    rank, prune = study.split_texts(texts, p["n_rank"], p["n_prune"])
    model = P.model("gpt2")
    timings: dict[str, float] = {}

    def timed(part: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        timings[part] = timings.get(part, 0.0) + time.perf_counter() - t0
        return out

    with peak_memory() as peak:  # the chapter's work in this process, its libraries already loaded
        common = {"cache": False, "progress": False, "batch_size": p["batch_size"]}
        drawn = [*study.ORDERS, *(f"{study.RANDOM} {k + 1}" for k in range(p["n_random"]))]
        drawn += [f"{study.STRATIFIED} {k + 1}" for k in range(p["n_random"])]
        n_masks = 1 + sum(len(study.SHARES) - 1 if study.along_curve(n) else len(study.GAP_SHARES) for n in drawn)
        imp, _ = timed("lm_importance_s", importance_per_text, model, rank, max_length=p["max_length"], **common)
        timed("lm_scoring_s", head_scores, model, rank, max_length=p["max_length"], **common)
        masks = np.ones((n_masks, *imp.ablation.shape), dtype=np.float32)
        timed("lm_pruning_s", pruned_per_text, model, prune, masks, max_length=p["max_length"], **common)
        protocol = Protocol(n_train=p["n_train"], n_eval=p["n_eval"], epochs=p["epochs"], **P.freg)
        folder, _ = fine_tuned_classifier(protocol, p["classifier_seed"], progress=False)
        evals = load_splits(protocol)[1]
        rank_c = evals.iloc[: p["n_rank_classifier"]]
        prune_c = evals.iloc[p["n_rank_classifier"] : p["n_rank_classifier"] + p["n_prune_classifier"]]
        imp_c, _ = timed(
            "classifier_importance_s",
            importance_per_text,
            str(folder),
            rank_c["text"].tolist(),
            rank_c["label"].tolist(),
            task="classifier",
            max_length=protocol.max_length,
            **common,
        )
        timed("classifier_scoring_s", head_scores, str(folder), rank_c["text"].tolist(), max_length=protocol.max_length, **common)
        masks_c = np.ones((n_masks, *imp_c.ablation.shape), dtype=np.float32)
        timed(
            "classifier_pruning_s",
            pruned_per_text,
            str(folder),
            prune_c["text"].tolist(),
            masks_c,
            prune_c["label"].tolist(),
            task="classifier",
            max_length=protocol.max_length,
            **common,
        )
        timed("training_signal_s", study.training_signal, protocol, p["classifier_seed"], str(folder), n_batches=p["signal_batches"])
    total = sum(timings.values())
    top = max(timings, key=timings.get)
    budget = HEADS_CHAPTER_BUDGET_S.get(profile)
    return {
        "case": f"chapter 9 at size {profile}, caches off",
        **timings,
        "chapter_s": total,
        **({"budget_s": budget, "within_budget": bool(total <= budget)} if budget else {}),
        "peak_memory_gb": peak.gb,
        "peak_memory_measured": peak.how,
        "dominated_by": f"{top.removesuffix('_s')} ({timings[top] / total:.0%})",
    }


def bench_layouts() -> dict[str, float | str]:
    """The chapter-6 step's rate in each layout of this machine's cores (serial, and parallel
    one-process workers; ``gedig.experiments.layout``), timed afresh, and the best parallel
    layout's rate over the serial one."""
    from .experiments.layout import measured_rates
    from .experiments.training import Protocol

    found = measured_rates(Protocol(), refresh=True)
    rates = found["rates"]
    serial, *parallel = rates
    best = max(parallel, key=rates.get) if parallel else serial
    return {
        "case": f"chapter-6 step on {found['cores']} cores ({found['cpu']})",
        "serial_steps_per_s": rates[serial],
        "parallel_steps_per_s": rates[best],
        "parallel_layout": best,
        "parallel_over_serial": rates[best] / rates[serial],
    }


def run_bench(
    models: Sequence[str] = ("minilm-l6", "smollm2-135m"),
    *,
    n_texts: int = 200,
    lengths: Sequence[int] = (16, 32, 64, 128),
    n_heads: int = 2000,
) -> pd.DataFrame:
    """The full benchmark table: synthetic lengths, then each model."""
    from .util.allocator import tune_allocator

    tune_allocator()
    table = bench_synthetic(lengths, n_heads=n_heads)
    model_rows = [bench_model(m, n_texts=n_texts) for m in models]
    config_rows = [bench_configs(m, n_texts=min(n_texts, 100)) for m in models[:1]]
    other = [
        bench_warm_cache(models[0]),
        bench_preflight(),
        bench_layouts(),
        bench_importance(),
        bench_heads_chapter("ci"),
        bench_heads_chapter(),
    ]
    return pd.concat([table, pd.DataFrame(model_rows), pd.DataFrame(config_rows), pd.DataFrame(other)], ignore_index=True)
