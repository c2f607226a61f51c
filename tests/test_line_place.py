"""Where a LINE report happened (issue 17), without a database: a location message's point and address, a postcode
in either script's digits, a province or district typed in Thai or English; anything else is no place."""
from __future__ import annotations

import pytest

from casework.line_place import Where, from_location, from_text


@pytest.mark.parametrize("typed, where", [
    ("50200", Where("50", "5001")),
    ("๕๐๒๐๐", Where("50", "5001")),  # Thai digits
    ("เชียงใหม่", Where("50")),
    ("จังหวัดเชียงใหม่", Where("50")),
    ("Chiang Mai Province", Where("50")),
    ("  chiang mai ", Where("50")),
    ("กทม", Where("10")),
    ("Bangkok", Where("10")),
    ("เขตบางรัก", Where("10", "1004")),  # a district names its province
    ("Bang Rak", Where("10", "1004")),
    ("อำเภอเมืองเชียงใหม่", Where("50", "5001")),
    ("Amphoe Mueang Chiang Mai", Where("50", "5001")),
])
def test_a_typed_place(typed, where):
    assert from_text(typed) == where


@pytest.mark.parametrize("typed", ["", "what?", "12345", "1234", "502000", "เมือง", "Chiang", "x" * 5000, "๕๐๒"])
def test_no_place(typed):
    """Unknown, ambiguous ("เมือง" is every province's capital district), or a postcode that is none."""
    assert from_text(typed) is None


@pytest.mark.parametrize("address, district", [
    ("Chang Khlan, Mueang Chiang Mai District, Chiang Mai 50100, Thailand", "5001"),
    ("ตำบลช้างคลาน อำเภอเมืองเชียงใหม่ เชียงใหม่", "5001"),
    ("Somewhere 10500, Thailand", None),  # a postcode of another province: not taken
    ("", None),
    (None, None),
])
def test_a_location_gives_the_points_province_and_the_district_its_address_names(address, district):
    message = {"type": "location", "latitude": 18.7883, "longitude": 98.9853,
               **({"address": address} if address is not None else {})}
    assert from_location(message) == Where("50", district, 18.7883, 98.9853)


@pytest.mark.parametrize("latitude, longitude", [("18", 98.9), (18.7, None), (True, 98.9), (91, 98.9), (18.7, 181),
                                                 (float("nan"), 98.9)])
def test_a_location_without_usable_coordinates_is_no_place(latitude, longitude):
    assert from_location({"type": "location", "latitude": latitude, "longitude": longitude}) is None


def test_a_point_outside_thailand_has_no_province_but_is_kept():
    assert from_location({"latitude": 16.69, "longitude": 98.505}) == Where(None, None, 16.69, 98.505)
