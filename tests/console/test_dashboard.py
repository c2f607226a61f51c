"""The dashboard: live calls, today's numbers, red escalations, SLA clocks, and the polling endpoint."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from helpers.console_support import Browser, add_call

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
