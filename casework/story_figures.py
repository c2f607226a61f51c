"""The ministry's figures from the case story (models/story.py) for the cases opened in one span of Bangkok days:
people, minors and nationalities per province and kind and the signs of trafficking (each case's newest intake),
referrals per agency and status, outcomes, and arrivals with the time from acknowledgement to the first one.

Counted live, not in the summary: a case's intake, referrals and field reports change for days after it opened,
which a recount of recent periods would miss, and one row per case is cheap at the hotline's volume (thousands
of cases a year; bench/results/story_figures.md). `scoped` limits the cases as for the other figures.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Text, and_, cast, func, select

from models import Case, FieldReport, Intake, Referral

from .figures import Period, Spread, seconds_between, spread


@dataclass
class People:
    """What the newest intakes of a group of cases say."""

    cases: int = 0  # with an intake
    people: int = 0
    minors: int = 0
    nationalities: Counter = field(default_factory=Counter)  # ISO code -> cases naming it

    def add(self, cases: int, people: int | None, minors: int | None, nationalities: list | None) -> None:
        self.cases += cases
        self.people += people or 0
        self.minors += minors or 0
        for code in set(nationalities or []):
            self.nationalities[code] += cases

    def ranked(self) -> list[tuple[str, int]]:
        """(nationality, cases), the most first, then by code: the same order on every run."""
        return sorted(self.nationalities.items(), key=lambda item: (-item[1], item[0]))


@dataclass
class Story:
    by_province: dict = field(default_factory=lambda: defaultdict(People))  # province -> People
    by_kind: dict = field(default_factory=lambda: defaultdict(People))  # kind -> People
    everyone: People = field(default_factory=People)
    indicators: Counter = field(default_factory=Counter)  # indicator code -> cases
    referrals: dict = field(default_factory=dict)  # (agency, status) -> referrals
    outcomes: dict = field(default_factory=dict)  # outcome -> cases closed with it
    acknowledged: int = 0
    arrived: int = 0  # cases a field team reported arriving at
    to_arrival: dict = field(default_factory=dict)  # province -> Spread of acknowledgement to first arrival
    to_arrival_all: Spread | None = None


def story(session, scoped, span: Period) -> Story:
    start, end = span.bounds()
    opened = (Case.created_at >= start, Case.created_at < end)
    found = Story()
    for province, kind, nationalities, indicators, cases, people, minors in session.execute(_newest_intakes(scoped, opened)):
        nationalities, indicators = json.loads(nationalities or "null"), json.loads(indicators or "null")
        for group in (found.by_province[province], found.by_kind[kind], found.everyone):
            group.add(cases, people, minors, nationalities)
        for code in set(indicators or []):
            found.indicators[code] += cases
    found.referrals = {(agency, status): n for agency, status, n in session.execute(
        scoped(select(Referral.agency, Referral.status, func.count()).join(Case, Case.id == Referral.case_id))
        .where(*opened).group_by(Referral.agency, Referral.status))}
    found.outcomes = dict(session.execute(scoped(select(Case.outcome, func.count()))
                                          .where(*opened, Case.outcome.is_not(None)).group_by(Case.outcome)).all())
    found.acknowledged = session.scalar(scoped(select(func.count()).select_from(Case))
                                        .where(*opened, Case.acknowledged_at.is_not(None)))
    arrivals = session.execute(_arrivals(scoped, opened)).all()
    found.arrived = len(arrivals)
    waits = defaultdict(list)
    for province, seconds in arrivals:
        if seconds is not None:  # None: arrived at a case acknowledged no more (reassigned)
            waits[province].append(max(0.0, seconds))
    found.to_arrival = {province: spread(seconds) for province, seconds in waits.items()}
    every = [s for seconds in waits.values() for s in seconds]
    found.to_arrival_all = spread(every) if every else None
    return found


def _newest_intakes(scoped, opened):
    """(province, kind, nationalities, indicators, cases, people, minors) over each case's newest intake version,
    grouped by the lists as JSON text: a few thousand groups rather than a row (and two JSON values) per case."""
    newest = (select(Intake.case_id, func.max(Intake.version).label("version")).join(Case, Case.id == Intake.case_id)
              .where(*opened).group_by(Intake.case_id).subquery())
    keys = (Case.province_code, Case.category, cast(Intake.nationalities, Text), cast(Intake.indicators, Text))
    return scoped(select(*keys, func.count(), func.sum(Intake.people_count), func.sum(Intake.minors_count))
                  .join(newest, newest.c.case_id == Case.id)
                  .join(Intake, and_(Intake.case_id == newest.c.case_id, Intake.version == newest.c.version))
                  .group_by(*keys))


def _arrivals(scoped, opened):
    """(province, seconds from acknowledgement to the first "arrived" report) per case a team arrived at."""
    first = func.min(FieldReport.at)
    return scoped(select(Case.province_code, seconds_between(Case.acknowledged_at, first))
                  .join(FieldReport, and_(FieldReport.case_id == Case.id, FieldReport.kind == "arrived"))
                  .where(*opened).group_by(Case.id, Case.province_code, Case.acknowledged_at))
