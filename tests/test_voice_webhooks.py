"""The voice webhooks log every call and event exactly once and always answer TwiML."""
from __future__ import annotations

import pytest
from helpers.support import OPERATOR, call_params, outbox_row, parse_twiml, start_row
from sqlalchemy import func, select, text

from models import Call, CallEvent, Case, OutboxItem

SID = "CA" + "a" * 32


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_incoming_call_is_logged_and_greeted_in_thai(twilio, db):
    root = parse_twiml(twilio.post("/voice/incoming", call_params(SID, From="+6653123456")))
    gather = root.find("Gather")
    assert gather.get("action") == "/voice/ivr/language?s=1&try=1"
    first = gather.find("Say")
    assert first.get("language") == "th-TH" and first.get("voice") == "Google.th-TH-Standard-A"
    assert root.find("Redirect").text == "/voice/ivr/language?s=1&try=1"

    call = db.scalars(select(Call)).one()
    assert (call.call_sid, call.from_raw, call.from_e164, call.caller_country) == (SID, "+6653123456", "+6653123456", "TH")
    assert call.province_candidates == ["50", "51", "57", "58"]  # 053: Chiang Mai, Chiang Rai, Lamphun, Mae Hong Son
    assert call.province_code is None  # ambiguous landline: the menu asks for a postcode
    assert call.started_at.tzinfo is not None
    assert [e.kind for e in call.events] == ["incoming"]


def test_a_retried_incoming_webhook_leaves_one_call_and_one_event(twilio, db):
    first = twilio.post("/voice/incoming", call_params(SID))
    second = twilio.post("/voice/incoming", call_params(SID))
    assert first.get_data() == second.get_data()
    assert count(db, Call) == 1 and count(db, CallEvent) == 1


def test_an_incoming_webhook_after_the_call_is_known_logs_its_event_once_and_changes_nothing(twilio, db):
    twilio.post("/voice/status", call_params(SID, CallStatus="in-progress", SequenceNumber="0"))  # arrived first
    for _ in range(2):
        twilio.post("/voice/incoming", call_params(SID, CallStatus="ringing", From="+66812345678"))
    call = db.scalars(select(Call)).one()
    assert call.status == "in-progress" and call.from_e164 == "+66812345678"
    assert sorted(e.kind for e in call.events) == ["incoming", "status"]


def test_a_retried_menu_answer_is_applied_once(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    for _ in range(2):
        twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="2"))
    call = db.scalars(select(Call)).one()
    assert call.ivr_path == ["language:2"] and call.language == "en"
    assert count(db, CallEvent) == 2


def test_every_call_status_is_recorded_once_and_never_goes_backwards(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    statuses = ["initiated", "ringing", "in-progress", "completed"]
    for seq, status in enumerate(statuses):
        params = call_params(SID, CallStatus=status, SequenceNumber=str(seq), CallDuration="42")
        assert twilio.post("/voice/status", params).status_code == 200
        twilio.post("/voice/status", params)  # Twilio retries
    twilio.post("/voice/status", call_params(SID, CallStatus="ringing", SequenceNumber="1"))  # late and out of order
    call = db.scalars(select(Call)).one()
    assert call.status == "completed" and call.duration_seconds == 42 and call.ended_at is not None
    assert count(db, CallEvent) == 1 + len(statuses)


def test_status_callback_for_an_unseen_call_creates_it(twilio, db):
    for status in ["busy", "no-answer", "failed", "canceled"]:
        sid = "CA" + status.replace("-", "")[:4].ljust(32, "0")
        root = parse_twiml(twilio.post("/voice/status", call_params(sid, CallStatus=status)))
        assert len(root) == 0
        assert db.scalars(select(Call).where(Call.call_sid == sid)).one().status == status


def test_a_completed_trafficking_call_queues_one_case(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="1"))
    for _ in range(2):
        twilio.post("/voice/status", call_params(SID, CallStatus="completed", CallDuration="60"))
    item = db.scalars(select(OutboxItem)).one()
    case = db.scalars(select(Case)).one()
    assert case.call_id == db.scalars(select(Call.id)).one()
    assert outbox_row(item) == start_row(case) == (f"case-start-{case.id}", "start_escalation", [case.id], "default")
    assert item.status == "pending"  # no Redis in this app: the relay's sweep will enqueue it


def test_key_presses_delivered_after_the_final_status_still_count(twilio, db):
    """Twilio may deliver a retried key press after the status callback: the report must not be lost."""
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/status", call_params(SID, CallStatus="completed", CallDuration="60"))
    assert db.scalars(select(Case)).first() is None
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="1"))  # the report, late
    case = db.scalars(select(Case)).one()
    assert case.category is None and db.scalars(select(OutboxItem)).one().job_id == f"case-start-{case.id}"
    twilio.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="3"))  # its kind, later still
    twilio.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="3"))  # and retried
    db.expire_all()
    assert db.scalars(select(Case)).one().category == "forced_labour"
    assert len(db.scalars(select(OutboxItem)).all()) == 1


def test_a_completed_call_about_something_else_queues_nothing(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="2"))
    twilio.post("/voice/status", call_params(SID, CallStatus="completed"))
    assert count(db, OutboxItem) == 0
    assert db.scalars(select(Call)).one().topic == "other_help"


def test_recording_status_callback_stores_the_recording(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    params = call_params(SID, RecordingSid="RE" + "b" * 32, RecordingStatus="completed", RecordingDuration="37",
                         RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "b" * 32)
    twilio.post("/voice/recording", params)
    twilio.post("/voice/recording", params)
    call = db.scalars(select(Call)).one()
    assert (call.recording_sid, call.recording_duration) == ("RE" + "b" * 32, 37)
    assert count(db, CallEvent) == 2


def test_fallback_url_connects_the_caller_to_an_operator_in_thai_and_english(twilio, db):
    root = parse_twiml(twilio.post("/voice/fallback", call_params(SID, ErrorCode="11200", ErrorUrl="https://x/voice/incoming")))
    says = root.findall("Say")
    assert [s.get("language") for s in says] == ["th-TH", "en-US"]
    assert root.find("Dial/Number").text == OPERATOR
    assert db.scalars(select(Call)).one().operator_requested_at is not None


def test_missing_call_sid_still_gets_an_operator_and_writes_nothing(twilio, db):
    params = call_params()
    del params["CallSid"]
    root = parse_twiml(twilio.post("/voice/incoming", params))
    assert root.find("Dial/Number").text == OPERATOR
    assert parse_twiml(twilio.post("/voice/status", params)) is not None
    assert count(db, Call) == 0 and count(db, CallEvent) == 0


def test_garbage_and_huge_fields_get_a_useful_answer(twilio, db):
    params = call_params(SID, From="+66" + "9" * 5000, To="\x00" * 10, Extra="x" * 20000, CallerName="<script>")
    root = parse_twiml(twilio.post("/voice/incoming", params))
    assert root.find("Gather") is not None
    call = db.scalars(select(Call)).one()
    assert call.from_e164 is None and len(call.from_raw) == 64
    event = call.events[0]
    assert len(event.params["Extra"]) == 1024 and "\x00" not in event.params["To"]


def test_a_body_larger_than_any_twilio_request_is_refused_before_anything_is_written(twilio, db):
    response = twilio.post("/voice/incoming", call_params(SID, Extra="x" * 70000))
    assert response.status_code == 413 and count(db, Call) == 0


def test_unknown_digits_and_unknown_menu_nodes_keep_the_caller_on_a_path(twilio, db):
    twilio.post("/voice/incoming", call_params(SID))
    root = parse_twiml(twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="#*7")))
    assert root.find("Gather").get("action") == "/voice/ivr/language?s=2&try=2"
    root = parse_twiml(twilio.post("/voice/ivr/nowhere?s=zz&try=", call_params(SID, Digits="1")))
    assert root.find("Gather") is not None or root.find("Dial") is not None


def test_a_bug_in_a_webhook_connects_the_caller_instead_of_failing(twilio, monkeypatch):
    from casework import call_log as intake

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(intake, "incoming", broken)
    root = parse_twiml(twilio.post("/voice/incoming", call_params(SID)))
    assert root.find("Dial/Number").text == OPERATOR


def test_recorded_prompts_are_served_to_twilio(client, config):
    folder = config.PROMPTS_DIR / "my"
    folder.mkdir(parents=True)
    (folder / "welcome.mp3").write_bytes(b"ID3fake")
    assert client.get("/voice/prompts/my/welcome.mp3").data == b"ID3fake"
    assert client.get("/voice/prompts/my/../../etc/passwd").status_code == 404
    assert client.get("/voice/prompts/xx/welcome.mp3").status_code == 404


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # the autocommit pool is PostgreSQL's
def test_a_pooled_connection_that_dies_costs_one_spooled_webhook_then_a_new_one_is_used(app, twilio, db, config):
    twilio.post("/voice/incoming", call_params("CA" + "1" * 32))
    with db.get_bind().connect() as admin:  # the server ends the pooled connection, as a restart would
        admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"))
    dropped = parse_twiml(twilio.post("/voice/incoming", call_params("CA" + "2" * 32)))
    assert dropped.find("Dial/Number").text == OPERATOR  # the caller still reaches a person
    assert [line for f in config.SPOOL_DIR.glob("*.jsonl") for line in f.read_text().splitlines()]
    assert parse_twiml(twilio.post("/voice/incoming", call_params("CA" + "3" * 32))).find("Gather") is not None
    db.expire_all()
    assert sorted(db.scalars(select(Call.call_sid))) == ["CA" + "1" * 32, "CA" + "3" * 32]
