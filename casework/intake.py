"""A report arrived: every channel (a call, the JSON API, the console, the chat to come) opens its case
through `report_arrived`, which routes it and writes the outbox row that starts its ladder.

Each channel keeps its own "once": one case per call (`case_for_call`), one per API token and
idempotency key (`app_report_arrived`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, Case, CaseTransition, Report, utcnow
from models.reference import route
from models.upsert import insert_ignore
from models.vocabulary import SOURCES, TRAINING

from . import work
from .linking import linked_case

BANGKOK = ZoneInfo("Asia/Bangkok")


@dataclass(frozen=True)
class Opened:
    case: Case
    job_ids: list[str] = field(default_factory=list)  # outbox items to enqueue once committed
    new: bool = True  # False: the report was seen before (a retry), nothing was written


def reference(case: Case) -> str:
    """`1300-69-004821`: the Thai Buddhist year of opening and the case number. A training case's is
    `TRAIN-69-004821`: never taken for a real one, never matched by a field team's reply."""
    year_be = case.created_at.astimezone(BANGKOK).year + 543
    series = "TRAIN" if case.source == TRAINING else "1300"
    return f"{series}-{year_be % 100:02d}-{case.id:06d}"


def report_arrived(session: Session, *, source: str, kind: str | None, urgency: str | None,
                   province_code: str | None, district_code: str | None = None, call_id: int | None = None,
                   actor: str = "system") -> Opened:
    """Open the case, routed to its province's centre (central triage when the province is unknown), with
    the outbox row that starts its SMS ladder; a training case gets none (it never pages a field team)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: add it to models.vocabulary.SOURCES")
    try:
        centre = route(session, province_code)
    except LookupError:  # no reference data loaded: keep the case, unrouted; the ladder flags it
        centre = None
    case = Case(source=source, call_id=call_id, category=kind, urgency=urgency or "normal",
                province_code=province_code, district_code=district_code, centre_id=centre.id if centre else None,
                status="new", level=0, created_at=utcnow())
    session.add(case)
    session.flush()
    case.reference = reference(case)
    case.transitions.append(CaseTransition(from_status=None, to_status="new", actor=actor,
                                           note=f"routed to {centre.code}" if centre else "no centre loaded: unrouted"))
    if source == TRAINING:
        return Opened(case)
    start = work.start_escalation(case)
    work.add(session, start)
    return Opened(case, [start.job_id])


def case_for_call(session: Session, call: Call, actor: str = "system") -> Opened:
    """The call's case, opened on first report (the menu, the final status, an operator); later: the same case.
    A call linked to another case (casework.linking) opens none: that case is its case."""
    session.flush()  # the call's answers so far are the case's
    existing = session.scalar(select(Case).where(Case.call_id == call.id)) or linked_case(session, call)
    if existing is not None:
        return Opened(existing, new=False)
    return report_arrived(session, source=TRAINING if call.simulated else "call", kind=call.category,
                          urgency=call.urgency, province_code=call.province_code, district_code=call.district_code,
                          call_id=call.id, actor=actor)


class IdempotencyKeyReused(ValueError):
    """The token sent this idempotency key before with another body: a different report, not a retry."""

    def __init__(self, key: str):
        super().__init__(f"idempotency key {key!r} was already used with a different request body")
        self.key = key


def body_sha256(body) -> str:
    """The request body as parsed JSON, in one canonical form: a retry hashes the same whatever its key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def app_report_arrived(session: Session, report: dict, body, *, source: str, kind: str | None, urgency: str | None,
                       province_code: str | None, district_code: str | None, actor: str) -> Opened:
    """A report from the JSON API (`report`: the Report row's values, `body`: the request's parsed JSON), once per
    token and idempotency key: a retry (the same body) gets the same case and writes nothing; another body under
    the same key raises IdempotencyKeyReused and leaves the first report as it was."""
    sha = body_sha256(body)
    report_id = insert_ignore(session, Report, ["token_id", "idempotency_key"], **report, body_sha256=sha)
    if report_id is None:
        first = session.scalars(select(Report).where(Report.token_id == report["token_id"],
                                                     Report.idempotency_key == report["idempotency_key"])).one()
        if first.body_sha256 is not None and first.body_sha256 != sha:  # NULL: stored before hashes were kept
            raise IdempotencyKeyReused(report["idempotency_key"])
        return Opened(session.get(Case, first.case_id), new=False)
    opened = report_arrived(session, source=source, kind=kind, urgency=urgency, province_code=province_code,
                            district_code=district_code, actor=actor)
    session.get(Report, report_id).case_id = opened.case.id
    return opened
