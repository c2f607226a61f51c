"""A report made in the LINE chat becomes a case (issue 17), through the casework's one entry point
(`intake.report_arrived`, source `line`): routed to its province's centre and escalated by SMS like a call's.
One case per report (`LineReport.case_id` is unique). A report of someone in danger now opens its case at once;
the place given after that reaches the case as late input (casework.late_input: moved while nobody has acted)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, LineChat, LineReport, utcnow
from models.line import simulated
from models.vocabulary import TRAINING

from . import late_input
from .intake import Opened, report_arrived
from .line_place import Where

SOURCE = "line"
MAX_ACCOUNT = 5000  # characters: LINE's own limit for a text message


def start(session: Session, chat: LineChat, kind: str | None, urgency: str) -> LineReport:
    report = LineReport(chat_id=chat.id, language=chat.language, kind=kind, urgency=urgency, started_at=utcnow())
    session.add(report)
    session.flush()
    return report


def current(session: Session, chat: LineChat) -> LineReport | None:
    """The report the chat is making now (None: none)."""
    return session.scalars(select(LineReport).where(LineReport.chat_id == chat.id, LineReport.completed_at.is_(None))
                           .order_by(LineReport.id.desc()).limit(1)).first()


def open_case(session: Session, report: LineReport, actor: str = "system") -> Opened:
    """The report's case, opened with what it says so far; later: the same case. The console's LINE simulator's
    chat opens a training case (models.line.simulated): it never pages a field team."""
    if report.case_id is not None:
        return Opened(session.get(Case, report.case_id), new=False)
    chat = session.get(LineChat, report.chat_id)
    source = TRAINING if simulated(chat.line_user_id) else SOURCE
    opened = report_arrived(session, source=source, kind=report.kind, urgency=report.urgency,
                            province_code=report.province_code, district_code=report.district_code, actor=actor)
    report.case_id = opened.case.id
    return opened


def place(session: Session, report: LineReport, where: Where) -> list[str]:
    """Where it happened, on the report; on its case too when one is open already. The outbox job ids to enqueue."""
    report.province_code, report.district_code = where.province_code, where.district_code
    report.latitude, report.longitude = where.latitude, where.longitude
    if report.case_id is None or where.province_code is None:
        return []
    case = session.get(Case, report.case_id, with_for_update=True)
    return late_input.reaches_case(session, case, {"province_code": where.province_code,
                                                   "district_code": where.district_code})


def complete(session: Session, report: LineReport, account: str | None) -> Opened:
    """The last answer (the person's own words, or none): the report is done and has its case."""
    report.account = account[:MAX_ACCOUNT] if account else None
    report.completed_at = utcnow()
    return open_case(session, report)
