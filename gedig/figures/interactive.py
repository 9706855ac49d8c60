"""Interactive (Plotly) companions of two static figures: H2's per-layer F and the specification
curve. They are additions: the matplotlib figures stay where the paper's figures are matched.
Figures are written without the library (the book loads its vendored plotly.js once per page)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import GedigError

ORIGIN_COLOURS = {"author's code": "#d62728", "paper's text": "#1f77b4", "other": "#999999"}


def _go():
    try:
        import plotly.graph_objects as go
    except ImportError as e:
        raise GedigError("plotly is needed for interactive figures: pip install -r requirements/base.txt") from e
    return go


def _snippet(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _box_stats(s: pd.Series) -> pd.Series:
    """Tukey's box: quartiles, and whiskers at the furthest values within 1.5 IQR (as seaborn draws)."""
    q1, med, q3 = s.quantile([0.25, 0.5, 0.75])
    inside = s[(s >= q1 - 1.5 * (q3 - q1)) & (s <= q3 + 1.5 * (q3 - q1))]
    return pd.Series({"q1": q1, "median": med, "q3": q3, "lowerfence": inside.min(), "upperfence": inside.max()})


def layer_figure(
    df: pd.DataFrame,
    texts: Sequence[str],
    *,
    baseline: str = "random",
    max_texts: int = 24,
    seed: int = 0,
    title: str = "",
):
    """H2 per layer: a box per layer over every (text, head) value of F, the baseline's mean as a
    dashed line, and the points of a seeded sample of ``max_texts`` texts; hovering a point shows
    its layer, head, text and value. Boxes use every row; only the drawn points are sampled, which
    keeps the page small at full size."""
    go = _go()
    need = {"text_id", "layer", "head", "F", f"F_{baseline}"}
    if missing := need - set(df.columns):
        raise GedigError(f"layer_figure needs columns {sorted(missing)} (a gedig.score table)")
    if max_texts < 1:
        raise GedigError(f"max_texts must be ≥ 1, got {max_texts}")
    ids = np.sort(df["text_id"].unique())
    if int(ids.max()) >= len(texts):
        raise GedigError(f"the table has text_id {int(ids.max())} but only {len(texts)} texts were given")
    shown = ids if len(ids) <= max_texts else np.sort(np.random.default_rng(seed).choice(ids, size=max_texts, replace=False))
    fig = go.Figure()
    stats = df.groupby("layer")["F"].apply(_box_stats).unstack()
    fig.add_trace(
        go.Box(
            x=stats.index.tolist(),
            q1=stats["q1"].tolist(),
            median=stats["median"].tolist(),
            q3=stats["q3"].tolist(),
            lowerfence=stats["lowerfence"].tolist(),
            upperfence=stats["upperfence"].tolist(),
            name=f"F per layer (all {len(ids)} texts × heads)",
            marker_color="#8da0cb",
            hoverinfo="skip",
        )
    )
    pts = df[df["text_id"].isin(shown)]
    rng = np.random.default_rng(seed + 1)
    fig.add_trace(
        go.Scatter(
            x=pts["layer"].to_numpy() + rng.uniform(-0.3, 0.3, len(pts)),
            y=pts["F"],
            mode="markers",
            marker={"size": 3, "color": "#4c72b0", "opacity": 0.45},
            name=f"(text, head) of {len(shown)} texts",
            customdata=np.stack([pts["layer"], pts["head"], pts["text_id"], [_snippet(texts[int(i)]) for i in pts["text_id"]]], -1),
            hovertemplate="layer %{customdata[0]}, head %{customdata[1]}<br>text %{customdata[2]}: %{customdata[3]}<br>F = %{y:.4f}<extra></extra>",
        )
    )
    fig.add_hline(
        y=float(df[f"F_{baseline}"].mean()),
        line={"color": "red", "dash": "dash", "width": 1.2},
        annotation_text=f"{baseline} baseline mean",
    )
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        xaxis={"title": {"text": "layer"}, "dtick": 1, "range": [-0.6, float(df["layer"].max()) + 0.6]},
        yaxis={"title": {"text": "F"}},
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.18},
        template="plotly_white",
    )
    return fig


def spec_curve(curve: pd.DataFrame, *, title: str = "", ylabel: str = "effect (text-level mean)"):
    """The specification curve, sorted by effect with 95 % CIs and coloured by origin; hovering a
    specification shows its choices (term definitions, threshold, λ, γ) and its estimate."""
    go = _go()
    need = {"effect", "ci_low", "ci_high", "origin", "definitions", "threshold", "lam", "gamma"}
    if missing := need - set(curve.columns):
        raise GedigError(f"spec_curve needs columns {sorted(missing)} (gedig.analysis.robustness.spec_curve)")
    c = curve.sort_values("effect", kind="stable").reset_index(drop=True)
    fig = go.Figure()
    order = [o for o in ("other", "paper's text", "author's code") if o in set(c["origin"])]
    order += sorted(set(c["origin"]) - set(order))  # the highlighted origins are drawn last, on top
    for origin in order:
        g = c[c["origin"] == origin]
        fig.add_trace(
            go.Scatter(
                x=g.index,
                y=g["effect"],
                mode="markers",
                name=f"{origin} ({len(g)})",
                marker={"size": 5, "color": ORIGIN_COLOURS.get(origin, "#333333")},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": g["ci_high"] - g["effect"],
                    "arrayminus": g["effect"] - g["ci_low"],
                    "thickness": 0.8,
                    "width": 0,
                },
                customdata=np.stack([g["definitions"], g["threshold"].astype(str), g["lam"], g["gamma"], g["ci_low"], g["ci_high"]], -1),
                hovertemplate=(
                    "terms: %{customdata[0]}<br>threshold: %{customdata[1]}<br>λ = %{customdata[2]}, γ = %{customdata[3]}"
                    "<br>effect %{y:.4f} [%{customdata[4]:.4f}, %{customdata[5]:.4f}]<extra>%{fullData.name}</extra>"
                ),
            )
        )
    fig.add_hline(y=0, line={"color": "black", "width": 0.8})
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        xaxis={"title": {"text": "specification (sorted by effect)"}},
        yaxis={"title": {"text": ylabel}},
        height=400,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
    )
    return fig


def plotly_js_path() -> Path:
    """The plotly.js bundled with the pinned plotly wheel (the version its figures expect)."""
    _go()
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise GedigError(f"the plotly wheel has no bundled plotly.min.js at {path}; reinstall plotly")
    return path


def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


def to_html(fig, *, div_id: str) -> str:
    """The figure as an HTML fragment without plotly.js, under a fixed element id (reproducible pages)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False, "responsive": True})


def show(fig, *, div_id: str):
    """Display the figure in a notebook as HTML only, so the book renders it interactive."""
    from IPython.display import HTML

    return HTML(to_html(fig, div_id=div_id))
