"""Command line, ``python -m gedig``: ``score`` (the H1 summary, Table 2 style, on a corpus or your own
texts), ``bench`` (speed and agreement), ``book`` (execute the chapters, build the HTML), ``claims``
(the verdict lock), ``sweep`` (a fine-tuning grid), ``preflight`` (what the paper profile needs),
``local-hub`` (tiny models and data under the paper's hub ids) and ``explore`` (the head explorer as
one HTML page)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from . import __version__
from .book.build import BookInterrupted, PreflightFailed
from .book.profiles import PROFILES
from .errors import GedigError
from .gauge.baselines import ALL_BASELINES, BASELINES
from .gauge.config import PRESETS, GaugeConfig
from .models.assets import EMBEDDED
from .models.corpora import CORPORA, load_texts

H1_COLUMNS = ["baseline", "F_real", "F_base", "dF", "dF_std", "win_rate", "d_pooled", "d_z", "p_t", "p_wilcoxon", "ci_low", "ci_high"]


def format_h1(summary: pd.DataFrame) -> str:
    """The H1 summary as text: one block per model × preset, one line per baseline, plus the Table 2 row."""
    out = []
    for (model, preset), g in summary.groupby(["model", "preset"], sort=False):
        n_texts, n_rows = int(g["n_texts"].iloc[0]), int(g["n_rows"].iloc[0])
        out.append(f"\n{model}  [preset {preset}]  {n_texts} texts, {n_rows} rows (text × layer × head)")
        shown = g[H1_COLUMNS].copy()
        out.append(
            shown.to_string(
                index=False,
                formatters={
                    "p_t": "{:.1e}".format,
                    "p_wilcoxon": "{:.1e}".format,
                    **{c: "{:+.4f}".format for c in ("F_real", "F_base", "dF", "ci_low", "ci_high")},
                    **{c: "{:.3f}".format for c in ("dF_std", "win_rate", "d_pooled", "d_z")},
                },
            )
        )
        row = "  ".join(f"ΔF_{k} {v:+.3f}" for k, v in zip(g["baseline"], g["dF"], strict=True))
        out.append(f"Table 2 row: {row}")
    return "\n".join(out)


def _context_check(models: list[str], texts: list[str], *, max_length: int, truncate: bool, source: str) -> None:
    """Texts longer than the tokens scored per text stop the command, unless ``--truncate`` says to cut them."""
    from .models.loading import load_tokenizer
    from .models.textfiles import long_texts

    for model in models:
        tokenizer = load_tokenizer(model)
        context = getattr(tokenizer, "model_max_length", None)
        context = int(context) if isinstance(context, int) and context < 10**6 else None  # transformers' "no limit" sentinel is ~1e30
        if context is not None and max_length > context:
            raise GedigError(f"--max-length {max_length} is longer than {model}'s context of {context} tokens")
        over = long_texts(tokenizer, texts, max_length=max_length)
        if not over:
            continue
        i, n = over[0]
        limit = (
            f"the model's context of {context} tokens"
            if context == max_length
            else f"the {max_length} tokens scored per text (--max-length)"
        )
        if not truncate:
            raise GedigError(
                f"{source}: text {i + 1} has {n} tokens under {model}'s tokenizer, longer than {limit} "
                f"({len(over)} such text(s)); pass --truncate to cut them to {max_length} tokens"
            )
        print(f"{model}: {len(over)} text(s) of {source} cut to {max_length} tokens (--truncate)", file=sys.stderr)


def _texts(args: argparse.Namespace, *, max_length: int) -> tuple[list[str], str]:
    """The texts a command scores (``--texts FILE``, checked against the models' context, or a
    draw from ``--corpus``) and how the summary names them."""
    if args.texts:
        texts = load_texts(Path(args.texts), min_chars=args.min_chars, max_chars=args.max_chars)
        _context_check(args.model, texts, max_length=max_length, truncate=args.truncate, source=args.texts)
        return texts, f"texts {args.texts} ({len(texts)} texts, in file order)"
    texts = load_texts(args.corpus, n=args.n, seed=args.seed, min_chars=args.min_chars, max_chars=args.max_chars)
    return texts, f"corpus {args.corpus}, n = {args.n}"


def _write_out(table: pd.DataFrame, out: Path) -> None:
    """A command's full table as .csv, or as .parquet (any other suffix)."""
    if out.suffix == ".csv":
        table.to_csv(out, index=False)
    else:
        from .pipeline.cache import write_table

        write_table(table, out)
    print(f"wrote {len(table)} rows to {out}", file=sys.stderr)


def _cmd_score(args: argparse.Namespace) -> int:
    from .analysis.stats import summarize
    from .pipeline.scoring import score

    cfg = GaugeConfig.from_name(args.preset)
    if args.lam is not None:
        cfg = cfg.replace(lam=args.lam)
    if args.q is not None:
        cfg = cfg.replace(q=args.q)
    texts, what = _texts(args, max_length=args.max_length)
    tables = []
    for model in args.model:
        t0 = time.perf_counter()
        tables.append(
            score(
                model,
                texts,
                config=cfg,
                baselines=args.baseline or BASELINES,
                seed=args.seed,
                batch_size=args.batch_size,
                max_length=args.max_length,
                device=args.device,
                dtype=args.dtype,
                cache=not args.no_cache,
                progress=not args.quiet,
            )
        )
        print(f"scored {model} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    table = pd.concat(tables, ignore_index=True)
    if args.out:
        _write_out(table, Path(args.out))
    print(f"H1 summary: ΔF = F_real − F_baseline (positive: real attention closer to 0); {what}, seed {args.seed}")
    print(format_h1(summarize(table, seed=args.seed)))
    return 0


def _cmd_importance(args: argparse.Namespace) -> int:
    from .analysis.importance import head_table, ranking

    texts, _ = _texts(args, max_length=256)
    tables = [
        head_table(
            m,
            texts,
            presets=args.preset or ("published", "as_written"),
            task=args.task,
            seed=args.seed,
            device=args.device,
            progress=not args.quiet,
        )
        for m in args.model
    ]
    table = pd.concat(tables, ignore_index=True)
    if args.out:
        _write_out(table, Path(args.out))
    for model, t in table.groupby("model", sort=False):
        print(f"\n{model}: {len(t)} heads on {len(texts)} texts; metric {t['metric'].iloc[0]}, full model {t['metric_full'].iloc[0]:.4f}")
        print("Spearman ρ with importance by ablation:")
        print(ranking(t).to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench_heads_chapter, bench_importance, bench_layouts, bench_ray_sweep, run_bench

    only = {"ray_sweep": bench_ray_sweep, "layouts": bench_layouts, "importance": bench_importance}
    for flag, part in only.items():
        if getattr(args, flag):
            print(pd.Series(part()).to_string())
            return 0
    if args.chapter9:
        print(pd.Series(bench_heads_chapter(args.chapter9)).to_string())
        return 0
    table = run_bench(args.model, n_texts=args.n, n_heads=args.heads)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    syn = table[table["case"].str.startswith("synthetic")]
    multi = table[table["case"].str.contains("configs,")]
    warm = table[table["case"].str.contains("cached score")]
    preflight = table[table["case"].str.contains("preflight")]
    ablation = table["ablation_cost_ratio"].dropna()
    chapter9 = table.dropna(subset=["chapter_s"])
    models = table[table["gauge_share_of_forward"].notna()]
    lean = table["speedup_vs_lean_nx"].dropna()
    print(
        f"headline: the batched gauge is {lean.min():.0f}–{lean.max():.0f}× faster per head than a lean per-head networkx "
        f"implementation (bench.lean_networkx_F); {table['speedup'].min():.0f}–{table['speedup'].max():.0f}× against "
        f"gedig.reference, the tests' oracle, which is written for clarity, not speed"
    )
    checks = {
        "speedup >= 100x against gedig.reference at every synthetic L": bool((syn["speedup"] >= 100).all()),
        "max |dF| <= 1e-9 everywhere": bool((table["max_abs_dF"].dropna() <= 1e-9).all()),
        "8 configs in one list call take <= half the time of 8 single calls": bool((multi["list_over_single"] <= 0.5).all()),
        "gauge <= 25% of forward time on every model": bool((models["gauge_share_of_forward"] <= 0.25).all()),
        "a cached score() call returns in <= 1 s": bool((warm["warm_cache_s"] <= 1.0).all()),
        "exact ablation with the layer replay costs <= 0.6x one full forward per head": bool((ablation <= 0.6).all()),
        "chapter 9, caches off, takes <= 10 min at full size and <= 60 s at CI size": bool(chapter9["within_budget"].astype(bool).all()),
        "chapter 9 at full size peaks at <= 4 GB resident memory": bool((table["peak_memory_gb"].dropna() <= 4.0).all()),
        "book --size paper without the hub stops at the preflight (exit 2) in <= 10 s": bool(
            ((preflight["preflight_exit"] == 2) & (preflight["preflight_s"] <= 10.0)).all()
        ),
    }
    for name, ok in checks.items():
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


def _cmd_book(args: argparse.Namespace) -> int:
    from .book.build import ROOT, build, execute, overrides_for
    from .book.lock import check

    force = True if args.force == [] else (args.force or False)
    overrides = overrides_for("reuse_stale", True) if args.reuse_stale else None
    site = Path(args.site) if args.site else ROOT
    if args.execute_only:
        execute(size=args.size, force=force, only=args.only, overrides=overrides, site=site)
        return 0
    report = build(size=args.size, force=force, only=args.only, overrides=overrides, site=site)
    if report.get("not_current"):
        return 0
    try:  # a measurement, not a gate: the report is printed, the build stands
        print(check(site, args.size).markdown())
    except GedigError as exc:
        print(f"[claims] not checked against the lock: {exc}", file=sys.stderr)
    return 0


def _cmd_claims(args: argparse.Namespace) -> int:
    from .book import lock
    from .book.build import ROOT

    site = Path(args.site) if args.site else ROOT
    if args.readme:
        changed = lock.rewrite_readme()
        print(f"README claims section {'rewritten' if changed else 'already current'}", file=sys.stderr)
        return 0
    if args.update:
        diff = lock.update(site, args.size)
        print(diff or f"{lock.LOCK.name}: no change for size {args.size}")
        return 0
    report = lock.check(site, args.size)
    print(report.markdown())
    if args.junit:
        lock.write_junit(report, Path(args.junit))
    lock.to_step_summary(report)
    return 0 if report.ok else 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .book.build import powered_seed_count
    from .experiments.grid import load_grid, run_grid
    from .experiments.layout import warn_if_busy

    grid = load_grid(args.grid, seeds=args.seeds, auto_seeds=powered_seed_count)
    warn_if_busy("sweep")
    print(
        f"grid {grid.name}: {grid.n_runs} runs ({len(grid.models)} models × {len(grid.tasks)} tasks), executor {args.executor}",
        file=sys.stderr,
    )
    runs = run_grid(
        grid,
        executor=args.executor,
        address=args.address,
        cpus_per_task=args.cpus_per_task,
        progress=not args.quiet,
        reuse_stale=args.reuse_stale,
        layout=args.layout,
    )
    cols = ("model", "task", "control", "alpha", "seed", "accuracy", "final_F_author", "train_seconds", "layout")
    cols = [c for c in cols if c in runs.columns]
    print(runs[cols].to_string(index=False))
    return 0


def _cmd_preflight(args: argparse.Namespace) -> int:
    from .book import preflight
    from .book.profiles import get as get_profile

    profile = get_profile(args.size)
    report = preflight.for_profile(profile, gpu_gb=args.gpu_memory)
    print(report.text())
    return 0 if report.ok else 2


def _cmd_local_hub(args: argparse.Namespace) -> int:
    from .models.localhub import build_local_hub

    env = build_local_hub(args.folder)
    print("# the local hub is built; point the Hugging Face libraries at it:")
    for k, v in env.items():
        print(f"export {k}={v}")
    return 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from .figures.explorer import ExplorerConfig, explore, standalone_html
    from .util.io import atomic_write_text

    qs = tuple(args.q) if args.q else ExplorerConfig.qs
    cfg = ExplorerConfig(
        models=tuple(args.model),
        custom_texts=tuple(args.text or ()),
        presets=tuple(args.preset) if args.preset else ExplorerConfig.presets,
        qs=qs,
    )
    payload = explore(cfg, device=args.device, cache=not args.no_cache)
    page = standalone_html(payload)
    atomic_write_text(page, Path(args.out))
    heads = sum(m["layers"] * m["heads"] for m in payload["models"])
    print(
        f"wrote {args.out}: {heads} heads × {len(payload['models'][0]['texts'])} texts × {len(payload['configs'])} configurations, {len(page) / 1e6:.1f} MB"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: every subcommand, its options and the function that runs it."""
    parser = argparse.ArgumentParser(prog="python -m gedig", description="geDIG gauge on Transformer attention")
    parser.add_argument("--version", action="version", version=f"gedig {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("score", help="score models on a corpus and print the H1 summary (Table 2 row)")
    p.add_argument(
        "--model",
        action="append",
        help=f"model name, repeatable (embedded: {', '.join(EMBEDDED)}; hub ids online; '@random-init' suffix for untrained)",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--corpus", default="wiki-summaries", choices=list(CORPORA))
    source.add_argument(
        "--texts",
        metavar="FILE",
        default=None,
        help="your own texts: one per line (.txt), a .jsonl with a 'text' field, or a .csv/.parquet with a 'text' column; "
        "used as given, in file order",
    )
    p.add_argument("--n", type=int, default=200, help="number of texts drawn from --corpus")
    p.add_argument("--preset", default="published", choices=list(PRESETS))
    p.add_argument("--lam", type=float, default=None, help="override λ")
    p.add_argument("--q", type=float, default=None, help="override the threshold quantile q")
    p.add_argument(
        "--baseline",
        action="append",
        choices=list(ALL_BASELINES),
        help="baseline kind, repeatable (default: the paper's four; 'permuted' and 'entropy_matched' are structure-preserving nulls)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-chars", type=int, default=None, help="shortest text kept (corpora: 20; --texts: no limit unless given)")
    p.add_argument("--max-chars", type=int, default=None, help="longest text kept (corpora: 120; --texts: no limit unless given)")
    p.add_argument("--max-length", type=int, default=256, help="tokens scored per text (longer --texts stop the command unless --truncate)")
    p.add_argument("--truncate", action="store_true", help="cut --texts longer than --max-length tokens instead of stopping")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--dtype", default=None, choices=["float32", "bfloat16", "float16"], help="the model's dtype (bfloat16 for 8B models on a GPU)"
    )
    p.add_argument("--out", default=None, help="write the full table (.parquet or .csv)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_score)

    i = sub.add_parser(
        "importance", help="every head's F, entropy, confidence and importance (ablation, gradient) of a causal or masked language model"
    )
    i.add_argument("--model", action="append", help="a language model, repeatable (default: smollm2-135m)")
    i.add_argument(
        "--task",
        default="auto",
        choices=["auto", "causal-lm", "masked-lm"],
        help="the metric: next-token or masked-token cross-entropy (auto: the checkpoint's own)",
    )
    source_i = i.add_mutually_exclusive_group()
    source_i.add_argument("--corpus", default="wiki-summaries", choices=list(CORPORA))
    source_i.add_argument("--texts", metavar="FILE", default=None, help="your own texts (as for score --texts)")
    i.add_argument("--n", type=int, default=50, help="number of texts drawn from --corpus")
    i.add_argument("--preset", action="append", choices=list(PRESETS), help="preset, repeatable (default: published, as_written)")
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("--min-chars", type=int, default=None)
    i.add_argument("--max-chars", type=int, default=None)
    i.add_argument("--truncate", action="store_true", help="cut --texts longer than 256 tokens instead of stopping")
    i.add_argument("--device", default="auto")
    i.add_argument("--out", default=None, help="write the per-head table (.parquet or .csv)")
    i.add_argument("--quiet", action="store_true", help="no progress bars")
    i.set_defaults(func=_cmd_importance, model=None, default_model="smollm2-135m")

    b = sub.add_parser("bench", help="batched gauge vs networkx reference: speed and agreement")
    b.add_argument("--model", action="append", help="models to include (default: both embedded)")
    b.add_argument("--n", type=int, default=200, help="texts per model")
    b.add_argument("--heads", type=int, default=2000, help="synthetic matrices per length")
    b.add_argument(
        "--ray-sweep", action="store_true", help="only: 4 tiny fine-tuning runs on 2 local Ray workers against the local executor"
    )
    b.add_argument("--layouts", action="store_true", help="only: the chapter-6 step's rate serially and as parallel workers")
    b.add_argument("--importance", action="store_true", help="only: exact ablation with the layer replay against one forward per head")
    b.add_argument(
        "--chapter9",
        nargs="?",
        const="full",
        choices=("full", "ci"),
        help="only: chapter 9 at this size (default full), its parts timed, caches off",
    )
    b.set_defaults(func=_cmd_bench)

    k = sub.add_parser("book", help="execute the notebooks, evaluate the claims and build the HTML book")
    k.add_argument(
        "--size",
        default="full",
        choices=list(PROFILES),
        help="the book profile: full (stand-ins, the paper's counts), ci (stand-ins, small), paper (the paper's models; hub and GPU), paper-tiny (a local hub)",
    )
    k.add_argument(
        "--force",
        nargs="*",
        metavar="CHAPTER",
        default=None,
        help="re-execute these chapters (e.g. 06), or every one without a name, even when current",
    )
    k.add_argument("--only", nargs="+", metavar="CHAPTER", default=None, help="bring only these chapters up to date (e.g. 06)")
    k.add_argument(
        "--reuse-stale",
        action="store_true",
        help="keep fine-tuning runs made by other training code or data instead of running them again (chapter 6 marks them)",
    )
    k.add_argument("--execute-only", action="store_true", help="only execute the notebooks into book/executed (no claims, no HTML)")
    k.add_argument(
        "--site",
        default=None,
        help="build in this folder (a copy of the book's pages, see gedig.book.build.new_site); default: the repository",
    )
    k.set_defaults(func=_cmd_book, model=[])

    c = sub.add_parser("claims", help="check the computed verdicts against the verdict lock, or update it")
    mode = c.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 if any verdict differs from gedig/book/claims.lock.yml")
    mode.add_argument("--update", action="store_true", help="rewrite the lock's entry for --size and print the diff")
    mode.add_argument("--readme", action="store_true", help="rewrite the README's generated claims section from the lock")
    c.add_argument("--size", default="ci", choices=list(PROFILES))
    c.add_argument("--junit", default=None, help="also write JUnit XML, one test case per claim")
    c.add_argument("--site", default=None, help="the book folder whose book/executed/ holds the chapters (default: this repository)")
    c.set_defaults(func=_cmd_claims, model=[])

    w = sub.add_parser("sweep", help="run a fine-tuning grid file (grids/*.yml), locally or on a Ray cluster")
    w.add_argument("grid", help="a grid file, e.g. grids/paper.yml")
    w.add_argument("--executor", default="local", choices=["local", "ray"])
    w.add_argument(
        "--address", default=None, help="Ray cluster: 'auto' (this machine's cluster) or ray://host:10001; none starts a local one"
    )
    w.add_argument("--cpus-per-task", type=int, default=1, help="CPUs per run on a cluster without GPUs (torch threads pinned to match)")
    w.add_argument(
        "--layout",
        default="auto",
        help="local runs: 'auto' (serial or parallel workers, whichever step rate is measured faster here), 'serial', or 'KxT' (K workers × T threads)",
    )
    w.add_argument("--seeds", type=int, default=None, help="override the grid's seeds with this many")
    w.add_argument("--quiet", action="store_true")
    w.add_argument("--reuse-stale", action="store_true", help="keep runs made by other training code or data (default: run them again)")
    w.set_defaults(func=_cmd_sweep, model=[])

    f = sub.add_parser("preflight", help="check what a book profile needs (hub, gated access, GPU memory, disk) and estimate its run time")
    f.add_argument("--size", default="paper", choices=[name for name, p in PROFILES.items() if p.needs_hub])
    f.add_argument("--gpu-memory", type=float, default=None, help="plan for a GPU with this many GB free instead of this machine's")
    f.set_defaults(func=_cmd_preflight, model=[])

    h = sub.add_parser(
        "local-hub", help="build tiny models under the paper's hub ids and tiny WikiText-2/GLUE in a local Hugging Face cache"
    )
    h.add_argument("folder", help="where to build it (hub/ and datasets/ inside)")
    h.set_defaults(func=_cmd_local_hub, model=[])

    e = sub.add_parser("explore", help="write the head explorer as one self-contained HTML page (works offline)")
    e.add_argument("--model", action="append", help=f"model, repeatable (default: {', '.join(EMBEDDED)})")
    e.add_argument("--text", action="append", help="your text, repeatable (default: the book's curated sentences)")
    e.add_argument("--preset", action="append", choices=list(PRESETS), help="preset, repeatable (default: published, as_written)")
    e.add_argument("--q", action="append", type=float, help="threshold quantile, repeatable (default: 0.5–0.95); τ = 0.01 is always added")
    e.add_argument("--device", default="auto")
    e.add_argument("--no-cache", action="store_true")
    e.add_argument("--out", required=True, help="the HTML file to write")
    e.set_defaults(func=_cmd_explore)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a GedigError is one line on stderr and exit 2, Ctrl-C exit 130."""
    args = build_parser().parse_args(argv)
    if getattr(args, "model", None) is None:
        args.model = [args.default_model] if getattr(args, "default_model", None) else list(EMBEDDED)
    try:
        return args.func(args)
    except BookInterrupted as exc:
        print(f"[book] {exc}", file=sys.stderr)
        return 130
    except PreflightFailed:
        return 2  # the report is already printed
    except KeyboardInterrupt:
        print("interrupted: finished work is kept in the cache; run the same command again to resume", file=sys.stderr)
        return 130
    except GedigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
