"""The record of outside inputs a process read (grid files, run records, the paper's tables).

Library functions that read such a file call ``note_input``; a chapter's provenance writes what was
noted, with each file's content hash, so the book re-executes the chapter when one of them changes
(or appears: a file noted while absent is recorded as absent).
"""

from __future__ import annotations

from pathlib import Path

_READ: set[Path] = set()


def note_input(path: Path | str) -> Path:
    """Remember that this process read ``path`` (or looked for it); returns the path."""
    path = Path(path).resolve()
    _READ.add(path)
    return path


def noted() -> list[Path]:
    """Every input noted so far in this process, sorted."""
    return sorted(_READ)
