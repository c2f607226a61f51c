"""Data-subject requests: an admin finds, exports and erases what is held for a phone number."""
from __future__ import annotations

import json
import os

from helpers.records import (
    ACCOUNT,
    CALLER,
    LINE_USER,
    Recordings,
    add_author,
    add_call,
    add_case,
    add_line_user,
    add_note,
    add_sms,
)
from sqlalchemy import select

from casework import subjects
from casework.linking import link
from models import Annotation, AuditEntry, Call, Case, LineChat, LineEvent, LineMedia, LineMessage, LineReport, Message, User


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


# --- a LINE user id as the subject (issue 17) ----------------------------------------------------

def closed_line_case(db, config):
    case = add_case(db, source="line")
    held = add_line_user(db, config, case)
    case = db.get(Case, case.id)
    case.move_to("closed", "user:1", outcome="referred_police")
    db.commit()
    add_line_user(db, config, user="U" + "0" * 32)  # someone else
    return held, case


def test_a_line_users_holdings_are_found_and_exported_with_their_media_and_audited_masked(app, db, tmp_path):
    admin(db)
    held, case = closed_line_case(db, app.config["HOTLINE"])
    runner = app.test_cli_runner()
    found = runner.invoke(args=["subject", "find", "--line-user", LINE_USER, "--by", "admin", "--reason", "PDPA 2026/20"])
    assert found.exit_code == 0, found.output
    assert "cases 1, line_chats 1, line_events 2, line_messages 1, line_reports 1, line_media 1" in found.output
    assert f"line image {held.media.id}" in found.output and LINE_USER not in found.output
    path = tmp_path / "line.json"
    exported = runner.invoke(args=["subject", "export", "--line-user", LINE_USER, "--by", "admin", "--output", str(path)])
    assert exported.exit_code == 0, exported.output
    data = json.loads(path.read_text())
    assert data["line_user"] == LINE_USER and [c["reference"] for c in data["cases"]] == [case.reference]
    assert data["line_events"][0]["payload"]["message"]["text"] == ACCOUNT and data["line_reports"][0]["account"] == ACCOUNT
    assert [(m["kind"], m["stored_as"], m["size"]) for m in data["line_media"]] == [("image", held.media.stored_as,
                                                                                      held.media.size)]
    db.expire_all()
    targets = db.scalars(select(AuditEntry.target).order_by(AuditEntry.id)).all()
    assert targets == ["subject:line:UXXXX…4f4f"] * 2


def test_erase_of_a_line_user_removes_their_media_files_and_personal_data_and_keeps_the_case(app, db):
    admin(db)
    held, case = closed_line_case(db, app.config["HOTLINE"])
    media_id, event_ids = held.media.id, [e.id for e in held.events]
    result = app.test_cli_runner().invoke(args=["subject", "erase", "--line-user", LINE_USER, "--by", "admin",
                                                "--reason", "PDPA 2026/21", "--yes"])
    assert result.exit_code == 0, result.output
    assert ("line media deleted 1, line events blanked 2, line messages blanked 1, line reports blanked 1, "
            "line chats erased 1") in result.output
    assert f"kept: case {case.reference} (closed)" in result.output
    assert not held.file.exists()
    db.expire_all()
    assert db.scalars(select(LineMedia.id)).all() != [] and db.get(LineMedia, media_id) is None
    assert [p.name for p in held.file.parent.iterdir()] != []  # the other person's image stays
    assert subjects.find_line_user(db, LINE_USER).counts() == {"cases": 0, "line_chats": 0, "line_events": 0,
                                                               "line_messages": 0, "line_reports": 0, "line_media": 0}
    for event in (db.get(LineEvent, event_id) for event_id in event_ids):
        assert event.payload == {} and event.line_user_id is None and event.erased_at is not None
    assert db.get(LineMessage, held.message.id).messages == []
    report = db.get(LineReport, held.report.id)
    assert (report.account, report.latitude, report.callback_consent) == (None, None, None)
    assert (report.case_id, report.kind, report.province_code) == (case.id, "forced_labour", "50")
    chat = db.get(LineChat, held.chat.id)
    assert chat.line_user_id.startswith("erased-") and chat.unfollowed_at is not None  # nothing is sent to it
    assert db.get(Case, case.id).status == "closed"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "subject_erase")).one()
    assert json.loads(entry.reason)["line_media_deleted"] == 1 and LINE_USER not in entry.target


def test_erase_of_a_line_user_with_an_open_case_keeps_the_thread_and_says_why(app, db):
    case = add_case(db, source="line")
    held = add_line_user(db, app.config["HOTLINE"], case)
    done = subjects.erase_line_user(db, subjects.find_line_user(db, LINE_USER), app.config["HOTLINE"])
    db.commit()
    assert not any(done.erased.values()) and f"case {case.reference} is open" in done.kept[0]
    assert held.file.exists() and db.get(LineChat, held.chat.id).line_user_id == LINE_USER


def test_a_bad_line_user_id_or_two_subjects_at_once_is_a_clear_error(app, db):
    admin(db)
    runner = app.test_cli_runner()
    wrong = runner.invoke(args=["subject", "find", "--line-user", "not-an-id", "--by", "admin"])
    assert wrong.exit_code == 1 and "not a LINE user id" in wrong.output
    both = runner.invoke(args=["subject", "find", "--line-user", LINE_USER, "--number", CALLER, "--by", "admin"])
    neither = runner.invoke(args=["subject", "find", "--by", "admin"])
    assert both.exit_code == neither.exit_code == 1 and "one of the two" in both.output
