"""The package reads as its architecture: layers that import only downward, no import circle, no
private name used across modules, and a public API that stays put."""

from __future__ import annotations

import ast
import re

import gedig
from gedig.util.paths import PACKAGE, ROOT
from gedig.util.versions import modules

LAYERS = {
    "errors": 0,
    "util": 1,
    "gauge": 2,
    "models": 2,
    "paper": 2,
    "pipeline": 3,
    "experiments": 3,
    "analysis": 4,
    "figures": 4,
    "book": 5,
    "entry": 6,
}
"""Bottom to top: errors; plumbing; the gauge and the models and data; the scoring pipeline and the
experiments; the chapters' analyses and figures; the book machinery; the entry points (the public
API in gedig/__init__, the command line, the benchmark)."""
ENTRY_POINTS = {"", "cli", "bench", "__main__"}
PUBLIC = [
    "ALL_BASELINES",
    "BASELINES",
    "CORPORA",
    "EMBEDDED",
    "NULLS",
    "PRESETS",
    "GaugeConfig",
    "GaugeResult",
    "GedigError",
    "LoadedModel",
    "analysis",
    "gauge",
    "load_labelled",
    "load_model",
    "load_texts",
    "make_baseline",
    "score",
    "stats",
    "structured_null",
]


def part(name: str) -> str:
    first = name.split(".")[1] if name.count(".") else ""
    return "entry" if first in ENTRY_POINTS else first


def test_the_public_api_is_pinned():
    assert sorted(gedig.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(gedig, name), name
    assert callable(gedig.stats.summarize) and callable(gedig.analysis.freg_table)


def test_every_module_imports_only_its_own_package_and_lower_layers():
    wrong = []
    for name, mod in modules().items():
        for used in mod.imports:
            a, b = part(name), part(used)
            if a != b and LAYERS[b] >= LAYERS[a]:
                wrong.append(f"{name} (layer {LAYERS[a]}) imports {used} (layer {LAYERS[b]})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circle():
    graph = {name: set(mod.imports) for name, mod in modules().items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (circle := visit(start, [])):
            raise AssertionError("import circle: " + " → ".join(circle))


def test_no_module_imports_another_modules_private_name():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("gedig")):
                found += [
                    f"{path.relative_to(PACKAGE)}: {a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert not found, found


def test_the_readme_layout_names_every_package():
    layout = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    packages = sorted({part(n) for n in modules() if n.count(".") >= 2})
    missing = [p for p in packages if not re.search(rf"`gedig/{p}/`", layout)]
    assert not missing, f"README's layout section does not name {missing}"


def _readme_code() -> list[str]:
    text = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_code_names_only_what_the_package_has():
    """Every module and name the README's code imports or reaches as gedig.a.b exists, so a reader
    who copies it after a move gets no ImportError."""
    import importlib

    missing = []
    for block in _readme_code():
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gedig"):
                try:
                    module = importlib.import_module(node.module)
                except ImportError:
                    missing.append(node.module)
                    continue
                missing += [f"{node.module}.{a.name}" for a in node.names if not hasattr(module, a.name)]
        for chain in re.findall(r"\bgedig(?:\.[A-Za-z_]\w*)+", block):
            obj, parts = gedig, chain.split(".")[1:]
            for k, part_ in enumerate(parts):
                if not hasattr(obj, part_):
                    try:
                        obj = importlib.import_module(".".join(["gedig", *parts[: k + 1]]))
                        continue
                    except ImportError:
                        missing.append(chain)
                        break
                obj = getattr(obj, part_)
    assert _readme_code() and not missing, f"the README's code names what the package lacks: {missing}"
