"""Caller numbers: E.164, withheld numbers in both of Twilio's forms, and a province only when certain."""
from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import geocoder

from models.phones import WITHHELD_KEYPAD, mask, read_caller
from models.places import place_for_postcode, province_codes_for_names, province_name


@pytest.mark.parametrize("raw", ["anonymous", "Anonymous", "RESTRICTED", "unavailable", "Unknown", "blocked",
                                 "private", "", None, *sorted(WITHHELD_KEYPAD)])
def test_withheld_numbers_are_no_number_not_a_number_in_lesotho(raw):
    caller = read_caller(raw)
    assert caller.withheld and caller.e164 is None and caller.country is None


@pytest.mark.parametrize("raw, e164, country", [
    ("+66812345678", "+66812345678", "TH"),
    ("0812345678", "+66812345678", "TH"),
    ("0066812345678", "+66812345678", "TH"),
    ("+66 2 123 4567", "+6621234567", "TH"),
    ("+959420012345", "+959420012345", "MM"),
    ("+855 12 345 678", "+85512345678", "KH"),
    ("00856 20 5551 2345", "+8562055512345", "LA"),
    ("+14155550100", "+14155550100", "US"),
])
def test_real_numbers_become_e164_with_their_country(raw, e164, country):
    caller = read_caller(raw)
    assert (caller.e164, caller.country, caller.withheld) == (e164, country, False)


@pytest.mark.parametrize("raw", ["garbage", "+661300", "1300", "12", "+" + "9" * 40, "☎️", "0053123456"])
def test_garbage_is_kept_raw_but_is_not_a_number(raw):
    caller = read_caller(raw)
    assert caller.e164 is None and not caller.withheld and caller.raw == raw[:64]


def test_a_mobile_gives_no_province_and_a_landline_gives_its_candidates():
    assert read_caller("+66812345678").province_candidates == []
    bangkok = read_caller("+6621234567")
    assert bangkok.province_candidates == ["10", "11", "12", "13"] and bangkok.province_code is None


def test_every_thai_landline_area_maps_to_known_provinces():
    """Each name phonenumbers' geocoder gives for a Thai landline is a province geothai knows."""
    names = set()
    for area in ["2"] + [f"{a}{b}" for a in range(3, 8) for b in range(10)]:
        number = phonenumbers.parse(f"+66{area}{'2345678' if area == '2' else '123456'}")
        if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
            names.update(geocoder.description_for_number(number, "en").split("/"))
    assert len(names) > 60
    assert len(province_codes_for_names(sorted(names))) == len(names)


def test_postcodes_give_province_and_district():
    chiang_mai = place_for_postcode("50200")
    assert (chiang_mai.province_code, chiang_mai.district_code) == ("50", "5001")
    assert province_name("50", "th") == "เชียงใหม่" and province_name("50") == "Chiang Mai"
    for bad in ["99999", "5020", "502000", "abcde", "", None]:
        assert place_for_postcode(bad) is None


def test_masking_keeps_only_the_ends():
    assert mask("+66812345678") == "+668XXXX5678"
    assert mask(None) == "no number"


def test_the_landline_areas_are_phonenumbers_own_and_give_the_same_names():
    from phonenumbers.geodata import GEOCODE_DATA

    from models.phones import LANDLINE_AREAS, area_names

    assert LANDLINE_AREAS == {prefix: names["en"] for prefix, names in GEOCODE_DATA.items() if prefix.startswith("66")}
    for area in ["2"] + [f"{a}{b}" for a in range(3, 8) for b in range(10)]:
        number = phonenumbers.parse(f"+66{area}{'2345678' if area == '2' else '123456'}")
        if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
            assert area_names(number) == geocoder.description_for_number(number, "en").split("/"), area


def test_reading_a_caller_loads_no_geocoder_data():
    import subprocess
    import sys

    probe = ("import sys; from models.phones import read_caller; read_caller('+6653123456'); read_caller('+66812345678');"
             " assert 'phonenumbers.geodata' not in sys.modules")
    from casework.config import ROOT

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_places_file_holds_reverse_geocodes_places_around_thailand():
    from helpers.geodata import places_csv

    from models.places import PLACES_FILE

    assert PLACES_FILE.read_text(encoding="utf-8") == places_csv(), "rewrite it: .venv/bin/python -m tests.helpers.geodata"


def test_a_point_gets_the_province_reverse_geocode_gives_it():
    import random

    import reverse_geocode

    from models.places import THAILAND, province_for_point

    south, north, west, east = THAILAND
    rng = random.Random(1300)
    points = [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(3000)]
    points += [(13.7563, 100.5018), (18.7883, 98.9853), (7.8804, 98.3923), (20.43, 99.88), (6.42, 101.82), (12.1, 102.6)]
    for latitude, longitude in points:
        place = reverse_geocode.get((latitude, longitude))
        codes = province_codes_for_names([place.get("state") or ""]) if place["country_code"] == "TH" else []
        assert province_for_point(latitude, longitude) == (codes[0] if codes else None), (latitude, longitude, place)
