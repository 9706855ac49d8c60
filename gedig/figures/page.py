"""What a chapter page shows, written once: figures with computed captions, tables cut to what a
reader reads (longer ones folded into a dropdown), verdict lines and takeaways as Markdown that
wraps. Every helper returns an IPython display object, so a cell's last line shows it."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..util.text import signed

MAX_ROWS = 12
"""The most rows a table shows on the page; a longer one folds into a dropdown."""
DPI = 100
"""CSS pixels per inch of a figure: a 9-inch figure is 900 px wide on the page, and a 10-point font
is 14 px. Figures are rendered at twice that for sharp text on any screen."""


def book_style() -> None:
    """Matplotlib settings for the book: fonts of at least 10 points at 100 px per inch, so that a
    figure as wide as the page shows its text at 13 px or more."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.dpi": 2 * DPI,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "figure.titlesize": 13,
        }
    )


def raw(body: str) -> Any:
    """Raw HTML for the page (an IPython display object)."""
    from IPython.display import HTML

    return HTML(body)


_html = raw


def _markdown(text: str) -> Any:
    from IPython.display import Markdown

    return Markdown(text)


def figure(fig: Any, caption: str, *, name: str | None = None) -> Any:
    """A matplotlib figure as a captioned ``<figure>`` (PNG at 2×, shown at its natural CSS width or
    the page's, whichever is smaller); the figure is closed. ``caption`` says what is plotted and
    how many texts it rests on."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=2 * DPI, bbox_inches="tight")
    width = int.from_bytes(buf.getvalue()[16:20], "big") // 2  # the PNG's own width (its IHDR), at 2×: tight bounds may widen the figure
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    ident = f' id="{html.escape(name)}"' if name else ""
    return _html(
        f'<figure class="gedig-figure"{ident}><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}" '
        f'style="width:{width}px;max-width:100%;height:auto"/><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def figures(pairs: Sequence[tuple[Any, str]]) -> Any:
    """Several captioned figures, one after the other, from (figure, caption) pairs."""
    return _html("".join(figure(fig, caption).data for fig, caption in pairs))


def plotly_figure(fragment: Any, caption: str) -> Any:
    """An interactive figure's HTML (``gedig.figures.interactive.show``) with a caption."""
    body = fragment.data if hasattr(fragment, "data") else str(fragment)
    return _html(f'<figure class="gedig-figure gedig-plotly">{body}<figcaption>{html.escape(caption)}</figcaption></figure>')


def table(
    df: pd.DataFrame | None,
    *,
    formats: Mapping[str, str] | None = None,
    number_format: str | None = None,
    caption: str | None = None,
    max_rows: int = MAX_ROWS,
    summary: str | None = None,
    index: bool = False,
) -> Any:
    """A table of at most ``max_rows`` rows on the page; a longer one is folded into a dropdown
    whose summary says what it holds. ``formats`` maps a column to a format spec ('+.4f');
    ``number_format`` applies one spec to every other float column. ``None`` (a table this build
    does not have, such as a grid not yet run) shows nothing."""
    if df is None:
        return _html("")
    if number_format is not None:
        formats = {**{c: number_format for c in df.columns if pd.api.types.is_float_dtype(df[c])}, **(formats or {})}
    shown = df.copy()
    for col, spec in (formats or {}).items():
        if col in shown.columns:
            shown[col] = [("—" if pd.isna(v) else format(v, spec)) if isinstance(v, (int, float)) else v for v in shown[col]]
    body = shown.to_html(index=index, border=0, classes="gedig-table", float_format=lambda v: f"{v:.4g}", na_rep="—")
    head = f"<p class='gedig-table-caption'>{html.escape(caption)}</p>" if caption else ""
    if len(df) <= max_rows:
        return _html(f"<div class='gedig-table-box'>{head}{body}</div>")
    label = summary or f"All {len(df)} rows"
    return _html(
        f"<div class='gedig-table-box'>{head}<details class='gedig-dropdown'><summary>{html.escape(label)}</summary>{body}</details></div>"
    )


def tables(*pairs: tuple[pd.DataFrame, str], **options: Any) -> Any:
    """Several tables, each with its caption, from (table, caption) pairs; ``options`` as ``table``'s."""
    return _html("".join(table(df, caption=caption, **options).data for df, caption in pairs))


def say(*sentences: str) -> Any:
    """Sentences as Markdown (they wrap; a print() would not)."""
    return _markdown(" ".join(s.strip() for s in sentences if s))


def blocks(*parts: str) -> Any:
    """Markdown blocks (paragraphs, admonitions, HTML), each on its own; empty ones are left out."""
    return _markdown("\n\n".join(p.strip() for p in parts if p and p.strip()))


def bullets(lines: Sequence[str]) -> Any:
    """A list of verdict or result lines as Markdown bullets."""
    return _markdown("\n".join(f"- {line}" for line in lines))


def takeaway(*sentences: str) -> Any:
    """The chapter's answer, as a MyST admonition titled Takeaway (the sentences carry computed numbers)."""
    text = " ".join(s.strip() for s in sentences if s)
    return _markdown(f"```{{admonition}} Takeaway\n:class: tip\n\n{text}\n```")


fmt = signed
"""A number for prose with a real minus sign (``gedig.util.text.signed``)."""
