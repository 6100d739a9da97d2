"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript, no inline styles).

Colours come from CSS classes in staff.css; every chart also has its numbers as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    value: int


@dataclass(frozen=True)
class HorizontalChart:
    width: int
    height: int
    label_width: int
    bars: tuple[Bar, ...]


def horizontal_bars(items: Sequence[tuple[str, int, str]], width: int = 640,
                    row: int = 34, label_width: int = 170) -> HorizontalChart:
    """One bar per (label, value, css class); the longest bar fills the space left."""
    top = max([v for _, v, _ in items] + [1])
    room = width - label_width - 60
    bars = tuple(Bar(x=label_width, y=index * row + 6, width=max(room * value / top, 0),
                     height=row - 12, css=css, label=label, value=value)
                 for index, (label, value, css) in enumerate(items))
    return HorizontalChart(width, row * len(items) + 4, label_width, bars)


@dataclass(frozen=True)
class Column:
    label: str
    x: float
    total: int
    segments: tuple[Bar, ...]


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    top_value: int
    columns: tuple[Column, ...]
    column_width: float


def stacked_columns(columns: Sequence[tuple[str, Mapping[str, int]]],
                    series: Sequence[str], width: int = 640, height: int = 260) -> ColumnChart:
    """One column per (label, counts per series), stacked in `series` order from the bottom."""
    plot_top, plot_bottom, left = 20, height - 30, 30
    top = max([sum(counts.values()) for _, counts in columns] + [1])
    step = (width - left) / max(len(columns), 1)
    column_width = step * 0.64
    scale = (plot_bottom - plot_top) / top
    out = []
    for index, (label, counts) in enumerate(columns):
        x = left + index * step + (step - column_width) / 2
        y = float(plot_bottom)
        segments = []
        for name in series:
            value = counts.get(name, 0)
            if value:
                y -= value * scale
                segments.append(Bar(x, y, column_width, value * scale, f"series-{name}",
                                    name, value))
        out.append(Column(label, x, sum(counts.values()), tuple(segments)))
    return ColumnChart(width, height, plot_top, plot_bottom, top, tuple(out), column_width)
