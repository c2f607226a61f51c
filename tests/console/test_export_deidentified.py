"""The de-identified case export (issue 19): HTCDS-named columns, one row per case, training cases left out, and
not one name, number, note, place, reference, id or coordinate of the fixture's story anywhere in it."""
from __future__ import annotations

import csv
import io

from helpers.case_story import SECRETS, add_story
from helpers.console_support import add_case
from sqlalchemy import select

from hotline.console.export_deidentified import COLUMNS, INDICATOR_COLUMNS
from models import AuditEntry
from models.vocabulary import INDICATORS, KINDS

PATH = "/console/export/cases-deidentified.csv"


def rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_every_sign_and_kind_has_its_column():
    from hotline.console.export_deidentified import KIND_TYPES

    assert set(INDICATOR_COLUMNS) == set(INDICATORS) and set(KIND_TYPES) == set(KINDS)
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_one_row_per_case_in_htcds_columns_without_training_cases(as_role, db, users):
    story = add_story(db, users["operator"])
    add_case(db, source="training", reference="1300-69-000999", province_code="10")
    add_case(db, category="sexual_exploitation", province_code="10", reference="1300-69-000998")
    found = rows(as_role("supervisor").get(PATH))
    assert list(found[0]) == list(COLUMNS) and len(found) == 2
    row = next(r for r in found if r["hotline_kind"] == "forced_labour")
    assert row == {
        "yearOfRegistration": "2026", "CountryOfExploitation": "TH", "hte_State": "TH-50", "district_code": "5001",
        "hotline_kind": "forced_labour", "vic_TypeOfExploitation": "ForcedLabour", "vic_TypeOfLabourExploitation": "",
        "people_count": "7", "minors_count": "2", "female_count": "3", "male_count": "4", "prs_Nationality": "MM;KH",
        "MethodsOfControlWithholdsDocuments": "yes", "MethodsOfControlDebtBondage": "no",
        "MethodsOfControlRestrictsMovement": "yes", "MethodsOfControlThreats": "no",
        "MethodsOfControlTakesEarnings": "no", "MethodsOfControlFalsePromises": "no",
        "child_in_commercial_sex": "no", "forced_to_commit_crimes": "no", "moved_across_border": "no",
        "immediate_danger": "yes", "cas_ReferredOrganisation": "police_191:done;ngo:declined", "cas_Status": "Closed",
        "cas_ReasonForCaseClosure": "rescued_assisted", "hours_to_acknowledge": "0.2",
        "hours_acknowledged_to_arrival": "2.0"}
    bare = next(r for r in found if r["hotline_kind"] == "sexual_exploitation")
    assert bare["vic_TypeOfExploitation"] == "SexualExploitation" and bare["cas_Status"] == "Active"
    assert bare["MethodsOfControlThreats"] == "" and bare["people_count"] == "" and bare["hte_State"] == "TH-10"
    assert story.id  # the story's case is the forced-labour row


def test_no_name_number_note_place_reference_id_or_coordinate_leaves(as_role, db, users):
    for n, reference in enumerate(("1300-69-004821", "1300-69-004822")):
        add_story(db, users["operator"], reference=reference, intake_point=bool(n))
    body = as_role("admin").get(PATH).get_data(as_text=True)
    for secret in (*SECRETS, "1300-69-004821", "1300-69-004822", "004821", "500101", "Si Phum", "Chiang Mai",
                   "reporter", "geo:", "@"):
        assert secret not in body, secret
    assert len(rows(as_role("admin").get(PATH))) == 2
    assert not [c for c in COLUMNS if c.lower().endswith(("id", "_ids", "reference", "number", "name"))]


def test_filters_apply_and_the_export_is_audited(as_role, db, users):
    add_story(db, users["operator"])
    add_case(db, province_code="10", reference="1300-69-000998")
    browser = as_role("supervisor")
    assert [r["hte_State"] for r in rows(browser.get(PATH + "?province=10"))] == ["TH-10"]
    assert rows(browser.get(PATH + "?status=nonsense"))  # an invalid filter is dropped, not a 500
    entries = db.scalars(select(AuditEntry).where(AuditEntry.target == "cases-deidentified")).all()
    assert [(e.action, e.user_id) for e in entries] == [("export_csv", users["supervisor"].id)] * 2
    assert entries[0].reason == "province=10 (1 rows)"
    for role in ("operator", "field_officer"):
        assert as_role(role).get(PATH).status_code == 403
