"""One place per fact: the chapter registry is the only list of chapters, their sizes and their
measures; every measure a claim reads is declared; paper values live in gedig/paper; notebooks read
as prose plus calls and their visible code fits the page; every dotted gedig name in the package's
docstrings and comments resolves; the README's layout names every module."""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize

import pytest
import yaml
from conftest import ROOT

import gedig
from gedig import GedigError
from gedig.book import chapters
from gedig.book.build import notebook_defaults
from gedig.book.claims import home, load_registry, paper_values
from gedig.book.named import read
from gedig.book.profiles import PROFILES
from gedig.book.prose import code_share, wide_lines
from gedig.paper import paper_table2, paper_value
from gedig.util.paths import PACKAGE

SHARE_LIMIT = 0.35
"""At most this share of notebook code lines may be logic rather than plain calls (issue 25)."""


def test_toc_yml_is_the_registry_table_of_contents():
    assert yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")) == chapters.toc()


@pytest.mark.parametrize("chapter", chapters.CHAPTERS, ids=lambda c: c.name)
def test_each_notebook_opens_with_its_registry_heading_and_its_question(chapter):
    lines = chapter.notebook.read_text(encoding="utf-8").splitlines()
    headings = [line[4:] for line in lines if line.startswith("# # ")]
    assert headings[:1] == [chapter.heading]
    assert any("**The question.**" in line for line in lines)


def test_no_chapter_name_is_typed_in_the_package_outside_the_registry():
    names = chapters.names()
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".yml", ".csv", ".js") or path.name == "chapters.py" or path.name.endswith(".lock.yml"):
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n in text]
    assert not found, found


def test_sizes_name_known_profiles_and_the_notebooks_own_parameters():
    for chapter in chapters.registry():
        own = set(notebook_defaults(chapter.name))
        for profile, sizes in chapter.sizes.items():
            assert profile in PROFILES, (chapter.name, profile)
            assert set(sizes) <= own, (chapter.name, profile, set(sizes) - own)


def test_every_measure_a_claim_reads_is_declared_by_its_home_chapter():
    for claim in load_registry():
        keys = [re.sub(r"\{\w+\}", "0", k) for k in (*claim.get("measures", []), *claim.get("robustness", []))]
        owners = {c.name if (c := chapters.of_measure(k)) else None for k in keys}
        assert None not in owners, (claim["id"], keys)
        assert home(claim) in owners


def test_a_missing_measure_is_an_error_naming_its_key_and_chapter():
    with pytest.raises(GedigError, match=r"'h2\.bert\.published\.spearman_rho' is missing: chapter 04_h2_layer_transition"):
        read({}, "h2.{system}.{preset}.spearman_rho", system="bert", preset="published")
    with pytest.raises(GedigError, match="is not a key of the measure"):
        read({}, "h2.{system}.{preset}.spearman_rho", system="bart", preset="published")
    with pytest.raises(GedigError, match="no measure family"):
        read({}, "h2.{system}.{preset}.spearman_roh", system="bert", preset="published")


def test_adding_a_chapter_is_one_registry_entry():
    extra = chapters.Chapter("09_extra", "An extra chapter", "adds a page", chapters.declare(("extra.value", "a value")))
    chapters.register(extra)
    try:
        assert chapters.names()[-1] == "09_extra" and extra.number == len(chapters.CHAPTERS) + 1
        assert chapters.toc()["parts"][0]["chapters"][-1] == {"file": "book/executed/09_extra"}
        assert chapters.next_sentence(chapters.CHAPTERS[-1].name) == f"Chapter {extra.number} adds a page."
        assert chapters.of_measure("extra.value") is extra
        with pytest.raises(GedigError, match="registered already"):
            chapters.register(extra)
    finally:
        chapters.unregister("09_extra")
    assert chapters.names() == tuple(c.name for c in chapters.CHAPTERS)


def test_paper_values_are_read_from_the_paper_data_not_typed():
    by_id = {c["id"]: c for c in load_registry()}
    table2 = paper_table2().set_index(["model", "baseline"])["paper"]
    assert paper_values(by_id["T2-BERT-random"]) == [table2[("BERT", "random")]]
    assert paper_values(by_id["T2-Phi3"]) == [table2[("Phi-3", b)] for b in ("random", "uniform", "local", "diagonal")]
    typed = {float(v) for c in by_id.values() for v in ([c["paper_value"]] if "paper_value" in c else []) if not isinstance(v, (str, list))}
    assert not typed & set(table2), "a Table 2 value is typed in claims.yml: reference it ('Table 2: BERT, random')"
    with pytest.raises(KeyError, match="no paper value"):
        paper_value("Table 9: nothing")


def test_notebooks_read_as_prose_plus_calls():
    shares = [code_share(p) for p in sorted((ROOT / "notebooks").glob("0*.py"))]
    lines, logic = sum(s.lines for s in shares), sum(s.logic for s in shares)
    assert logic / lines <= SHARE_LIMIT, f"{logic} of {lines} notebook code lines are logic, not plain calls"


def test_the_share_counts_what_it_says():
    statements = {
        "x = f(1)": True,
        "import numpy": True,
        "page.table(t, caption=f'{n} texts')": True,
        "x = t['a']": False,
        "f([g(k) for k in y])": False,
        "for k in y:\n    f(k)": False,
        "x = f(1) if a else g(2)": False,
    }
    for source, plain in statements.items():
        from gedig.book.prose import is_plain

        assert is_plain(ast.parse(source).body[0]) is plain, source


def test_visible_code_fits_the_page():
    wide = {p.name: wide_lines(p) for p in sorted((ROOT / "notebooks").glob("0*.py"))}
    assert not any(wide.values()), {k: v for k, v in wide.items() if v}


DOTTED = re.compile(r"\bgedig(?:\.[A-Za-z_]\w*)+")


def _prose(path) -> list[str]:
    """A module's comments, docstrings and bare string statements (attribute docstrings)."""
    source = path.read_text(encoding="utf-8")
    out = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.append(node.value.value)
    return out


def _resolves(chain: str) -> bool:
    obj, parts = gedig, chain.split(".")[1:]
    for k, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(["gedig", *parts[: k + 1]]))
        except ImportError:
            return False
    return True


def test_every_dotted_gedig_name_in_docstrings_and_comments_resolves():
    broken = sorted(
        f"{path.relative_to(PACKAGE)}: {chain}"
        for path in PACKAGE.rglob("*.py")
        for text in _prose(path)
        for chain in DOTTED.findall(text)
        if not _resolves(chain.rstrip("."))
    )
    assert not broken, broken


def test_the_dotted_name_check_can_fail():
    assert _resolves("gedig.pipeline.agreement.EPSILON") and not _resolves("gedig.agreement.EPSILON")


def test_the_readme_layout_names_every_module_file():
    layout = (ROOT / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if path.name == "__init__.py" and len(rel.parts) > 1:
            continue
        if len(rel.parts) == 1:
            named = f"`gedig/{rel.name}`" in layout
        else:
            row = next((line for line in layout.splitlines() if line.startswith(f"| `gedig/{rel.parts[0]}/`")), "")
            named = f"`{path.stem}`" in row
        if not named:
            missing.append(str(rel))
    assert not missing, f"README's layout does not name {missing}"


def test_a_measure_no_family_declares_is_named():
    from gedig.book.measures import declare, undeclared

    families = declare(("extra.{system}.value", "a value"))
    keys = {"extra.bert.value": 1, "extra.bart.value": 2, "other": 3, "provenance.x.code_version": "v", "why_missing.extra.gpt2.value": "…"}
    assert undeclared(keys, families) == ["extra.bart.value", "other"]
