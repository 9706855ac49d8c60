"""The book pipeline: execute the notebooks with papermill (never in place), evaluate the claims,
vendor MathJax, and build the HTML with Jupyter Book 1.x, warnings as errors.

Each notebook is re-executed only when its source, its parameters or the library changed (a stamp
beside the executed copy records that); scoring results are shared through the library's cache, so
chapters never recompute each other's attention.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import GedigError
from ..experiments.layout import warn_if_busy
from ..util.io import atomic_write, atomic_write_text, cache_dir
from ..util.paths import PACKAGE, ROOT, notebook_path
from ..util.progress import say
from ..util.versions import LIBRARIES, code_version, file_digest, imports_of_source, library_version, module_digests
from . import chapters, preflight, takeaways
from .claims import evaluate, measure_sources, render_markdown, tally
from .measures import undeclared
from .named import family as measures_family
from .named import read
from .notebook import CONTEXT_VARIABLE
from .profiles import get as get_profile

SITE_FILES = (
    "_config.yml",
    "_toc.yml",
    "book/intro.md",
    "book/claims.md",
    "book/provenance.md",
    "book/data.md",
    "book/audit.md",
    "book/_ext/dedupe_assets.py",
    "book/_ext/plotly_assets.py",
    "book/assets/gedig.css",
)
PLACEHOLDER_REPOSITORY = "https://github.com/gedig-companion/gedig-companion"
"""_config.yml's repository until a fork sets its own: the Binder and launch buttons stay off."""
MATHJAX_VERSION = "3.2.2"


def chapter_parameters(size: str, name: str, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A chapter's papermill parameters under profile ``size`` (``full``, ``ci``, ``paper``, ``paper-tiny``)."""
    get_profile(size)
    return {**chapters.get(name).parameters(size), **(overrides or {}).get(name, {})}


def overrides_for(parameter: str, value: Any) -> dict[str, dict[str, Any]]:
    """``parameter = value`` for every chapter whose parameters cell has it (``--reuse-stale``)."""
    return {name: {parameter: value} for name in chapters.names() if parameter in notebook_defaults(name)}


def chapter_context(name: str) -> dict[str, Any]:
    """What a chapter's kernel is told about itself (``gedig.book.notebook.finish`` reads it): its
    name, its notebook, the names of its parameters, and the sentence that closes its takeaway."""
    chapter = chapters.get(name)
    return {
        "name": name,
        "notebook": notebook_path(chapter.notebook),
        "parameters": list(notebook_defaults(name)),
        "next": chapters.next_sentence(name),
    }


def chapter_state(name: str, parameters: dict[str, Any], *, root: Path = PACKAGE) -> dict[str, Any]:
    """What a chapter's results depend on, as its stamp records it: the notebook's source, its
    parameters, the version of each gedig module it imports (transitively; normalised source, so a
    docstring or a comment moves nothing), and the pinned library versions."""
    source = chapters.get(name).notebook.read_text(encoding="utf-8")
    imports = imports_of_source(source, root)
    return {
        "notebook": hashlib.sha256(source.encode()).hexdigest()[:12],
        "context": chapter_context(name),
        "parameters": json.loads(json.dumps(parameters, sort_keys=True)),
        "code": code_version(*imports, root=root, libraries=False),
        "modules": module_digests(*imports, root=root),
        "libraries": {lib: library_version(lib) for lib in LIBRARIES},
    }


def stale_reasons(stamp: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Why a chapter executed under ``stamp`` is not current: what changed, by name."""
    why = []
    if stamp.get("notebook") != now["notebook"]:
        why.append("the notebook changed")
    if stamp.get("context") != now["context"]:
        why.append("its place in the book changed")
    if stamp.get("parameters") != now["parameters"]:
        why.append(f"its parameters changed ({stamp.get('parameters')} → {now['parameters']})")
    if stamp.get("code") != now["code"]:  # the code it runs changed in content (a move alone changes nothing here)
        before, after = stamp.get("modules", {}), now["modules"]
        named = [f"{mod} changed" for mod in sorted(set(before) & set(after)) if before[mod] != after[mod]]
        named += [f"it now imports {mod}" for mod in sorted(set(after) - set(before))]
        named += [f"it no longer imports {mod}" for mod in sorted(set(before) - set(after))]
        if len(named) > 6:
            named = [*named[:5], f"and {len(named) - 5} more modules"]
        why += named or ["the gedig code it imports changed"]
    for lib, version in now["libraries"].items():
        if stamp.get("libraries", {}).get(lib) != version:
            why.append(f"{lib} {stamp.get('libraries', {}).get(lib)} → {version}")
    for path, digest in sorted(stamp.get("inputs", {}).items()):
        current = file_digest(Path(path))
        if current != digest:
            what = "appeared" if digest == "absent" else "disappeared" if current == "absent" else "changed"
            why.append(f"input {_short_path(path)} {what}")
    return why


def _short_path(path: str) -> str:
    p = Path(path)
    for base, label in ((ROOT, ""), (cache_dir(), "$GEDIG_CACHE/")):
        try:
            return label + str(p.relative_to(base))
        except ValueError:
            continue
    return str(p)


def chapter_status(name: str, parameters: dict[str, Any], out_dir: Path, *, root: Path = PACKAGE) -> list[str]:
    """Why the executed chapter in ``out_dir`` cannot be used as it is ([] when it is current)."""
    stamp_file = out_dir / f"{name}.stamp"
    if not (out_dir / f"{name}.ipynb").exists() or not (out_dir / f"{name}.json").exists() or not stamp_file.exists():
        return ["not executed"]
    try:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ["its stamp is unreadable"]
    if not isinstance(stamp, dict):
        return ["its stamp is from an older gedig"]
    return stale_reasons(stamp, chapter_state(name, parameters, root=root))


class PreflightFailed(GedigError):
    """The paper profile's preflight found something missing; its report says what."""


class BookInterrupted(GedigError):
    """Ctrl-C during the book: what was kept, and how to resume."""


@contextlib.contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """One build per folder at a time: a second ``make book`` waits for the first, then reuses its
    notebooks (stamps) and its cache entries instead of writing the same files beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".build.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            say(f"[book] another build is running in {out_dir} (pid {fh.read().strip() or '?'}); waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """End papermill and its kernel (which runs in a session of its own) without tracebacks."""
    import psutil

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, alive = psutil.wait_procs(family, timeout=10)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    proc.wait()


_NOISE = ("Kernel is running over TCP without encryption",)


def _relay(stream: IO[str]) -> None:
    """Pass the child's stderr (papermill, and the kernel's progress lines) on to ours, minus the
    kernel's start-up warning that says nothing about this build."""
    for line in stream:
        if not any(n in line for n in _NOISE):
            sys.stderr.write(line)
            sys.stderr.flush()


def _run_papermill(name: str, params: dict[str, Any], out_dir: Path) -> Path:
    """Execute one notebook in a child process of its own session: Ctrl-C reaches only us, and we
    stop the child and its kernel cleanly. The kernel's own stderr (progress lines) streams through."""
    import jupytext

    src = out_dir / f".{name}.input.ipynb"
    nb = jupytext.read(chapters.get(name).notebook)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})  # a script without a header
    jupytext.write(nb, src)
    params_file = out_dir / f".{name}.parameters.json"
    params_file.write_text(json.dumps(params))
    tmp = out_dir / f".{name}.running.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(src), str(tmp), "-f", str(params_file), "-k", "python3"]
    cmd += ["--cwd", str(out_dir), "--no-progress-bar", "--log-level", "ERROR"]
    env = {**os.environ, CONTEXT_VARIABLE: json.dumps(chapter_context(name))}
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    relay = threading.Thread(target=_relay, args=(proc.stderr,), daemon=True)
    relay.start()
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        _stop_tree(proc)
        raise
    finally:
        relay.join(timeout=5)
    if rc != 0:
        raise GedigError(f"notebook {name} failed (papermill exit {rc}; the error is printed above); partial output: {tmp}")
    src.unlink(missing_ok=True)
    params_file.unlink(missing_ok=True)
    return tmp


def notebook_defaults(name: str) -> dict[str, Any]:
    """The values the notebook's ``parameters`` cell sets (its full-size defaults)."""
    import ast

    import jupytext

    nb = jupytext.read(chapters.get(name).notebook)
    cell = next((c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    out = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def size_banner(name: str, size: str, params: dict[str, Any]) -> str:
    """What this build of the chapter is: its profile, what that binds, and every parameter that
    differs from the chapter's full-size default (computed from the profile and the notebook)."""
    profile = get_profile(size)
    defaults = notebook_defaults(name)

    def show(key: str, value: Any) -> str:
        if key.startswith("n_") and value is None:
            return f"{key} = every text the selection yields"
        return f"{key} = {value}"

    changed = [
        f"{show(k, v)} (full size: {defaults[k]})" for k, v in params.items() if k != "profile" and k in defaults and defaults[k] != v
    ]
    sizes = f" This chapter ran with {'; '.join(changed)}." if changed else " This chapter ran at its full-size parameters."
    return f"```{{note}}\nBuilt under the book profile **`{profile.name}`** ({profile.title}): {profile.description}.{sizes}\n```"


def finish_page(path: Path, name: str, size: str, params: dict[str, Any]) -> None:
    """Ready an executed notebook for the page: the parameter cells (the defaults and papermill's
    override) are removed from the page, and a note after the title says which build this is."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    recorded = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):  # the build's temporary files, at this checkout's absolute path
        recorded.pop(key, None)
    if recorded:
        recorded["input_path"] = notebook_path(chapters.get(name).notebook)
    banner = nbformat.v4.new_markdown_cell(size_banner(name, size, params))
    banner.metadata["tags"] = ["gedig-size"]
    nb.cells.insert(1, banner)
    nbformat.write(nb, path)


def select_chapters(names: tuple[str, ...], wanted: list[str] | None) -> set[str]:
    """Chapters named by a prefix or a full name ('06', or the whole notebook name); an unknown one is an error."""
    if wanted is None:
        return set(names)
    chosen = set()
    for w in wanted:
        hits = [n for n in names if n.startswith(w)]
        if not hits:
            raise GedigError(f"no chapter {w!r}; the chapters are {', '.join(names)}")
        chosen |= set(hits)
    return chosen


def execute(
    names: tuple[str, ...] | None = None,
    *,
    size: str = "full",
    force: bool | list[str] = False,
    only: list[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    site: Path = ROOT,
) -> dict[str, float]:
    """Execute notebooks into ``site/book/executed``; returns seconds per notebook (0 when reused).

    A chapter runs again only when its stamp says something it depends on changed, and the line
    that announces it names what (a module, an input, the notebook, its parameters). ``only``
    limits the build to some chapters; ``force`` re-executes all (True) or the named ones.
    ``overrides`` adds parameters per chapter (e.g. chapter 6's ``reuse_stale``). One line per
    notebook started and finished goes to the terminal; chapter 6 adds one line per finished
    fine-tuning run. Ctrl-C stops the running notebook and raises ``BookInterrupted`` with a
    one-line summary of what was kept.
    """
    get_profile(size)
    warn_if_busy("book")
    names = chapters.names() if names is None else names
    selected = select_chapters(names, only)
    forced = set(names) if force is True else select_chapters(names, list(force)) if force else set()
    out_dir = site / "book" / "executed"
    timings: dict[str, float] = {}
    with _build_lock(out_dir):
        for k, name in enumerate(names, 1):
            if name not in selected:
                continue
            params = chapter_parameters(size, name, overrides)
            reasons = ["forced"] if name in forced else chapter_status(name, params, out_dir)
            if not reasons:
                timings[name] = 0.0
                say(f"[book] {k}/{len(names)} {name}: unchanged, reused")
                continue
            (out_dir / f"{name}.stamp").unlink(missing_ok=True)
            (out_dir / f"{name}.json").unlink(missing_ok=True)
            (out_dir / f"{name}.inputs.json").unlink(missing_ok=True)
            say(f"[book] {k}/{len(names)} {name}: executing ({'; '.join(reasons)}) with {params or 'default parameters'}")
            t0 = time.perf_counter()
            try:
                tmp = _run_papermill(name, params, out_dir)
            except KeyboardInterrupt:
                raise BookInterrupted(
                    f"interrupted in {name} after {(time.perf_counter() - t0) / 60:.1f} min. Kept: "
                    f"{k - 1} finished notebook(s) and every finished scoring batch and fine-tuning run in "
                    f"{cache_dir()}. Run the same command again to resume from there."
                ) from None
            finish_page(tmp, name, size, params)
            tmp.replace(out_dir / f"{name}.ipynb")
            if not (out_dir / f"{name}.json").exists():
                raise GedigError(f"notebook {name} ran but wrote no {name}.json measures (its last cell calls gedig.book.notebook.finish)")
            stray = undeclared(json.loads((out_dir / f"{name}.json").read_text(encoding="utf-8")), chapters.get(name).measures)
            if stray:
                raise GedigError(f"notebook {name} wrote measures its registry entry does not declare (gedig.book.chapters): {stray[:8]}")
            inputs_file = out_dir / f"{name}.inputs.json"
            inputs = json.loads(inputs_file.read_text(encoding="utf-8")) if inputs_file.exists() else {}
            atomic_write_text(
                json.dumps({**chapter_state(name, params), "inputs": inputs}, indent=1, sort_keys=True), out_dir / f"{name}.stamp"
            )
            timings[name] = time.perf_counter() - t0
            say(f"[book] {k}/{len(names)} {name}: finished in {timings[name] / 60:.1f} min")
    return timings


def write_claims(site: Path = ROOT) -> dict[str, int]:
    """Evaluate every registered claim on the notebooks' measures; write the claims table, the
    tally for the first page and the provenance table of the executed notebooks."""
    generated = site / "book" / "_generated"
    measures, sources = measure_sources(site / "book" / "executed")
    table = evaluate(measures, sources=sources)
    counts = tally(table)
    atomic_write_text(render_markdown(table, chapter_titles()), generated / "claims_table.md")
    atomic_write_text(takeaways.headline(table, measures), generated / "tally.md")
    rows = ["| notebook | git commit | code version | executed (UTC) | parameters |", "|---|---|---|---|---|"]
    libs = ""
    for name in chapters.names():
        k = f"provenance.{name}"
        if f"{k}.code_version" in measures:
            params = str(measures[f"{k}.parameters"]).replace("|", "\\|").replace("_", "\\_")
            rows.append(
                f"| {name} | {measures[f'{k}.git_commit']} | {measures[f'{k}.code_version']} | {measures[f'{k}.executed_at']} | {params} |"
            )
            libs = f"gedig {measures[f'{k}.gedig']}, torch {measures[f'{k}.torch']}, transformers {measures[f'{k}.transformers']}, numpy {measures[f'{k}.numpy']}"
    rows += ["", f"Libraries: {libs}. The code version is the hash of the gedig code each chapter imports (its normalised source)."]
    atomic_write_text("\n".join(rows) + "\n", generated / "provenance_table.md")
    profile = get_profile(str(measures.get("profile", "full")))
    freg = measures_family("freg.gain_pp.alpha{alpha}")[0]  # the F-regularisation chapter
    parameters = measures.get(f"provenance.{freg}.parameters")
    if parameters is None:
        raise GedigError(f"the chapter {freg} recorded no parameters: run the book (python -m gedig book) first")
    summary = takeaways.audit_freg(measures, table, parameters=parameters, model_label=profile.label("distilbert-sst2"))
    atomic_write_text(summary, generated / "freg_summary.md")
    return counts


def chapter_titles() -> dict[str, str]:
    """Each chapter's heading ("3. H1: …"), for links to it."""
    return {c.name: c.heading for c in chapters.registry()}


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


def vendor_plotly(site: Path = ROOT) -> Path:
    """plotly.js from the pinned plotly wheel (the copy its figures expect) into book/vendor/plotly."""
    from plotly.offline import get_plotlyjs_version

    from ..figures.interactive import plotly_js_path

    source = plotly_js_path()
    target = site / "book" / "vendor" / "plotly" / "plotly.min.js"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        atomic_write(target, lambda tmp: shutil.copyfile(source, tmp))
    say(
        f"[book] plotly.js {get_plotlyjs_version()} vendored ({target.stat().st_size / 1e6:.1f} MB, loaded only on pages with interactive figures)"
    )
    return target


def site_config(site: Path = ROOT) -> Path:
    """The config the HTML build uses: _config.yml as it is, or, while its repository is the
    placeholder, a copy without the Binder and launch buttons (they would point at nothing)."""
    import yaml

    source = site / "_config.yml"
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    url = (config.get("repository") or {}).get("url", "")
    if url and url != PLACEHOLDER_REPOSITORY:
        return source
    config["launch_buttons"] = {
        **(config.get("launch_buttons") or {}),
        "binderhub_url": "",
        "jupyterhub_url": "",
        "colab_url": "",
        "thebe": False,
    }
    target = site / ".gedig-build-config.yml"  # beside _config.yml: its relative paths (extensions) resolve the same
    atomic_write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), target)
    return target


def build_html(site: Path = ROOT) -> float:
    """jupyter-book build with warnings as errors, its table of contents from the chapter registry; returns seconds."""
    import yaml

    t0 = time.perf_counter()
    exe = Path(sys.executable).with_name("jupyter-book")
    toc = site / ".gedig-build-toc.yml"  # the registry's table of contents (_toc.yml is the same for the registered chapters)
    atomic_write_text(yaml.safe_dump(chapters.toc(), sort_keys=False, allow_unicode=True), toc)
    cmd = [str(exe), "build", str(site), "-W", "-n", "--keep-going", "--config", str(site_config(site)), "--toc", str(toc)]
    result = subprocess.run(cmd, cwd=site, capture_output=True, text=True)
    if result.returncode != 0:
        raise GedigError(f"jupyter-book build failed (warnings count as errors):\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    for asset in (site / "book" / "assets").glob("*"):  # an incremental Sphinx build keeps an older copy in _static: refresh ours
        shutil.copy2(asset, site / "_build" / "html" / "_static" / asset.name)
    return time.perf_counter() - t0


def new_site(target: Path) -> Path:
    """A copy of the book's sources (config, toc, pages) in ``target``, to build away from the repository."""
    for rel in SITE_FILES:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target / rel)
    return target


def build(
    *,
    size: str = "full",
    force: bool | list[str] = False,
    only: list[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    site: Path = ROOT,
) -> dict[str, Any]:
    """The whole book: notebooks, claims, MathJax, HTML. Returns timings and the verdict tally.
    With ``only``, the named chapters are brought up to date, and the HTML is built when every
    other chapter is current too (else the report says which are not)."""
    t0 = time.perf_counter()
    overrides = {**(overrides or {})}
    profile = get_profile(size)
    if profile.needs_hub:
        report = preflight.for_profile(profile)
        say(report.text())
        if not report.ok:
            raise PreflightFailed(report.text())
        if report.batch_sizes:  # every chapter that scores takes them
            for chapter in (n for n in chapters.names() if "batch_sizes" in notebook_defaults(n)):
                overrides[chapter] = {**overrides.get(chapter, {}), "batch_sizes": report.batch_sizes}
    timings = execute(size=size, force=force, only=only, overrides=overrides, site=site)
    out_dir = site / "book" / "executed"
    behind = {n: r for n in chapters.names() if (r := chapter_status(n, chapter_parameters(size, n, overrides), out_dir))}
    if behind:
        listed = "; ".join(f"{n}: {', '.join(r)}" for n, r in behind.items())
        say(f"[book] HTML not built: {len(behind)} chapter(s) not current ({listed})")
        return {"notebooks": timings, "html_s": 0.0, "total_s": time.perf_counter() - t0, "tally": {}, "not_current": behind}
    counts = write_claims(site)
    vendor_mathjax(site)
    vendor_plotly(site)
    html = build_html(site)
    total = time.perf_counter() - t0
    say(f"[book] notebooks {sum(timings.values()):.1f} s, html {html:.1f} s, total {total:.1f} s; verdicts {counts}")
    return {"notebooks": timings, "html_s": html, "total_s": total, "tally": counts}


def executed_measures(site: Path = ROOT) -> dict[str, Any]:
    """Every measure the executed chapters in ``site`` wrote."""
    return measure_sources(site / "book" / "executed")[0]


def powered_seed_count(site: Path = ROOT) -> int:
    """The seeds per arm the F-regularisation chapter's power analysis asked for (``seeds: auto`` in
    a grid file); an error naming what to run when the chapter has not run."""
    try:
        n = int(read(executed_measures(site), "freg.power.seeds_needed"))
    except GedigError as exc:
        raise GedigError(f"`seeds: auto` needs the book's power analysis: {exc}; run `make book`, or pass --seeds N") from None
    if n < 1:
        raise GedigError("`seeds: auto`: the power analysis found no seed count (too few seeds, or identical arms); pass --seeds N")
    return n
