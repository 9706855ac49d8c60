"""Command line: ``python -m gedig score`` (the H1 summary, Table 2 style) and ``python -m gedig bench``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from . import __version__
from .config import PRESETS, GaugeConfig
from .corpora import CORPORA, load_texts
from .errors import GedigError
from .models import EMBEDDED

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


def _cmd_score(args: argparse.Namespace) -> int:
    from .scoring import score
    from .stats import summarize

    cfg = GaugeConfig.from_name(args.preset)
    if args.lam is not None:
        cfg = cfg.replace(lam=args.lam)
    if args.q is not None:
        cfg = cfg.replace(q=args.q)
    texts = load_texts(args.corpus, n=args.n, seed=args.seed, min_chars=args.min_chars, max_chars=args.max_chars)
    tables = []
    for model in args.model:
        t0 = time.perf_counter()
        tables.append(
            score(
                model,
                texts,
                config=cfg,
                seed=args.seed,
                batch_size=args.batch_size,
                device=args.device,
                cache=not args.no_cache,
                progress=not args.quiet,
            )
        )
        print(f"scored {model} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    table = pd.concat(tables, ignore_index=True)
    if args.out:
        out = Path(args.out)
        if out.suffix == ".csv":
            table.to_csv(out, index=False)
        else:
            from .cache import atomic_write_parquet

            atomic_write_parquet(table, out)
        print(f"wrote {len(table)} rows to {out}", file=sys.stderr)
    print(
        f"H1 summary: ΔF = F_real − F_baseline (positive: real attention closer to 0); corpus {args.corpus}, n = {args.n}, seed {args.seed}"
    )
    print(format_h1(summarize(table, seed=args.seed)))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    table = run_bench(args.model, n_texts=args.n, n_heads=args.heads)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    syn = table[table["case"].str.startswith("synthetic")]
    models = table[~table["case"].str.startswith("synthetic")]
    checks = {
        "speedup >= 100x at every synthetic L": bool((syn["speedup"] >= 100).all()),
        "max |dF| <= 1e-9 everywhere": bool((table["max_abs_dF"] <= 1e-9).all()),
        "gauge <= 25% of forward time on every model": bool((models["gauge_share_of_forward"] <= 0.25).all()),
    }
    for name, ok in checks.items():
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


def _cmd_book(args: argparse.Namespace) -> int:
    from .book import build

    build(size=args.size, force=args.force)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gedig", description="geDIG gauge on Transformer attention")
    parser.add_argument("--version", action="version", version=f"gedig {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("score", help="score models on a corpus and print the H1 summary (Table 2 row)")
    p.add_argument(
        "--model",
        action="append",
        help=f"model name, repeatable (embedded: {', '.join(EMBEDDED)}; hub ids online; '@random-init' suffix for untrained)",
    )
    p.add_argument("--corpus", default="wiki-summaries", choices=list(CORPORA))
    p.add_argument("--n", type=int, default=200, help="number of texts")
    p.add_argument("--preset", default="published", choices=list(PRESETS))
    p.add_argument("--lam", type=float, default=None, help="override λ")
    p.add_argument("--q", type=float, default=None, help="override the threshold quantile q")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-chars", type=int, default=20)
    p.add_argument("--max-chars", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default=None, help="write the full table (.parquet or .csv)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_score)

    b = sub.add_parser("bench", help="batched gauge vs networkx reference: speed and agreement")
    b.add_argument("--model", action="append", help="models to include (default: both embedded)")
    b.add_argument("--n", type=int, default=200, help="texts per model")
    b.add_argument("--heads", type=int, default=2000, help="synthetic matrices per length")
    b.set_defaults(func=_cmd_bench)

    k = sub.add_parser("book", help="execute the notebooks, evaluate the claims and build the HTML book")
    k.add_argument("--size", default="full", choices=["full", "ci"], help="full: default sizes; ci: small texts counts")
    k.add_argument("--force", action="store_true", help="re-execute notebooks even when unchanged")
    k.set_defaults(func=_cmd_book, model=[])

    args = parser.parse_args(argv)
    if getattr(args, "model", None) is None:
        args.model = list(EMBEDDED)
    try:
        return args.func(args)
    except GedigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
