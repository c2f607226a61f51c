"""The case page's field reports (issue 19): what the team reported by SMS after the ACK (casework.replies), for
everyone who may see the case, the province's field officers included: time, who, what, the outcome and the text."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Case, FieldReport, User

from . import story
from .access import db


@story.case_section
def field_reports(case: Case, user: User) -> dict:
    reports = db().scalars(select(FieldReport).options(joinedload(FieldReport.contact))
                           .where(FieldReport.case_id == case.id).order_by(FieldReport.at, FieldReport.id))
    return {"field_reports": list(reports)}
