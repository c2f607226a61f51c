"""The baselines: the least a Twilio voice webhook (P1) and a JSON report (the API bench) can do.

A bare Flask route that checks the X-Twilio-Signature header with Twilio's own
`RequestValidator` (over the URL Twilio signed and the form) and answers a static
TwiML document. No database, no Redis, no hotline code: what is left is gunicorn,
Werkzeug's form parsing, Flask's dispatch and one HMAC-SHA1.

Configured like the app, from the environment: TWILIO_AUTH_TOKEN, and
PUBLIC_BASE_URL (when set, the URL Twilio signed is PUBLIC_BASE_URL + path).

With BASELINE_STORES_CALLS=1 and DATABASE_URL (bench P1 `--floor`) the route also stores the call
before answering, with the app's own one-statement write (`models.new_calls`) on a connection each
process keeps open in autocommit: the least that any app which writes a call down before its caller
hears anything adds to the bare route. No pool, no phone parsing, no hooks, no menu.

`POST /api/v1/reports` (bench/api_reports.py) parses the JSON body and answers 201 with a
static case, about the size of the app's answer: no token, no validation, no database.
"""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/")
STORES_CALLS = os.environ.get("BASELINE_STORES_CALLS") == "1"

# Static, about the size and shape of the app's first menu (a <Gather> with spoken prompts).
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/ivr/language?s=2&amp;try=1" input="dtmf" method="POST" numDigits="1" timeout="6">'
    '<Say language="th-TH" voice="Google.th-TH-Standard-A">'
    "ศูนย์ช่วยเหลือสังคม สายด่วน หนึ่ง สาม ศูนย์ ศูนย์ กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์ สวัสดีค่ะ</Say>"
    '<Say language="th-TH" voice="Google.th-TH-Standard-A">ภาษาไทย กด 1</Say>'
    '<Say language="en-US" voice="Google.en-US-Standard-C">For English, press 2.</Say>'
    '<Say language="en-US" voice="Google.en-US-Standard-C">For Burmese, press 3.</Say>'
    '<Say language="en-US" voice="Google.en-US-Standard-C">For Khmer, press 4.</Say>'
    '<Say language="en-US" voice="Google.en-US-Standard-C">For Lao, press 5.</Say>'
    "</Gather>"
    '<Redirect method="POST">/voice/ivr/language?s=2&amp;try=1</Redirect>'
    "</Response>"
)


@app.post("/voice/incoming")
def incoming():
    url = PUBLIC_BASE_URL + request.full_path.rstrip("?") if PUBLIC_BASE_URL else request.url
    if not validator.validate(url, request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    if STORES_CALLS:
        store(request.form)
    return Response(TWIML, mimetype="text/xml")


_connection = None  # this process's, opened on its first call (gunicorn forks the workers first)


def store(form) -> None:
    global _connection
    import psycopg

    from models.new_calls import log_new_call

    if _connection is None:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    now = datetime.now(UTC)
    caller = form.get("From") or None
    call = dict(call_sid=form["CallSid"], status="ringing", from_raw=caller, from_e164=caller, caller_withheld=False,
                caller_country=None, to_number=form.get("To"), province_code=None, province_source=None,
                province_candidates=[], language="th", ivr_path=[], started_at=now)
    log_new_call(_connection, call, dict(key="incoming", kind="incoming", params=form.to_dict(), received_at=now))


CREATED = json.dumps({
    "id": 1, "reference": "1300-2026-000001", "status": "new", "kind": "forced_labour", "urgency": "normal",
    "source": "app", "province_code": "50", "district_code": None, "level": 0, "unacknowledged": False,
    "outcome": None, "created_at": "2026-11-26T00:00:00.000000", "acknowledged_at": None, "closed_at": None,
})


@app.post("/api/v1/reports")
def report():
    if request.get_json(silent=True) is None:
        abort(400)
    return Response(CREATED, status=201, mimetype="application/json",
                    headers={"Location": "/api/v1/cases/1300-2026-000001"})
