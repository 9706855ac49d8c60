"""Provenance of each executed notebook: parameters, code version, git commit, library versions."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .cache import code_version


def git_commit(path: Path | str = ".") -> str:
    """The checkout's commit (with '+dirty' when it has changes), or 'unknown' outside git."""
    try:
        here = Path(__file__).resolve().parent
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "gedig", "notebooks"], cwd=here.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(notebook: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Flat ``provenance.<notebook>.*`` measures to store beside a notebook's results."""
    key = f"provenance.{notebook}"
    versions = {name: metadata.version(name) for name in ("torch", "transformers", "numpy", "networkx")}
    out: dict[str, Any] = {
        f"{key}.gedig": __version__,
        f"{key}.code_version": code_version(),
        f"{key}.git_commit": git_commit(),
        f"{key}.executed_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        f"{key}.python": platform.python_version(),
        f"{key}.parameters": repr(parameters),
    }
    out.update({f"{key}.{k}": v for k, v in versions.items()})
    return out
