"""P1's baseline: the least a Twilio voice webhook can do.

A bare Flask route that checks the X-Twilio-Signature header with Twilio's own
`RequestValidator` (over the URL Twilio signed and the form) and answers a static
TwiML document. No database, no Redis, no hotline code: what is left is gunicorn,
Werkzeug's form parsing, Flask's dispatch and one HMAC-SHA1.

Configured like the app, from the environment: TWILIO_AUTH_TOKEN, and
PUBLIC_BASE_URL (when set, the URL Twilio signed is PUBLIC_BASE_URL + path).
"""
from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

app = Flask(__name__)
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/")

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
    return Response(TWIML, mimetype="text/xml")
