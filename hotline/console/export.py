"""CSV downloads for spreadsheets: safe cells, Bangkok times, a BOM so Excel reads Thai.

A download is streamed: the rows are written and sent a batch at a time as they are read, so a 50,000-row
export never holds its rows (or their ORM objects) whole, and its first bytes leave at once. The view writes
and commits the audit entry before it returns the response, so nothing leaves unaudited.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence

from flask import Response

from models import utcnow

from .i18n import BANGKOK

BATCH = 1000  # rows read from the database, and written out, at a time


def cell(value) -> str:
    """No spreadsheet formulas: a text that Excel would run (=, +, -, @) starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def local_time(moment) -> str:
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def download(name: str, header: Sequence[str], rows: Iterable[Sequence],
             closing: Callable[[], None] | None = None) -> Response:
    """`name-YYYYmmdd-HHMM.csv` (Bangkok time) as an attachment, streamed; every cell made safe.
    `closing` runs when the response is closed, sent in full or not (the client went away)."""
    stamp = utcnow().astimezone(BANGKOK).strftime("%Y%m%d-%H%M")
    response = Response(_lines(header, rows, closing), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
    if closing is not None:
        response.call_on_close(closing)
    return response


def _lines(header: Sequence[str], rows: Iterable[Sequence], closing: Callable[[], None] | None) -> Iterator[str]:
    """The BOM and the header, then the rows, BATCH at a time: the same text as one csv.writer over them all."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(header)
    try:
        for number, row in enumerate(rows, 1):
            writer.writerow([cell(value) for value in row])
            if number % BATCH == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()
    finally:
        if closing is not None:
            closing()  # as soon as the last row is read; the response's close runs it again, harmlessly
