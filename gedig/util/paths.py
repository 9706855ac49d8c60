"""Where the package and the repository around it live (the book, notebooks and grids)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parent
GRIDS = ROOT / "grids"
NOTEBOOK_DIR = ROOT / "notebooks"


def notebook_path(path: Path) -> str:
    """A chapter's notebook as its stamp names it: relative to the repository root (so a moved or
    re-cloned checkout keeps its executed chapters current), absolute only outside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def resolve_notebook(named: str) -> Path:
    """The notebook a stamp or a kernel's context names (``notebook_path``), as a path here."""
    path = Path(named)
    return path if path.is_absolute() else ROOT / path
