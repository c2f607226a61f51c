"""The reports page's figures counted live by the database (GROUP BY) over whole weeks or months in Bangkok time:
what the page counts for the days its summary does not hold yet (today), and what the summary's job counts
(`casework.summary`), so both give the same figures by construction. A Thai fiscal year (October to September) is
twelve whole months, so the page adds up its months (hotline/console/report_queries.py) rather than count it again.

A period is a [start, end) range of Bangkok days; the column is bucketed with one CASE over the
period ends (bound as UTC times), so SQLite and PostgreSQL run the same statement and the index
on the time column still limits the rows read.
"""
from __future__ import annotations

import statistics
from array import array
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models import Call, Case, Escalation

BANGKOK = ZoneInfo("Asia/Bangkok")
FISCAL_YEAR_MONTH = 10  # the Thai government's year runs October to September; named by the year it ends in


@dataclass(frozen=True)
class Period:
    start: date  # first day, Bangkok
    end: date  # the day after the last

    def bounds(self) -> tuple[datetime, datetime]:
        return utc(self.start), utc(self.end)


def utc(day: date) -> datetime:
    """Midnight at the start of a Bangkok day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=BANGKOK).astimezone(UTC)


def fiscal_year_start(day: date) -> date:
    """1 October of the Thai fiscal year a day is in (October to September)."""
    return date(day.year if day.month >= FISCAL_YEAR_MONTH else day.year - 1, FISCAL_YEAR_MONTH, 1)


def periods(first: date, last: date, unit: str) -> list[Period]:
    """The weeks (Monday first), calendar months or Thai fiscal years that cover first..last, whole."""
    out = []
    if unit == "week":
        start = first - timedelta(days=first.weekday())
    else:
        start = first.replace(day=1) if unit == "month" else fiscal_year_start(first)
    while start <= last:
        if unit == "week":
            end = start + timedelta(days=7)
        elif unit == "month":
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        out.append(Period(start, end))
        start = end
    return out


def _bucket(column, spans: list[Period]):
    """The index of the period a time falls in (the WHERE clause keeps times inside the first..last)."""
    if len(spans) == 1:
        return literal(0)
    return case(*[(column < utc(p.end), i) for i, p in enumerate(spans[:-1])], else_=len(spans) - 1)


def _counted(statement, column, spans: list[Period], *keys):
    """count(*) per keys and period; grouped in an outer query, since PostgreSQL sees each bound CASE as new."""
    start, end = utc(spans[0].start), utc(spans[-1].end)
    inner = statement.add_columns(*keys, _bucket(column, spans).label("period")) \
        .where(column >= start, column < end).subquery()
    grouping = [inner.c[key.key] for key in keys] + [inner.c.period]
    return select(*grouping, func.count()).group_by(*grouping)


def case_counts(session, scoped, spans: list[Period]) -> list[tuple[str | None, str | None, int, int]]:
    """(province, kind, period index, cases) for cases opened in the periods; `scoped` limits the cases seen."""
    statement = _counted(scoped(select()), Case.created_at, spans, Case.province_code, Case.category)
    return [tuple(row) for row in session.execute(statement)]


def call_counts(session, scoped, spans: list[Period], keys=(Call.language,)) -> list[tuple]:
    """(language, period index, calls) for calls that started in the periods; (province, language, ...) with
    keys=(Call.province_code, Call.language)."""
    statement = _counted(scoped(select()), Call.started_at, spans, *keys)
    return [tuple(row) for row in session.execute(statement)]


class seconds_between(FunctionElement):
    """Seconds from one time column to another, computed by the database (one row per case, no datetimes to parse)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def ack_durations(session, scoped, spans: list[Period]) -> list[tuple[str | None, int | None, float, bool]]:
    """(province, level, seconds from opening to acknowledgement, acknowledged late) per acknowledged case opened in
    the periods; late: a window had passed with nobody acknowledging (`Case.missed`).

    The level is the lowest escalation level whose SMS was answered with an ACK; None when the case was
    acknowledged in the console. One row per case: few enough to take the median in Python on both databases.
    One join, grouped per case: with an aggregated subquery instead, PostgreSQL's generic plan for the
    prepared statement (psycopg prepares it from the 5th run) guessed one case and re-ran the subquery for
    each of them: minutes at 100,000 cases (bench/reports_queries.py).
    """
    start, end = utc(spans[0].start), utc(spans[-1].end)
    acked = Escalation.case_id == Case.id, Escalation.acknowledged_at.is_not(None)
    statement = scoped(select(Case.province_code, func.min(Escalation.level), seconds_between(Case.created_at, Case.acknowledged_at),
                              Case.missed(end))  # an acknowledged case is not waiting: `end` changes nothing
                       .outerjoin(Escalation, and_(*acked))
                       .where(Case.acknowledged_at.is_not(None), Case.created_at >= start, Case.created_at < end)
                       .group_by(Case.id, Case.province_code, Case.created_at, Case.acknowledged_at))
    return [(province, level, max(0.0, seconds), bool(late)) for province, level, seconds, late in session.execute(statement)]


@dataclass(frozen=True)
class Spread:
    cases: int
    median: float
    p90: float


def spread(seconds: list[float]) -> Spread:
    """Median and 90th percentile with linear interpolation, as PostgreSQL's percentile_cont gives them."""
    ordered = sorted(seconds)
    if len(ordered) == 1:
        return Spread(1, ordered[0], ordered[0])
    return Spread(len(ordered), statistics.median(ordered),
                  statistics.quantiles(ordered, n=10, method="inclusive")[8])


def grouped(durations, groups: dict | None = None) -> dict[tuple, array]:
    """ack_durations' rows as (province, level) -> the seconds of each case (added to `groups` if given)."""
    groups = defaultdict(lambda: array("d")) if groups is None else groups
    for province, level, seconds, _late in durations:
        groups[province, level].append(seconds)
    return groups


def late_counts(durations, counts: dict | None = None) -> dict[tuple, int]:
    """ack_durations' rows as (province, level) -> the cases acknowledged late (added to `counts` if given)."""
    counts = defaultdict(int) if counts is None else counts
    for province, level, _seconds, late in durations:
        if late:
            counts[province, level] += 1
    return counts


def spreads(groups: dict[tuple, array]) -> tuple[dict, dict, Spread | None]:
    """The spreads of grouped durations per province, per level, and of all of them (None when there are none).
    Each group is sorted once; the merged ones are then sorted runs, which Python's sort merges in linear time."""
    ordered = {key: sorted(seconds) for key, seconds in groups.items() if seconds}
    per_province, per_level = defaultdict(list), defaultdict(list)
    for (province, level), seconds in ordered.items():
        per_province[province].extend(seconds)
        per_level[level].extend(seconds)
    everything = [s for seconds in per_level.values() for s in seconds]
    return ({k: spread(v) for k, v in per_province.items()}, {k: spread(v) for k, v in per_level.items()},
            spread(everything) if everything else None)
