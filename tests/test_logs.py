"""Logs are one JSON object per line, carry request id / CallSid / job id / case, and never a caller's number,
an SMS body or a note."""
from __future__ import annotations

import io
import json
import logging

import pytest
from helpers.ladder import DUTY_1, reply, run_jobs
from helpers.support import AUTH_TOKEN, BASE_URL, call_params

from casework import logs
from hotline.simulator import Caller, Phone, client_post

NUMBER = "+66891234567"
FORMS = [NUMBER, "66891234567", "0891234567", "089-123-4567", "089 123 4567", "%2B66891234567", "0066891234567"]


@pytest.mark.parametrize("written", FORMS)
def test_every_form_of_a_number_is_masked(written):
    masked = logs.mask_text(f"call from {written}, again")
    assert masked == "call from +668XXXX4567, again"


def test_a_landline_in_thai_local_form_is_masked_too():
    assert logs.mask_text("caller 02 123 4567 / 053-123-456") == "caller +662XXX4567 / +665XXX3456"


@pytest.mark.parametrize("text", ["CA0891234567abcdef0123456789abcdef", "case 1300-69-004821", "took 0.0891234567 s",
                                  "at 2026-11-26T02:20:52.123+00:00", "job case-open-12 id 8f14e45fceea167a5a36dedd4bea2543"])
def test_ids_times_and_references_are_left_alone(text):
    assert logs.mask_text(text) == text


def test_bodies_and_notes_are_hidden_in_forms_dicts_and_json():
    text = logs.mask_text("""Body=ACK+4821&From=x {'Body': 'we are held at the port', "note": "he said \\"help\\""} reason: secret""")
    assert "held" not in text and "help" not in text and "secret" not in text and "4821" not in text
    assert text.count("[hidden]") == 4


def test_the_filter_masks_arguments_and_tracebacks(app, caplog):  # create_app installs it
    caplog.set_level(logging.INFO)
    try:
        raise ValueError(f"no contact for {NUMBER}")
    except ValueError:
        logging.getLogger("hotline.test").exception("sms to %s failed", NUMBER)
    record = caplog.records[-1]
    assert record.getMessage() == "sms to +668XXXX4567 failed"
    assert NUMBER not in caplog.text and "+668XXXX4567" in caplog.text


def test_a_webhook_logs_one_json_line_with_its_request_id(twilio):
    stream, handler = capture()
    try:
        response = twilio.post("/voice/incoming", call_params("", From=NUMBER), headers={"X-Request-ID": "req-12345678"})
    finally:
        release(handler)
    assert response.headers["X-Request-ID"] == "req-12345678"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["level"], line["process"], line["request_id"], line["message"]) for line in lines] == [
        ("WARNING", "web", "req-12345678", "incoming webhook without a usable CallSid")]
    assert twilio.post("/voice/incoming", call_params(), headers={"X-Request-ID": "x"}).headers["X-Request-ID"] != "x"


def test_a_full_call_its_case_and_its_escalation_leave_no_number_and_no_body_in_any_log(ladder_env, db):
    app, twilio, redis = ladder_env
    stream, handler = capture(level=logging.DEBUG)  # everything, SQLAlchemy's and RQ's debug lines included
    try:
        phone = Phone(client_post(app.test_client(), BASE_URL), BASE_URL, AUTH_TOKEN)
        transcript = phone.call(Caller(presses=["1", "1", "3", "1"], postcode="50200", number=NUMBER,
                                       message_seconds=12))
        logging.getLogger("hotline.test").info("a careless line with %s in it", NUMBER)
        run_jobs(redis)
        from models import Case

        case = db.query(Case).one()
        reply(twilio, DUTY_1, f"ACK {case.ack_code} ทีมกำลังไปที่ท่าเรือ", "SM" + "9" * 32)
        run_jobs(redis)
    finally:
        release(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)  # Thai as written, not as \u escapes
    assert len(lines) > 20 and "ended" not in transcript.text()
    for form in FORMS[:4] + [DUTY_1, DUTY_1[1:], "0" + DUTY_1[3:]]:
        assert form not in text, form
    assert "ทีมกำลังไป" not in text  # the field team's reply
    assert "+668XXXX4567" in text  # the careless line, masked
    assert any(line.get("call_sid") == transcript.call_sid and line.get("request_id") for line in lines)
    assert any(line.get("job_id", "").startswith("case-start-") for line in lines)
    assert any(line.get("case") == case.reference for line in lines)


def capture(level: int = logging.INFO):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("web"))
    handler.setLevel(level)
    root = logging.getLogger()
    handler.previous_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    return stream, handler


def release(handler) -> None:
    root = logging.getLogger()
    root.removeHandler(handler)
    root.setLevel(handler.previous_level)


def test_a_line_user_id_and_a_line_message_text_are_masked():
    """LINE (issue 17): the user id is personal data, the text what a person wrote; neither is logged as it is."""
    user = "U" + "4af4980629" * 3 + "ab"
    text = logs.mask_text(f'event from {user}: {{"type": "text", "text": "ฉันถูกขังอยู่ที่ท่าเรือ"}}')
    assert user not in text and "ท่าเรือ" not in text
    assert text == 'event from U…29ab: {"type": "text", "text": [hidden]}'
