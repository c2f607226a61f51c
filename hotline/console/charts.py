"""The reports page's charts, drawn here as inline SVG (no library, nothing fetched by the browser): stacked bars per
period, and horizontal bars with reference lines. Each chart has a <title> and <desc>, axis labels and a legend in
the words it is given (the user's language), and a viewBox narrow enough that its text stays readable when it
shrinks to a phone's 390 px. The page shows the same numbers in a table next to each chart, for screen readers
and as the print fallback; the SVG itself is role="img"."""
from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400  # viewBox units: about 1:1 on a phone, so 11-unit text stays about 10 px
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999", "#000000")
FONT = 'font-family="sans-serif" font-size="11"'


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the page writes it (a count, `35 min`)


def ticks(top: float, count: int = 4) -> list[float]:
    """Round steps (1, 2 or 5 times a power of ten) from 0 up to at least `top`."""
    if top <= 0:
        return [0, 1]
    rough = top / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _number(value: float) -> str:
    return f"{value:g}"


def _open(name: str, title: str, desc: str, height: float) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {math.ceil(height)}" '
            f'role="img" aria-labelledby="{name}-title {name}-desc" {FONT}>',
            f'<title id="{name}-title">{escape(title)}</title>', f'<desc id="{name}-desc">{escape(desc)}</desc>']


def _close(out: list[str]) -> Markup:
    out.append("</svg>")
    return Markup("\n".join(out))  # nosec B704: every word in it went through escape(); the rest are our numbers


def _text(x: float, y: float, words: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(words)}</text>'


def stacked(name: str, title: str, desc: str, columns: list[str], series: list[Series], axis_x: str, axis_y: str,
            line: Series | None = None) -> Markup:
    """Stacked bars, one per column, a band per series; `line` (e.g. calls) drawn over them as points joined."""
    left, right, top, plot = 40, 8, 12, 180
    inner = WIDTH - left - right
    totals = [sum(column) for column in zip(*(s.values for s in series))] if series else [0] * len(columns)
    steps = ticks(max([*totals, *(line.values if line else [])], default=0))
    scale = plot / steps[-1]
    bottom = top + plot
    legend_rows = [*series, *([line] if line else [])]
    height = bottom + 44 + 16 * len(legend_rows)
    out = _open(name, title, desc, height)
    for value in steps:
        y = bottom - value * scale
        out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>')
        out.append(_text(left - 4, y + 4, _number(value), "end"))
    slot = inner / max(1, len(columns))
    bar = max(1.0, slot * 0.7)
    every = max(1, math.ceil(len(columns) * 44 / inner))  # a label every `every` columns, so they do not overlap
    for i, column in enumerate(columns):
        x, y = left + i * slot + (slot - bar) / 2, bottom
        for j, s in enumerate(series):
            h = s.values[i] * scale
            if h:
                out.append(f'<rect x="{x:.1f}" y="{y - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"/>')
                y -= h
        if i % every == 0:
            out.append(_text(left + (i + 0.5) * slot, bottom + 14, column, "middle"))
    if line:
        points = " ".join(f"{left + (i + 0.5) * slot:.1f},{bottom - v * scale:.1f}" for i, v in enumerate(line.values))
        out.append(f'<polyline points="{points}" fill="none" stroke="#000000" stroke-width="1.5"/>')
        out += [f'<circle cx="{left + (i + 0.5) * slot:.1f}" cy="{bottom - v * scale:.1f}" r="2.5" fill="#000000"/>'
                for i, v in enumerate(line.values)]
    out.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{bottom}" y2="{bottom}" stroke="#000000"/>')
    out.append(_text(left + inner / 2, bottom + 30, axis_x, "middle", ' font-weight="bold"'))
    out.append(_text(12, top + plot / 2, axis_y, "middle", f' font-weight="bold" transform="rotate(-90 12 {top + plot / 2:.1f})"'))
    for k, s in enumerate(legend_rows):
        y = bottom + 44 + 16 * k
        if s is line:
            out.append(f'<line x1="{left}" x2="{left + 12}" y1="{y - 4}" y2="{y - 4}" stroke="#000000" stroke-width="1.5"/>')
        else:
            out.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        out.append(_text(left + 18, y, s.label))
    return _close(out)


def bars(name: str, title: str, desc: str, rows: list[Bar], axis_x: str,
         marks: list[tuple[float, str]] = ()) -> Markup:
    """Horizontal bars, each with its label above it (long Thai names fit a phone) and its value after it;
    `marks` are dashed reference lines across all of them (e.g. the acknowledgement windows)."""
    left, right, top, row = 8, 70, 8, 30
    inner = WIDTH - left - right
    steps = ticks(max([*(r.value for r in rows), *(value for value, _l in marks)], default=0))
    scale = inner / steps[-1]
    bottom = top + row * len(rows) + 4
    height = bottom + 40 + 16 * len(marks)
    out = _open(name, title, desc, height)
    for value in steps:
        x = left + value * scale
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="#e0e0e0"/>')
        out.append(_text(x, bottom + 12, _number(value), "middle"))
    for i, r in enumerate(rows):
        y = top + i * row
        out.append(_text(left + 2, y + 11, r.label))
        width = max(0.0, r.value * scale)
        out.append(f'<rect x="{left}" y="{y + 15:.1f}" width="{width:.1f}" height="11" fill="{PALETTE[0]}"/>')
        out.append(_text(left + width + 4, y + 25, r.shown))
    for k, (value, words) in enumerate(marks):
        x = left + value * scale
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="{PALETTE[5]}" stroke-width="1.5" '
                   f'stroke-dasharray="{4 + 2 * k} 3"/>')
        y = bottom + 44 + 16 * k
        out.append(f'<line x1="{left}" x2="{left + 12}" y1="{y - 4}" y2="{y - 4}" stroke="{PALETTE[5]}" stroke-width="1.5" '
                   f'stroke-dasharray="{4 + 2 * k} 3"/>')
        out.append(_text(left + 18, y, words))
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#000000"/>')
    out.append(_text(left + inner / 2, bottom + 28, axis_x, "middle", ' font-weight="bold"'))
    return _close(out)
