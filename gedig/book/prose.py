"""How much of a chapter notebook reads as prose plus calls, and whether its visible code fits the page.

A *plain* statement is an import, a call, or an assignment of a call (an expression statement or an
assignment whose value is a call), with no loop, branch, comprehension or lambda anywhere inside it.
Everything else (a loop, a branch, a comprehension, a subscript or arithmetic assigned to a name)
is logic that belongs in the package, where it is tested. The share is counted over the source
lines of code cells, the ``parameters`` cell left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

VISIBLE_WIDTH = 88
"""Characters of code that fit the book's content column at 1280 px (the theme's monospace font)."""
HIDDEN = ("remove-cell", "remove-input", "parameters")
"""Cell tags whose code the reader never sees (``hide-input`` code folds open on a click: visible;
the build removes the parameters cell from the page)."""
_LOGIC = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.IfExp,
    ast.Try,
    ast.With,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Lambda,
    ast.FunctionDef,
    ast.ClassDef,
)


def is_plain(statement: ast.stmt) -> bool:
    """An import, a call, or an assignment of a call, with no loop, branch, comprehension or lambda inside."""
    if any(isinstance(node, _LOGIC) for node in ast.walk(statement)):
        return False
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Call)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return isinstance(statement.value, ast.Call)
    return False


@dataclass(frozen=True)
class CodeShare:
    """Code lines of a notebook and how many of them are not plain statements."""

    lines: int
    logic: int

    @property
    def share(self) -> float:
        return self.logic / self.lines if self.lines else 0.0


def _code_cells(path: Path) -> list[tuple[str, list[str]]]:
    import jupytext

    nb = jupytext.read(path)
    return [(c.source, c.metadata.get("tags", [])) for c in nb.cells if c.cell_type == "code"]


def code_share(path: Path | str) -> CodeShare:
    """The notebook's code lines (parameters cell excluded) and those in statements that are not plain."""
    lines = logic = 0
    for source, tags in _code_cells(Path(path)):
        if "parameters" in tags:
            continue
        tree = ast.parse(source)
        for statement in tree.body:
            n = statement.end_lineno - statement.lineno + 1  # type: ignore[operator]
            lines += n
            logic += 0 if is_plain(statement) else n
    return CodeShare(lines, logic)


def wide_lines(path: Path | str, width: int = VISIBLE_WIDTH) -> list[str]:
    """Lines of visible code cells longer than ``width`` characters."""
    out = []
    for source, tags in _code_cells(Path(path)):
        if any(t in tags for t in HIDDEN):
            continue
        out += [line for line in source.splitlines() if len(line) > width]
    return out
