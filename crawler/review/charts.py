"""Report charts drawn with matplotlib (Agg, no display), returned as PNG bytes or a data: URI.

Uses ``matplotlib.figure.Figure`` directly (no pyplot global state), DejaVu Sans (it has every
Vietnamese letter), and fixed PNG metadata so the same data gives the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from matplotlib.figure import Figure

PALETTE: tuple[str, ...] = ("#c0392b", "#8e44ad", "#d68910", "#2471a3", "#1e8449", "#566573", "#a04000")
_PNG_METADATA = {"Software": None}


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata=_PNG_METADATA)
    return buffer.getvalue()


def _figure(width: float = 7.0, height: float = 3.4) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.set_layout_engine("tight")
    return figure


def _clip(label: str, size: int = 38) -> str:
    # matplotlib treats "$…$" as mathtext; listing-derived labels (sellers, categories) must stay text.
    label = label.replace("$", r"\$")
    return label if len(label) <= size else label[: size - 1] + "…"


def bar_chart(title: str, counts: Sequence[tuple[str, int]], *, color: str = PALETTE[3]) -> bytes:
    """A horizontal bar chart of (label, count), largest at the top; PNG bytes."""
    figure = _figure(height=max(2.2, 0.42 * len(counts) + 1.0))
    axes = figure.add_subplot()
    labels = [_clip(label) for label, _ in counts][::-1]
    values = [count for _, count in counts][::-1]
    bars = axes.barh(labels or ["—"], values or [0], color=color)
    axes.bar_label(bars, padding=3, fontsize=9)
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.tick_params(labelsize=9)
    return _png(figure)


def trend_chart(title: str, weeks: Sequence[tuple[str, dict[str, int]]], series: Sequence[tuple[str, str]]) -> bytes:
    """Stacked bars per week, one colour per series (key, label); PNG bytes."""
    figure = _figure(width=8.0, height=3.6)
    axes = figure.add_subplot()
    labels = [week for week, _ in weeks] or ["—"]
    bottoms = [0] * len(labels)
    for index, (key, label) in enumerate(series):
        values = [counts.get(key, 0) for _, counts in weeks] or [0]
        axes.bar(labels, values, bottom=bottoms, label=label, color=PALETTE[index % len(PALETTE)])
        bottoms = [base + value for base, value in zip(bottoms, values, strict=True)]
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes.set_ylim(0, max([*bottoms, 1]) * 1.15)
    return _png(figure)


def status_chart(title: str, counts: Sequence[tuple[str, int]]) -> bytes:
    """Review outcomes (label, count) as horizontal bars, one colour each, in the given order; PNG bytes."""
    colours = ("#566573", "#c0392b", "#1e8449", "#d68910")
    figure = _figure(height=max(2.2, 0.42 * len(counts) + 1.0))
    axes = figure.add_subplot()
    labels = [_clip(label) for label, _ in counts][::-1] or ["—"]
    values = [count for _, count in counts][::-1] or [0]
    bars = axes.barh(labels, values, color=[colours[i % len(colours)] for i in range(len(values))][::-1])
    axes.bar_label(bars, padding=3, fontsize=9)
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.tick_params(labelsize=9)
    return _png(figure)


def data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,…`` URI for an <img> in a self-contained HTML file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
