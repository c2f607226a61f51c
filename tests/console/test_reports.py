"""Reports: cases per province and kind per week or month, time to acknowledge, calls per language, the map, CSV."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from helpers.console_support import Browser, add_call, add_case, add_user, table_rows
from sqlalchemy import select, text

from casework.config import ROOT
from hotline.console.cartogram import legend, places, shade
from hotline.console.report_queries import spread
from models import AuditEntry, Centre, Contact, Escalation

WEEKS = "/console/reports?period=week&date_from=2026-11-02&date_to=2026-11-22"  # three whole weeks, Mon 2 - Sun 22 Nov


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def seeded(db):
    """Seven cases in three weeks (Bangkok), two just outside; five acknowledged, two of them late (after the first
    window passed); seven calls in four languages."""
    centre = Centre(code="50", province_code=None, name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
    db.add(centre)
    db.flush()
    duty, head = (Contact(centre_id=centre.id, name=n, phone=p, level=lv)
                  for n, p, lv in (("duty", "+66810000011", 1), ("head", "+66810000012", 2)))
    db.add_all([duty, head])
    db.commit()

    def opened(province, kind, at, acked_after=None, by_level=None, climbed=False, missed_after=None):
        case = add_case(db, province_code=province, category=kind, created_at=at,
                        status="acknowledged" if acked_after else "escalating")
        if missed_after:
            case.sla_missed_level, case.sla_missed_at = 1, at + timedelta(minutes=missed_after)
        if acked_after:
            case.acknowledged_at = at + timedelta(minutes=acked_after)
        if climbed:
            db.add(Escalation(case_id=case.id, level=1, contact_id=duty.id, status="delivered", created_at=at))
        if by_level:
            contact = duty if by_level == 1 else head
            db.add(Escalation(case_id=case.id, level=by_level, contact_id=contact.id, status="acknowledged",
                              created_at=at, acknowledged_at=case.acknowledged_at))
        db.commit()
        return case

    opened("50", "forced_labour", utc(2026, 11, 3, 2, 0), 10, 1)
    opened("50", "sexual_exploitation", utc(2026, 11, 8, 17, 30), 30, 1)  # Mon 9 Nov 00:30 in Bangkok: week 2
    opened("50", "forced_labour", utc(2026, 11, 17, 4, 0), 90, 2, climbed=True, missed_after=60)
    opened("50", "forced_labour", utc(2026, 11, 18, 4, 0))
    opened("10", "forced_criminality", utc(2026, 11, 4, 9, 0), 20)  # acknowledged in the console
    opened("10", "forced_criminality", utc(2026, 11, 22, 16, 59), 50, 1, missed_after=10)  # Sun 22 Nov 23:59 in Bangkok
    opened(None, None, utc(2026, 11, 10, 1, 0))
    opened("50", "forced_labour", utc(2026, 11, 1, 16, 59), 5, 1)  # Sun 1 Nov 23:59 in Bangkok: before
    opened("10", "slavery", utc(2026, 11, 22, 17, 0), 5, 1)  # Mon 23 Nov 00:00 in Bangkok: after
    for language, province, at in (("th", "50", utc(2026, 11, 2, 1)), ("th", "50", utc(2026, 11, 3, 1)),
                                   ("th", "10", utc(2026, 11, 20, 1)), ("my", "50", utc(2026, 11, 10, 1)),
                                   ("my", "10", utc(2026, 11, 11, 1)), ("km", None, utc(2026, 11, 20, 1)),
                                   ("en", "50", utc(2026, 11, 25, 1))):
        add_call(db, language=language, province_code=province, started_at=at)
    return db


def _page(browser, path=WEEKS) -> str:
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_cases_are_counted_per_province_and_kind_per_bangkok_week_with_totals(as_role, seeded):
    page = _page(as_role("supervisor"))
    assert table_rows(page, "cases-per-province") == [
        ["Province", "2 Nov", "9 Nov", "16 Nov", "Total"],
        ["Chiang Mai", "1", "1", "2", "4"],
        ["Bangkok", "1", "0", "1", "2"],
        ["unknown", "0", "1", "0", "1"],
        ["Total", "2", "2", "3", "7"],
    ]
    kinds = table_rows(page, "cases-per-kind")
    assert ["Forced labour or services (debt bondage, confiscated documents)", "1", "0", "2", "3"] in kinds
    assert ["Sexual exploitation", "0", "1", "0", "1"] in kinds
    assert ["Forced criminality in a scam compound", "1", "0", "1", "2"] in kinds
    assert ["Slavery", "0", "0", "0", "0"] in kinds and ["not known yet", "0", "1", "0", "1"] in kinds
    assert kinds[-1] == ["Total", "2", "2", "3", "7"]


def test_trainers_simulated_calls_and_their_cases_are_left_out(as_role, seeded):
    tables = ("cases-per-province", "cases-per-kind", "calls-per-language", "ack-per-province", "ack-per-level")
    before = {t: table_rows(_page(as_role("supervisor")), t) for t in tables}
    case = add_case(seeded, source="training", province_code="50", category="slavery", created_at=utc(2026, 11, 5, 1),
                    status="acknowledged")
    case.acknowledged_at = utc(2026, 11, 5, 2)
    seeded.commit()
    add_call(seeded, call_sid="CAsimulator" + "0" * 24, language="lo", province_code="50", started_at=utc(2026, 11, 5, 1))
    page = _page(as_role("supervisor"))
    assert {t: table_rows(page, t) for t in tables} == before


def test_months_put_the_same_cases_in_one_column(as_role, seeded):
    rows = table_rows(_page(as_role("admin"), "/console/reports?period=month&date_from=2026-11-01&date_to=2026-11-30"),
                  "cases-per-province")
    assert rows[0] == ["Province", "Nov 2026", "Total"]
    assert rows[1] == ["Chiang Mai", "5", "5"] and rows[-1] == ["Total", "9", "9"]


def test_median_and_p90_time_to_acknowledge_per_province_and_level_in_time_and_late(as_role, seeded):
    page = _page(as_role("supervisor"))
    assert table_rows(page, "ack-per-province") == [
        ["Province", "Cases acknowledged", "Median", "90th percentile", "In time", "Late"],
        ["Bangkok", "2", "35 min", "47 min", "1", "1"],  # 20, 50 (late)
        ["Chiang Mai", "3", "30 min", "1 h 18 min", "2", "1"],  # 10, 30, 90 (late)
        ["All provinces", "5", "30 min", "1 h 14 min", "3", "2"],
    ]
    assert table_rows(page, "ack-per-level") == [
        ["Level", "Cases acknowledged", "Median", "90th percentile", "In time", "Late"],
        ["level 1 · duty team", "3", "30 min", "46 min", "2", "1"],  # 10, 30, 50 (late)
        ["level 2 · provincial head", "1", "1 h 30 min", "1 h 30 min", "0", "1"],
        ["level 3 · central division", "0", "–", "–", "0", "0"],
        ["in the console", "1", "20 min", "20 min", "1", "0"],
    ]
    assert table_rows(_page(as_role("field_officer")), "ack-per-province")[1:] == [  # Chiang Mai only
        ["Chiang Mai", "3", "30 min", "1 h 18 min", "2", "1"], ["All provinces", "3", "30 min", "1 h 18 min", "2", "1"]]


def test_the_percentiles_are_postgresql_percentile_cont(db):
    durations = [600.0, 1800.0, 5400.0, 1234.0, 7.5, 86400.0]
    ours = spread(durations)
    if db.bind.dialect.name == "postgresql":
        values = ", ".join(f"({d})" for d in durations)
        median, p90 = db.execute(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d) "
            f"FROM (VALUES {values}) AS t(d)")).one()  # nosec B608 - our own numbers
        assert (ours.median, ours.p90) == pytest.approx((median, p90))
    assert (ours.cases, ours.median, ours.p90) == (6, 1517.0, pytest.approx(45900.0))
    assert (spread([42.0]).median, spread([42.0]).p90) == (42.0, 42.0)


def test_calls_are_counted_per_language(as_role, seeded):
    rows = table_rows(_page(as_role("supervisor")), "calls-per-language")
    assert rows[1:] == [
        ["Thai", "2", "0", "1", "3"], ["English", "0", "0", "0", "0"], ["Burmese", "0", "2", "0", "2"],
        ["Khmer", "0", "0", "1", "1"], ["Lao", "0", "0", "0", "0"], ["Total", "2", "2", "2", "6"],
    ]


def _tiles(page: str) -> dict[str, tuple[str, str]]:
    """province code -> (class, title) of each map tile."""
    return {code: (cls, title) for cls, code, title in re.findall(
        r'<g class="tile ([^"]+)" data-province="(\d\d)" role="img" aria-label="([^"]+)">\s*<title>\3</title>', page)}


def test_the_map_has_a_tile_per_province_shaded_by_cases_with_a_title_and_a_legend(as_role, seeded):
    page = _page(as_role("supervisor"))
    tiles = _tiles(page)
    assert len(tiles) == 77
    assert tiles["50"] == ("q5", "Chiang Mai: 4 cases")
    assert tiles["10"] == ("q4", "Bangkok: 2 cases")  # square-root scale: 2 / 4 > (3 / 5)²
    assert tiles["83"] == ("q0", "Phuket: 0 cases")
    assert '<svg class="cartogram"' in page and "<script" not in page.split("<main", 1)[1]
    legend_items = re.findall(r'<span class="swatch (q\d)" aria-hidden="true"></span>\s*([^<]+?)\s*</li>', page)
    assert legend_items == [("q0", "none"), ("q3", "1"), ("q4", "2"), ("q5", "3–4")]


def test_the_map_speaks_thai(app, seeded):
    add_user(seeded, "somsri", "supervisor", language="th")
    browser = Browser(app.test_client())
    browser.login("somsri")
    page = _page(browser)
    assert _tiles(page)["50"] == ("q5", "เชียงใหม่: 4 เรื่อง")
    assert "รายงาน" in page and "ระยะเวลาจนรับเรื่อง" in page


def test_the_tile_grid_places_every_province_once():
    with open(ROOT / "data" / "provinces.csv", encoding="utf-8") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    grid = places()
    assert set(grid) == codes and len(set(grid.values())) == 77
    assert grid["57"][1] < grid["50"][1] < grid["10"][1] < grid["96"][1]  # Chiang Rai, Chiang Mai, Bangkok, Narathiwat
    assert grid["58"][0] < grid["50"][0] < grid["34"][0]  # Mae Hong Son west of Chiang Mai west of Ubon


def test_shades_and_legend_agree():
    assert legend(48) == [(0, 0, 0), (1, 1, 1), (2, 2, 7), (3, 8, 17), (4, 18, 30), (5, 31, 48)]
    for top in (1, 3, 4, 7, 48, 100):
        steps = legend(top)
        for count in range(1, top + 1):
            assert [level for level, low, high in steps if low <= count <= high] == [shade(count, top)]
    assert shade(0, 5) == 0 and legend(0) == [(0, 0, 0)]


def test_a_field_officer_sees_only_their_provinces(as_role, seeded):
    page = _page(as_role("field_officer"))  # Chiang Mai only
    assert table_rows(page, "cases-per-province")[1:] == [["Chiang Mai", "1", "1", "2", "4"], ["Total", "1", "1", "2", "4"]]
    assert [r[0] for r in table_rows(page, "ack-per-province")[1:]] == ["Chiang Mai", "All provinces"]
    assert table_rows(page, "calls-per-language")[1] == ["Thai", "2", "0", "0", "2"]
    tiles = _tiles(page)
    assert tiles["50"][0] == "q5" and tiles["10"] == ("q0 out", "Bangkok: not in your provinces")
    assert "reports_csv" not in page and "/console/reports/" not in page


def test_reports_are_for_supervisors_admins_and_field_officers(as_role, seeded):
    assert as_role("operator").get("/console/reports").status_code == 403
    assert "/console/reports" not in as_role("operator").get("/console/").get_data(as_text=True)
    nav = as_role("field_officer").get("/console/").get_data(as_text=True)
    assert 'href="/console/reports"' in nav
    assert as_role("field_officer").get("/console/reports/provinces.csv").status_code == 403


def test_the_default_is_the_last_twelve_weeks(as_role, seeded):
    page = _page(as_role("supervisor"), "/console/reports")
    assert len(table_rows(page, "cases-per-province")[0]) == 12 + 2
    assert re.search(r'id="date_from"[^>]*value="\d{4}-\d\d-\d\d"', page)


@pytest.mark.parametrize("query, error", [
    ("period=year", "Choose one of the options."),
    ("date_from=yesterday", "Use a date like 2026-11-25."),
    ("date_from=2026-11-30&date_to=2026-11-01", "The first day must not be after the last."),
    ("period=week&date_from=2001-01-01&date_to=2026-11-01", "Choose at most 106 periods."),
    ("date_from=0001-01-01&date_to=0001-01-10", "Use a date between 2000 and 2100."),
    ("period=month&date_to=9999-12-31", "Use a date between 2000 and 2100."),
])
def test_bad_choices_are_explained_and_the_default_shown(as_role, seeded, query, error):
    page = _page(as_role("supervisor"), f"/console/reports?{query}")
    assert error in page
    assert len(table_rows(page, "cases-per-province")[0]) in (12 + 2, 13 + 2)  # twelve weeks back, whole weeks


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_each_table_exports_as_csv_and_the_export_is_audited(as_role, users, seeded):
    browser = as_role("supervisor")
    query = WEEKS.split("?", 1)[1]
    assert _csv(browser.get(f"/console/reports/provinces.csv?{query}")) == [
        ["province_code", "province", "2026-11-02", "2026-11-09", "2026-11-16", "total"],
        ["50", "Chiang Mai", "1", "1", "2", "4"], ["10", "Bangkok", "1", "0", "1", "2"],
        ["", "unknown", "0", "1", "0", "1"], ["", "total", "2", "2", "3", "7"],
    ]
    levels = _csv(browser.get(f"/console/reports/ack-levels.csv?{query}"))
    assert levels[0] == ["level", "level_name", "cases", "median_minutes", "p90_minutes", "in_time", "late"]
    assert levels[1] == ["1", "level 1 · duty team", "3", "30.0", "46.0", "2", "1"]
    assert levels[3][2:] == ["0", "", "", "0", "0"]
    assert _csv(browser.get(f"/console/reports/ack-provinces.csv?{query}"))[2] == [
        "50", "Chiang Mai", "3", "30.0", "78.0", "2", "1"]
    assert ["my", "Burmese", "0", "2", "0", "2"] in _csv(browser.get(f"/console/reports/languages.csv?{query}"))
    assert ["", "total", "2", "2", "3", "7"] in _csv(browser.get(f"/console/reports/kinds.csv?{query}"))
    assert browser.get("/console/reports/victims.csv").status_code == 404
    entries = seeded.scalars(select(AuditEntry).where(AuditEntry.action == "export_csv").order_by(AuditEntry.id)).all()
    assert [e.target for e in entries] == ["report:provinces", "report:ack-levels", "report:ack-provinces",
                                           "report:languages", "report:kinds"]
    assert entries[0].user_id == users["supervisor"].id
    assert entries[0].reason == "date_from=2026-11-02; date_to=2026-11-22; period=week (4 rows)"
    assert 'href="/console/reports/provinces.csv?' in _page(browser)


def test_a_report_table_csv_is_streamed_too(as_role, seeded):
    response = as_role("admin").get(f"/console/reports/provinces.csv?{WEEKS.split('?', 1)[1]}", buffered=False)
    assert response.is_streamed and "Content-Length" not in response.headers
    assert b"".join(response.response).decode("utf-8").startswith("\ufeffprovince_code,province,2026-11-02,")
    response.close()


def test_each_hexagon_is_named_on_hover_and_labelled_with_its_code(as_role, seeded):
    page = _page(as_role("supervisor"))
    tiles = re.findall(r'<g class="tile[^"]*" data-province="(\d\d)"[^>]*>\s*<title>([^<]+)</title>\s*<polygon[^>]*/>\s*'
                       r'<text class="code"[^>]*>(\d\d)</text>', page)
    assert len(tiles) == 77 and all(code == label for code, _title, label in tiles)
    assert ("83", "Phuket: 0 cases", "83") in tiles
