"""Outbound SMS through Twilio's Messages API, or a dry run when there are no credentials; and the REST
client every Twilio request of the workers goes through (SMS, retention's deletions).

`TwilioSender.send` sorts every failure into `SmsUnavailable` (the RQ job retries) or `SmsRefused` (the
ladder moves to the next contact). Logs carry the MessageSid and the masked number, never the body.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta

from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from casework.escalation_sms import Sent, SmsRefused, SmsUnavailable
from models.phones import mask
from models.reference import is_demo_number

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # seconds, connect and read; a slow Twilio is retried, not waited for
LOOKUP_LIMIT = 2000  # messages to one number searched for an interrupted send

TRANSIENT_CODES = {20429, 14107}  # too many requests; per-pair send rate limit
TRANSIENT_STATUS = {408, 429}


class TwilioSender:
    """The `casework.escalation_sms.Sender` of a worker: Twilio, or a dry run without credentials."""

    def __init__(self, config):
        self.config = config

    def send(self, to: str, body: str, status_callback: str | None) -> Sent:
        config = self.config
        if config.sms_dry_run:
            sent = Sent(sid="DR" + secrets.token_hex(16), status="dry-run", dry_run=True)
            log.info("sms %s to %s: dry run, not sent", sent.sid, mask(to))
            return sent
        if is_demo_number(to):  # the demo roster's numbers may belong to real people
            raise SmsRefused(None, "a fictional demo number from data/contacts.csv: replace the roster")
        sender = ({"messaging_service_sid": config.TWILIO_MESSAGING_SERVICE_SID} if config.TWILIO_MESSAGING_SERVICE_SID
                  else {"from_": config.TWILIO_FROM_NUMBER} if config.TWILIO_FROM_NUMBER else None)
        if sender is None:
            raise SmsRefused(21603, "set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID to send SMS")
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = twilio_client(config).messages.create(to=to, body=body, **sender, **extra)
        except TwilioException as error:
            raise _classify(error, to) from error
        except (ConnectionError, Timeout, ChunkedEncodingError) as error:
            log.warning("sms to %s: Twilio unreachable (%s)", mask(to), type(error).__name__)
            raise SmsUnavailable(f"Twilio unreachable: {type(error).__name__}") from error
        log.info("sms %s to %s: %s", message.sid, mask(to), message.status)
        return Sent(sid=message.sid, status=message.status or "queued", dry_run=False)

    def find_sent(self, to: str, body: str, since) -> Sent | None:
        """A message an interrupted attempt may already have sent (the Messages API has no idempotency key).

        Every message to `to` since the attempt began is looked at, not just the newest page: a duty
        officer may have been sent many other cases' SMS before the interrupted job runs again.
        """
        if self.config.sms_dry_run:
            return None
        cutoff = since - timedelta(minutes=1)
        try:
            for message in twilio_client(self.config).messages.stream(to=to, page_size=100, limit=LOOKUP_LIMIT):
                created = message.date_created
                if created is not None and created < cutoff - timedelta(hours=1):
                    break  # newest first: the rest is older than the attempt (an hour of slack for the ordering)
                if message.body == body and (created is None or created >= cutoff):
                    return Sent(sid=message.sid, status=message.status or "queued", dry_run=False)
        except TwilioException as error:
            raise _classify(error, to) from error
        except (ConnectionError, Timeout, ChunkedEncodingError) as error:
            raise SmsUnavailable(f"Twilio unreachable: {type(error).__name__}") from error
        return None


def rest_client(config) -> Client | None:
    """The REST client, or None in dry-run SMS mode (no credentials): then nothing is asked of Twilio."""
    return None if config.sms_dry_run else twilio_client(config)


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


def twilio_code(error: TwilioException) -> int | None:
    """Twilio's own error code; TwilioRestException puts the HTTP status in `code` when the body has none."""
    code = getattr(error, "code", None)
    return code if isinstance(code, int) and code >= 10000 else None


def transient(error: TwilioException) -> bool:
    """Worth trying again: no HTTP status, a 5xx, a timeout or a rate limit (by status or Twilio's code)."""
    status = getattr(error, "status", None)
    return not isinstance(status, int) or status >= 500 or status in TRANSIENT_STATUS \
        or twilio_code(error) in TRANSIENT_CODES


def _classify(error: TwilioException, to: str) -> Exception:
    status, code = getattr(error, "status", None), twilio_code(error)
    text = str(getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", None) or "")
    if to:  # Twilio's message echoes the number; callers may log it
        text = text.replace(to, mask(to)).replace(to.lstrip("+"), mask(to))
    log.warning("sms to %s: Twilio HTTP %s code %s", mask(to), status, code)
    if transient(error):
        return SmsUnavailable(f"Twilio HTTP {status}: {text}", status)
    if 400 <= status < 500:
        return SmsRefused(code, text or f"HTTP {status}", status)
    return SmsUnavailable(f"unexpected Twilio HTTP {status}", status)
