"""Load the vendored plotly.js (``_static/plotly/plotly.min.js``, copied from the pinned plotly
wheel by ``python -m gedig book``) only on the pages that draw Plotly figures: the library is
large, and the figures' own HTML never embeds it."""

from __future__ import annotations

from typing import Any

PLOTLY_JS = "plotly/plotly.min.js"
MARKERS = ('class="plotly-graph-div"', 'data-plotly="required"')


def _add_plotly(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    body = context.get("body") or ""
    if any(m in body for m in MARKERS):
        # in html-page-context this adds the script to this page only (Sphinx ≥ 3.5); synchronous in
        # <head>, so Plotly exists before the figures' inline scripts run
        app.add_js_file(PLOTLY_JS, priority=300)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _add_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
