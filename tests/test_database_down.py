"""With the database unreachable, callers still reach an operator and every webhook is kept for replay."""
from __future__ import annotations

import json

import pytest
from helpers.support import OPERATOR, Twilio, call_params, parse_twiml
from sqlalchemy import func, select

from casework.config import Config
from hotline import create_app
from models import Call, CallEvent, Case, OutboxItem

SID = "CA" + "e" * 32
pytestmark = pytest.mark.faults


@pytest.fixture(params=["postgresql://postgres@127.0.0.1:1/test", "sqlite:////nonexistent-dir/hotline.db"])
def down(request, config):
    """The same app, pointed at a database that is not there (a closed port, a missing disk)."""
    broken = Config(**{**config.__dict__, "DATABASE_URL": request.param})
    return Twilio(create_app(broken).test_client())


def test_the_caller_is_connected_to_an_operator_and_the_call_is_spooled(down, config):
    root = parse_twiml(down.post("/voice/incoming", call_params(SID)))
    assert [child.tag for child in root] == ["Say", "Say", "Dial"]
    assert root.find("Dial/Number").text == OPERATOR
    lines = [json.loads(line) for f in config.SPOOL_DIR.glob("*.jsonl") for line in f.read_text().splitlines()]
    assert [(r["kind"], r["form"]["CallSid"]) for r in lines] == [("incoming", SID)]
    assert oct(next(config.SPOOL_DIR.glob("*.jsonl")).stat().st_mode)[-3:] == "600"


def test_every_webhook_answers_without_a_database(down):
    assert parse_twiml(down.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="1"))).find("Dial") is not None
    assert len(parse_twiml(down.post("/voice/status", call_params(SID, CallStatus="completed")))) == 0
    assert parse_twiml(down.post("/voice/fallback", call_params(SID))).find("Dial") is not None


def test_health_says_the_database_is_down(down):
    response = down.client.get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "down"


def test_spooled_webhooks_are_replayed_once_when_the_database_is_back(down, app, db, config):
    down.post("/voice/incoming", call_params(SID))
    down.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="2"))
    down.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="1"))
    down.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="1"))
    down.post("/voice/status", call_params(SID, CallStatus="completed", CallDuration="75", SequenceNumber="9"))
    assert app.test_client().get("/healthz").json["spooled_files"] == 1

    runner = app.test_cli_runner()
    assert "replayed 5 webhooks" in runner.invoke(args=["spool", "replay"]).output
    call = db.scalars(select(Call)).one()
    assert call.ivr_path == ["language:2", "main:1", "kind:1"] and call.urgency == "urgent"
    assert call.status == "completed" and call.duration_seconds == 75
    case = db.scalars(select(Case)).one()
    assert case.call_id == call.id and db.scalars(select(OutboxItem)).one().job_id == f"case-start-{case.id}"
    assert call.events[0].received_at < call.events[-1].received_at  # original times kept
    # A second replay of the same file (say the relay died before retiring it) changes nothing.
    for retired in config.SPOOL_DIR.glob("*.replayed"):
        retired.rename(retired.with_suffix(".jsonl"))
    assert "replayed 5 webhooks" in runner.invoke(args=["spool", "replay"]).output
    assert db.scalar(select(func.count()).select_from(CallEvent)) == 5
    assert db.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_an_sms_reply_during_an_outage_is_kept_and_recorded_later(down, app, db):
    from casework.wording import KEPT_SMS as KEPT
    from models import Message

    sms = {"MessageSid": "SM" + "9" * 32, "From": "+66810000011", "To": "+6620001300", "Body": "ACK 4821"}
    root = parse_twiml(down.post("/sms/incoming", sms))
    assert root.find("Message").text == KEPT
    assert len(parse_twiml(down.post("/sms/status", {"MessageSid": "SM" + "8" * 32, "MessageStatus": "failed"}))) == 0
    assert "replayed 2 webhooks" in app.test_cli_runner().invoke(args=["spool", "replay"]).output
    received = db.scalars(select(Message).where(Message.direction == "in")).one()
    assert (received.sid, received.body) == (sms["MessageSid"], "ACK 4821")
