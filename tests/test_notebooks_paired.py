"""Each notebook is a jupytext pair (.py percent script + .ipynb) whose cells agree, with a
`parameters` cell papermill can inject into."""

from __future__ import annotations

import jupytext
import pytest
from conftest import ROOT

from gedig.book.chapters import names

NOTEBOOKS = names()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pair_in_sync_and_parameterised(name):
    script = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    notebook = jupytext.read(ROOT / "notebooks" / f"{name}.ipynb")
    assert [c.source for c in script.cells] == [c.source for c in notebook.cells], "run `jupytext --sync notebooks/*.py`"
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "commit notebooks without outputs"
    tagged = [c for c in script.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "seed" in tagged[0].source
    assert script.metadata["kernelspec"]["name"] == "python3"
