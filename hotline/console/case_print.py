"""A case on A4 for handing it over to the police (issue 19): what, where, the intake's summary, the field team's
reports, the referrals, the escalation's levels and times and the staff's notes.

Never the caller's identity (their number, the API report's reporter id or contact number), never a phone number
at all; the intake's free text about who is held responsible only for the roles that read it on the case. Whoever
may see the case may print it (a field officer: their provinces' cases), and every print is audited as an export.
"""
from __future__ import annotations

from babel import Locale
from flask import render_template
from flask_babel import get_locale
from sqlalchemy import select

from casework import case_facts as facts
from models import FieldReport, Referral, Report, utcnow

from . import bp
from .access import EVERYONE, STAFF, current_user, db, requires
from .audit import record
from .call_page import notes
from .case_place import where
from .cases import actor_names, escalation_rows, visible_case

FREE_TEXT_READERS = STAFF  # the intake's "held responsible": people named by the caller, not needed to act


def nationality_names(codes: list[str]) -> list[str]:
    """ISO 3166 codes as the user's words, the code kept beside them for the police's forms."""
    territories = Locale.parse(str(get_locale())).territories
    return [f"{territories.get(code, code)} ({code})" for code in codes or [] if isinstance(code, str)]


@bp.get("/cases/<int:case_id>/print")
@requires(*EVERYONE)
def print_case(case_id: int):
    user, case = current_user(), visible_case(case_id)
    record(db(), "export_case", user, target=f"case:{case.reference}", reason="print")
    db().commit()
    intake = facts.current(db(), case)
    report = db().scalar(select(Report).where(Report.case_id == case.id))
    timeline, _messages = escalation_rows(case)  # the messages hold numbers and SMS texts: not printed
    return render_template(
        "console/case_print.html", case=case, now=utcnow(), intake=intake, where=where(case, intake),
        nationalities=nationality_names(intake.nationalities) if intake else [],
        free_text=user.role in FREE_TEXT_READERS, description=report.description if report else None,
        field_reports=db().scalars(select(FieldReport).where(FieldReport.case_id == case.id)
                                   .order_by(FieldReport.at, FieldReport.id)).all(),
        referrals=db().scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)).all(),
        timeline=timeline, actors=actor_names(case), notes=notes(case))
