"""Charts drawn on the server as inline SVG: no JavaScript, no outside file, readable by a screen
reader (``role="img"`` with a title and a description that states the figures), and styled by the
site's CSS (classes only: the page's CSP allows no inline style).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

WIDTH = 480
HEIGHT = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 24, 16, 40


def _nice_max(value: float) -> float:
    """The smallest round top at or above ``value`` whose quarter (one grid step) is 1, 2, 2.5 or
    5 × 10ⁿ, so that every grid line reads as a round number (counts stay whole)."""
    if value <= 0:
        return 4.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for quarter in (0.25, 0.5, 1, 2, 2.5, 5, 10):
        top = 4 * quarter * magnitude
        if value <= top and (magnitude > 1 or quarter >= 1 or value != int(value)):
            return float(top)
    return float(40 * magnitude)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


Number = Callable[[float], str]


def _frame(
    chart_id: str, title: str, description: str, top: float, unit: str, body: list[str], number: Number
) -> Markup:
    plot_h = HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    for i in range(5):
        value = top * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(number(value))}{escape(unit)}</text>"
        )
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def line_chart(
    chart_id: str,
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[dt.datetime, float]]]],
    *,
    unit: str = "",
    top: float | None = None,
    date_label: Callable[[dt.datetime], str],
    number: Number = _number,
) -> Markup:
    """One line per ``(label, [(time, value)])``, time on x (spread by date), value on y from 0."""
    points = [p for _label, pts in series for p in pts]
    if not points:
        return Markup("")
    highest = top if top is not None else _nice_max(max(v for _t, v in points))
    first = min(t for t, _v in points)
    last = max(t for t, _v in points)
    span = (last - first).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(t: dt.datetime) -> float:
        if last == first:
            return _LEFT + plot_w / 2
        return _LEFT + plot_w * (t - first).total_seconds() / span

    def y(v: float) -> float:
        return _TOP + plot_h - plot_h * min(v, highest) / highest

    body: list[str] = []
    told: list[str] = []
    for index, (label, pts) in enumerate(series):
        ordered = sorted(pts)
        css = f"series s{index % 4}"
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in ordered)
        if len(ordered) > 1:
            body.append(f'<polyline class="{css}" points="{coords}"/>')
        for t, v in ordered:
            body.append(f'<circle class="{css}" cx="{x(t):.1f}" cy="{y(v):.1f}" r="4"/>')
        told.append(f"{label}: " + ", ".join(f"{date_label(t)} {number(v)}{unit}" for t, v in ordered))
    body.append(f'<text class="axis" x="{_LEFT}" y="{HEIGHT - 12}">{escape(date_label(first))}</text>')
    if last != first:
        body.append(
            f'<text class="axis" x="{WIDTH - _RIGHT}" y="{HEIGHT - 12}" text-anchor="end">'
            f"{escape(date_label(last))}</text>"
        )
    return _frame(chart_id, title, "; ".join(told), highest, unit, body, number)


def bar_chart(
    chart_id: str, title: str, bars: Sequence[tuple[str, float]], *, unit: str = "", number: Number = _number
) -> Markup:
    """One bar per ``(label, value)``, labels under the bars, values above them."""
    if not bars:
        return Markup("")
    highest = _nice_max(max(v for _l, v in bars))
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_w / len(bars)
    width = min(slot * 0.6, 80)
    body: list[str] = []
    for index, (label, value) in enumerate(bars):
        h = plot_h * value / highest
        left = _LEFT + slot * index + (slot - width) / 2
        centre = left + width / 2
        body.append(
            f'<rect class="bar" x="{left:.1f}" y="{_TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}"/>'
        )
        body.append(
            f'<text class="value" x="{centre:.1f}" y="{_TOP + plot_h - h - 4:.1f}" text-anchor="middle">'
            f"{escape(number(value))}</text>"
        )
        body.append(
            f'<text class="axis" x="{centre:.1f}" y="{HEIGHT - 20}" text-anchor="middle">{escape(label)}</text>'
        )
    description = ", ".join(f"{label} {number(value)}{unit}" for label, value in bars)
    return _frame(chart_id, title, description, highest, unit, body, number)
