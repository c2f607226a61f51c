"""Data-subject requests: an admin finds, exports and erases what is held for a phone number."""
from __future__ import annotations

import json
import os

from helpers.records import CALLER, Recordings, add_author, add_call, add_case, add_note, add_sms
from sqlalchemy import select

from casework import subjects
from casework.linking import link
from models import Annotation, AuditEntry, Call, Case, Message, User


def admin(db, role: str = "admin") -> User:
    user = User(username=role, password_hash="x", role=role, active=True)
    db.add(user)
    db.commit()
    return user


def held_for_a_caller(db):
    """Two calls from the caller: one opened a case still worked on; one asked for other help and left a note."""
    author = add_author(db)
    helped = add_call(db, topic="other_help")
    reported = add_call(db, topic="trafficking")
    case = add_case(db, reported)
    add_note(db, author, call=helped)
    add_note(db, author, case=case)
    add_sms(db, CALLER, direction="in")
    add_call(db, number="+66899999999")  # someone else
    return helped, reported, case


def test_find_lists_everything_for_a_number_typed_any_way_and_is_audited(app, db):
    admin(db)
    held_for_a_caller(db)
    result = app.test_cli_runner().invoke(args=["subject", "find", "--number", "081-234 5678", "--by", "admin",
                                                "--reason", "PDPA request 2026/15"])
    assert result.exit_code == 0, result.output
    assert "calls 2, cases 1, reports 0, notes 2, messages 1, contacts 0" in result.output
    db.expire_all()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "subject_find")).one()
    assert entry.target == "subject:+668XXXX5678" and entry.reason == "PDPA request 2026/15" and CALLER not in entry.target


def test_export_writes_every_record_as_json_readable_only_by_its_owner(app, db, tmp_path):
    admin(db)
    helped, _reported, case = held_for_a_caller(db)
    path = tmp_path / "subject.json"
    result = app.test_cli_runner().invoke(args=["subject", "export", "--number", CALLER, "--by", "admin",
                                                "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    assert data["number"] == CALLER and [c["call_sid"] for c in data["calls"]][0] == helped.call_sid
    assert data["calls"][0]["events"][0]["params"]["From"] == CALLER
    assert [c["reference"] for c in data["cases"]] == [case.reference]
    assert len(data["notes"]) == 2 and len(data["sms"]) == 1
    db.expire_all()
    assert db.scalars(select(AuditEntry.action)).all() == ["subject_export"]


def test_erase_keeps_what_an_open_case_needs_and_says_why(app, db):
    admin(db)
    helped, reported, case = held_for_a_caller(db)
    result = app.test_cli_runner().invoke(args=["subject", "erase", "--number", "0812345678", "--by", "admin",
                                                "--reason", "PDPA request 2026/15"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "numbers blanked 1, recordings deleted 1, notes deleted 1, report numbers blanked 0, sms deleted 1" in result.output
    assert f"kept: call {reported.id}: case {case.reference} is open" in result.output
    db.expire_all()
    helped, reported = db.get(Call, helped.id), db.get(Call, reported.id)
    assert helped.from_e164 is None and helped.recording_url is None and "From" not in helped.events[0].params
    assert reported.from_e164 == CALLER and reported.recording_url is not None
    assert [n.case_id for n in db.scalars(select(Annotation))] == [case.id]
    assert db.scalars(select(Message)).all() == []
    assert db.scalars(select(Call.from_e164).where(Call.from_e164.is_not(None))).all() == [CALLER, "+66899999999"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "subject_erase")).one()
    assert json.loads(entry.reason)["numbers_blanked"] == 1 and entry.user_id is not None


def test_erase_keeps_a_call_linked_to_an_open_case_as_it_keeps_the_case_own_call(app, db):
    admin(db)
    case = add_case(db, add_call(db, number="+66899999999"))
    linked = add_call(db, topic="trafficking")
    link(db, case, linked, "user:1")
    db.commit()
    held = subjects.find(db, CALLER)
    assert [c.id for c in held.cases] == [case.id] and held.case_of_call(linked).id == case.id
    result = app.test_cli_runner().invoke(args=["subject", "erase", "--number", "0812345678", "--by", "admin",
                                                "--reason", "PDPA request 2026/16"], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"kept: call {linked.id}: case {case.reference} is open" in result.output
    db.expire_all()
    linked = db.get(Call, linked.id)
    assert linked.from_e164 == CALLER and linked.recording_url is not None


def test_erase_after_the_case_closed_deletes_the_recording_at_twilio_and_keeps_the_case_file(app, db):
    helped, reported, case = held_for_a_caller(db)
    gone, kept = helped.recording_sid, reported.recording_sid
    case = db.get(Case, case.id)
    case.move_to("closed", "user:1", outcome="referred_police")
    db.commit()
    twilio = Recordings(missing={gone})
    held = subjects.find(db, CALLER)
    done = subjects.erase(db, held, app.config["HOTLINE"], twilio)
    db.commit()
    assert done.erased["numbers_blanked"] == 2 and done.erased["recordings_deleted"] == 2
    assert twilio.deleted == [kept]  # the other was gone already (404)
    assert sorted(twilio.calls_deleted) == sorted([helped.call_sid, reported.call_sid])  # Twilio's logs, with the number
    assert any(f"case {case.reference} (closed)" in line for line in done.kept)
    assert [n.case_id for n in db.scalars(select(Annotation))] == [case.id]
    assert subjects.find(db, CALLER).calls == []


def test_a_number_twilio_still_logs_stays_and_erase_says_to_run_again(app, db):
    helped, reported, case = held_for_a_caller(db)
    case = db.get(Case, case.id)
    case.move_to("closed", "user:1", outcome="referred_police")
    db.commit()
    done = subjects.erase(db, subjects.find(db, CALLER), app.config["HOTLINE"], Recordings(failing={helped.call_sid}))
    db.commit()
    assert done.erased["numbers_blanked"] == 1
    assert any(f"call {helped.id}: Twilio did not confirm deleting its log" in line for line in done.kept)
    assert [c.id for c in subjects.find(db, CALLER).calls] == [helped.id]


def test_only_an_active_admin_may_answer_and_a_bad_number_is_a_clear_error(app, db):
    admin(db, "operator")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["subject", "find", "--number", CALLER, "--by", "operator"])
    assert refused.exit_code == 1 and "not an active admin" in refused.output
    admin(db)
    wrong = runner.invoke(args=["subject", "export", "--number", "call me maybe", "--by", "admin"])
    assert wrong.exit_code == 1 and "not a phone number" in wrong.output
    declined = runner.invoke(args=["subject", "erase", "--number", CALLER, "--by", "admin", "--reason", "r"], input="n\n")
    assert declined.exit_code == 1
    db.expire_all()
    assert db.scalars(select(AuditEntry)).all() == []
