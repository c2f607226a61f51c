"""Provinces, districts and postcodes of Thailand (geothai), keyed by the ISO 3166-2:TH number."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import geothai


@dataclass(frozen=True)
class Place:
    province_code: str
    district_code: str | None = None


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", re.sub(r"\b(province|changwat)\b", "", name.lower()))


@lru_cache(maxsize=1)
def _provinces_by_english_name() -> dict[str, str]:
    return {_key(p.name_en): p.code for p in geothai.provinces()}


def province_codes_for_names(names: list[str]) -> list[str]:
    """Province codes for English names such as phonenumbers' geocoder gives; unknown names are dropped."""
    table = _provinces_by_english_name()
    return sorted({table[_key(n)] for n in names if _key(n) in table})


def province_name(code: str | None, language: str = "en") -> str | None:
    province = geothai.province(code) if code else None
    if province is None:
        return None
    return province.name_th if language == "th" else province.name_en


def place_for_postcode(postcode: str) -> Place | None:
    """A postcode names one province; its district only when all its subdistricts share one."""
    if not re.fullmatch(r"\d{5}", postcode or ""):
        return None
    subdistricts = geothai.by_postal_code(postcode)
    provinces = {s.province_code for s in subdistricts}
    if len(provinces) != 1:
        return None
    districts = {s.district_code for s in subdistricts}
    return Place(provinces.pop(), districts.pop() if len(districts) == 1 else None)


# Thailand's bounding box, a little generous: a point outside it is not a Thai location.
THAILAND = (5.4, 20.6, 97.2, 105.8)  # south, north, west, east


def load_points() -> None:
    """Load what `province_for_point` reads now: on first use it takes 1-3 s (scipy and ~150k places), which
    would stall the web worker that answers the first report with a location, and every request behind it."""
    import reverse_geocode

    reverse_geocode.get((13.75, 100.5))


def province_for_point(latitude: float, longitude: float) -> str | None:
    """The province of the nearest populated place (GeoNames, offline), None outside Thailand.

    An approximation near a provincial border; the operator can correct it on the case.
    """
    south, north, west, east = THAILAND
    if not (south <= latitude <= north and west <= longitude <= east):
        return None
    import reverse_geocode  # loads ~3 MB of places on first use

    place = reverse_geocode.get((latitude, longitude))
    if place.get("country_code") != "TH":
        return None
    codes = province_codes_for_names([place.get("state") or ""])
    return codes[0] if codes else None
