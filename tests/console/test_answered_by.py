"""Who answered each call (issue 16) on the call page, the calls list and the calls CSV, from the desk's record
(casework.desk_record); on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from helpers.console_support import add_call, add_user
from sqlalchemy import select

from models import AuditEntry, DeskWait

ASKED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def answered_call(db):
    operator = add_user(db, "op_somchai", "operator")
    call = add_call(db, from_e164="+66812349876", from_raw="+66812349876")
    db.add(DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language="th", state="answered",
                    asked_at=ASKED, answered_by=operator.id, answered_at=ASKED + timedelta(seconds=42),
                    ended_at=ASKED + timedelta(seconds=342)))
    gone = add_call(db)
    db.add(DeskWait(call_id=gone.id, conference=f"desk-{gone.call_sid}", language="th", state="abandoned",
                    asked_at=ASKED, ended_at=ASKED + timedelta(seconds=75)))
    db.commit()
    return call, gone


def test_the_call_page_says_who_answered_and_how_long_the_caller_waited_and_talked(db, users, as_role):
    call, gone = answered_call(db)
    never = add_call(db)
    operator = as_role("operator")
    page = operator.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "Answered by" in page and "op_somchai" in page and "42 s" in page and "300 s" in page
    page = operator.get(f"/console/calls/{gone.id}").get_data(as_text=True)
    assert "nobody: hung up waiting" in page and "75 s" in page and "Talked" not in page
    assert "Answered by" not in operator.get(f"/console/calls/{never.id}").get_data(as_text=True)


def test_the_calls_list_has_an_answered_by_column(db, users, as_role):
    answered_call(db)
    page = as_role("supervisor").get("/console/calls").get_data(as_text=True)
    assert "op_somchai" in page and "waited 42 s" in page and "hung up waiting" in page
    assert "/console/calls.csv" in page
    operator_page = as_role("operator").get("/console/calls").get_data(as_text=True)
    assert "/console/calls.csv" not in operator_page and "/console/callbacks" in operator_page
    assert "/console/callbacks" not in as_role("field_officer").get("/console/calls").get_data(as_text=True)


def test_the_calls_csv_has_the_desk_columns_no_numbers_and_is_audited(db, users, as_role):
    call, gone = answered_call(db)
    response = as_role("supervisor").get("/console/calls.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "9876" not in text and "+668" not in text
    rows = {row["call"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    answered = rows[call.reference]
    assert (answered["answered_by"], answered["wait_seconds"], answered["talk_seconds"]) == ("op_somchai", "42", "300")
    assert answered["answered_at"] == "2026-11-25 10:00:42"  # Bangkok
    assert (rows[gone.reference]["answered_by"], rows[gone.reference]["wait_seconds"]) == ("", "75")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "export_csv")).one()
    assert entry.target == "calls" and entry.reason.endswith("(2 rows)")
    assert as_role("operator").get("/console/calls.csv").status_code == 403
