"""The reports page's summary: its figures per whole week and calendar month, counted by a job, so that a long
range reads a few thousand summary rows instead of scanning a year of calls and cases per request.

Why periods and not days: the page only ever shows whole Bangkok weeks (Monday first) or calendar months
(`casework.figures.periods`), and at a heavy year's volume a day's cases are spread so thin over 77 provinces
and 8 kinds that a per-day row is nearly one row per case (bench/results/reports.md). So each week and each
month has its own rows (models/summary.py):

- `summary_periods`: the period is counted for its days [start, counted_until), as they were at counted_at;
- `summary_counts`: calls per (province, language), cases per (province, kind), and their sums per province,
  per kind and per language, which is what a supervisor's page reads (a few hundred rows a week); and the cases
  acknowledged late per (province, level) (`acks/late`, the level in `key`);
- `summary_acks`: per (province, level), the seconds each acknowledged case took, sorted; the page takes
  the median and 90th percentile of exactly the values the live query gives, so they stay exact.

Every figure is counted by the live queries themselves (`casework.figures`), with trainers' calls and cases
left out and a province per row, so a field officer's scope is a filter on the summary's rows. The page
(hotline/console/report_queries.py) reads the summary for what it holds and counts the rest live: today,
which is never in the summary, and any period not counted yet (before the first run, or if the workers
stopped). New calls and cases are therefore on the page at once; what the summary can lag behind is a
change to an older row (a case reassigned or acknowledged late, a call's province corrected by an
operator): the relay enqueues a recount of the periods touching the last REPORTS_RECOUNT_DAYS days every
REPORTS_RECOUNT_EVERY seconds, and of every period once a night after the Bangkok hour REPORTS_RECOUNT_HOUR;
`flask reports recount` does it on demand. The page says when what it shows was counted.

A recount is idempotent: the same data gives the same rows, and a period whose figures did not change is
not rewritten (only its counted_at moves). Each period is one transaction that first takes its
`summary_periods` row (an upsert, which locks it), so two recounts of a period run one after the other.
"""
from __future__ import annotations

from array import array
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import LargeBinary, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from models import Call, Case, SummaryAcks, SummaryCount, SummaryPeriod, utcnow
from models.summary import pack, unpack

from . import figures, work
from .figures import BANGKOK, Period

UNITS = ("week", "month")
LATE_ACKS = "acks/late"  # per (province, level as the key): the cases acknowledged late (figures.late_counts)


def _cases(statement):
    return statement.where(Case.not_training())


def _calls(statement):
    return statement.where(Call.not_training())


def local_day(moment: datetime) -> date:
    return moment.astimezone(BANGKOK).date()


def recount(sessions: sessionmaker, first: date | None = None, last: date | None = None,
            now: datetime | None = None) -> tuple[int, int]:
    """Count again every week and month touching first..last (first None: from the first call or case; last
    None or later than today: up to today). (periods counted, periods whose figures changed)."""
    today = local_day(now or utcnow())
    last = min(last or today, today)
    if first is None:
        with sessions() as session:
            first = earliest(session)
        if first is None:
            return 0, 0
    counted = changed = 0
    for unit in UNITS:
        for period in figures.periods(first, last, unit):
            with sessions.begin() as session:
                changed += recount_period(session, unit, period, today)
            counted += 1
    return counted, changed


def earliest(session: Session) -> date | None:
    """The Bangkok day of the first call or case; None when there is neither."""
    times = [t for t in (session.scalar(select(func.min(Call.started_at))),
                         session.scalar(select(func.min(Case.created_at)))) if t is not None]
    return local_day(min(times)) if times else None


def recount_period(session: Session, unit: str, period: Period, today: date) -> bool:
    """Count one period's days before today, in the caller's transaction; True when its rows changed."""
    until = max(period.start, min(period.end, today))
    _take(session, unit, period.start, until)
    counts, acks = _count(session, Period(period.start, until)) if until > period.start else ([], [])
    this = (SummaryCount.unit == unit, SummaryCount.start == period.start)
    old_counts = sorted((tuple(row) for row in session.execute(
        select(SummaryCount.figure, SummaryCount.province_code, SummaryCount.key, SummaryCount.count).where(*this))),
        key=_order)
    mine = (SummaryAcks.unit == unit, SummaryAcks.start == period.start)
    old_acks = sorted((tuple(row) for row in session.execute(
        select(SummaryAcks.province_code, SummaryAcks.level, SummaryAcks.seconds).where(*mine))), key=_order)
    if old_counts == counts and old_acks == acks:
        return False
    session.execute(delete(SummaryCount).where(*this))
    session.execute(delete(SummaryAcks).where(*mine))
    if counts:
        session.execute(insert(SummaryCount), [
            dict(unit=unit, start=period.start, figure=figure, province_code=province, key=key, count=count)
            for figure, province, key, count in counts])
    if acks:
        session.execute(insert(SummaryAcks), [
            dict(unit=unit, start=period.start, province_code=province, level=level, seconds=seconds)
            for province, level, seconds in acks])
    return True


def _count(session: Session, span: Period) -> tuple[list[tuple], list[tuple]]:
    """The live queries over one span, every province: (figure, province, key, count) and (province, level,
    sorted seconds packed), each in a fixed order."""
    cases = [(province, kind, count) for province, kind, _i, count in figures.case_counts(session, _cases, [span])]
    calls = [(province, language, count) for province, language, _i, count in
             figures.call_counts(session, _calls, [span], keys=(Call.province_code, Call.language))]
    sums = {"cases/province": defaultdict(int), "cases/kind": defaultdict(int), "calls/language": defaultdict(int)}
    for province, kind, count in cases:
        sums["cases/province"][province, None] += count
        sums["cases/kind"][None, kind] += count
    for _province, language, count in calls:
        sums["calls/language"][None, language] += count
    counts = [("cases", *row) for row in cases] + [("calls", *row) for row in calls]
    counts += [(figure, province, key, count) for figure, summed in sums.items() for (province, key), count in summed.items()]
    durations = figures.ack_durations(session, _cases, [span])
    counts += [(LATE_ACKS, province, _level_key(level), count)
               for (province, level), count in figures.late_counts(durations).items()]
    groups = figures.grouped(durations)
    return sorted(counts, key=_order), sorted(((p, lv, pack(sorted(s))) for (p, lv), s in groups.items()), key=_order)


def _level_key(level: int | None) -> str | None:
    return None if level is None else str(level)


def _order(row: tuple) -> tuple:
    return tuple((value is not None, value) for value in row[:3] if not isinstance(value, bytes))


def _take(session: Session, unit: str, start: date, until: date) -> None:
    """Write the period's row (new, or its counted_until and counted_at moved): the lock this recount holds."""
    upsert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(SummaryPeriod)
    statement = upsert.values(unit=unit, start=start, counted_until=until, counted_at=utcnow())
    session.execute(statement.on_conflict_do_update(
        index_elements=["unit", "start"],
        set_={"counted_until": statement.excluded.counted_until, "counted_at": statement.excluded.counted_at}))


def due(session: Session, config, now: datetime | None = None) -> work.Work:
    """What the relay enqueues now: every period, if tonight's recount has not run (or nothing was ever
    counted); else the periods touching the last REPORTS_RECOUNT_DAYS days, once per REPORTS_RECOUNT_EVERY."""
    now = now or utcnow()
    today = local_day(now)
    nightly = datetime.combine(today, time(config.REPORTS_RECOUNT_HOUR), tzinfo=BANGKOK)
    oldest = session.scalar(select(func.min(SummaryPeriod.counted_at)))
    if oldest is None or (now >= nightly and oldest < nightly):
        return work.recount_reports(None, today.isoformat(), f"all-{today.isoformat()}")
    every = max(1, config.REPORTS_RECOUNT_EVERY)
    slot = datetime.fromtimestamp(int(now.timestamp()) // every * every, UTC)  # one job id per REPORTS_RECOUNT_EVERY
    first = today - timedelta(days=config.REPORTS_RECOUNT_DAYS)
    return work.recount_reports(first.isoformat(), today.isoformat(), f"recent-{slot:%Y%m%d-%H%M%S}")


# --- what the page reads ------------------------------------------------------------------------------

def counted(session: Session, unit: str, spans: list[Period]) -> dict[date, SummaryPeriod]:
    """The periods of these spans that the summary holds, by start."""
    rows = session.scalars(select(SummaryPeriod).where(
        SummaryPeriod.unit == unit, SummaryPeriod.start >= spans[0].start, SummaryPeriod.start < spans[-1].end))
    return {row.start: row for row in rows}


def counts(session: Session, unit: str, spans: list[Period], figure: str, by, provinces: list[str] | None):
    """(start, by, count) summed over the other column, for the periods of these spans; `by` is
    SummaryCount.province_code or SummaryCount.key; `provinces` (a field officer's) limits the rows."""
    statement = select(SummaryCount.start, by, func.sum(SummaryCount.count)).where(
        SummaryCount.unit == unit, SummaryCount.figure == figure, SummaryCount.start >= spans[0].start,
        SummaryCount.start < spans[-1].end).group_by(SummaryCount.start, by)
    if provinces is not None:
        statement = statement.where(SummaryCount.province_code.in_(provinces))
    return [(start, key, int(count)) for start, key, count in session.execute(statement)]


def durations(session: Session, unit: str, starts: set[date], provinces: list[str] | None) -> dict[tuple, array]:
    """(province, level) -> seconds, for the periods whose start is in `starts`. PostgreSQL joins each group's
    packed seconds itself (string_agg), so a year comes back as a few hundred rows rather than ten thousand."""
    groups: dict[tuple, array] = defaultdict(lambda: array("d"))
    if not starts:
        return groups
    where = [SummaryAcks.unit == unit, SummaryAcks.start.in_(sorted(starts))]
    if provinces is not None:
        where.append(SummaryAcks.province_code.in_(provinces))
    keys = (SummaryAcks.province_code, SummaryAcks.level)
    if session.get_bind().dialect.name == "postgresql":
        joined = func.string_agg(SummaryAcks.seconds, literal(b"", LargeBinary), type_=LargeBinary)
        rows = session.execute(select(*keys, joined).where(*where).group_by(*keys))
    else:
        rows = session.execute(select(*keys, SummaryAcks.seconds).where(*where))
    packed: dict[tuple, list[bytes]] = defaultdict(list)
    for province, level, seconds in rows:
        packed[province, level].append(seconds)
    groups.update((key, unpack(b"".join(blobs))) for key, blobs in packed.items())
    return groups


def late_acks(session: Session, unit: str, starts: set[date], provinces: list[str] | None) -> dict[tuple, int]:
    """(province, level) -> the cases acknowledged late, for the periods whose start is in `starts`."""
    late: dict[tuple, int] = defaultdict(int)
    if not starts:
        return late
    statement = select(SummaryCount.province_code, SummaryCount.key, func.sum(SummaryCount.count)).where(
        SummaryCount.unit == unit, SummaryCount.figure == LATE_ACKS, SummaryCount.start.in_(sorted(starts))
    ).group_by(SummaryCount.province_code, SummaryCount.key)
    if provinces is not None:
        statement = statement.where(SummaryCount.province_code.in_(provinces))
    for province, key, count in session.execute(statement):
        late[province, None if key is None else int(key)] += int(count)
    return late
