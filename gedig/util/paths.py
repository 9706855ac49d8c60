"""Where the package and the repository around it live (the book, notebooks and grids)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parent
GRIDS = ROOT / "grids"
NOTEBOOK_DIR = ROOT / "notebooks"
