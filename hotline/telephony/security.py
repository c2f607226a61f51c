"""One decorator guards every Twilio webhook: a missing or wrong signature is 403 and writes nothing."""
from __future__ import annotations

import logging
from functools import wraps

from flask import abort, current_app, request
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from casework import logs

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL when set, else what ProxyFix rebuilt from X-Forwarded-*.

    The path and query are taken as they came over the wire: decoding and re-encoding them
    would change a signed URL.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path.rstrip("?")
    base = current_app.config["HOTLINE"].PUBLIC_BASE_URL or request.host_url.rstrip("/") + request.script_root
    return base.rstrip("/") + raw


def signature_is_valid() -> bool:
    config = current_app.config["HOTLINE"]
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    secret = config.TWILIO_AUTH_TOKEN if algorithm == HMAC_SHA1 else config.TWILIO_WEBHOOK_SHARED_KEY
    if not secret:
        return False
    return RequestValidator(secret).validate(signed_url(), request.form, signature, algorithm)


def twilio_webhook(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        if current_app.config["HOTLINE"].TWILIO_SIGNATURE_CHECK and not signature_is_valid():
            log.warning("rejected an unsigned or wrongly signed request to %s", request.path)
            abort(403)
        logs.bind(call_sid=(request.form.get("CallSid") or "")[:64])
        return view(*args, **kwargs)

    return guarded
