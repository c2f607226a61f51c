"""Outbound SMS through Twilio's Messages API, or a dry run when there are no credentials.

`send` sorts every failure into a TransientSmsError (the RQ job retries) or a
PermanentSmsError (the ladder moves to the next contact). Logs carry the MessageSid
and the masked number, never the body.
"""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from models.phones import mask
from models.reference import is_demo_number

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # seconds, connect and read; a slow Twilio is retried, not waited for
LOOKUP_LIMIT = 2000  # messages to one number searched for an interrupted send

# Twilio codes meaning this number will never get our SMS (from the API answer or a
# status callback's ErrorCode); hotline/telephony/replies.py marks the contact unreachable.
PERMANENT_CODES = {
    21211: "invalid 'To' number",
    21217: "phone number does not appear to be valid",
    21265: "'To' is a short code",
    21266: "'To' and 'From' are the same number",
    21268: "'To' is a premium-rate number",
    21610: "recipient replied STOP (unsubscribed)",
    21612: "Twilio cannot route from our sender to this number",
    21614: "'To' is not a mobile number",
    21635: "'To' is a landline",
    30005: "unknown handset: number not in service",
    30006: "landline or unreachable carrier",
}
# Also permanent, but the fault is our sender or account: every contact will fail alike.
SENDER_CODES = {
    20003: "authentication failed (account SID / auth token)",
    21212: "invalid 'From' number",
    21401: "sender is not an SMS-enabled Twilio number or valid alphanumeric ID",
    21408: "SMS geo permission for the destination country is off in the account",
    21603: "no 'From' number or Messaging Service",
    21606: "'From' number is not SMS-capable for this destination",
    21608: "trial account: 'To' is not a verified number",
    21659: "'From' is not a Twilio number",
}
TRANSIENT_CODES = {20429, 14107}  # too many requests; per-pair send rate limit
TRANSIENT_STATUS = {408, 429}


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str
    dry_run: bool


class TransientSmsError(RuntimeError):
    """Twilio busy or unreachable (429, 5xx, timeout, connection): retry later."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class PermanentSmsError(RuntimeError):
    """Twilio refused this message for good; `code` is Twilio's error code when it sent one."""

    def __init__(self, code: int | None, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    @property
    def number_unreachable(self) -> bool:
        return self.code in PERMANENT_CODES


def send(config, to: str, body: str, status_callback: str | None) -> Sent:
    if config.sms_dry_run:
        sent = Sent(sid="DR" + secrets.token_hex(16), status="dry-run", dry_run=True)
        log.info("sms %s to %s: dry run, not sent", sent.sid, mask(to))
        return sent
    if is_demo_number(to):  # the demo roster's numbers may belong to real people
        raise PermanentSmsError(None, "a fictional demo number from data/contacts.csv: replace the roster")
    sender = ({"messaging_service_sid": config.TWILIO_MESSAGING_SERVICE_SID} if config.TWILIO_MESSAGING_SERVICE_SID
              else {"from_": config.TWILIO_FROM_NUMBER} if config.TWILIO_FROM_NUMBER else None)
    if sender is None:
        raise PermanentSmsError(21603, "set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send SMS")
    client = twilio_client(config)
    extra = {"status_callback": status_callback} if status_callback else {}
    try:
        message = client.messages.create(to=to, body=body, **sender, **extra)
    except TwilioException as error:
        raise _classify(error, to) from error
    except (ConnectionError, Timeout, ChunkedEncodingError) as error:
        log.warning("sms to %s: Twilio unreachable (%s)", mask(to), type(error).__name__)
        raise TransientSmsError(f"Twilio unreachable: {type(error).__name__}") from error
    log.info("sms %s to %s: %s", message.sid, mask(to), message.status)
    return Sent(sid=message.sid, status=message.status or "queued", dry_run=False)


def find_sent(config, to: str, body: str, since) -> Sent | None:
    """A message an interrupted attempt may already have sent (the Messages API has no idempotency key).

    Every message to `to` since the attempt began is looked at, not just the newest page: a duty
    officer may have been sent many other cases' SMS before the interrupted job runs again.
    """
    if config.sms_dry_run:
        return None
    cutoff = since - timedelta(minutes=1)
    try:
        for message in twilio_client(config).messages.stream(to=to, page_size=100, limit=LOOKUP_LIMIT):
            created = message.date_created
            if created is not None and created < cutoff - timedelta(hours=1):
                break  # newest first: the rest is older than the attempt (an hour of slack for the ordering)
            if message.body == body and (created is None or created >= cutoff):
                return Sent(sid=message.sid, status=message.status or "queued", dry_run=False)
    except TwilioException as error:
        raise _classify(error, to) from error
    except (ConnectionError, Timeout, ChunkedEncodingError) as error:
        raise TransientSmsError(f"Twilio unreachable: {type(error).__name__}") from error
    return None


_clients: dict[tuple, Client] = {}


def twilio_client(config) -> Client:
    """One client per process and account, so a job's second SMS reuses the first one's HTTPS connection.
    Keyed by process id too: a forked work horse builds its own and never touches its parent's sockets."""
    key = (os.getpid(), config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE_URL, TIMEOUT)
    client = _clients.get(key)
    if client is None:
        if len(_clients) >= 8:  # tests make many configurations; a worker has one
            _clients.clear()
        client = _clients[key] = _new_client(config)
    return client


def _new_client(config) -> Client:
    client = Client(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, http_client=TwilioHttpClient(timeout=TIMEOUT))
    if config.TWILIO_API_BASE_URL:
        client.api.base_url = config.TWILIO_API_BASE_URL.rstrip("/")  # the v2010 Api domain (Messages)
        client.edge = client.region = None  # TWILIO_EDGE/REGION in the environment would rewrite the host
    return client


def _classify(error: TwilioException, to: str) -> Exception:
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    # TwilioRestException puts the HTTP status in `code` when the body has no Twilio code.
    code = code if isinstance(code, int) and code >= 10000 else None
    text = str(getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", None) or "")
    if to:  # Twilio's message echoes the number; callers may log it
        text = text.replace(to, mask(to)).replace(to.lstrip("+"), mask(to))
    log.warning("sms to %s: Twilio HTTP %s code %s", mask(to), status, code)
    if not isinstance(status, int) or status >= 500 or status in TRANSIENT_STATUS or code in TRANSIENT_CODES:
        return TransientSmsError(f"Twilio HTTP {status}: {text}", status)
    if 400 <= status < 500:
        return PermanentSmsError(code, text or f"HTTP {status}", status)
    return TransientSmsError(f"unexpected Twilio HTTP {status}", status)
