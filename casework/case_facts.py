"""What an operator records about a case (its structured intake), how sensitive each fact is, and who sees what.

One home for these rules (issue 19, Thailand's PDPA). Each fact has a sensitivity class:

- `action`: what a field team needs to act (where, how many, minors, nationalities, danger, signs of trafficking);
- `account`: what people said happened (the place or people held responsible, the API report's description);
- `identity`: who reported it (the API report's contact number and reporter id; the caller's number is the call's).

Field officers see `action` (for their provinces: the console scopes the case); the 1300 centre's staff see all
but `identity`. A role may reveal what it does not see only with a reason, and the console audits the read.
An edit is a new version of the intake (models.Intake), never an update.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import geothai
from babel import Locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Call, Case, Intake, User, utcnow
from models.vocabulary import INDICATORS, N_

ACTION, ACCOUNT, IDENTITY = "action", "account", "identity"

COUNTS = ("people_count", "minors_count", "female_count", "male_count")
TEXTS = ("place", "landmark", "held_responsible")
LISTS = ("nationalities", "indicators")  # the form sends these as several values
# The intake's fields, in the order the console shows them, and each one's class.
SENSITIVITY = {
    "people_count": ACTION, "minors_count": ACTION, "female_count": ACTION, "male_count": ACTION,
    "nationalities": ACTION, "province_code": ACTION, "district_code": ACTION, "subdistrict_code": ACTION,
    "place": ACTION, "landmark": ACTION, "latitude": ACTION, "longitude": ACTION,  # the team has to find it
    "indicators": ACTION, "immediate_danger": ACTION,
    "held_responsible": ACCOUNT,
}
# The API report's fields (models.Report) under the same rules.
REPORT_SENSITIVITY = {"reporter_type": ACCOUNT, "description": ACCOUNT, "latitude": ACTION, "longitude": ACTION,
                      "reporter_id": IDENTITY, "contact_number": IDENTITY}
FIELDS = tuple(SENSITIVITY)

SEES = {"field_officer": {ACTION}, "operator": {ACTION, ACCOUNT}, "supervisor": {ACTION, ACCOUNT},
        "admin": {ACTION, ACCOUNT}}
# What a role may reveal with a reason: a field officer the account, never who reported it (as with the caller's
# number today: only the 1300 centre's staff reveal it).
MAY_REVEAL = {"field_officer": {ACCOUNT}, "operator": {IDENTITY}, "supervisor": {IDENTITY}, "admin": {IDENTITY}}

MAX_COUNT = 9999
MAX_TEXT = 2000
# Babel's two-letter territories that ISO 3166-1 does not assign: groupings, unknown, pseudo, and reserved codes.
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
COUNTRIES = frozenset(code for code in Locale("en").territories
                      if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES)


def sees(role: str, klass: str) -> bool:
    return klass in SEES.get(role, set())


def may_reveal(role: str, klass: str) -> bool:
    return klass in MAY_REVEAL.get(role, set())


def number_may_be_revealed(callback_consent: bool | None) -> bool:
    """A caller's (or an API reporter's) number is revealed, with a reason, only if they did not refuse a call back.
    Not asked (None: a caller in danger is put through before the question, or the call dropped) stays revealable:
    a person in danger whose call dropped must be callable back."""
    return callback_consent is not False


def country_name(code: str, language: str) -> str:
    return Locale(language).territories.get(code, code)


class Invalid(ValueError):
    """Bad input: each field's problem as (English words marked for the catalogue, their parameters)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def parse(raw: Mapping) -> dict:
    """A submitted form (strings; LISTS as lists of strings) as the intake's values, checked; Invalid if not."""
    values, errors = {}, {}
    for name in COUNTS:
        text = str(raw.get(name) or "").strip()
        if not text:
            values[name] = None
        elif text.isascii() and text.isdigit():
            values[name] = int(text)
        else:
            errors[name] = (N_("Write a whole number from 0 to 9999."), {})
    for name in ("latitude", "longitude"):
        text = str(raw.get(name) or "").strip()
        try:
            values[name] = float(text) if text else None
        except ValueError:
            errors[name] = (N_("Write a number like 18.7883."), {})
    for name in TEXTS:
        values[name] = str(raw.get(name) or "").strip() or None
    for name in ("province_code", "district_code", "subdistrict_code"):
        values[name] = str(raw.get(name) or "").strip() or None
    for name in LISTS:
        given = raw.get(name) or []
        given = [given] if isinstance(given, str) else given
        values[name] = list(dict.fromkeys(str(v).strip().upper() if name == "nationalities" else str(v).strip()
                                          for v in given if str(v).strip()))
    danger = str(raw.get("immediate_danger") or "").strip()
    values["immediate_danger"] = {"yes": True, "no": False, "": None}.get(danger, danger)
    try:
        check(values)
    except Invalid as invalid:
        errors = {**invalid.errors, **errors}  # a field's parse error is the one to show
    if errors:
        raise Invalid(errors)
    return values


def check(values: dict) -> None:
    """Every rule of the intake's values at once; Invalid names each field that breaks one."""
    errors: dict[str, tuple[str, dict]] = {}
    for name in COUNTS:
        count = values.get(name)
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_COUNT):
            errors[name] = (N_("Write a whole number from 0 to 9999."), {})
    people = values.get("people_count")
    counted = {name: values.get(name) for name in COUNTS if name not in errors}
    if isinstance(people, int) and "people_count" not in errors:
        if isinstance(counted.get("minors_count"), int) and counted["minors_count"] > people:
            errors["minors_count"] = (N_("There cannot be more people under 18 than people involved."), {})
        women, men = counted.get("female_count"), counted.get("male_count")
        if isinstance(women, int) and isinstance(men, int) and women + men > people:
            errors["male_count"] = (N_("Women and men together cannot be more than the people involved."), {})
    unknown = [code for code in values.get("nationalities") or [] if code not in COUNTRIES]
    if unknown:
        errors["nationalities"] = (N_("Not a country code (ISO 3166): %(codes)s."), {"codes": ", ".join(unknown)})
    unknown = [code for code in values.get("indicators") or [] if code not in INDICATORS]
    if unknown:
        errors["indicators"] = (N_("Not a sign of trafficking on the list: %(codes)s."), {"codes": ", ".join(unknown)})
    _check_place(values, errors)
    for name, limit in (("latitude", 90), ("longitude", 180)):
        number = values.get(name)
        if number is not None and (not isinstance(number, int | float) or not math.isfinite(number)
                                   or not -limit <= number <= limit):
            errors[name] = (N_("Write a number from -%(n)s to %(n)s."), {"n": limit})
    for name in TEXTS:
        text = values.get(name)
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            errors[name] = (N_("Write at most 2,000 characters."), {})
    if values.get("immediate_danger") not in (True, False, None):
        errors["immediate_danger"] = (N_("Choose one of the options."), {})
    if errors:
        raise Invalid(errors)


def _check_place(values: dict, errors: dict) -> None:
    province, district, subdistrict = (values.get(n) for n in ("province_code", "district_code", "subdistrict_code"))
    if province is not None and (not isinstance(province, str) or geothai.province(province) is None):
        errors["province_code"] = (N_("Choose a province from the list."), {})
        return
    if district is not None:
        found = geothai.district(district) if isinstance(district, str) else None
        if found is None or found.province_code != province:
            errors["district_code"] = (N_("Choose a district of the province."), {})
            return
    if subdistrict is not None:
        found = geothai.subdistrict(subdistrict) if isinstance(subdistrict, str) else None
        if found is None or district is None or found.district_code != district:
            errors["subdistrict_code"] = (N_("Choose a subdistrict of the district."), {})


def current(session: Session, case: Case) -> Intake | None:
    """The case's intake: its newest version (None before the first save)."""
    return session.scalars(select(Intake).where(Intake.case_id == case.id)
                           .order_by(Intake.version.desc()).limit(1)).first()


def values_of(intake: Intake | None) -> dict:
    if intake is None:
        return {name: [] if name in LISTS else None for name in FIELDS}
    return {name: getattr(intake, name) for name in FIELDS}


def changed(old: Intake | None, new: Intake | dict) -> list[str]:
    """The fields whose value differs from the version before (all the filled ones for a first version)."""
    before = values_of(old)
    after = new if isinstance(new, dict) else values_of(new)
    return [name for name in FIELDS if _blank(before[name]) != _blank(after.get(name))]


def _blank(value):
    return None if value in ([], "") else value


@dataclass(frozen=True)
class Saved:
    intake: Intake | None  # the new version; the one in force when nothing changed
    changed: list[str] = field(default_factory=list)  # empty: nothing written


def save(session: Session, case: Case, author: User, values: dict, call: Call | None = None) -> Saved:
    """A new version of the case's intake (the last + 1) with these values, and which fields changed; nothing is
    written when nothing changed. Invalid if a value breaks a rule. The caller commits."""
    check(values)
    values = {name: values.get(name) for name in FIELDS}
    for name in LISTS:
        values[name] = list(values[name] or [])
    # The case's row lock makes two saves take turns (PostgreSQL); SQLite writes one at a time, and the unique
    # (case, version) sends a racing save round again.
    session.scalar(select(Case.id).where(Case.id == case.id).with_for_update())
    for _attempt in range(3):
        last = current(session, case)
        difference = changed(last, values)
        if not difference:
            return Saved(last)
        version = (last.version if last else 0) + 1  # `current` is the newest version
        intake = Intake(case_id=case.id, version=version, author_id=author.id, call_id=call.id if call else None,
                        created_at=utcnow(), **values)
        try:
            with session.begin_nested():
                session.add(intake)
        except IntegrityError:
            continue
        return Saved(intake, difference)
    raise RuntimeError(f"case {case.id}: the intake kept changing under this save")


def versions(session: Session, case: Case) -> list[tuple[Intake, list[str]]]:
    """Every version, newest first, each with the fields it changed."""
    rows = session.scalars(select(Intake).where(Intake.case_id == case.id).order_by(Intake.version)).all()
    out, before = [], None
    for intake in rows:
        out.append((intake, changed(before, intake)))
        before = intake
    return out[::-1]
