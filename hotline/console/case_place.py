"""Where a case is, for the team that goes there (issue 19): the newest intake's place (province, district,
subdistrict, place and landmark) or the case's own province, and a `geo:` link that opens the phone's map app when
coordinates are known (the intake's, else the API report's). Shown on the case page and in its print view."""
from __future__ import annotations

import math
from dataclasses import dataclass

import geothai
from flask_babel import get_locale
from sqlalchemy import select

from casework import case_facts as facts
from models import Case, Intake, Report, User

from . import story
from .access import db


@dataclass(frozen=True)
class Where:
    province_code: str | None
    district: str | None
    subdistrict: str | None
    place: str | None
    landmark: str | None
    latitude: float | None
    longitude: float | None

    @property
    def geo(self) -> str | None:
        """RFC 5870's `geo:lat,lng` (5 decimals: about a metre), or None without sound coordinates."""
        if self.latitude is None or self.longitude is None:
            return None
        return f"geo:{self.latitude:.5f},{self.longitude:.5f}"


def _coordinates(latitude, longitude) -> tuple[float, float] | None:
    if latitude is None or longitude is None:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    return latitude, longitude


def _name(found) -> str | None:
    if found is None:
        return None
    return found.name_th if str(get_locale()) == "th" else found.name_en


def where(case: Case, intake: Intake | None = None) -> Where:
    """The intake's place when it names a province (its district and subdistrict go with it), else the case's."""
    intake = intake if intake is not None else facts.current(db(), case)
    own = intake is not None and intake.province_code
    province = intake.province_code if own else case.province_code
    district = intake.district_code if own else case.district_code
    subdistrict = intake.subdistrict_code if own else None
    point = _coordinates(intake.latitude, intake.longitude) if intake is not None else None
    if point is None:
        report = db().scalar(select(Report).where(Report.case_id == case.id))
        point = _coordinates(report.latitude, report.longitude) if report is not None else None
    return Where(province_code=province,
                 district=(_name(geothai.district(district)) or district) if district else None,
                 subdistrict=(_name(geothai.subdistrict(subdistrict)) or subdistrict) if subdistrict else None,
                 place=intake.place if intake is not None else None,
                 landmark=intake.landmark if intake is not None else None,
                 latitude=point[0] if point else None, longitude=point[1] if point else None)


@story.case_section
def what_and_where(case: Case, _user: User) -> dict:
    intake = facts.current(db(), case)
    return {"where": where(case, intake), "danger": intake.immediate_danger if intake is not None else None}
