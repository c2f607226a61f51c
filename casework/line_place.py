"""Where a chat's report happened (issue 17): from a LINE location message (the province by the project's offline
reverse geocoder, models.places.province_for_point; the district when LINE's address names one of it), from a
5-digit postcode (Thai digits too), or from a typed province or district name in Thai or English. Anything else
is no place: the chat asks again."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import geothai

from models.places import place_for_postcode, province_for_point

POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
LEVEL_WORDS = re.compile(r"\b(province|changwat|district|amphoe|amphur|khet)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Where:
    province_code: str | None  # None: a point outside Thailand (a scam compound across the border): central triage
    district_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def from_location(message: dict) -> Where | None:
    """A location message's point; None when it carries no usable coordinates."""
    latitude, longitude = message.get("latitude"), message.get("longitude")
    if not (_degrees(latitude, 90) and _degrees(longitude, 180)):
        return None
    province = province_for_point(latitude, longitude)
    address = message.get("address")
    district = _district_in(address, province) if province and isinstance(address, str) else None
    return Where(province, district, float(latitude), float(longitude))


def from_text(text: str) -> Where | None:
    """A postcode, or the name of one province, or of a district (its province, and the district when it is one)."""
    digits = _ascii_digits(text.strip())
    if digits is not None and len(digits) == 5:
        place = place_for_postcode(digits)
        return Where(place.province_code, place.district_code) if place else None
    key = _key(text)
    if not key:
        return None
    province = _provinces().get(key)
    if province:
        return Where(province)
    districts = _districts().get(key, [])
    provinces = {d.province_code for d in districts}
    if len(provinces) != 1:
        return None  # unknown, or the same name in several provinces
    return Where(provinces.pop(), districts[0].code if len(districts) == 1 else None)


def _district_in(address: str, province: str) -> str | None:
    """The district LINE's address names, by its postcode or by a part between commas or spaces, if it is in the
    province."""
    for postcode in POSTCODE.findall(address):
        place = place_for_postcode(postcode)
        if place and place.province_code == province and place.district_code:
            return place.district_code
    for part in re.split(r",", address) + address.split():  # "Mueang Chiang Mai District, ..." or "อำเภอเมือง... "
        key = _key(part)
        for district in _districts().get(key, []):
            if district.province_code == province:
                return district.code
    return None


def _degrees(value, limit: int) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and -limit <= value <= limit


def _ascii_digits(text: str) -> str | None:
    """"๕๐๒๐๐" or "50200" as "50200"; None if it is not all digits."""
    if not text or len(text) > 10 or not all(c.isdecimal() for c in text):
        return None
    return "".join(str(int(c)) for c in text)


def _key(name: str) -> str:
    """geothai's comparison form, with the English level words ("Amphoe", "Province") it leaves in also dropped."""
    return geothai.normalize(LEVEL_WORDS.sub(" ", name[:200]))


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    table = {}
    for province in geothai.provinces():
        table[_key(province.name_th)] = table[_key(province.name_en)] = province.code
    table[_key("กทม")] = "10"  # how Bangkok is written more often than not
    return table


@lru_cache(maxsize=1)
def _districts() -> dict[str, list]:
    table: dict[str, list] = {}
    for province in geothai.provinces():
        for district in geothai.districts(province.code):
            for name in {_key(district.name_th), _key(district.name_en)}:
                table.setdefault(name, []).append(district)
    return table
