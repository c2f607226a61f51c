"""A call's page: the menu path in words, its timeline, notes, details, opening a case, the recording."""
from __future__ import annotations

from helpers.console_support import add_call
from helpers.support import outbox_row, start_row
from sqlalchemy import select

from casework.config import Config
from models import Annotation, AuditEntry, Call, CallEvent, Case, OutboxItem

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "2" * 32


def test_the_menu_path_and_timeline_in_words(as_role, db):
    call = add_call(db, ivr_path=["language:2", "main:1", "kind:3", "where:50200", "consent:2", "message:recorded",
                                  "kind:7x", "operator:busy", "main:too-long", "goodbye:-"])
    db.add(CallEvent(call_id=call.id, key="ivr:3:kind:1", kind="ivr", params={"Digits": "3", "From": "+66812345678"}))
    db.add(CallEvent(call_id=call.id, key="status:completed:4", kind="status", params={"CallStatus": "completed"}))
    db.commit()
    page = as_role("operator").get(f"/console/calls/{call.id}").get_data(as_text=True)
    for words in ("Language — 2: English", "Main menu — 1: report human trafficking",
                  "Kind of trafficking — 3: Forced labour or services", "Postcode — 50200 (Chiang Mai)",
                  "Call back on this number — 2: no", "Voice message — left a message",
                  "pressed 7x, which is not an option", "Operator — not reached (busy)",
                  "Main menu: the call went on too long", "Goodbye — listened to the end"):
        assert words in page, words
    assert "Kind of trafficking: 3" in page and "completed" in page
    assert "+66812345678" not in page  # the events' raw parameters are not shown


def test_the_callers_earlier_calls_and_cases(as_role, db):
    earlier = add_call(db, from_e164="+66898765432")
    db.add(Case(source="call", call_id=earlier.id, reference="1300-69-000077", status="new", urgency="normal"))
    db.commit()
    add_call(db, from_e164="+66811111111")
    call = add_call(db, from_e164="+66898765432")
    page = as_role("operator").get(f"/console/calls/{call.id}").get_data(as_text=True)
    section = page[page.index("Earlier calls from this number"):page.index('id="notes"')]
    assert f"/console/calls/{earlier.id}" in section and "1300-69-000077" in section
    assert section.count("/console/calls/") == 1


def test_a_note_is_kept_with_its_author_and_a_script_stays_text(as_role, db):
    call = add_call(db)
    browser = as_role("operator")
    response = browser.post(f"/console/calls/{call.id}/notes", {"body": "<script>alert(1)</script> caller safe"})
    assert response.status_code == 302 and response.location.endswith(f"/console/calls/{call.id}#notes")
    response = browser.get(f"/console/calls/{call.id}")
    page = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; caller safe" in page and "<script>alert" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "operator ·" in page


def test_editing_a_note_adds_a_version_and_keeps_the_old_one(as_role, db, users):
    call = add_call(db)
    browser = as_role("operator")
    browser.post(f"/console/calls/{call.id}/notes", {"body": "first words"})
    [first] = db.scalars(select(Annotation)).all()
    browser.post(f"/console/calls/{call.id}/notes", {"body": "better words", "supersedes": str(first.id)})
    db.expire_all()
    notes = db.scalars(select(Annotation).order_by(Annotation.id)).all()
    assert [(n.body, n.supersedes_id, n.author_id) for n in notes] == [
        ("first words", None, users["operator"].id), ("better words", first.id, users["operator"].id)]
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "edited" in page and "Earlier versions (1)" in page
    stale = browser.post(f"/console/calls/{call.id}/notes", {"body": "fork", "supersedes": str(first.id)})
    assert stale.status_code == 400 and "edit the newest version" in stale.get_data(as_text=True)


def test_only_the_author_or_a_supervisor_edits_a_note(as_role, db):
    call = add_call(db)
    as_role("operator").post(f"/console/calls/{call.id}/notes", {"body": "mine"})
    note = db.scalars(select(Annotation)).one()
    refused = as_role("field_officer").post(f"/console/calls/{call.id}/notes", {"body": "x", "supersedes": str(note.id)})
    assert refused.status_code == 400 and "Only its author or a supervisor" in refused.get_data(as_text=True)
    assert as_role("supervisor").post(f"/console/calls/{call.id}/notes",
                                      {"body": "fixed", "supersedes": str(note.id)}).status_code == 302


def test_an_empty_note_is_refused_on_the_form(as_role, db):
    call = add_call(db)
    response = as_role("operator").post(f"/console/calls/{call.id}/notes", {"body": "   "})
    assert response.status_code == 400 and "Please fill in this field." in response.get_data(as_text=True)


def test_setting_kind_province_urgency_is_validated_saved_and_audited(as_role, db):
    call = add_call(db, category=None, province_code="50", district_code="5001", urgency=None)
    browser = as_role("operator")
    bad = browser.post(f"/console/calls/{call.id}/details", {"category": "piracy", "province": "99", "urgency": "normal"})
    assert bad.status_code == 400 and bad.get_data(as_text=True).count("Choose one of the options.") == 2
    ok = browser.post(f"/console/calls/{call.id}/details", {"category": "slavery", "province": "10", "urgency": "urgent"})
    assert ok.status_code == 302
    db.expire_all()
    call = db.get(Call, call.id)
    assert (call.category, call.province_code, call.province_source, call.district_code, call.urgency) == (
        "slavery", "10", "operator", None, "urgent")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "edit_call")).one()
    assert entry.target == f"call:{call.id}" and "province_code: 50 -> 10" in entry.reason


def test_opening_a_case_writes_the_outbox_item_and_tries_to_enqueue_it(as_role, db):
    call = add_call(db, topic="trafficking", category="forced_labour", urgency="urgent", province_code="50")
    browser = as_role("operator")
    response = browser.post(f"/console/calls/{call.id}/case")
    assert response.status_code == 302
    case = db.scalars(select(Case).where(Case.call_id == call.id)).one()
    item = db.scalars(select(OutboxItem)).one()
    assert outbox_row(item) == start_row(case) == (f"case-start-{case.id}", "start_escalation", [case.id], "urgent")
    assert item.attempts == 1  # dispatched after commit; no Redis here, so the sweep will enqueue it
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "open_case")).one().reason == case.reference
    assert case.reference in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    browser.post(f"/console/calls/{call.id}/case")
    assert len(db.scalars(select(Case)).all()) == 1 and len(db.scalars(select(OutboxItem)).all()) == 1


def test_opening_a_case_enqueues_it_when_redis_is_there(config, redis_url, db):
    from helpers.console_support import Browser

    from hotline import create_app

    config.REDIS_URL = redis_url
    app = create_app(config)
    from helpers.console_support import add_user

    add_user(db, "operator", "operator")
    call = add_call(db, topic="trafficking", category="slavery", urgency="normal")
    browser = Browser(app.test_client())
    browser.login("operator")
    browser.post(f"/console/calls/{call.id}/case")
    db.expire_all()
    assert db.scalars(select(OutboxItem)).one().status == "enqueued"
    from redis import Redis
    from rq import Queue

    case = db.scalars(select(Case)).one()
    assert f"case-start-{case.id}" in Queue("default", connection=Redis.from_url(redis_url)).job_ids
    app.extensions["engine"].dispose()


class FakeTwilio:
    def __init__(self, status=200):
        self.calls, self.status = [], status

    def get(self, url, **kwargs):
        self.calls.append((url, kwargs))
        return FakeAudio(self.status)


class FakeAudio:
    def __init__(self, status):
        self.status_code, self.closed = status, False
        self.headers = {"Content-Type": "audio/mpeg", "Content-Length": "6", "Accept-Ranges": "bytes",
                        "X-Twilio-Secret": "no"}

    def iter_content(self, size):
        yield b"ID3abc"

    def close(self):
        self.closed = True


def _app_with_credentials(config):
    from hotline import create_app

    credentials = Config(**{**config.__dict__, "TWILIO_ACCOUNT_SID": "AC" + "9" * 32})
    return create_app(credentials)


def test_a_recording_is_streamed_through_the_app_and_audited(config, db, monkeypatch):
    from helpers.console_support import Browser, add_user

    from hotline.console import recording

    fake = FakeTwilio()
    monkeypatch.setattr(recording.requests, "get", fake.get)
    app = _app_with_credentials(config)
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING, recording_duration=6)
    browser = Browser(app.test_client())
    browser.login("operator")
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "api.twilio.com" not in page and config.TWILIO_AUTH_TOKEN not in page
    response = browser.get(f"/console/calls/{call.id}/recording", headers={"Range": "bytes=0-"})
    assert response.status_code == 200 and response.data == b"ID3abc" and response.mimetype == "audio/mpeg"
    assert "X-Twilio-Secret" not in response.headers
    url, options = fake.calls[0]
    assert url == RECORDING + ".mp3" and options["auth"] == ("AC" + "9" * 32, config.TWILIO_AUTH_TOKEN)
    assert options["timeout"][1] == config.RECORDING_FETCH_TIMEOUT and options["headers"] == {"Range": "bytes=0-"}
    browser.get(f"/console/calls/{call.id}/recording", headers={"Range": "bytes=3-"})  # a seek: not a new listen
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "play_recording")).all()
    assert [e.target for e in entries] == [f"call:{call.id}"]
    app.extensions["engine"].dispose()


def test_a_recording_url_that_is_not_twilios_is_never_fetched(config, db, monkeypatch):
    from helpers.console_support import Browser, add_user

    from hotline.console import recording

    fake = FakeTwilio()
    monkeypatch.setattr(recording.requests, "get", fake.get)
    app = _app_with_credentials(config)
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE1", recording_url="https://evil.example/api.twilio.com/x")
    browser = Browser(app.test_client())
    browser.login("operator")
    assert browser.get(f"/console/calls/{call.id}/recording").status_code == 404
    assert fake.calls == []
    app.extensions["engine"].dispose()


def test_without_twilio_credentials_the_page_says_why_a_recording_cannot_play(as_role, db):
    call = add_call(db, recording_sid="RE1", recording_url=RECORDING)
    browser = as_role("operator")
    why = "Recordings are kept by Twilio; this run has no Twilio credentials, so it cannot play them."
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert why in page and "<audio" not in page  # no player that can only fail
    response = browser.get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 404 and why in response.get_data(as_text=True)  # not a 503: never later either
    response = browser.get(f"/console/calls/{call.id}/recording", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json == {"error": "no_twilio_credentials", "message": why}
