"""What every console page shares: the user and words in templates, error pages, and safe headers."""
from __future__ import annotations

from flask import jsonify, render_template, request

from . import bp
from .access import STAFF, current_user
from .words import history_note, say

# Only our own scripts, styles and media; no inline script, so a note can never run as code. The phone in the
# browser (issue 16) connects to Twilio: signalling (wss://voice-js.*), its ring sounds and call-quality events.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
          "connect-src 'self' https://*.twilio.com wss://*.twilio.com; "
          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@bp.app_context_processor
def shared():
    return {"say": say, "history_note": history_note, "staff_roles": STAFF}


@bp.context_processor
def who():
    return {"user": current_user()}


@bp.after_request
def safe_headers(response):
    response.headers.setdefault("Cache-Control", "no-store")  # victims' data stays off shared disks
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _error(code: int):
    def page(_error):
        if request.path.endswith(".json"):
            return jsonify(error={403: "forbidden", 404: "not found"}.get(code, "error")), code
        return render_template("console/error.html", code=code), code

    return page


for _code in (403, 404, 502, 503):
    bp.register_error_handler(_code, _error(_code))
