"""The publishing conventions of a Jupyter Book project, validated here because they cannot run
here: GitHub Actions workflows (against the official workflow schema that check-jsonschema vendors,
so no network is needed) and the Binder launch configuration."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_there_is_a_ci_and_a_book_workflow():
    assert {p.stem for p in WORKFLOWS} >= {"ci", "book"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_against_the_github_schema(path):
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, as `make -n` prints them (nothing runs)."""
    done = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", "-f", str(ROOT / "Makefile"), target], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_ci_workflow_runs_the_readme_test_command():
    """The workflow and .ci/run run `make test`, which the README names, and whose recipe lints and
    runs pytest after setting up the environment."""
    steps = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())["jobs"]["test"]["steps"]
    assert any(s.get("run", "").strip() == "make test" for s in steps)
    assert "make test" in (ROOT / "README.md").read_text()
    assert any(line.strip() == "make test" for line in (ROOT / ".ci" / "run").read_text().splitlines())
    recipe = _make_recipe("test")
    assert any("pip install" in line for line in recipe), "make test sets up the environment first"
    assert any("-m ruff check" in line for line in recipe) and recipe[-1].endswith("-m pytest -q")


def test_book_workflow_builds_the_full_book_caches_and_publishes():
    wf = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    steps = wf["jobs"]["build"]["steps"]
    assert any(s.get("run", "").strip() == "make book" for s in steps)
    cached = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/cache")]
    assert "~/.cache/gedig" in cached
    assert any(s.get("with", {}).get("cache") == "pip" for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert any(s.get("with", {}).get("path") == "_build/html" for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    assert any("deploy-pages" in s.get("uses", "") for s in wf["jobs"]["deploy"]["steps"])


def test_binder_launch_is_configured_from_environment_and_postbuild():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["repository"]["url"].startswith("https://github.com/")
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert (ROOT / "environment.yml").exists()
    post = ROOT / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable for repo2docker"
    assert subprocess.run(["bash", "-n", str(post)]).returncode == 0
    command = next(line for line in post.read_text().splitlines() if "-m gedig" in line)
    argv = command.split("-m gedig", 1)[1].split()
    from gedig.cli import _cmd_book, build_parser

    args = build_parser().parse_args(argv)  # a command the CLI would reject fails here, not on Binder
    assert args.func is _cmd_book and args.size == "ci" and args.execute_only
