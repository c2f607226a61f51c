"""Thailand's 77 provinces as a hexagon tile map, one tile per province, shaded by a count.

Tile places (data/province_tiles.csv, "odd-r" hex rows: odd rows sit half a tile to the right) are
drawn by hand to keep neighbours next to each other; a real boundary map needs data we do not ship.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache

from casework.config import ROOT

TILES = ROOT / "data" / "province_tiles.csv"
SHADES = 5  # q1..q5; q0 is none
RADIUS = 20  # px, centre to corner
WIDTH = math.sqrt(3) * RADIUS


@lru_cache(maxsize=1)
def places() -> dict[str, tuple[int, int]]:
    """Province code -> (column, row)."""
    with open(TILES, newline="", encoding="utf-8") as f:
        return {row["code"]: (int(row["col"]), int(row["row"])) for row in csv.DictReader(f)}


def shade(count: int, top: int) -> int:
    """0 for none, else 1..5 on a square-root scale up to the largest count, so that a few busy
    provinces do not leave all the others in the palest shade."""
    if count <= 0 or top <= 0:
        return 0
    return next(level for level in range(1, SHADES + 1) if count * SHADES ** 2 <= level ** 2 * top)


def legend(top: int) -> list[tuple[int, int, int]]:
    """(shade, lowest, highest) for each shade some count can have; (0, 0, 0) first."""
    steps, low = [(0, 0, 0)], 1
    for level in range(1, SHADES + 1):
        high = level ** 2 * top // SHADES ** 2
        if low <= high:
            steps.append((level, low, high))
            low = high + 1
    return steps


@dataclass(frozen=True)
class Tile:
    code: str
    x: float  # centre
    y: float
    points: str
    count: int | None  # None: outside the reader's provinces
    shade: int


def _corners(x: float, y: float) -> str:
    return " ".join(f"{x + RADIUS * math.cos(math.radians(a)):.1f},{y + RADIUS * math.sin(math.radians(a)):.1f}"
                    for a in range(-90, 270, 60))


def tiles(counts: dict[str, int], visible=lambda code: True) -> tuple[list[Tile], tuple[float, float]]:
    """A tile per province with its count and shade, and the drawing's width and height."""
    top = max(counts.values(), default=0)
    out = []
    for code, (col, row) in sorted(places().items()):
        x, y = WIDTH * (col + 0.5 * (row % 2)) + WIDTH / 2, 1.5 * RADIUS * row + RADIUS
        count = counts.get(code, 0) if visible(code) else None
        out.append(Tile(code, round(x, 1), round(y, 1), _corners(x, y), count, shade(count or 0, top)))
    width = max(t.x for t in out) + WIDTH / 2 + 1
    height = max(t.y for t in out) + RADIUS + 1
    return out, (math.ceil(width), math.ceil(height))
