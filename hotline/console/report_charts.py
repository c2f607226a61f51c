"""The reports page's three charts, from the figures its tables show (hotline/console/charts.py draws them):
cases per period by kind with the calls, the median time to acknowledge per province against the windows,
and how many cases were acknowledged, reached and closed with each outcome."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .charts import Bar, Series, bars, stacked
from .words import say

AXIS = {"week": _l("Week (from Monday)"), "month": _l("Month"), "fiscal_year": _l("Fiscal year (October to September)")}


def charts(report, label, duration) -> dict:
    """name -> SVG; `label` names a period, `duration` writes seconds as the tables do."""
    return {"cases": _cases(report, label), "ack": _ack(report, duration), "arrivals": _arrivals(report)}


def _cases(report, label):
    series = [Series(row.label, row.counts) for row in report.kinds if row.total]
    calls = Series(_("Calls (all kinds)"), report.totals(report.languages))
    return stacked("chart-cases", _("Cases opened per period by kind, and calls"),
                   _("Stacked bars: the cases opened in each period, one band per kind; the line: the calls in each "
                     "period. The tables below give the numbers."),
                   [label(p, report.unit) for p in report.spans], series,
                   str(AXIS[report.unit]), _("Cases and calls"), calls)


def _ack(report, duration):
    config = current_app.config["HOTLINE"]
    rows = sorted(((name, s.median) for _k, name, s, _late in report.ack_provinces if s), key=lambda r: -r[1])
    marks = [(config.ESCALATION_ACK_WINDOW_URGENT / 60, _("Window for urgent cases: %(t)s", t=duration(config.ESCALATION_ACK_WINDOW_URGENT))),
             (config.ESCALATION_ACK_WINDOW_NORMAL / 60, _("Window for other cases: %(t)s", t=duration(config.ESCALATION_ACK_WINDOW_NORMAL)))]
    return bars("chart-ack", _("Median time to acknowledge per province, against the acknowledgement windows"),
                _("One bar per province, the slowest first: the median minutes from a case being opened to its "
                  "acknowledgement; the dashed lines are the windows a level has before the case goes up a level."),
                [Bar(name, seconds / 60, duration(seconds)) for name, seconds in rows], _("Minutes"), marks)


def _arrivals(report):
    story = report.story
    rows = [Bar(_("Cases acknowledged"), story.acknowledged, str(story.acknowledged)),
            Bar(_("Field team arrived"), story.arrived, str(story.arrived))]
    rows += [Bar(_("Closed: %(outcome)s", outcome=say("outcome", code)), n, str(n)) for code, n in report.outcomes]
    return bars("chart-arrivals", _("Cases acknowledged, reached and closed"),
                _("Of the cases opened in these periods: how many were acknowledged, how many a field team reported "
                  "arriving at, and how many were closed with each outcome."), rows, _("Cases"))
