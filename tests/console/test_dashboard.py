"""The dashboard: live calls, today's numbers, red escalations, SLA clocks, and the polling endpoint."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from helpers.console_support import Browser, add_call, add_user
from helpers.ladder import report, run_jobs
from sqlalchemy import select

from models import Case

NOW = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 12:00 in Bangkok


def add_case(db, reference: str, **fields) -> Case:
    values = dict(source="call", reference=reference, status="new", urgency="normal", province_code="50",
                  created_at=NOW - timedelta(minutes=30))
    values.update(fields)
    case = Case(**values)
    db.add(case)
    db.commit()
    return case


def seed(db):
    add_call(db, status="in-progress", started_at=NOW - timedelta(minutes=3), urgency="urgent")
    add_call(db, status="completed", started_at=NOW - timedelta(hours=2))
    add_call(db, status="ringing", started_at=NOW - timedelta(hours=6))  # lost its final status long ago
    add_call(db, status="completed", started_at=datetime(2026, 11, 24, 16, 59, tzinfo=UTC))  # yesterday in Bangkok
    add_call(db, status="in-progress", started_at=NOW - timedelta(minutes=1), province_code="10")
    add_case(db, "1300-69-000001", unacknowledged=True, status="escalating", level=3)
    add_case(db, "1300-69-000002", sla_due_at=NOW - timedelta(minutes=5), status="escalating", level=1)
    add_case(db, "1300-69-000003", sla_due_at=NOW + timedelta(minutes=8))
    add_case(db, "1300-69-000004", status="acknowledged", acknowledged_at=NOW - timedelta(minutes=2))
    add_case(db, "1300-69-000005", status="closed", outcome="false_report")
    add_case(db, "1300-69-000006", province_code="10", unacknowledged=True, status="escalating",
             created_at=NOW - timedelta(days=2))


def test_the_dashboard_shows_live_calls_todays_numbers_and_red_escalations(as_role, db):
    seed(db)
    with time_machine.travel(NOW, tick=False):
        page = as_role("supervisor").get("/console/").get_data(as_text=True)
    counts = page[page.index('class="counts"'):page.index("</dl>")]
    for label, number in (("Calls in progress", 2), ("Calls today", 4), ("Cases today", 5), ("Open cases", 5),
                          ("Not acknowledged in time", 3)):
        assert f"<dt>{label}</dt><dd>{number}</dd>" in counts, label
    alerts = page[page.index('id="live-alerts"'):page.index('id="live-in-progress"')]
    assert alerts.count('<tr class="alert">') == 3
    assert "1300-69-000001" in alerts and "1300-69-000002" in alerts and "1300-69-000003" not in alerts
    assert "nobody acknowledged" in alerts
    assert 'data-due="2026-11-25T05:08:00+00:00"' in page  # the SLA clock of case 3
    assert 'data-live-url="/console/live.json"' in page and 'data-poll="10"' in page


def test_a_trainers_simulated_call_and_its_case_are_not_on_the_dashboard(as_role, db):
    seed(db)
    add_call(db, call_sid="CAsimulator" + "0" * 24, status="in-progress", started_at=NOW - timedelta(minutes=2))
    add_case(db, "1300-69-000007", source="training")
    with time_machine.travel(NOW, tick=False):
        page = as_role("supervisor").get("/console/").get_data(as_text=True)
    counts = page[page.index('class="counts"'):page.index("</dl>")]
    for label, number in (("Calls in progress", 2), ("Calls today", 4), ("Cases today", 5), ("Open cases", 5)):
        assert f"<dt>{label}</dt><dd>{number}</dd>" in counts, label
    assert "1300-69-000007" not in page


def test_the_live_endpoint_sends_sections_and_costs_a_304_when_nothing_changed(as_role, db):
    seed(db)
    with time_machine.travel(NOW, tick=False):
        browser = as_role("operator")
        response = browser.get("/console/live.json")
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert set(response.json["sections"]) == {"summary", "alerts", "in-progress", "open-cases", "recent-calls"}
        assert response.json["alerts"] == 3 and response.json["in_progress"] == 2
        again = browser.get("/console/live.json", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        add_call(db, status="ringing", started_at=NOW)
        changed = browser.get("/console/live.json", headers={"If-None-Match": response.headers["ETag"]})
        assert changed.status_code == 200 and changed.json["in_progress"] == 3


def test_a_field_officer_sees_their_provinces_only(as_role, db):
    seed(db)
    with time_machine.travel(NOW, tick=False):
        data = as_role("field_officer").get("/console/live.json").json
    assert data["in_progress"] == 1 and data["alerts"] == 2
    assert "1300-69-000006" not in data["sections"]["alerts"]


def test_an_ended_session_answers_the_poll_with_401(app, users):
    browser = Browser(app.test_client())
    assert browser.get("/console/live.json").status_code == 401


def test_an_open_case_acknowledged_late_is_shown_and_not_called_acknowledged_in_time(as_role, db):
    add_case(db, "1300-69-000011", status="acknowledged", level=2, acknowledged_at=NOW - timedelta(minutes=5),
             sla_missed_level=1, sla_missed_at=NOW - timedelta(minutes=30))
    add_case(db, "1300-69-000012", status="acknowledged", acknowledged_at=NOW - timedelta(minutes=20))
    add_case(db, "1300-69-000013", status="closed", outcome="false_report", acknowledged_at=NOW - timedelta(minutes=5),
             sla_missed_level=1, sla_missed_at=NOW - timedelta(minutes=30))  # closed: history, not the dashboard's
    with time_machine.travel(NOW, tick=False):
        browser = as_role("supervisor")
        page = browser.get("/console/").get_data(as_text=True)
        live = browser.get("/console/live.json").json
    counts = page[page.index('class="counts"'):page.index("</dl>")]
    assert "<dt>Not acknowledged in time</dt><dd>1</dd>" in counts
    alerts = page[page.index('id="live-alerts"'):page.index('id="live-in-progress"')]
    assert "Every open case has been acknowledged in time." not in alerts
    assert "1300-69-000011" in alerts and "late, level 1, +25 min" in alerts
    assert "1300-69-000012" not in alerts and "1300-69-000013" not in alerts
    assert live["alerts"] == 0 and "1300-69-000011" in live["sections"]["alerts"]


def test_open_cases_put_the_overdue_first_the_longest_overdue_first_then_the_soonest_deadline(as_role, db):
    add_case(db, "1300-69-000021", status="escalating", level=1, sla_due_at=NOW + timedelta(minutes=40))
    add_case(db, "1300-69-000022", status="escalating", level=1, sla_due_at=NOW - timedelta(minutes=5))
    add_case(db, "1300-69-000023", status="escalating", level=3, unacknowledged=True,  # the ladder ran out
             sla_missed_level=1, sla_missed_at=NOW - timedelta(hours=3))
    add_case(db, "1300-69-000024", status="escalating", level=1, sla_due_at=NOW + timedelta(minutes=10))
    add_case(db, "1300-69-000025", status="acknowledged", acknowledged_at=NOW - timedelta(minutes=1))
    with time_machine.travel(NOW, tick=False):
        page = as_role("supervisor").get("/console/").get_data(as_text=True)
    listed = page[page.index('id="live-open-cases"'):]
    order = sorted((f"1300-69-0000{n}" for n in range(21, 26)), key=listed.index)
    assert order == ["1300-69-000023", "1300-69-000022", "1300-69-000024", "1300-69-000021", "1300-69-000025"]


def test_a_moved_case_shows_under_its_new_province_for_everyone_who_sees_it(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, "CA" + "9" * 32, ["1", "3"], postcode="50200")
    run_jobs(redis)
    for name, role, provinces in (("boss", "supervisor", []), ("north", "field_officer", ["50"]),
                                  ("capital", "field_officer", ["10"])):
        add_user(db, name, role, provinces)
    browsers = {}
    for name in ("boss", "north", "capital"):
        browsers[name] = Browser(app.test_client())
        assert browsers[name].login(name).status_code == 302
    case = db.scalars(select(Case)).one()
    assert browsers["boss"].post(f"/console/cases/{case.id}/province", {"province": "10"}).status_code == 302
    run_jobs(redis)  # the new centre's ladder
    for name, sees in (("boss", True), ("north", False), ("capital", True)):
        sections = browsers[name].get("/console/live.json").json["sections"]["open-cases"]
        assert (case.reference in sections) is sees, name
        if sees:
            row = sections[sections.index(case.reference):]
            assert "Bangkok" in row[:row.index("</tr>")] and "Chiang Mai" not in row[:row.index("</tr>")], name
