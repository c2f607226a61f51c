"""Reports for supervisors, admins and field officers (their provinces only): cases per province and
kind, time to acknowledge, calls per language, a tile map of the provinces, and each table as CSV."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import get_month_names
from flask import abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.validators import Optional

from casework.story_figures import Story, story
from models import Call, Case, utcnow

from . import bp
from .access import current_user, db, requires, scoped_calls, scoped_cases, snapshot
from .audit import record
from .cartogram import legend, tiles
from .export import download
from .forms import Day, Select
from .i18n import BUDDHIST_OFFSET, buddhist_year, province_label, today
from .report_charts import charts
from .report_queries import Period, figures, fiscal_year_start, periods, spreads
from .report_story import STORY_CSV, StoryTables
from .words import KIND, LANGUAGE, say

READERS = ("supervisor", "admin", "field_officer")  # field officers: their provinces' figures only
EXPORTERS = ("supervisor", "admin")  # as for cases.csv
DEFAULT_SPAN = {"week": 12, "month": 12, "fiscal_year": 3}  # periods shown when no dates are given
LONGEST = {"week": 106, "month": 60, "fiscal_year": 5}  # a fiscal year reads its 12 months: 5 of them, 60
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # far from datetime's limits in any time zone
LEVEL_NAMES = {1: _l("duty team"), 2: _l("provincial head"), 3: _l("central division"), None: _l("in the console")}


class ReportFilters(Form):
    """A GET form (no CSRF token): weeks, months or Thai fiscal years, and the days they must cover."""

    period = Select(_l("Per"), default="week")
    date_from = Day(_l("From"), validators=[Optional()])
    date_to = Day(_l("To"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.period.choices = [("week", _l("week")), ("month", _l("month")), ("fiscal_year", _l("fiscal year"))]


@dataclass
class Row:
    key: object
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Report(StoryTables):
    unit: str
    spans: list[Period]
    values: dict
    provinces: list[Row] = field(default_factory=list)
    kinds: list[Row] = field(default_factory=list)
    languages: list[Row] = field(default_factory=list)
    ack_provinces: list = field(default_factory=list)  # (code, label, Spread | None, acknowledged late)
    ack_levels: list = field(default_factory=list)  # (level, label, Spread | None, acknowledged late)
    ack_all: object = None
    ack_late: int = 0  # of ack_all's cases, those acknowledged late
    map_counts: dict = field(default_factory=dict)
    counted_at: datetime | None = None  # when the summary's figures used were counted (None: all counted live)
    counted_until: date | None = None  # ... for the days before this one
    story: Story = field(default_factory=Story)  # the case story's figures for all the spans together

    @property
    def last_day(self) -> date:
        return self.spans[-1].end - timedelta(days=1)

    def totals(self, rows: list[Row]) -> list[int]:
        return [sum(column) for column in zip(*(r.counts for r in rows))] if rows else [0] * len(self.spans)


def choose_periods(form: ReportFilters) -> tuple[str, date, date]:
    """The unit and days asked for; the last 12 weeks (or months, or 3 fiscal years) up to today when nothing (valid) is."""
    form.validate()
    for days in (form.date_from, form.date_to):
        if days.data and not EARLIEST <= days.data <= LATEST:
            days.errors = [*days.errors, _("Use a date between %(first)s and %(last)s.", first=EARLIEST.year, last=LATEST.year)]
            days.data = None
    unit = form.period.data if not form.period.errors else "week"
    last = form.date_to.data or today(utcnow())
    first = form.date_from.data or _back(last, unit)
    if first > last:
        form.date_from.errors = [*form.date_from.errors, _("The first day must not be after the last.")]
        first = _back(last, unit)
    if len(periods(first, last, unit)) > LONGEST[unit]:
        form.date_from.errors = [*form.date_from.errors, _("Choose at most %(n)s periods.", n=LONGEST[unit])]
        first = _back(last, unit)
    for days, day in ((form.date_from, first), (form.date_to, last)):
        if not days.errors:
            days.data = day  # the form shows the days the report covers
    return unit, first, last


def _back(last: date, unit: str) -> date:
    back = DEFAULT_SPAN[unit] - 1
    if unit == "week":
        return last - timedelta(weeks=back)
    if unit == "fiscal_year":
        start = fiscal_year_start(last)
        return start.replace(year=start.year - back)
    month = last.year * 12 + last.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def _rows(counted: dict, order: list, label, size: int) -> list[Row]:
    keys = [k for k in order if k in counted or k is not None] + [k for k in counted if k not in order]
    return [Row(k, label(k), counted.get(k, [0] * size)) for k in keys]


def build(unit: str, first: date, last: date) -> Report:
    user = current_user()
    spans = periods(first, last, unit)
    size = len(spans)
    report = Report(unit, spans, {"period": unit, "date_from": first.isoformat(), "date_to": last.isoformat()})
    # Trainers' simulated calls and their cases are left out of every figure.
    cases = lambda s: scoped_cases(s.where(Case.not_training()), user)  # noqa: E731
    calls = lambda s: scoped_calls(s.where(Call.not_training()), user)  # noqa: E731
    provinces = list(user.provinces or []) if user.role == "field_officer" else None  # as scoped_cases and scoped_calls
    with snapshot() as session:  # the summary's periods and their rows as one recount left them, not two
        found = figures(session, unit, spans, cases, calls, provinces)
        report.story = story(session, cases, Period(spans[0].start, spans[-1].end))
    report.counted_at, report.counted_until = found.counted_at, found.counted_until
    report.provinces = sorted((Row(k, province_label(k), v) for k, v in found.by_province.items()),
                              key=lambda r: (-r.total, r.key is None, r.label))
    report.kinds = _rows(found.by_kind, [*KIND, None], lambda k: say("kind", k) if k else _("not known yet"), size)
    report.languages = _rows(found.by_language, list(LANGUAGE), lambda k: say("language", k), size)
    report.map_counts = {r.key: r.total for r in report.provinces if r.key}

    per_province, per_level, report.ack_all = spreads(found.durations)
    late_provinces, late_levels = defaultdict(int), defaultdict(int)
    for (province, level), count in found.late.items():
        late_provinces[province] += count
        late_levels[level] += count
    report.ack_late = sum(late_levels.values())
    report.ack_provinces = sorted(((k, province_label(k), s, late_provinces[k]) for k, s in per_province.items()),
                                  key=lambda r: (r[0] is None, r[1]))
    report.ack_levels = [(level, _level_label(level), per_level.get(level), late_levels[level]) for level in (1, 2, 3, None)]
    return report


def _level_label(level: int | None) -> str:
    return _("level %(n)s", n=level) + f" · {LEVEL_NAMES[level]}" if level else str(LEVEL_NAMES[None])


def period_label(period: Period, unit: str) -> str:
    """`17 Nov` for a week (its Monday), `Nov 2569` for a month, `FY 2570` for a fiscal year (named by the year it
    ends in: October 2026 to September 2027), in the user's language and calendar."""
    months = get_month_names("abbreviated", locale=str(get_locale()))
    offset = BUDDHIST_OFFSET if buddhist_year() else 0
    if unit == "week":
        return f"{period.start.day} {months[period.start.month]}"
    if unit == "fiscal_year":
        return _("FY %(year)s", year=period.end.year + offset)
    return f"{months[period.start.month]} {period.start.year + offset}"


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """`45 min`, `3 h 05 min`, `2 d 4 h`: how long a team took, at a glance."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    if minutes < 48 * 60:
        return _("%(h)s h %(m)02d min", h=minutes // 60, m=minutes % 60)
    return _("%(d)s d %(h)s h", d=minutes // 1440, h=minutes % 1440 // 60)


@bp.get("/reports")
@requires(*READERS)
def reports():
    form = ReportFilters(request.args)
    report = build(*choose_periods(form))
    user = current_user()
    scope = set(user.provinces or []) if user.role == "field_officer" else None
    drawing, size = tiles(report.map_counts, (lambda code: code in scope) if scope is not None else (lambda code: True))
    return render_template("console/reports.html", form=form, report=report, tiles=drawing, map_size=size,
                           legend=legend(max(report.map_counts.values(), default=0)), label=period_label,
                           charts=charts(report, period_label, duration),
                           exporter=user.role in EXPORTERS, recount=current_app.config["HOTLINE"])


@bp.app_template_filter("country")
def country(code: str) -> str:
    """A nationality's ISO 3166 code as the country's name in the user's language."""
    return Locale.parse(str(get_locale())).territories.get(code, code)


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def _counts_table(report: Report, rows: list[Row], key: str, name: str):
    header = [key, name, *(p.start.isoformat() for p in report.spans), "total"]
    body = [[r.key or "", r.label, *r.counts, r.total] for r in rows]
    body.append(["", "total", *report.totals(rows), sum(r.total for r in rows)])
    return header, body


def _spread_table(rows, key: str, name: str):
    header = [key, name, "cases", "median_minutes", "p90_minutes", "in_time", "late"]
    return header, [[k or "", label, s.cases if s else 0, _minutes(s and s.median), _minutes(s and s.p90),
                     (s.cases if s else 0) - late, late] for k, label, s, late in rows]


CSV_TABLES = {
    "provinces": lambda r: _counts_table(r, r.provinces, "province_code", "province"),
    "kinds": lambda r: _counts_table(r, r.kinds, "kind", "kind_name"),
    "languages": lambda r: _counts_table(r, r.languages, "language", "language_name"),
    "ack-provinces": lambda r: _spread_table(r.ack_provinces, "province_code", "province"),
    "ack-levels": lambda r: _spread_table(r.ack_levels, "level", "level_name"),
    **STORY_CSV,
}


@bp.get("/reports/<table>.csv")
@requires(*EXPORTERS)
def reports_csv(table: str):
    """One report table as CSV, for the same periods as the page; audited like every export."""
    if table not in CSV_TABLES:
        abort(404)
    report = build(*choose_periods(ReportFilters(request.args)))
    header, body = CSV_TABLES[table](report)
    record(db(), "export_csv", current_user(), target=f"report:{table}",
           reason="; ".join(f"{k}={v}" for k, v in sorted(report.values.items())) + f" ({len(body)} rows)")
    db().commit()
    return download(f"report-{table}", header, body)
