"""The book pipeline: execute the notebooks with papermill (never in place), evaluate the claims,
vendor MathJax, and build the HTML with Jupyter Book 1.x, warnings as errors.

Each notebook is re-executed only when its source, its parameters or the library changed (a stamp
beside the executed copy records that); scoring results are shared through the library's cache, so
chapters never recompute each other's attention.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .cache import atomic_write_text
from .claims import evaluate, load_measures, render_markdown, tally
from .errors import GedigError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("01_theory", "02_graph_mapping", "03_h1_real_vs_random", "04_h2_layer_transition", "05_head_diversity", "06_f_regularization")
SITE_FILES = ("_config.yml", "_toc.yml", "book/intro.md", "book/claims.md", "book/provenance.md", "book/data.md")
MATHJAX_VERSION = "3.2.2"
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "full": {},
    "ci": {
        "02_graph_mapping": {"n_texts": 12},
        "03_h1_real_vs_random": {"n_texts": 12},
        "04_h2_layer_transition": {"n_texts": 12},
        "05_head_diversity": {"n_texts": 12},
        "06_f_regularization": {
            "alphas": [0, 0.001, 0.01, 1.0],
            "seeds": [42, 123],
            "n_train": 160,
            "n_eval": 80,
            "epochs": 1,
            "measure_overhead": False,
        },
    },
}


def _library_hash() -> str:
    h = hashlib.sha256()
    for path in sorted((ROOT / "gedig").rglob("*")):
        if path.suffix in (".py", ".yml", ".csv"):
            h.update(path.read_bytes())
    return h.hexdigest()


def _stamp(name: str, parameters: dict[str, Any]) -> str:
    src = (ROOT / "notebooks" / f"{name}.py").read_bytes()
    return hashlib.sha256(src + json.dumps(parameters, sort_keys=True).encode() + _library_hash().encode()).hexdigest()


def execute(names: tuple[str, ...] = NOTEBOOKS, *, size: str = "full", force: bool = False, site: Path = ROOT) -> dict[str, float]:
    """Execute notebooks into ``site/book/executed``; returns seconds per notebook (0 when reused)."""
    import jupytext
    import papermill

    if size not in SIZES:
        raise GedigError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    out_dir = site / "book" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    for name in names:
        params = SIZES[size].get(name, {})
        stamp_file = out_dir / f"{name}.stamp"
        stamp = _stamp(name, params)
        done = (out_dir / f"{name}.ipynb").exists() and (out_dir / f"{name}.json").exists()
        if not force and done and stamp_file.exists() and stamp_file.read_text() == stamp:
            timings[name] = 0.0
            print(f"[book] {name}: unchanged, reused", file=sys.stderr)
            continue
        stamp_file.unlink(missing_ok=True)
        (out_dir / f"{name}.json").unlink(missing_ok=True)
        print(f"[book] executing {name} {params or ''}", file=sys.stderr)
        t0 = time.perf_counter()
        nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
        tmp = out_dir / f".{name}.running.ipynb"
        papermill.execute_notebook(nb, str(tmp), parameters=params, kernel_name="python3", cwd=str(out_dir), progress_bar=False)
        tmp.replace(out_dir / f"{name}.ipynb")
        if not (out_dir / f"{name}.json").exists():
            raise GedigError(f"notebook {name} ran but wrote no {name}.json measures")
        atomic_write_text(stamp, stamp_file)
        timings[name] = time.perf_counter() - t0
        print(f"[book] {name}: {timings[name]:.1f} s", file=sys.stderr)
    return timings


def write_claims(site: Path = ROOT) -> dict[str, int]:
    """Evaluate every registered claim on the notebooks' measures; write the claims table, the
    tally for the first page and the provenance table of the executed notebooks."""
    generated = site / "book" / "_generated"
    measures = load_measures(site / "book" / "executed")
    table = evaluate(measures)
    counts = tally(table)
    atomic_write_text(render_markdown(table), generated / "claims_table.md")
    tally_md = ", ".join(f"**{n}** {v}" for v, n in counts.items())
    atomic_write_text(
        f"Of {len(table)} registered claims: {tally_md}. Every verdict is computed from the executed notebooks (see [Claims](claims.md)).\n",
        generated / "tally.md",
    )
    rows = ["| notebook | git commit | code version | gedig | torch | executed (UTC) | parameters |", "|---|---|---|---|---|---|---|"]
    for name in NOTEBOOKS:
        k = f"provenance.{name}"
        if f"{k}.code_version" in measures:
            params = str(measures[f"{k}.parameters"]).replace("|", "\\|")
            rows.append(
                f"| {name} | {measures[f'{k}.git_commit']} | {measures[f'{k}.code_version']} | {measures[f'{k}.gedig']} | {measures[f'{k}.torch']} | {measures[f'{k}.executed_at']} | `{params}` |"
            )
    atomic_write_text("\n".join(rows) + "\n", generated / "provenance_table.md")
    return counts


def vendor_mathjax(site: Path = ROOT) -> Path:
    """MathJax 3 from the npm registry into book/vendor/mathjax (served locally: the book works offline)."""
    target = site / "book" / "vendor" / "mathjax"
    if (target / "tex-mml-chtml.js").exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise GedigError("npm is needed once to fetch MathJax for the offline book (apt-get install npm, or any Node.js)")
    prefix = ROOT / ".cache" / "npm"
    subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix), f"mathjax@{MATHJAX_VERSION}"], check=True
    )
    es5 = prefix / "node_modules" / "mathjax" / "es5"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-mml-chtml.js", target / "tex-mml-chtml.js")
    fonts = target / "output" / "chtml" / "fonts" / "woff-v2"
    shutil.copytree(es5 / "output" / "chtml" / "fonts" / "woff-v2", fonts, dirs_exist_ok=True)
    return target


def build_html(site: Path = ROOT) -> float:
    """jupyter-book build with warnings as errors; returns seconds."""
    t0 = time.perf_counter()
    exe = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(exe), "build", str(site), "-W", "-n", "--keep-going"], cwd=site, capture_output=True, text=True)
    if result.returncode != 0:
        raise GedigError(f"jupyter-book build failed (warnings count as errors):\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - t0


def new_site(target: Path) -> Path:
    """A copy of the book's sources (config, toc, pages) in ``target``, to build away from the repository."""
    for rel in SITE_FILES:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target / rel)
    return target


def build(*, size: str = "full", force: bool = False, site: Path = ROOT) -> dict[str, Any]:
    """The whole book: notebooks, claims, MathJax, HTML. Returns timings and the verdict tally."""
    t0 = time.perf_counter()
    timings = execute(size=size, force=force, site=site)
    counts = write_claims(site)
    vendor_mathjax(site)
    html = build_html(site)
    total = time.perf_counter() - t0
    print(f"[book] notebooks {sum(timings.values()):.1f} s, html {html:.1f} s, total {total:.1f} s; verdicts {counts}", file=sys.stderr)
    return {"notebooks": timings, "html_s": html, "total_s": total, "tally": counts}
