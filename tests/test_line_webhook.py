"""POST /line/webhook (issue 17): the signature checked on the raw body before anything is parsed, each event kept
once with its job's outbox row, a precise 400 for a body LINE would not send, and no LINE user id or message text
in the logs. Every body sent here validates against LINE's webhook.yml (helpers/line.py)."""
from __future__ import annotations

import json
import logging

import pytest
from helpers import line
from sqlalchemy import func, select

from models import LineEvent, OutboxItem


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_a_signed_body_keeps_each_event_with_its_job(client, db):
    user = line.user_id()
    response = line.post(client, line.body(line.follow(user), line.text(user, "สวัสดี")))
    assert response.status_code == 200 and response.get_json() == {}
    events = db.scalars(select(LineEvent).order_by(LineEvent.id)).all()
    assert [(e.type, e.line_user_id, e.handled_at) for e in events] == [("follow", user, None), ("message", user, None)]
    jobs = db.scalars(select(OutboxItem.job_id).order_by(OutboxItem.id)).all()
    assert jobs == [f"line-event-{events[0].id}", f"line-event-{events[1].id}"]


def test_an_empty_events_list_is_lines_check_of_the_url(client, db):
    assert line.post(client, line.body()).status_code == 200
    assert count(db, LineEvent) == 0


@pytest.mark.parametrize("how", ["missing", "wrong secret", "body changed by one byte", "signature of another body",
                                 "not base64"])
def test_a_bad_or_missing_signature_is_401_and_writes_nothing(client, db, how):
    raw = line.body(line.follow(line.user_id()))
    if how == "missing":
        response = line.post(client, raw, signature="")
    elif how == "wrong secret":
        response = line.post(client, raw, secret="another-channel-secret")
    elif how == "body changed by one byte":
        signature = line.sign(line.DEVELOPMENT_LINE_SECRET, raw)
        response = line.post(client, raw.replace(b'"follow"', b'"fellow"', 1), signature=signature)
    elif how == "signature of another body":
        response = line.post(client, raw, signature=line.sign(line.DEVELOPMENT_LINE_SECRET, raw + b" "))
    else:
        response = line.post(client, raw, signature="not base64 at all ✓".encode().decode("latin-1"))
    assert response.status_code == 401
    assert response.get_json() == {"error": "missing or wrong x-line-signature"}
    assert count(db, LineEvent) == 0 and count(db, OutboxItem) == 0


def test_the_signature_is_checked_before_the_body_is_parsed(client, db):
    """An unsigned body that is not even JSON is a 401, not a 400: nothing of it was read."""
    assert line.post(client, b"{not json", signature="").status_code == 401


def test_a_body_that_is_not_utf8_cannot_carry_lines_signature(client, db):
    """line-bot-sdk checks the signature of the body as text: bytes that are not UTF-8 are never LINE's, even
    with their HMAC beside them."""
    assert line.post(client, b"\xff\xfe").status_code == 401
    assert count(db, LineEvent) == 0


def test_a_redelivery_or_the_same_event_again_is_a_no_op(client, db):
    user = line.user_id()
    first = line.text(user, "ช่วยด้วย")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert line.post(client, line.body(first)).status_code == 200
    assert line.post(client, line.body(again)).status_code == 200  # LINE redelivers it
    assert line.post(client, line.body(first, first)).status_code == 200  # the same id twice in one body
    assert count(db, LineEvent) == 1 and count(db, OutboxItem) == 1


def test_a_redelivered_event_never_received_before_is_kept_once(client, db):
    """Its first delivery failed (the service was down): the redelivery is the first we hear of it."""
    event = line.text(line.user_id(), "hello", )
    event["deliveryContext"] = {"isRedelivery": True}
    assert line.post(client, line.body(event)).status_code == 200
    assert line.post(client, line.body(event)).status_code == 200
    assert db.scalars(select(LineEvent.redelivery)).all() == [True]
    assert count(db, OutboxItem) == 1


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "body is not JSON"),
    (b'{"events": [{"webhookEventId": "x", "type": "message", "timestamp": NaN}]}', "body is not JSON: NaN is not a number"),
    (b'{"events": [{"webhookEventId": "x", "type": "message", "timestamp": 1e999}]}', "body is not JSON: a number is out of range"),
    (b"[" * 20000 + b"]" * 20000, "body is not JSON"),
    (b'{"destination": "U0"}', "body must be a JSON object with an events list"),
    (b'{"events": {}}', "body must be a JSON object with an events list"),
    (b'{"events": [1]}', "events[0] must be an object"),
    (b'{"events": [{"type": "follow"}]}', "events[0].webhookEventId must be a string of 1 to 64 printable characters"),
    (b'{"events": [{"type": "follow", "webhookEventId": "' + b"x" * 65 + b'"}]}',
     "events[0].webhookEventId must be a string of 1 to 64 printable characters"),
    (b'{"events": [{"webhookEventId": "a", "type": ""}]}', "events[0].type must be a string of 1 to 32 printable characters"),
    (b'{"events": [{"webhookEventId": "a", "type": "follow", "source": {"type": "user", "userId": 7}}]}',
     "events[0].source.userId must be a string of 1 to 64 printable characters"),
    (b'{"events": [{"webhookEventId": "a", "type": "follow", "replyToken": "a b"}]}',
     "events[0].replyToken must be a string of 1 to 255 printable characters"),
    (b'{"events": [{"webhookEventId": "a", "type": "message", "message": {"text": "\\u0000"}}]}', "events[0] holds a NUL character"),
    (b'{"events": [{"webhookEventId": "a", "type": "message", "message": {"text": "\\ud800"}}]}',
     "events[0] holds text that is not UTF-8"),
])
def test_a_body_line_would_not_send_is_a_precise_400(client, db, raw, reason):
    response = line.post(client, raw)
    assert response.status_code == 400
    assert response.get_json() == {"error": reason}
    assert count(db, LineEvent) == 0


def test_a_body_too_large_is_a_precise_400(app, client, db):
    limit = app.config["HOTLINE"].MAX_CONTENT_LENGTH
    event = line.text(line.user_id(), "ก" * (limit // 3))  # three bytes a Thai letter in UTF-8
    response = line.post(client, json.dumps({"destination": line.BOT, "events": [event]}, ensure_ascii=False).encode())
    assert response.status_code == 400
    assert response.get_json() == {"error": f"body too large: at most {limit} bytes"}
    assert count(db, LineEvent) == 0


def test_no_line_user_id_and_no_message_text_in_the_logs(client, db, caplog):
    user, words = line.user_id(), "นายจ้างยึดหนังสือเดินทางของฉัน"
    caplog.set_level(logging.DEBUG)
    assert line.post(client, line.body(line.text(user, words))).status_code == 200
    assert line.post(client, line.body(line.text(user, words)), secret="wrong").status_code == 401
    assert caplog.records
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert user not in logged and words not in logged


def test_the_webhook_is_not_there_without_a_channel_secret(config):
    from hotline import create_app

    config.LINE_CHANNEL_SECRET = None
    client = create_app(config).test_client()
    assert line.post(client, line.body(), secret="anything").status_code == 404


def test_the_database_away_is_a_503_so_line_redelivers(client, db, monkeypatch):
    from contextlib import contextmanager

    from sqlalchemy.exc import OperationalError

    from hotline.line import routes

    @contextmanager
    def away():
        raise OperationalError("INSERT", {}, Exception("connection refused"))
        yield

    monkeypatch.setattr(routes, "transaction", away)
    response = line.post(client, line.body(line.follow(line.user_id())))
    assert response.status_code == 503 and response.get_json() == {"error": "database unavailable; redeliver later"}


@pytest.mark.parametrize("body", [b'{"destination":"U1","events":[]}', "สวัสดี ဟယ်လို".encode(), b"", b"\xff\xfe"])
def test_the_check_gives_line_bot_sdks_answer(body):
    """The webhook's own HMAC check (kept out of the SDK's import for the webhook pool's memory) answers as the SDK's
    SignatureValidator does, for a good signature, one of another secret, one with a byte changed, and none."""
    from linebot.v3.webhook import SignatureValidator

    from hotline.line.signature import is_signed, sign

    secret = "a-channel-secret"
    good, other = sign(secret, body), sign("another-secret", body)
    changed = sign(secret, body + b" ")
    for signature in (good, other, changed, "", "not base64 at all ✗"):
        try:
            expected = SignatureValidator(secret).validate(body.decode("utf-8"), signature) if signature else False
        except UnicodeDecodeError:
            expected = False  # the SDK takes text: a body that is not UTF-8 was never signed by LINE
        assert is_signed(secret, body, signature) is expected, signature
