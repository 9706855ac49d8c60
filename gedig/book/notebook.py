"""What a chapter notebook calls last: ``finish(measures)``.

It records the chapter's papermill parameters (every name its ``parameters`` cell sets, read from
the notebook's own namespace, so none is left out) and its provenance beside the measures, writes
``<chapter>.json`` atomically, and returns the chapter's Takeaway: the sentences its registry entry
generates from the measures (``gedig.book.takeaways``), the verdicts of the chapter's claims, and
the sentence that leads to the next chapter. The build tells the kernel which chapter it runs
(``CONTEXT_VARIABLE``), so a notebook never types its own name.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping
from typing import Any

from ..errors import GedigError
from ..figures import page
from ..util.paths import resolve_notebook
from . import takeaways
from .chapters import get
from .claims import chapter_verdicts, verdict_sentence, write_measures
from .provenance import record

CONTEXT_VARIABLE = "GEDIG_CHAPTER"
"""The environment variable the build sets for a chapter's kernel: JSON with the chapter's name, its
notebook, its parameters' names and the sentence that closes its takeaway
(``gedig.book.build.chapter_context``)."""


def context() -> dict[str, Any]:
    """The running chapter's context, as the build passed it; an error outside the build."""
    raw = os.environ.get(CONTEXT_VARIABLE)
    if not raw:
        raise GedigError(
            f"finish() runs inside the book build (python -m gedig book), which sets {CONTEXT_VARIABLE}; "
            f"to run a chapter by hand, set it to the JSON of gedig.book.build.chapter_context('<chapter>')"
        )
    return json.loads(raw)


def finish(measures: Mapping[str, Any], *sentences: str, namespace: Mapping[str, Any] | None = None) -> Any:
    """Record and write the chapter's measures, and return its Takeaway.

    ``sentences`` replace the registry's generated takeaway (a chapter without one, such as a
    throwaway chapter in a test, passes its own). ``namespace`` is where the parameters are read
    (default: the calling notebook's globals)."""
    ctx = context()
    name = ctx["name"]
    names = namespace if namespace is not None else inspect.currentframe().f_back.f_globals  # type: ignore[union-attr]
    missing = [p for p in ctx["parameters"] if p not in names]
    if missing:
        raise GedigError(f"chapter {name}: parameters {missing} are not defined in the notebook")
    parameters = {p: names[p] for p in ctx["parameters"]}
    full = {**measures, **record(name, parameters, source=resolve_notebook(ctx["notebook"]))}
    write_measures(full, f"{name}.json")
    if not sentences:
        generate = get(name).takeaway
        if generate is None:
            raise GedigError(f"chapter {name} has no takeaway in its registry entry: pass its sentences to finish()")
        sentences = tuple(getattr(takeaways, generate)(full))
    verdicts = chapter_verdicts(full, name)
    return page.takeaway(*sentences, verdict_sentence(verdicts), ctx["next"])
