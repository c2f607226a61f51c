"""The report page's figures for one user: read from the summary the workers keep (casework/summary.py) for the
periods it holds, counted live (casework/figures.py) for the rest: today, which the summary never holds, and any
period it has not counted yet. Both are the same queries' results, so the page shows the same figures either
way (tests/console/test_report_summary.py); only a change to an older call or case waits for the next recount.
"""
from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from casework import summary
from casework.figures import (
    Period,
    Spread,
    ack_durations,
    call_counts,
    case_counts,
    fiscal_year_start,
    grouped,
    late_counts,
    periods,
    spread,
    spreads,
)
from models import SummaryCount

__all__ = ["Figures", "Period", "Spread", "ack_durations", "call_counts", "case_counts", "figures", "fiscal_year_start",
           "grouped", "periods", "spread", "spreads"]


@dataclass
class Figures:
    by_province: dict  # province -> cases per span
    by_kind: dict  # kind -> cases per span
    by_language: dict  # language -> calls per span
    durations: dict = field(default_factory=lambda: defaultdict(lambda: array("d")))  # (province, level) -> seconds
    late: dict = field(default_factory=lambda: defaultdict(int))  # (province, level) -> cases acknowledged late
    counted_at: datetime | None = None  # the oldest count among the summary's periods used; None: all live
    counted_until: date | None = None  # the days before this one came from the summary


def figures(session: Session, unit: str, spans: list[Period], cases, calls, provinces: list[str] | None) -> Figures:
    """The page's counts and durations for these spans; `cases` and `calls` scope the live queries (trainers' left
    out, a field officer's provinces), `provinces` the summary's rows (None: every province)."""
    if unit == "fiscal_year":
        return _fiscal_years(session, spans, cases, calls, provinces)
    size = len(spans)
    found = Figures(*(defaultdict(lambda: [0] * size) for _n in range(3)))
    held = summary.counted(session, unit, spans)
    index = {p.start: i for i, p in enumerate(spans)}
    used, live = {}, []
    for i, span in enumerate(spans):
        row = held.get(span.start)
        until = row.counted_until if row is not None else span.start
        if until > span.start:
            used[span.start] = row
        if until < span.end:
            live.append((i, Period(until, span.end)))
    if used:
        everywhere = provinces is None  # the sums over every province; a field officer's provinces: their rows
        for target, figure, by in ((found.by_province, "cases/province", SummaryCount.province_code),
                                   (found.by_kind, "cases/kind" if everywhere else "cases", SummaryCount.key),
                                   (found.by_language, "calls/language" if everywhere else "calls", SummaryCount.key)):
            for start, key, count in summary.counts(session, unit, spans, figure, by, provinces):
                if start in used:
                    target[key][index[start]] += count
        found.durations = summary.durations(session, unit, set(used), provinces)
        found.late = summary.late_acks(session, unit, set(used), provinces)
        found.counted_at = min(row.counted_at for row in used.values())
        found.counted_until = max(row.counted_until for row in used.values())
    for run in _contiguous(live):
        pieces = [piece for _i, piece in run]
        for province, kind, j, count in case_counts(session, cases, pieces):
            found.by_province[province][run[j][0]] += count
            found.by_kind[kind][run[j][0]] += count
        for language, j, count in call_counts(session, calls, pieces):
            found.by_language[language][run[j][0]] += count
        durations = ack_durations(session, cases, pieces)
        grouped(durations, found.durations)
        late_counts(durations, found.late)
    return found


def _fiscal_years(session: Session, spans: list[Period], cases, calls, provinces: list[str] | None) -> Figures:
    """Fiscal years as the sums of their months: the summary's months (and the live count of the days it lacks)."""
    months = periods(spans[0].start, spans[-1].end - timedelta(days=1), "month")
    found = figures(session, "month", months, cases, calls, provinces)
    year = [next(j for j, span in enumerate(spans) if span.start <= month.start < span.end) for month in months]
    for counted in (found.by_province, found.by_kind, found.by_language):
        for key, per_month in list(counted.items()):
            counted[key] = [0] * len(spans)
            for i, count in enumerate(per_month):
                counted[key][year[i]] += count
    return found


def _contiguous(pieces: list[tuple[int, Period]]) -> list[list[tuple[int, Period]]]:
    """The live pieces in runs without gaps: one live query per run (usually one: the days since the summary's)."""
    runs: list[list[tuple[int, Period]]] = []
    for piece in pieces:
        if runs and runs[-1][-1][1].end == piece[1].start:
            runs[-1].append(piece)
        else:
            runs.append([piece])
    return runs
