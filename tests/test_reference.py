"""Reference data: provinces, centres and contacts loaded from data/*.csv, and routing a case to a centre."""
from __future__ import annotations

import csv
import re
import shutil
from collections import Counter

import geothai
import phonenumbers
import pytest
from sqlalchemy import func, select

from casework.config import ROOT
from models import CENTRAL, Centre, Contact, Province
from models.reference import ReferenceDataError, is_demo_number, load_centres, load_contacts, load_provinces, route

REGION_SIZES = {"north": 9, "northeast": 20, "central": 22, "east": 7, "west": 5, "south": 14}


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the shipped data/ that a test may edit."""
    return shutil.copytree(ROOT / "data", tmp_path / "data")


def load(app, folder):
    with app.extensions["sessions"].begin() as session:
        return [load_provinces(session, folder / "provinces.csv"), load_centres(session, folder / "centres.csv"),
                load_contacts(session, folder / "contacts.csv")]


def snapshot(app) -> dict:
    with app.extensions["sessions"]() as session:
        return {
            "provinces": {p.code: (p.name_th, p.name_en, p.region) for p in session.scalars(select(Province))},
            "centres": {c.id: (c.code, c.province_code, c.name_th, c.name_en) for c in session.scalars(select(Centre))},
            "contacts": {c.id: (c.centre_id, c.name, c.role, c.phone, c.level, c.on_duty, c.active, c.updated_at)
                         for c in session.scalars(select(Contact))},
        }


def edit_contacts(folder, change) -> None:
    """Rewrite contacts.csv with `change(rows)` applied; the comment line stays first."""
    path = folder / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = list(csv.reader(lines[1:]))
    rows = change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write(lines[0])
        csv.writer(f, lineterminator="\n").writerows(rows)


def find(rows, centre, level, number=1):
    """Index of the number-th row for a centre and level (rows[0] is the header)."""
    return [i for i, r in enumerate(rows) if r[0] == centre and r[4] == str(level)][number - 1]


def test_the_shipped_files_cover_every_province(app, db):
    counts = load(app, ROOT / "data")
    assert [c["new"] for c in counts] == [77, 78, 233]

    provinces = db.scalars(select(Province)).all()
    geo = {p.code: p for p in geothai.provinces()}
    assert len(provinces) == 77 and {p.code for p in provinces} == set(geo)
    assert all(p.name_th == geo[p.code].name_th and p.name_en == geo[p.code].name_en for p in provinces)
    assert Counter(p.region for p in provinces) == REGION_SIZES
    assert {p.code: p.region for p in provinces if p.code in ("10", "50", "63", "20", "34", "90")} == {
        "10": "central", "50": "north", "63": "west", "20": "east", "34": "northeast", "90": "south"}

    centres = {c.code: c for c in db.scalars(select(Centre))}
    assert len(centres) == 78
    for province in provinces:
        centre = centres[province.code]
        assert centre.province_code == province.code and province.name_th in centre.name_th
        assert any(c.level == 1 and c.reachable for c in centre.contacts), province.code
        assert any(c.level == 2 and c.reachable for c in centre.contacts), province.code
        assert not any(c.level == 3 for c in centre.contacts)
    central = centres[CENTRAL]
    assert central.province_code is None and central.name_en == "Anti-Trafficking in Persons Division, MSDHS"
    assert {c.level for c in central.contacts if c.reachable} == {1, 3}

    for contact in db.scalars(select(Contact)):
        number = phonenumbers.parse(contact.phone)
        assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "TH"
        assert contact.phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert is_demo_number(contact.phone)
        code = "00" if contact.centre.code == CENTRAL else contact.centre.code
        assert contact.phone.startswith(f"+66800{code}00{contact.level}")


def test_loading_twice_changes_nothing(app):
    load(app, ROOT / "data")
    before = snapshot(app)
    counts = load(app, ROOT / "data")
    assert snapshot(app) == before
    assert [c["new"] + c["changed"] + c["deactivated"] for c in counts] == [0, 0, 0]
    assert [c["unchanged"] for c in counts] == [77, 78, 233]


def test_edited_rows_update_and_removed_contacts_are_deactivated(app, db, data_dir):
    load(app, data_dir)
    head = db.scalar(select(Contact.id).join(Centre).where(Centre.code == "50", Contact.level == 2))
    duty = db.scalar(select(Contact.id).join(Centre).where(Centre.code == "50", Contact.phone == "+66800500012"))
    db.rollback()

    def change(rows):
        rows[find(rows, "50", 2)][1] = "หัวหน้า ศปคม. เชียงใหม่ (ใหม่)"  # a new name: same contact, updated
        rows[find(rows, "50", 1)][3] = "080 050 0019"  # a new number: a new contact, the old one retired
        rows[find(rows, "57", 1)][5] = "no"
        del rows[find(rows, "50", 1, 2)]  # removed from the file
        return rows

    edit_contacts(data_dir, change)
    centres_csv = data_dir / "centres.csv"
    centres_csv.write_text(centres_csv.read_text(encoding="utf-8").replace("Chiang Mai Provincial", "Chiang Mai (edited)"),
                           encoding="utf-8")
    provinces, centres, contacts = load(app, data_dir)
    assert (centres["changed"], provinces["changed"]) == (1, 0)
    assert (contacts["new"], contacts["changed"], contacts["deactivated"]) == (1, 2, 2)

    chiang_mai = db.scalar(select(Centre).where(Centre.code == "50"))
    assert chiang_mai.name_en.startswith("Chiang Mai (edited)")
    assert db.get(Contact, head).name == "หัวหน้า ศปคม. เชียงใหม่ (ใหม่)" and db.get(Contact, head).active
    assert not db.get(Contact, duty).active
    active = {c.phone for c in chiang_mai.contacts if c.active}
    assert active == {"+66800500019", "+66800500021"}
    assert db.scalar(select(func.count()).select_from(Contact).where(~Contact.active)) == 2
    assert not db.scalar(select(Contact).where(Contact.phone == "+66800570011")).on_duty
    db.rollback()

    shutil.copy(ROOT / "data" / "contacts.csv", data_dir / "contacts.csv")  # the removed contact comes back
    contacts = load(app, data_dir)[2]
    assert (contacts["new"], contacts["deactivated"]) == (0, 1)
    assert db.get(Contact, duty).active


BAD_ROWS = [
    ("phone", "+66 2 123 4567", "not a mobile number"),
    ("phone", "12345", "not a valid number"),
    ("phone", "", "not a valid number"),
    ("level", "4", "level '4' is not 1"),
    ("level", "one", "level 'one' is not 1"),
    ("level", "3", "level 3 belongs to 'central'"),
    ("centre", "99", "unknown centre '99'"),
    ("on_duty", "maybe", "on_duty 'maybe' is not yes or no"),
    ("name", "", "name is empty"),
]
COLUMNS = ["centre", "name", "role", "phone", "level", "on_duty"]


@pytest.mark.parametrize("column,value,message", BAD_ROWS)
def test_a_bad_contact_names_its_line_and_writes_nothing(app, db, data_dir, column, value, message):
    def change(rows):
        rows[40][COLUMNS.index(column)] = value
        return rows

    edit_contacts(data_dir, change)  # the comment is line 1 and the header line 2, so rows[40] is line 42
    with pytest.raises(ReferenceDataError, match=rf"contacts\.csv:42: .*{re.escape(message)}"):
        load(app, data_dir)
    assert db.scalar(select(func.count()).select_from(Province)) == 0  # provinces rolled back with the contacts
    assert db.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_bad_row_leaves_loaded_data_as_it_was(app, data_dir):
    load(app, data_dir)
    before = snapshot(app)
    lines = (data_dir / "contacts.csv").read_text(encoding="utf-8").splitlines()
    first = next(number for number, line in enumerate(lines, 1) if "+66800500011" in line)
    edit_contacts(data_dir, lambda rows: rows + [["50", "ซ้ำ", "", "0800500011", "1", "yes"]])
    with pytest.raises(ReferenceDataError, match=rf"contacts.csv:{len(lines) + 1}: repeats line {first}$"):
        load(app, data_dir)
    provinces = data_dir / "provinces.csv"
    provinces.write_text(provinces.read_text(encoding="utf-8").replace(",north\n", ",mountains\n", 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="provinces.csv:.*region 'mountains'"):
        load(app, data_dir)
    assert snapshot(app) == before


def test_route(app, db):
    with pytest.raises(LookupError, match="flask centres load"):
        route(db, "50")
    db.rollback()
    load(app, ROOT / "data")
    assert route(db, "50").code == "50"
    assert route(db, "10").name_th.startswith("ศูนย์ปฏิบัติการป้องกันและปราบปรามการค้ามนุษย์กรุงเทพมหานคร")
    assert route(db, "99").code == CENTRAL  # not a province
    assert route(db, "").code == CENTRAL
    assert route(db, None).code == CENTRAL


def test_cli_load_and_show(app, db, data_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["centres", "load"])
    assert result.exit_code == 0, result.output
    assert "provinces: 77 (77 new, 0 changed)" in result.output
    assert "centres: 78 (78 new, 0 changed)" in result.output
    assert "contacts: 233 (233 new, 0 changed)" in result.output
    assert "fictional demo numbers" in result.output
    assert "contacts: 233 (0 new, 0 changed)" in runner.invoke(args=["centres", "load"]).output

    shown = runner.invoke(args=["centres", "show", "50"])
    assert shown.exit_code == 0, shown.output
    assert "ศปคม.จ.เชียงใหม่" in shown.output and "เวร ศปคม. เชียงใหม่ 1" in shown.output
    assert "+668XXXX0011" in shown.output and "+66800500011" not in shown.output
    listing = runner.invoke(args=["centres", "show"])
    assert len(listing.output.splitlines()) == 78 and "[3 active contacts]" in listing.output
    assert runner.invoke(args=["centres", "show", "zz"]).exit_code != 0

    edit_contacts(data_dir, lambda rows: rows[:-1])
    result = runner.invoke(args=["centres", "load", "--data-dir", str(data_dir)])
    assert "contacts: 232 (0 new, 0 changed, 1 deactivated)" in result.output
    assert "inactive" in runner.invoke(args=["centres", "show", "96"]).output

    (data_dir / "centres.csv").write_text("code,name_th,name_en\n50,,Chiang Mai\n", encoding="utf-8")
    failed = runner.invoke(args=["centres", "load", "--data-dir", str(data_dir)])
    assert failed.exit_code == 1 and "centres.csv:2: name_th is empty" in failed.output
    assert "nothing was loaded" in failed.output
    missing = runner.invoke(args=["centres", "load", "--data-dir", str(data_dir / "nowhere")])
    assert missing.exit_code == 1 and "provinces.csv" in missing.output
