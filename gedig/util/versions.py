"""Code versions from normalised source: the version a cached result's key names.

A result depends on the gedig modules its computation imports, directly or through other gedig
modules (its *import closure*, found by reading the import statements, lazy ones included). The
version of a closure hashes what could move a number and nothing else:

- each module is parsed, and docstrings, bare string statements, comments, formatting, type
  annotations and import statements are dropped (imports only say where a name comes from; the
  imported module's own statements are in the closure already);
- every remaining top-level statement is hashed on its own, and the closure's version is the hash
  of the sorted multiset of those statement hashes. File names and statement order do not enter,
  so moving a module, or a function from one module of the closure to another, keeps the version.

Python's own ``ast`` does the normalising. jupyter-cache keys a notebook by its own cells only, and
joblib hashes one function's source but not what it calls, so neither covers a computation spread
over modules.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..errors import GedigError

PACKAGE = Path(__file__).resolve().parents[1]  # the gedig package folder
VERSION_CHARS = 12
LIBRARIES = ("torch", "transformers", "numpy")
"""Pinned libraries whose versions enter the key of every model computation (they decide attention)."""


@dataclass(frozen=True)
class Module:
    """One gedig module: its dotted name, file, statement hashes, and the gedig modules it imports."""

    name: str
    path: Path
    statements: tuple[str, ...]
    imports: frozenset[str]

    @property
    def digest(self) -> str:
        """The module's own version (its statements, order-free), to name a module that changed."""
        return _digest(self.statements)


def _digest(hashes: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()[:VERSION_CHARS]


class _Normalise(ast.NodeTransformer):
    """Drop what cannot move a number: docstrings and bare strings, imports, annotations."""

    def _body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
        kept = [s for s in kept if not isinstance(s, (ast.Import, ast.ImportFrom))]
        return kept or [ast.Pass()]

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self._body(value))
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        node.annotation = ast.Name(id="_", ctx=ast.Load())  # kept as a placeholder: it makes a dataclass field
        return self.generic_visit(node)


def module_name(path: Path, root: Path) -> str:
    """'gedig.pipeline.scoring' for root/pipeline/scoring.py (root is the package folder)."""
    rel = path.relative_to(root).with_suffix("")
    parts = [root.name, *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom | ast.Import, here: str, is_package: bool, known: set[str]) -> set[str]:
    """The gedig modules an import statement uses. ``import a.b`` and ``from a import b`` (b a
    submodule) use a.b alone: the packages' ``__init__`` re-exports on the way compute nothing.
    ``from a import name`` (name an attribute) uses a, the package's ``__init__`` included."""
    top = next(iter(known)).split(".")[0] if known else "gedig"
    out: set[str] = set()
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if node.level:
        base = here.split(".") if is_package else here.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not (target == top or target.startswith(top + ".")):
        return out
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.add(sub if sub in known else target)
    return out & known


def read_module(path: Path, root: Path, known: set[str]) -> Module:
    """Parse one module into its normalised statement hashes and its gedig imports."""
    name = module_name(path, root)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise GedigError(f"cannot version {path}: it does not parse ({exc.msg}, line {exc.lineno})") from None
    is_package = path.name == "__init__.py"
    imports: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports |= _resolve(node, name, is_package, known)
    imports.discard(name)
    normal = _Normalise().visit(tree)
    statements = tuple(hashlib.sha256(ast.dump(s, include_attributes=False).encode()).hexdigest() for s in normal.body)
    return Module(name=name, path=path, statements=statements, imports=frozenset(imports))


@lru_cache(maxsize=8)
def _index(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, Module]:
    files = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in files}
    return {m.name: m for m in (read_module(p, root, known) for p in files)}


def modules(root: Path = PACKAGE) -> dict[str, Module]:
    """Every module of the package under ``root``, read once per change of its files."""
    root = Path(root).resolve()
    files = sorted(root.rglob("*.py"))
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _index(root, stamp)


def closure(entries: Iterable[str], root: Path = PACKAGE) -> dict[str, Module]:
    """The modules ``entries`` (dotted names) import, transitively, themselves included."""
    index = modules(root)
    todo, seen = list(entries), {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in index:
            raise GedigError(f"no module {name!r} in {root}; known: {', '.join(sorted(index))}")
        seen[name] = index[name]
        todo += sorted(index[name].imports - set(seen))
    return dict(sorted(seen.items()))


def code_version(*entries: str, root: Path = PACKAGE, libraries: bool = True) -> str:
    """The version of the computation that starts in ``entries``: a hash of its closure's normalised
    statements (content only) and, with ``libraries``, of the pinned library versions."""
    if not entries:
        raise GedigError("code_version needs at least one module")
    hashes = [h for m in closure(entries, root).values() for h in m.statements]
    if libraries:
        hashes += [f"{lib}=={library_version(lib)}" for lib in LIBRARIES]
    return _digest(hashes)


def module_digests(*entries: str, root: Path = PACKAGE) -> dict[str, str]:
    """Each closure module's own version, by name: what a stamp stores to say which one changed."""
    return {name: m.digest for name, m in closure(entries, root).items()}


def package_version(root: Path = PACKAGE) -> str:
    """The version of the whole package (every module), for the book's provenance line."""
    return _digest([h for m in modules(root).values() for h in m.statements])


def imports_of_source(source: str, root: Path = PACKAGE) -> list[str]:
    """The gedig modules a script (a notebook's percent-format source) imports."""
    known = set(modules(root))
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _resolve(node, "__main__", False, known)
    return sorted(found)


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def file_digest(path: Path) -> str:
    """Content hash of an outside input (a grid file, a run record); 'absent' when it does not exist."""
    path = Path(path)
    if not path.exists():
        return "absent"
    if path.is_dir():
        return _digest(f"{p.relative_to(path)}:{file_digest(p)}" for p in sorted(path.rglob("*")) if p.is_file())
    return hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_CHARS]


def describe(version: dict[str, str]) -> str:
    return json.dumps(version, sort_keys=True)
