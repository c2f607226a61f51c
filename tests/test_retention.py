"""Retention (PDPA): each class of personal data goes when its period ends, never while a case is open;
checked by travelling in time, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from helpers.records import (
    CALLER,
    Recordings,
    add_author,
    add_call,
    add_case,
    add_line_user,
    add_note,
    add_report,
    add_sms,
)
from sqlalchemy import select

from casework import retention
from casework.linking import link
from models import (
    Annotation,
    ApiToken,
    AuditEntry,
    Call,
    CaseTransition,
    LineChat,
    LineEvent,
    LineMedia,
    LineMessage,
    LineReport,
    Message,
    Report,
)

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def travel(days: float):
    return time_machine.travel(T0 + timedelta(days=days), tick=False)


def run(app, **options):
    return retention.run(app.extensions["sessions"], app.config["HOTLINE"], **options)


def fresh(db, call) -> Call:
    db.expire_all()
    return db.get(Call, call.id)


def audits(db) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "retention").order_by(AuditEntry.id)))


def test_a_call_without_a_case_loses_its_number_after_30_days_and_its_voice_message_after_90(app, db, caplog):
    caplog.set_level("INFO")
    twilio = Recordings()
    with travel(0):
        call = add_call(db)
        sid = call.recording_sid
    with travel(29):
        assert run(app, client=twilio)["numbers_blanked"] == 0
    assert fresh(db, call).from_e164 == CALLER
    with travel(31):
        counts = run(app, client=twilio)
    assert counts["numbers_blanked"] == 1 and counts["recordings_deleted"] == 0
    call = fresh(db, call)
    assert (call.from_raw, call.from_e164, call.caller_country) == (None, None, None)
    incoming = call.events[0].params
    assert "From" not in incoming and "Caller" not in incoming and "FromCity" not in incoming
    assert incoming["CallSid"] == call.call_sid and call.recording_sid == sid
    with travel(91):
        counts = run(app, client=twilio)
    assert counts["recordings_deleted"] == 1 and twilio.deleted == [sid]
    call = fresh(db, call)
    assert (call.recording_sid, call.recording_url, call.recording_duration) == (None, None, None)
    assert "RecordingUrl" not in call.events[1].params
    with travel(91.5):
        assert set(run(app, client=twilio).values()) == {0}  # a second run finds nothing left
    assert twilio.deleted == [sid]
    entries = audits(db)
    assert [json.loads(e.reason)["numbers_blanked"] for e in entries] == [0, 1, 0, 0]
    assert json.loads(entries[2].reason)["recordings_deleted"] == 1
    assert entries[2].target == "retention:2026-04-06" and entries[2].user_id is None
    assert "retention run" in caplog.text and CALLER not in caplog.text and CALLER[1:] not in caplog.text


def test_an_open_case_keeps_everything_and_a_closed_one_is_anonymised_after_its_years(app, db):
    twilio = Recordings()
    with travel(0):
        author = add_author(db)
        call = add_call(db)
        case = add_case(db, call)
        note_ids = [add_note(db, author, call=call).id, add_note(db, author, case=case).id]
        sms_id = add_sms(db, "+66810000011", case).id
        token = ApiToken(name="protect-u", token_hash="h" * 64, prefix="p", scope="all")
        db.add(token)
        db.commit()
        app_case = add_case(db)
        report_id = add_report(db, app_case, token.id).id
    with travel(400):
        counts = run(app, client=twilio)
        assert counts["recordings_deleted"] == counts["numbers_blanked"] == counts["notes_deleted"] == 0
        assert counts["sms_deleted"] == 0 and twilio.deleted == []
        for open_case in (case, app_case):
            open_case = db.merge(open_case)
            open_case.move_to("closed", "user:1", note="handed to the police at the pier", outcome="referred_police")
        db.commit()
        counts = run(app, client=twilio)  # closed: the voice message and old SMS go, the case file stays
    assert counts["recordings_deleted"] == 1 and counts["sms_deleted"] == 1 and counts["numbers_blanked"] == 0
    assert fresh(db, call).from_e164 == CALLER and db.get(Message, sms_id) is None
    assert all(db.get(Annotation, note_id) for note_id in note_ids)
    with travel(400 + 365 * 10 + 1):
        counts = run(app, client=twilio)
    assert counts == {**counts, "numbers_blanked": 1, "notes_deleted": 2, "reports_blanked": 1, "case_notes_blanked": 2}
    db.expire_all()
    assert fresh(db, call).from_e164 is None and db.scalars(select(Annotation)).all() == []
    report = db.get(Report, report_id)
    assert (report.contact_number, report.description, report.reporter_id, report.latitude) == (None,) * 4
    assert {t.note for t in db.scalars(select(CaseTransition))} == {None}
    assert db.get(type(case), case.id).outcome == "referred_police"  # the statistics stay


def test_a_call_linked_to_a_case_is_kept_as_the_case_own_call_is(app, db):
    """A second call about a case (casework.linking) is part of the case's story: its number, voice message and
    notes stay while the case is open, and go with the case's file."""
    twilio = Recordings()
    with travel(0):
        author = add_author(db)
        case = add_case(db, add_call(db, recording=False))
        linked = add_call(db, number="+66899999999")
        note_id = add_note(db, author, call=linked).id
        link(db, case, linked, "user:1")
        db.commit()
    with travel(400):
        counts = run(app, client=twilio)
        assert counts["recordings_deleted"] == counts["numbers_blanked"] == counts["notes_deleted"] == 0
        assert fresh(db, linked).recording_sid is not None and db.get(Annotation, note_id) is not None
        db.merge(case).move_to("closed", "user:1", outcome="referred_police")
        db.commit()
        assert run(app, client=twilio)["recordings_deleted"] == 1  # closed: the voice message goes
    assert fresh(db, linked).from_e164 == "+66899999999" and db.get(Annotation, note_id) is not None
    with travel(400 + 365 * 10 + 1):
        counts = run(app, client=twilio)
    assert counts["numbers_blanked"] == 2 and counts["notes_deleted"] == 1
    assert fresh(db, linked).from_e164 is None


def test_notes_on_a_call_without_a_case_go_after_a_year_and_sms_after_theirs(app, db):
    with travel(0):
        author = add_author(db)
        call = add_call(db, recording=False)
        note_id = add_note(db, author, call=call).id
        edited = add_note(db, author, call=call, body="lives near the north pier")
        edited.supersedes_id = note_id  # an edit is a new version: both go together
        db.commit()
        add_sms(db, "+66810000011")
        add_sms(db, "+66810000011", dry_run=True)
    with travel(364):
        assert run(app)["notes_deleted"] == 0
    with travel(366):
        counts = run(app)
    assert counts["notes_deleted"] == 2 and counts["sms_deleted"] == 2
    db.expire_all()
    assert db.get(Annotation, note_id) is None and db.scalars(select(Message)).all() == []


def test_a_dry_run_counts_and_changes_nothing(app, db):
    with travel(0):
        calls = [add_call(db), add_call(db, recording=False)]
    with travel(100):
        counts = run(app, dry_run=True, client=Recordings(failing={c.recording_sid for c in calls if c.recording_sid}))
    assert counts["recordings_deleted"] == 1 and counts["numbers_blanked"] == 2
    assert all(fresh(db, c).from_e164 == CALLER for c in calls) and fresh(db, calls[0]).recording_sid
    assert audits(db) == []


def test_twilio_404_counts_as_deleted_and_a_failure_is_tried_again_next_run(app, db):
    with travel(0):
        gone, failing = add_call(db), add_call(db)
    twilio = Recordings(missing={gone.recording_sid}, failing={failing.recording_sid})
    with travel(100):
        counts = run(app, client=twilio)
    assert (counts["recordings_deleted"], counts["recordings_failed"]) == (1, 1)
    assert fresh(db, gone).recording_sid is None and fresh(db, failing).recording_sid is not None
    twilio.failing.clear()
    with travel(101):
        counts = run(app, client=twilio)
    assert (counts["recordings_deleted"], counts["recordings_failed"]) == (1, 0)
    assert twilio.deleted == [failing.recording_sid]


def test_a_number_goes_with_twilios_log_of_the_call_and_stays_while_twilio_keeps_it(app, db):
    with travel(0):
        kept, failing, trainer = add_call(db), add_call(db), add_call(db, call_sid="CAsimulator" + "0" * 24)
    twilio = Recordings(failing={failing.call_sid})
    with travel(31):
        counts = run(app, client=twilio)
    assert (counts["numbers_blanked"], counts["numbers_failed"]) == (2, 1)
    assert twilio.calls_deleted == [kept.call_sid]  # the simulator's call never reached Twilio
    assert fresh(db, kept).from_e164 is None and fresh(db, trainer).from_e164 is None
    assert fresh(db, failing).from_e164 == CALLER
    twilio.failing.clear()
    with travel(32):
        counts = run(app, client=twilio)
    assert (counts["numbers_blanked"], counts["numbers_failed"]) == (1, 0) and fresh(db, failing).from_e164 is None
    assert twilio.calls_deleted == [kept.call_sid, failing.call_sid]


def test_flask_retention_run_without_twilio_credentials_blanks_the_database_only(app, db):
    with travel(0):
        call = add_call(db)
    runner = app.test_cli_runner()
    with travel(100):
        dry = runner.invoke(args=["retention", "run", "--dry-run"])
        assert dry.exit_code == 0 and "would: recordings deleted 1" in dry.output
        assert fresh(db, call).recording_sid is not None
        done = runner.invoke(args=["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "done: recordings deleted 1" in done.output and "not deleted at Twilio" in done.output
    assert CALLER not in done.output
    call = fresh(db, call)
    assert call.recording_sid is None and call.from_e164 is None
    assert len(audits(db)) == 1


def test_the_relay_enqueues_one_run_a_bangkok_day_after_the_hour_and_a_rerun_is_a_no_op(ladder_env, db):
    from helpers.ladder import run_jobs

    from workers.jobs import run_retention
    from workers.relay import schedule_retention

    app, _twilio, redis = ladder_env
    config = app.config["HOTLINE"]
    with travel(0):
        call = add_call(db)
    early = datetime(2026, 4, 10, 19, 30, tzinfo=UTC)  # 02:30 in Bangkok
    with time_machine.travel(early, tick=False):
        assert schedule_retention(config) is False
    later = early + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert schedule_retention(config) is True  # as the relay's hourly look does it
        assert schedule_retention(config) is False  # already queued
        run_jobs(redis)
        db.expire_all()
        assert schedule_retention(config) is False  # already ran today
        run_retention("2026-04-11")  # a job run twice does nothing the second time
    entries = audits(db)
    assert [e.target for e in entries] == ["retention:2026-04-11"]
    assert fresh(db, call).recording_sid is None and fresh(db, call).from_e164 is None


def test_line_media_go_after_the_recordings_period_and_words_after_the_sms_one_unless_a_case_is_open(app, db):
    """What a LINE user sent follows the recordings' rule (issue 17): their images after 90 days, what they wrote and
    what was sent to them after 365 (as SMS), a chat with an open case keeps everything; a second run finds nothing."""
    config = app.config["HOTLINE"]
    with travel(0):
        gone = add_line_user(db, config)  # asked for other help: no case
        gone.chat.person_asked_at = gone.chat.started_at  # and waited for a person nobody ever took
        db.commit()
        kept = add_line_user(db, config, add_case(db, source="line"), user="U" + "1" * 32)
    with travel(89):
        assert run(app, dry_run=True)["line_media_deleted"] == 0
    with travel(91):
        assert run(app, dry_run=True)["line_media_deleted"] == 1 and gone.file.exists()
        counts = run(app)
    assert counts["line_media_deleted"] == 1 and counts["line_events_blanked"] == 0
    assert not gone.file.exists() and kept.file.exists()
    db.expire_all()
    media = db.get(LineMedia, gone.media.id)
    assert (media.status, media.content_type, media.size) == ("deleted", None, None) and media.deleted_at is not None
    with travel(366):
        counts = run(app)
    assert (counts["line_events_blanked"], counts["line_messages_blanked"], counts["line_reports_blanked"]) == (2, 1, 1)
    db.expire_all()
    assert [(e.payload, e.line_user_id) for e in db.scalars(select(LineEvent).where(
        LineEvent.id.in_([e.id for e in gone.events])))] == [({}, None), ({}, None)]
    assert db.get(LineMessage, gone.message.id).messages == [] and db.get(LineReport, gone.report.id).account is None
    assert all(e.payload for e in db.scalars(select(LineEvent).where(LineEvent.id.in_([e.id for e in kept.events]))))
    assert db.get(LineMessage, kept.message.id).messages and db.get(LineReport, kept.report.id).account
    assert db.get(LineMedia, kept.media.id).status == "kept" and kept.file.exists()
    assert db.get(LineChat, kept.chat.id).line_user_id == "U" + "1" * 32
    assert counts["line_users_forgotten"] == 1  # the chat was the last place that knew them
    assert db.get(LineChat, gone.chat.id).line_user_id == f"erased-{gone.chat.id}"
    assert db.get(LineChat, gone.chat.id).unfollowed_at is not None  # nothing is sent to no one
    assert db.get(LineChat, gone.chat.id).person_asked_at is None  # nor is it left waiting in the inbox
    with travel(366.5):
        again = run(app)
    assert {k: v for k, v in again.items() if k.startswith("line_")} == dict.fromkeys(
        ("line_media_deleted", "line_events_blanked", "line_messages_blanked", "line_reports_blanked",
         "line_users_forgotten"), 0)
