"""The cases as a de-identified CSV for the ministry and researchers (issue 19): one row per case, its columns named
after IOM's Human Trafficking Case Data Standard (HTCDS) where it has a field for the fact, else plainly
(docs/deidentified-export.md has the mapping).

Nothing that names or finds a person: no names, numbers, free text, references, ids or coordinates, and no place
finer than the district. Training cases are left out. Supervisors and admins only; audited like every export.
"""
from __future__ import annotations

from collections.abc import Iterator

from flask import request
from sqlalchemy import and_, func, select

from models import Case, FieldReport, Intake, Referral
from models.vocabulary import OPEN_STATUSES, TRAINING

from . import bp
from .access import current_user, db, requires, snapshot
from .audit import record
from .cases import EXPORT_LIMIT, EXPORTERS, filtered
from .export import download
from .forms import CaseFilters
from .i18n import BANGKOK

CHUNK = 500  # cases whose intakes, referrals and arrivals are read at a time (SQLite's limit on parameters)

# A kind as HTCDS vic_TypeOfExploitation and, for labour, vic_TypeOfLabourExploitation.
KIND_TYPES = {
    "sexual_exploitation": ("SexualExploitation", ""),
    "forced_labour": ("ForcedLabour", ""),
    "forced_begging": ("ForcedLabour", "Begging"),
    "forced_criminality": ("ForcedLabour", "IllicitActivities"),
    "slavery": ("Other", ""),
    "organ_removal": ("Other", ""),
    "child_exploitation": ("Other", ""),
    "other": ("Other", ""),
}
# A sign of trafficking (models.vocabulary.INDICATORS, each of them) as a yes/no column: HTCDS's MethodsOfControl
# value where there is one.
INDICATOR_COLUMNS = {
    "documents_taken": "MethodsOfControlWithholdsDocuments",
    "debt_bondage": "MethodsOfControlDebtBondage",
    "not_free_to_leave": "MethodsOfControlRestrictsMovement",
    "threats_violence": "MethodsOfControlThreats",
    "pay_withheld": "MethodsOfControlTakesEarnings",
    "deceived_job": "MethodsOfControlFalsePromises",
    "child_commercial_sex": "child_in_commercial_sex",
    "forced_crime": "forced_to_commit_crimes",
    "moved_across_border": "moved_across_border",
}
REFERRED = ("referred_police", "referred_agency")  # a closed case with these outcomes is HTCDS's ClosedReferred

COLUMNS = ("yearOfRegistration", "CountryOfExploitation", "hte_State", "district_code", "hotline_kind",
           "vic_TypeOfExploitation", "vic_TypeOfLabourExploitation", "people_count", "minors_count", "female_count",
           "male_count", "prs_Nationality", *INDICATOR_COLUMNS.values(), "immediate_danger", "cas_ReferredOrganisation",
           "cas_Status", "cas_ReasonForCaseClosure", "hours_to_acknowledge", "hours_acknowledged_to_arrival")


def yes_no(value) -> str:
    return "" if value is None else "yes" if value else "no"


def hours(start, end) -> str:
    return "" if start is None or end is None else str(round((end - start).total_seconds() / 3600, 1))


def case_status(status: str, outcome: str | None) -> str:
    if status in OPEN_STATUSES:
        return "Active"
    return "ClosedReferred" if outcome in REFERRED else "Closed"


def _intakes(reading, ids: list[int]) -> dict[int, tuple]:
    newest = (select(Intake.case_id, func.max(Intake.version).label("version"))
              .where(Intake.case_id.in_(ids)).group_by(Intake.case_id).subquery())
    rows = reading.execute(
        select(Intake.case_id, Intake.province_code, Intake.district_code, Intake.people_count, Intake.minors_count,
               Intake.female_count, Intake.male_count, Intake.nationalities, Intake.indicators, Intake.immediate_danger)
        .join(newest, and_(Intake.case_id == newest.c.case_id, Intake.version == newest.c.version)))
    return {row[0]: row[1:] for row in rows}


def _referrals(reading, ids: list[int]) -> dict[int, str]:
    found: dict[int, list[str]] = {}
    for case_id, agency, status in reading.execute(
            select(Referral.case_id, Referral.agency, Referral.status).where(Referral.case_id.in_(ids))
            .order_by(Referral.case_id, Referral.id)):
        found.setdefault(case_id, []).append(f"{agency}:{status}")
    return {case_id: ";".join(pairs) for case_id, pairs in found.items()}


def _arrivals(reading, ids: list[int]) -> dict:
    return dict(reading.execute(select(FieldReport.case_id, func.min(FieldReport.at))
                                .where(FieldReport.case_id.in_(ids), FieldReport.kind == "arrived")
                                .group_by(FieldReport.case_id)).all())


def _row(case: tuple, intake: tuple | None, referrals: str, arrived) -> list:
    _id, created, category, province, district, status, outcome, acknowledged = case
    if intake is not None and intake[0]:  # the intake's place when it names one, as the case page shows it
        province, district = intake[0], intake[1]
    people, minors, female, male, nationalities, indicators, danger = intake[2:] if intake else (None,) * 7
    kind_type, labour_type = KIND_TYPES.get(category or "", ("", ""))
    signs = [("" if intake is None else yes_no(code in (indicators or []))) for code in INDICATOR_COLUMNS]
    return [created.astimezone(BANGKOK).year, "TH", f"TH-{province}" if province else "",
            district if district and province and district.startswith(province) else "",
            category or "", kind_type, labour_type, people, minors, female, male,
            ";".join(code for code in nationalities or [] if isinstance(code, str) and code.isalpha()),
            *signs, yes_no(danger), referrals, case_status(status, outcome), outcome or "",
            hours(created, acknowledged), hours(acknowledged, arrived)]


def _rows(reading, ids: list[int]) -> Iterator[list]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        cases = reading.execute(select(Case.id, Case.created_at, Case.category, Case.province_code, Case.district_code,
                                       Case.status, Case.outcome, Case.acknowledged_at)
                                .where(Case.id.in_(chunk))).all()
        intakes, referrals, arrivals = _intakes(reading, chunk), _referrals(reading, chunk), _arrivals(reading, chunk)
        by_id = {case[0]: case for case in cases}
        for case_id in chunk:
            yield _row(by_id[case_id], intakes.get(case_id), referrals.get(case_id, ""), arrivals.get(case_id))


@bp.get("/export/cases-deidentified.csv")
@requires(*EXPORTERS)
def cases_deidentified_csv():
    form = CaseFilters(request.args)
    form.validate()
    values = form.values()
    listed = (filtered(values).where(Case.source != TRAINING).order_by(Case.created_at, Case.id)
              .limit(EXPORT_LIMIT).with_only_columns(Case.id))
    reading = snapshot()
    try:
        ids = list(reading.scalars(listed))
    except BaseException:
        reading.close()
        raise
    record(db(), "export_csv", current_user(), target="cases-deidentified",
           reason="; ".join(f"{k}={v}" for k, v in sorted(values.items())) + f" ({len(ids)} rows)")
    db().commit()
    return download("cases-deidentified", COLUMNS, _rows(reading, ids), closing=reading.close)
