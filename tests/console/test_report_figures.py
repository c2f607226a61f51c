"""Figures for the ministry (issue 19): Thai fiscal years, the case story's figures (people, minors, nationalities,
signs of trafficking, referrals, arrivals, outcomes), the charts as SVG, and the provinces' names on the map."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from helpers.console_support import Browser, add_case, add_user, table_rows
from sqlalchemy import select

from casework import summary
from casework.figures import Period, fiscal_year_start, periods
from hotline.console.charts import Bar, Series, bars, stacked, ticks
from models import AuditEntry, Centre, Contact, FieldReport, Intake, Referral

WEEKS = "/console/reports?period=week&date_from=2026-11-02&date_to=2026-11-22"
YEARS = "/console/reports?period=fiscal_year&date_from=2025-10-01&date_to=2027-09-30"
SVG = "{http://www.w3.org/2000/svg}"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _page(browser, path=WEEKS) -> str:
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _charts(page: str) -> dict[str, ElementTree.Element]:
    return {svg.get("aria-labelledby").split("-title")[0]: svg
            for svg in map(ElementTree.fromstring, re.findall(r'<svg xmlns="http://www.w3.org/2000/svg" class="chart".*?</svg>', page, re.S))}


def _thai(browser_app, db) -> Browser:
    add_user(db, "thai", "supervisor", language="th")
    browser = Browser(browser_app.test_client())
    assert browser.login("thai").status_code == 302
    return browser


# --- the Thai fiscal year -------------------------------------------------------------------------------

def test_a_fiscal_year_runs_october_to_september():
    assert fiscal_year_start(date(2026, 9, 30)) == date(2025, 10, 1)
    assert fiscal_year_start(date(2026, 10, 1)) == date(2026, 10, 1)
    assert periods(date(2026, 9, 30), date(2026, 10, 1), "fiscal_year") == [
        Period(date(2025, 10, 1), date(2026, 10, 1)), Period(date(2026, 10, 1), date(2027, 10, 1))]


@pytest.fixture
def new_year(db):
    """A case at 23:59 on 30 September in Bangkok (fiscal year 2569) and one a minute later (2570)."""
    add_case(db, province_code="50", created_at=utc(2026, 9, 30, 16, 59))
    add_case(db, province_code="50", created_at=utc(2026, 9, 30, 17, 0))
    add_case(db, province_code="10", created_at=utc(2027, 9, 30, 16, 59, 59))  # the last second of 2570
    return db


@pytest.mark.parametrize("counted", [False, True], ids=["live", "summary"])
def test_a_case_on_30_september_and_one_on_1_october_bangkok_time_are_in_two_fiscal_years(app, as_role, new_year, counted):
    if counted:  # the months the summary holds add up to the same years as the live count
        summary.recount(app.extensions["sessions"], now=utc(2027, 11, 1))
    assert table_rows(_page(as_role("supervisor"), YEARS), "cases-per-province") == [
        ["Province", "FY 2026", "FY 2027", "Total"],
        ["Chiang Mai", "1", "1", "2"],
        ["Bangkok", "0", "1", "1"],
        ["Total", "1", "2", "3"],
    ]


def test_fiscal_years_are_named_by_the_buddhist_year_they_end_in_for_a_thai_user(app, db, new_year):
    header = table_rows(_page(_thai(app, db), YEARS), "cases-per-province")[0]
    assert header[1:3] == ["ปีงบ 2569", "ปีงบ 2570"]


def test_too_many_fiscal_years_is_a_form_error_not_a_500(as_role, new_year):
    page = _page(as_role("supervisor"), "/console/reports?period=fiscal_year&date_from=2001-01-01&date_to=2027-01-01")
    assert "Choose at most 5 periods." in page
    assert table_rows(page, "cases-per-province")[0][1:4] == ["FY 2025", "FY 2026", "FY 2027"]  # the last three


# --- the case story's figures ----------------------------------------------------------------------------

@pytest.fixture
def story(db, users):
    """Two cases with intakes (the first in two versions), referrals, arrivals and outcomes, one without; and a
    trainer's case and one opened the day before the weeks, which count nowhere."""
    centre = Centre(code="50", province_code=None, name_th="ศปคม.", name_en="centre")
    db.add(centre)
    db.flush()
    team = Contact(centre_id=centre.id, name="duty", phone="+66810000011", level=1)
    db.add(team)
    db.commit()
    author = users["operator"].id
    sids = iter(range(1000))

    def case(province, kind, at, acked_after=None, outcome=None, intakes=(), referrals=(), arrivals=(), **fields):
        c = add_case(db, province_code=province, category=kind, created_at=at, outcome=outcome, **fields)
        if acked_after is not None:
            c.acknowledged_at = at + timedelta(minutes=acked_after)
        for version, values in enumerate(intakes, 1):
            db.add(Intake(case_id=c.id, version=version, author_id=author, **values))
        for agency, status in referrals:
            db.add(Referral(case_id=c.id, agency=agency, status=status))
        for minutes in arrivals:
            db.add(FieldReport(case_id=c.id, contact_id=team.id, message_sid=f"SM{next(sids)}", kind="arrived",
                               at=c.acknowledged_at + timedelta(minutes=minutes)))
        db.add(FieldReport(case_id=c.id, contact_id=team.id, message_sid=f"SM{next(sids)}", kind="note", body="x",
                           at=at + timedelta(minutes=1)))  # a note is not an arrival
        db.commit()

    case("50", "forced_labour", utc(2026, 11, 3, 2), 10, "rescued_assisted",
         intakes=[dict(people_count=2, minors_count=0, nationalities=["MM"], indicators=["moved_across_border"]),
                  dict(people_count=3, minors_count=1, nationalities=["MM", "KH"], indicators=["documents_taken", "debt_bondage"])],
         referrals=[("police_191", "done"), ("shelter", "requested")], arrivals=[50, 120])
    case("10", "forced_criminality", utc(2026, 11, 5, 2), 20, "not_found",
         intakes=[dict(people_count=1, minors_count=1, nationalities=["KH"], indicators=["forced_crime", "documents_taken"])],
         referrals=[("police_191", "declined")], arrivals=[30])
    case("50", "sexual_exploitation", utc(2026, 11, 10, 2), referrals=[("ngo", "requested")])
    case("50", "slavery", utc(2026, 11, 6, 2), 5, "rescued_assisted", source="training",
         intakes=[dict(people_count=9, minors_count=9, nationalities=["LA"], indicators=["documents_taken"])],
         referrals=[("dsi", "done")], arrivals=[1])
    case("50", "slavery", utc(2026, 11, 1, 16, 59), 5, "false_report",  # Sun 1 Nov 23:59 in Bangkok: before
         intakes=[dict(people_count=5, minors_count=5, nationalities=["LA"], indicators=["threats_violence"])],
         referrals=[("dsi", "done")], arrivals=[1])
    return db


def test_people_minors_and_nationalities_per_province_and_kind_from_each_cases_newest_intake(as_role, story):
    page = _page(as_role("supervisor"))
    assert table_rows(page, "people-per-province") == [
        ["Province", "Cases with an intake", "People", "Minors (under 18)", "Nationalities (cases)"],
        ["Bangkok", "1", "1", "1", "Cambodia 1"],
        ["Chiang Mai", "1", "3", "1", "Cambodia 1, Myanmar (Burma) 1"],
        ["Total", "2", "4", "2", ""],
    ]
    assert table_rows(page, "people-per-kind")[1:3] == [
        ["Forced labour or services (debt bondage, confiscated documents)", "1", "3", "1", "Cambodia 1, Myanmar (Burma) 1"],
        ["Forced criminality in a scam compound", "1", "1", "1", "Cambodia 1"],
    ]
    assert table_rows(page, "nationalities")[1:] == [["Cambodia", "2"], ["Myanmar (Burma)", "1"]]


def test_signs_of_trafficking_are_counted_per_case_with_their_share(as_role, story):
    rows = {row[0]: row[1:] for row in table_rows(_page(as_role("supervisor")), "indicators")[1:]}
    assert rows["identity documents taken"] == ["2", "100%"]
    assert rows["debt owed to the employer or recruiter"] == ["1", "50%"]
    assert rows["forced to commit crimes (scam compounds included)"] == ["1", "50%"]
    assert rows["moved across a border"] == ["0", "0%"]  # only in the older version of the intake
    assert len(rows) == 9


def test_referrals_arrivals_outcomes_and_time_from_acknowledgement_to_the_first_arrival(as_role, story):
    page = _page(as_role("supervisor"))
    assert table_rows(page, "referrals") == [
        ["Agency", "requested", "accepted by the agency", "declined", "done", "Total"],
        ["police (191)", "0", "0", "1", "1", "2"],
        ["provincial shelter", "1", "0", "0", "0", "1"],
        ["NGO", "1", "0", "0", "0", "1"],
    ]
    assert table_rows(page, "arrivals-outcomes")[1:] == [
        ["Cases acknowledged", "2"], ["Field team arrived", "2"],
        ["Closed: rescued or assisted", "1"], ["Closed: not found", "1"]]
    assert table_rows(page, "to-arrival") == [
        ["Province", "Cases reached", "Median", "90th percentile"],
        ["Bangkok", "1", "30 min", "30 min"],
        ["Chiang Mai", "1", "50 min", "50 min"],  # the first arrival, not the second
        ["All provinces", "2", "40 min", "48 min"],
    ]


def test_a_field_officer_sees_the_story_figures_of_their_provinces_only(as_role, story):
    page = _page(as_role("field_officer"))
    assert [row[0] for row in table_rows(page, "people-per-province")[1:]] == ["Chiang Mai", "Total"]
    assert table_rows(page, "nationalities")[1:] == [["Cambodia", "1"], ["Myanmar (Burma)", "1"]]
    assert [row[0] for row in table_rows(page, "referrals")[1:]] == ["police (191)", "provincial shelter", "NGO"]
    assert table_rows(page, "to-arrival")[1:] == [["Chiang Mai", "1", "50 min", "50 min"], ["All provinces", "1", "50 min", "50 min"]]


def test_no_story_figures_reads_as_nothing_recorded(as_role, db):
    page = _page(as_role("supervisor"))
    assert table_rows(page, "people-per-province")[1] == ["No case opened in these periods has an intake."]
    assert table_rows(page, "referrals")[1] == ["No case opened in these periods was referred."]
    assert all(len(svg.findall(f"{SVG}title")) == 1 for svg in _charts(page).values())


def test_the_story_tables_export_as_csv_audited_for_supervisors_only(as_role, users, story):
    query = WEEKS.split("?", 1)[1]
    browser = as_role("supervisor")

    def table(name):
        response = browser.get(f"/console/reports/{name}.csv?{query}")
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    assert table("people-provinces") == [["province", "cases_with_intake", "people", "minors", "nationalities"],
                                         ["Bangkok", "1", "1", "1", "KH:1"], ["Chiang Mai", "1", "3", "1", "KH:1 MM:1"]]
    assert ["documents_taken", "identity documents taken", "2"] in table("indicators")
    assert table("referrals")[:2] == [["agency", "requested", "accepted", "declined", "done", "total"],
                                      ["police_191", "0", "0", "1", "1", "2"]]
    assert table("outcomes") == [["figure", "cases"], ["acknowledged", "2"], ["arrived", "2"],
                                 ["closed:rescued_assisted", "1"], ["closed:not_found", "1"]]
    assert table("to-arrival")[1:] == [["Bangkok", "1", "30.0", "30.0"], ["Chiang Mai", "1", "50.0", "50.0"]]
    assert len(table("people-kinds")) == 3
    targets = story.scalars(select(AuditEntry.target).where(AuditEntry.action == "export_csv", AuditEntry.user_id == users["supervisor"].id)).all()
    assert sorted(targets) == sorted(f"report:{t}" for t in ("people-provinces", "indicators", "referrals", "outcomes", "to-arrival", "people-kinds"))
    assert as_role("field_officer").get(f"/console/reports/indicators.csv?{query}").status_code == 403
    assert 'href="/console/reports/people-provinces.csv?' in _page(browser)


# --- the charts -------------------------------------------------------------------------------------------

def test_the_three_charts_are_well_formed_svg_with_title_desc_viewbox_and_their_numbers(as_role, story):
    charts = _charts(_page(as_role("supervisor")))
    assert set(charts) == {"chart-cases", "chart-ack", "chart-arrivals"}
    for svg in charts.values():
        assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 400 ")
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
    texts = lambda name: [t.text for t in charts[name].iter(f"{SVG}text")]  # noqa: E731
    assert {"2 Nov", "9 Nov", "16 Nov", "Week (from Monday)", "Cases and calls", "Calls (all kinds)",
            "Sexual exploitation"} <= set(texts("chart-cases"))
    assert {"Bangkok", "Chiang Mai", "20 min", "10 min", "Minutes", "Window for urgent cases: 10 min",
            "Window for other cases: 1 h 00 min"} <= set(texts("chart-ack"))
    assert texts("chart-ack").index("Bangkok") < texts("chart-ack").index("Chiang Mai")  # the slowest first
    assert {"Cases acknowledged", "Field team arrived", "Closed: not found", "Cases"} <= set(texts("chart-arrivals"))


def test_the_charts_are_labelled_in_thai_for_a_thai_user(app, db, story):
    charts = _charts(_page(_thai(app, db)))
    assert charts["chart-cases"].find(f"{SVG}title").text == "เรื่องที่เปิดในแต่ละช่วงแยกตามประเภท และสายโทรเข้า"
    assert "สัปดาห์ (เริ่มวันจันทร์)" in [t.text for t in charts["chart-cases"].iter(f"{SVG}text")]
    assert "นาที" in [t.text for t in charts["chart-ack"].iter(f"{SVG}text")]
    assert "ทีมภาคสนามถึงที่เกิดเหตุแล้ว" in [t.text for t in charts["chart-arrivals"].iter(f"{SVG}text")]


def test_chart_text_is_escaped_and_the_scale_has_round_steps():
    svg = ElementTree.fromstring(str(bars("x", "<b>&", "d", [Bar("<script>", 3, "3")], "a")))
    assert svg.find(f"{SVG}title").text == "<b>&" and "<script>" in [t.text for t in svg.iter(f"{SVG}text")]
    ElementTree.fromstring(str(stacked("y", "t", "d", [], [], "x", "y")))  # no periods, no series: still an SVG
    assert ticks(7) == [0, 2, 4, 6, 8] and ticks(0) == [0, 1] and ticks(120) == [0, 50, 100, 150]
    assert ElementTree.fromstring(str(stacked("z", "t", "d", ["a"], [Series("k", [0])], "x", "y"))).tag == f"{SVG}svg"


# --- the map's names ---------------------------------------------------------------------------------------

def test_the_map_names_every_province_in_the_users_language(app, as_role, db, story):
    page = _page(as_role("supervisor"))
    key = re.search(r'<ul class="map-key".*?</ul>', page, re.S)[0]
    assert len(re.findall(r"<li>", key)) == 77
    assert re.search(r'<span class="code">50</span> Chiang Mai <span class="muted">\(2\)</span>', key)
    assert re.search(r'<span class="code">10</span> Bangkok <span class="muted">\(1\)</span>', key)
    thai = _page(_thai(app, db))
    assert re.search(r'<span class="code">50</span> เชียงใหม่', thai)
    assert "<title>เชียงใหม่" in thai
