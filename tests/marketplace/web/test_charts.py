"""The server-drawn SVG charts: scaled to their data, readable without sight, safe with any label."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from marketplace.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def _day(n: int) -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)


def test_a_line_chart_places_points_by_date_and_value_and_states_them() -> None:
    svg = charts.line_chart(
        "c",
        "Battery",
        [("Pack <A>", [(_day(0), 90.0), (_day(30), 80.0), (_day(90), 50.0)])],
        unit=" %",
        top=100.0,
        date_label=lambda t: t.date().isoformat(),
    )
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output; well-formed: "<A>" escaped
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Battery"
    desc = root.find(f"{SVG}desc").text
    assert desc == "Pack <A>: 2026-01-01 90 %, 2026-01-31 80 %, 2026-04-01 50 %"
    circles = root.findall(f"{SVG}circle")
    xs = [float(c.get("cx")) for c in circles]
    ys = [float(c.get("cy")) for c in circles]
    assert xs[0] < xs[1] < xs[2]
    assert (xs[1] - xs[0]) * 2 == pytest.approx(xs[2] - xs[1], abs=0.2)  # 30 days, then 60
    assert ys[0] < ys[1] < ys[2]  # lower value, lower on the page (larger y)
    assert " style=" not in str(svg)  # the page's CSP allows no inline style


def test_a_bar_chart_has_round_grid_lines_and_one_bar_per_value() -> None:
    svg = str(charts.bar_chart("b", "Reused", [("Company", 1), ("University", 3), ("Non-profit", 5)]))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert len(root.findall(f"{SVG}rect")) == 3
    ticks = [t.text for t in root.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8"]  # whole steps for counts
    heights = [float(r.get("height")) for r in root.findall(f"{SVG}rect")]
    assert heights[2] == 5 * heights[0]


def test_no_data_draws_nothing() -> None:
    assert str(charts.bar_chart("b", "t", [])) == ""
    assert str(charts.line_chart("c", "t", [], date_label=str)) == ""
    assert not re.search("<svg", str(charts.line_chart("c", "t", [("x", [])], date_label=str)))
