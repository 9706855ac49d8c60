"""Drop repeated <script> entries from each page: sphinx-thebe registers its inline configuration
once per read phase, and the second copy redeclares a `const` (a console error in every browser)."""

from __future__ import annotations

from typing import Any


def _dedupe(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    seen, kept = set(), []
    for js in context.get("script_files", []):
        attrs = getattr(js, "attributes", {}) or {}
        # an inline script is the same script whether registered with filename None or ''
        key = ("inline", attrs["body"]) if attrs.get("body") else (str(js), tuple(sorted(attrs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
