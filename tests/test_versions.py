"""Cached results name the code that made it: versions from normalised source over each
computation's import closure. Edits that cannot move a number move no key; edits that can, do;
and each chapter depends on the modules it imports, not on the whole package."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from gedig.book.build import chapter_parameters, chapter_state, stale_reasons
from gedig.book.chapters import names
from gedig.util.paths import PACKAGE
from gedig.util.versions import closure, code_version, module_digests

NOTEBOOKS = names()

ENTRIES = ("gedig.pipeline.batch", "gedig.experiments.training", "gedig.figures.explorer", "gedig.models.assets")


@pytest.fixture
def copy(tmp_path):
    """A copy of the package to edit (the installed one is never touched)."""
    target = tmp_path / "gedig"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def versions(root):
    return {e: code_version(e, root=root) for e in ENTRIES}


def chapters(root):
    return {n: chapter_state(n, chapter_parameters("full", n), root=root) for n in NOTEBOOKS}


def edit_function(path: Path, name: str, old: str, new: str) -> None:
    text = path.read_text()
    start = text.index(f"def {name}(")
    assert old in text[start:], f"{old!r} not in {name}"
    path.write_text(text[:start] + text[start:].replace(old, new, 1))


def test_docstrings_comments_formatting_and_annotations_move_no_key(copy):
    before, stamps = versions(copy), chapters(copy)
    for path in copy.rglob("*.py"):
        text = path.read_text()
        tree = ast.parse(text)
        fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), None)
        if fn is not None:  # a new docstring and comment in the first function, and a blank line inside it
            lines = text.splitlines()
            body = fn.body[0].lineno - 1
            indent = re.match(r"\s*", lines[body]).group(0)
            lines[body:body] = [f'{indent}"""An added docstring."""', f"{indent}# an added comment", ""]
            text = "\n".join(lines) + "\n"
        path.write_text(f"# a comment at the top\n{text}\n# and one at the end\n")
    assert versions(copy) == before
    assert chapters(copy) == stamps


def test_moving_a_module_keeps_every_version(copy):
    before = versions(copy)
    (copy / "kernels").mkdir()
    (copy / "kernels" / "__init__.py").write_text('"""Moved modules."""\n')
    shutil.move(copy / "gauge" / "headstats.py", copy / "kernels" / "surface.py")
    batch = copy / "pipeline" / "batch.py"
    batch.write_text(batch.read_text().replace("from ..gauge.headstats import", "from ..kernels.surface import"))
    assert "gedig.kernels.surface" in closure(["gedig.pipeline.batch"], root=copy)
    assert versions(copy) == before


def test_a_changed_line_in_the_gauge_moves_scoring_and_training_keys_only_where_imported(copy):
    before = versions(copy)
    edit_function(copy / "gauge" / "headstats.py", "head_stats", "A = attn.to(torch.float64)", "A = attn.to(torch.float64) * 1.0")
    after = versions(copy)
    assert (
        after["gedig.pipeline.batch"] != before["gedig.pipeline.batch"]
        and after["gedig.figures.explorer"] != before["gedig.figures.explorer"]
    )
    assert after["gedig.experiments.training"] == before["gedig.experiments.training"], "training does not use the head statistics"
    assert after["gedig.models.assets"] == before["gedig.models.assets"]


EDITED_SWEEP = """
import json, sys
from pathlib import Path
sys.path.insert(0, {parent!r})
import gedig
assert gedig.__file__.startswith({copy!r}), gedig.__file__
from gedig.experiments.sweep import run_sweep
from gedig.experiments.training import Protocol, training_version
tiny = Protocol(n_train=16, n_eval=8, epochs=1, batch_size=8, eval_batch_size=8, max_length=32)
runs = run_sweep(tiny, [0], [1, 2], control_alpha=None, out_dir=Path({folder!r}), progress=False, reuse_stale={reuse})
print(json.dumps({{"version": training_version(), "stale": runs["stale"].tolist(), "trained": runs["code_version"].tolist()}}))
"""


def test_editing_train_arm_makes_the_runs_stale_and_the_sweep_recomputes_them(copy, tmp_path, monkeypatch):
    """An edit of the training loop in a copy of the package, run as that code (a fresh process
    that imports the copy): the runs the installed code made are stale to it, kept and marked with
    --reuse-stale, run again without; and the installed code then finds the edited code's runs stale."""
    import os
    import subprocess
    import sys

    import gedig.experiments.sweep as sweep
    from gedig.experiments.training import Protocol, training_version

    tiny = Protocol(n_train=16, n_eval=8, epochs=1, batch_size=8, eval_batch_size=8, max_length=32)
    calls = []
    real = sweep.train_arm
    monkeypatch.setattr(sweep, "train_arm", lambda p, arm, **kw: calls.append(arm) or real(p, arm, **kw))
    folder = tmp_path / "runs"
    sweep.run_sweep(tiny, [0], [1, 2], control_alpha=None, out_dir=folder, progress=False)
    assert len(calls) == 2
    sweep.run_sweep(tiny, [0], [1, 2], control_alpha=None, out_dir=folder, progress=False)
    assert len(calls) == 2, "current runs are reused"

    edit_function(copy / "experiments" / "training.py", "train_arm", "step += 1", "step = step + 1")
    edited = code_version("gedig.experiments.training", root=copy)
    assert edited != training_version()

    def run_edited(reuse: bool) -> dict:
        code = EDITED_SWEEP.format(parent=str(copy.parent), copy=str(copy), folder=str(folder), reuse=reuse)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    kept = run_edited(reuse=True)
    assert kept["version"] == edited and all("training code" in s for s in kept["stale"]), "--reuse-stale keeps and marks them"
    assert set(kept["trained"]) == {training_version()}, "the kept runs are the installed code's"
    again = run_edited(reuse=False)
    assert again["stale"] == ["", ""] and set(again["trained"]) == {edited}, "by default the stale runs are run again"
    sweep.run_sweep(tiny, [0], [1, 2], control_alpha=None, out_dir=folder, progress=False)
    assert len(calls) == 4, "the installed code finds the edited code's runs stale and runs them again"


def test_editing_the_explorer_re_executes_only_chapter_8(copy):
    before = chapters(copy)
    edit_function(
        copy / "figures" / "explorer.py", "edge_levels", "u_sorted, _ = torch.sort(u, dim=-1)", "u_sorted = torch.sort(u, dim=-1).values"
    )
    after = chapters(copy)
    assert [n for n in NOTEBOOKS if stale_reasons(before[n], after[n])] == ["08_explore_heads"]
    assert stale_reasons(before["08_explore_heads"], after["08_explore_heads"]) == ["gedig.figures.explorer changed"]


def test_editing_the_command_line_or_the_lock_leaves_every_chapter_current(copy):
    before = chapters(copy)
    edit_function(copy / "cli.py", "build_parser", 'prog="python -m gedig"', 'prog="gedig"')
    edit_function(copy / "book" / "lock.py", "check", "table, _ = current(site, size)", "table = current(site, size)[0]")
    assert chapters(copy) == before


def test_a_stamp_names_a_changed_input(tmp_path):
    grid = tmp_path / "powered.yml"
    grid.write_text("seeds: [1]\n")
    from gedig.util.versions import file_digest

    now = chapter_state("06_f_regularization", {})
    stamp = {**now, "inputs": {str(grid): file_digest(grid), str(tmp_path / "later.json"): "absent"}}
    assert stale_reasons(stamp, now) == []
    grid.write_text("seeds: [1, 2]\n")
    (tmp_path / "later.json").write_text(json.dumps({}))
    reasons = stale_reasons(stamp, now)
    assert any("powered.yml changed" in r for r in reasons) and any("later.json appeared" in r for r in reasons)


def test_module_digests_name_what_a_chapter_imports():
    digests = module_digests("gedig.figures.explorer")
    assert "gedig.figures.explorer" in digests and "gedig.pipeline.batch" in digests and "gedig.cli" not in digests


def test_only_and_force_name_chapters_by_prefix():
    from gedig import GedigError
    from gedig.book.build import select_chapters

    assert select_chapters(NOTEBOOKS, ["06"]) == {"06_f_regularization"}
    assert select_chapters(NOTEBOOKS, ["03_h1_real_vs_random", "08"]) == {"03_h1_real_vs_random", "08_explore_heads"}
    assert select_chapters(NOTEBOOKS, None) == set(NOTEBOOKS)
    with pytest.raises(GedigError, match="no chapter '99'"):
        select_chapters(NOTEBOOKS, ["99"])


def test_a_stale_stamp_says_why_in_a_few_words():
    now = chapter_state("07_what_f_measures", chapter_parameters("ci", "07_what_f_measures"))
    old = {
        **now,
        "code": "0" * 12,
        "modules": {**now["modules"], "gedig.analysis.robustness": "x"},
        "parameters": {**now["parameters"], "n_texts": 9},
    }
    reasons = stale_reasons(old, now)
    assert "gedig.analysis.robustness changed" in reasons and any(r.startswith("its parameters changed") for r in reasons)
