"""The case's intake (casework.case_facts): versions and what each changed, the rules of its values, and the
sensitivity classes by role. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from helpers.console_support import add_call, add_case, add_user
from sqlalchemy import select

from casework import case_facts as facts
from models import Intake

GOOD = {"people_count": "5", "minors_count": "2", "female_count": "3", "male_count": "2",
        "nationalities": ["mm", "KH"], "province_code": "50", "district_code": "5001", "subdistrict_code": "500101",
        "place": "Shed behind the market", "landmark": "Blue water tower", "latitude": "18.7883",
        "longitude": "98.9853", "indicators": ["documents_taken", "not_free_to_leave"], "immediate_danger": "yes",
        "held_responsible": "The shed's owner"}


def test_two_saves_are_versions_1_and_2_and_the_second_says_what_changed(db):
    author = add_user(db, "somsri", "operator")
    case = add_case(db, add_call(db))
    first = facts.save(db, case, author, facts.parse(GOOD))
    db.commit()
    assert first.intake.version == 1 and first.changed == list(facts.FIELDS)
    second = facts.save(db, case, author, facts.parse({**GOOD, "people_count": "6", "indicators": ["threats_violence"]}))
    db.commit()
    assert second.intake.version == 2 and second.changed == ["people_count", "indicators"]
    assert facts.current(db, case).version == 2 and facts.current(db, case).people_count == 6
    assert [(i.version, names) for i, names in facts.versions(db, case)] == [
        (2, ["people_count", "indicators"]), (1, list(facts.FIELDS))]
    assert db.get(Intake, first.intake.id).people_count == 5  # the first version stays as it was
    assert facts.current(db, case).nationalities == ["MM", "KH"] and facts.current(db, case).immediate_danger is True


def test_saving_the_same_values_writes_no_version(db):
    author = add_user(db, "somsri", "operator")
    case = add_case(db)
    facts.save(db, case, author, facts.parse(GOOD))
    again = facts.save(db, case, author, facts.parse(GOOD))
    db.commit()
    assert again.changed == [] and again.intake.version == 1
    assert len(db.scalars(select(Intake)).all()) == 1


def test_zero_is_a_value_and_not_the_same_as_not_known(db):
    author = add_user(db, "somsri", "operator")
    case = add_case(db)
    facts.save(db, case, author, facts.parse({"people_count": "3"}))
    saved = facts.save(db, case, author, facts.parse({"people_count": "3", "minors_count": "0"}))
    assert saved.changed == ["minors_count"] and saved.intake.minors_count == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"people_count": "-1"}, "people_count"),
    ({"people_count": "10000"}, "people_count"),
    ({"people_count": "๕"}, "people_count"),
    ({"people_count": "five"}, "people_count"),
    ({"minors_count": "6"}, "minors_count"),
    ({"female_count": "4", "male_count": "2"}, "male_count"),
    ({"nationalities": ["MM", "XX"]}, "nationalities"),
    ({"nationalities": ["EU"]}, "nationalities"),
    ({"nationalities": ["CQ"]}, "nationalities"),
    ({"province_code": "99", "district_code": "", "subdistrict_code": ""}, "province_code"),
    ({"district_code": "1001", "subdistrict_code": ""}, "district_code"),
    ({"subdistrict_code": "500201"}, "subdistrict_code"),
    ({"district_code": "", "subdistrict_code": "500101"}, "subdistrict_code"),
    ({"latitude": "91"}, "latitude"),
    ({"longitude": "-180.5"}, "longitude"),
    ({"latitude": "nan"}, "latitude"),
    ({"longitude": "east"}, "longitude"),
    ({"indicators": ["documents_taken", "witchcraft"]}, "indicators"),
    ({"immediate_danger": "maybe"}, "immediate_danger"),
    ({"held_responsible": "x" * 2001}, "held_responsible"),
    ({"place": "x" * 2001}, "place"),
    ({"landmark": "x" * 2001}, "landmark"),
])
def test_bad_input_names_its_field(change, field):
    with pytest.raises(facts.Invalid) as raised:
        facts.parse({**GOOD, **change})
    assert list(raised.value.errors) == [field]


@pytest.mark.parametrize(("change", "field"), [
    ({"people_count": 10000}, "people_count"), ({"minors_count": 9}, "minors_count"), ({"people_count": True}, "people_count"),
    ({"nationalities": ["XX"]}, "nationalities"), ({"district_code": "1001"}, "district_code"),
    ({"latitude": float("inf")}, "latitude"), ({"held_responsible": "x" * 2001}, "held_responsible"),
])
def test_save_checks_its_values_whoever_calls_it(db, change, field):
    author = add_user(db, "somsri", "operator")
    case = add_case(db)
    with pytest.raises(facts.Invalid) as raised:
        facts.save(db, case, author, {**facts.parse(GOOD), **change})
    assert list(raised.value.errors) == [field]
    db.commit()
    assert db.scalars(select(Intake)).all() == []


def test_an_empty_form_is_a_valid_intake_of_nothing_known():
    values = facts.parse({})
    assert values["people_count"] is None and values["nationalities"] == [] and values["immediate_danger"] is None


def test_who_sees_which_class():
    assert facts.sees("field_officer", facts.ACTION) and not facts.sees("field_officer", facts.ACCOUNT)
    assert not facts.sees("field_officer", facts.IDENTITY) and not facts.may_reveal("field_officer", facts.IDENTITY)
    assert facts.may_reveal("field_officer", facts.ACCOUNT)
    for role in ("operator", "supervisor", "admin"):
        assert facts.sees(role, facts.ACCOUNT) and not facts.sees(role, facts.IDENTITY)
        assert facts.may_reveal(role, facts.IDENTITY)
    assert facts.SENSITIVITY["held_responsible"] == facts.ACCOUNT and facts.SENSITIVITY["minors_count"] == facts.ACTION
    assert facts.REPORT_SENSITIVITY["description"] == facts.ACCOUNT
    assert facts.REPORT_SENSITIVITY["contact_number"] == facts.IDENTITY
