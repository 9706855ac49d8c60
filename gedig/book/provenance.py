"""Provenance of each executed notebook: parameters, code versions, git commit, library versions,
and the outside inputs it read (written beside it, so the book knows when they change)."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from ..util.inputs import noted
from ..util.io import atomic_write_text
from ..util.paths import NOTEBOOK_DIR, PACKAGE, ROOT
from ..util.versions import code_version, file_digest, imports_of_source, package_version


def git_commit() -> str:
    """The checkout's commit (with '+dirty' when it has changes), or 'unknown' outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PACKAGE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "gedig", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def chapter_code_version(source: Path) -> str:
    """The version of the gedig code a chapter runs: the closure of the modules its notebook (the
    script at ``source``) imports."""
    return code_version(*imports_of_source(Path(source).read_text(encoding="utf-8")))


def record(notebook: str, parameters: dict[str, Any], *, source: Path | None = None, inputs_dir: Path | str = ".") -> dict[str, Any]:
    """Flat ``provenance.<notebook>.*`` measures to store beside a notebook's results, with the
    profile it ran under (``parameters['profile']``) and the model bound to each system; the inputs
    this process read (``gedig.util.inputs``) go to ``<notebook>.inputs.json`` with their digests."""
    from .profiles import get as get_profile

    profile = get_profile(parameters.get("profile", "full"))
    key = f"provenance.{notebook}"
    versions = {name: metadata.version(name) for name in ("torch", "transformers", "numpy", "networkx")}
    read = {str(p): file_digest(p) for p in noted()}
    atomic_write_text(json.dumps(read, indent=1, sort_keys=True), Path(inputs_dir) / f"{notebook}.inputs.json")
    out: dict[str, Any] = {
        f"{key}.gedig": metadata.version("gedig"),
        f"{key}.code_version": chapter_code_version(source or NOTEBOOK_DIR / f"{notebook}.py"),
        f"{key}.package_version": package_version(),
        f"{key}.git_commit": git_commit(),
        f"{key}.executed_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        f"{key}.python": platform.python_version(),
        f"{key}.parameters": repr(parameters),
        f"{key}.inputs_read": len(read),
    }
    out.update({f"{key}.{k}": v for k, v in versions.items()})
    out["profile"] = profile.name
    out.update({f"systems.{s}": m for s, m in profile.systems.items()})
    return out
