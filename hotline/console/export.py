"""CSV downloads for spreadsheets: safe cells, Bangkok times, a BOM so Excel reads Thai."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from models import utcnow

from .i18n import BANGKOK


def cell(value) -> str:
    """No spreadsheet formulas: a text that Excel would run (=, +, -, @) starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def local_time(moment) -> str:
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def download(name: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """`name-YYYYmmdd-HHMM.csv` (Bangkok time) as an attachment; every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    stamp = utcnow().astimezone(BANGKOK).strftime("%Y%m%d-%H%M")
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
