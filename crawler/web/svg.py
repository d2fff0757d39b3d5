"""Chart geometry for inline SVG (no JavaScript, no inline styles: the CSP allows neither).

The functions return numbers and labels only; templates draw them as ``<rect>``/``<polyline>`` with
presentation attributes, so every label (a platform or seller name) is escaped by Jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PALETTE: tuple[str, ...] = ("#2e86c1", "#7d3c98", "#b9770e", "#229954", "#566573", "#a04000", "#17a589", "#b03a2e")
KIND_COLORS: dict[str, str] = {"banned": "#8e3b7a", "counterfeit": "#b03a2e", "missing_origin": "#c9951b",
                               "price_anomaly": "#2e6fa8"}
"""The same colour per kind as the kind chips of the pages."""


@dataclass
class Bar:
    """One stacked segment: position, size, colour, and the tooltip text."""

    x: float
    y: float
    width: float
    height: float
    color: str
    tip: str


@dataclass
class StackedChart:
    """A stacked bar chart: bars, x labels, the legend, the largest total."""

    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    top: int = 0
    totals: list[tuple[float, float, int]] = field(default_factory=list)


def stacked_bars(columns: list[str], values: list[dict[str, int]], series: list[tuple[str, str]], *,
                 width: int = 560, height: int = 200, colors: dict[str, str] | None = None) -> StackedChart:
    """Stacked bars, one column per label; ``series`` is (key, legend label) in stacking order;
    ``colors`` picks a series' colour by key (else the palette in order)."""
    chart = StackedChart(width, height)
    colors = colors or {}
    palette = [colors.get(key, PALETTE[index % len(PALETTE)]) for index, (key, _) in enumerate(series)]
    chart.legend = [(palette[index], name) for index, (_, name) in enumerate(series)]
    base_y, plot_h, left = height - 24, height - 44, 8
    step = (width - left) / max(1, len(columns))
    top = max([sum(column.values()) for column in values] + [1])
    chart.top = top
    for index, (name, column) in enumerate(zip(columns, values, strict=True)):
        x = left + index * step + step * 0.15
        bar_w = step * 0.7
        y = float(base_y)
        total = 0
        for number, (key, legend) in enumerate(series):
            count = column.get(key, 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            total += count
            chart.bars.append(Bar(round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1), palette[number],
                                  f"{name} — {legend}: {count}"))
        chart.labels.append((round(x + bar_w / 2, 1), name))
        if total:
            chart.totals.append((round(x + bar_w / 2, 1), round(y - 4, 1), total))
    return chart


@dataclass
class LineChart:
    """A step of prices over time: the polyline's points, dots with tooltips, axis labels."""

    width: int
    height: int
    points: str = ""
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    low: str = ""
    high: str = ""
    first: str = ""
    last: str = ""


def price_line(history: list[tuple[datetime, int]], show_price: object, show_day: object, *,
               width: int = 560, height: int = 180) -> LineChart | None:
    """The price history as a line (each price held until the next); None with fewer than two points."""
    if len(history) < 2:
        return None
    chart = LineChart(width, height)
    times = [moment.timestamp() for moment, _ in history]
    prices = [price for _, price in history]
    t0, t1 = min(times), max(times)
    p0, p1 = min(prices), max(prices)
    span_t, span_p = (t1 - t0) or 1.0, (p1 - p0) or max(1, p1 * 0.1)
    left, right, top, bottom = 8, width - 8, 16, height - 24

    def xy(moment: float, price: int) -> tuple[float, float]:
        x = left + (moment - t0) / span_t * (right - left)
        y = bottom - (price - p0) / span_p * (bottom - top) if p1 != p0 else (top + bottom) / 2
        return round(x, 1), round(y, 1)

    coords: list[tuple[float, float]] = []
    for index, (moment, price) in enumerate(zip(times, prices, strict=True)):
        x, y = xy(moment, price)
        if index:
            coords.append((x, coords[-1][1]))
        coords.append((x, y))
        chart.dots.append((x, y, f"{show_day(history[index][0])}: {show_price(price)}"))  # type: ignore[operator]
    chart.points = " ".join(f"{x},{y}" for x, y in coords)
    chart.low, chart.high = show_price(p0), show_price(p1)  # type: ignore[operator]
    chart.first, chart.last = show_day(history[0][0]), show_day(history[-1][0])  # type: ignore[operator]
    return chart
