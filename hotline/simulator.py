"""A phone without a phone: plays a caller against the webhooks, signing each request as Twilio does.

It follows the TwiML (`<Gather action>`, `<Record action>`, `<Redirect>`, `<Dial action>`),
presses the keys it is given and writes down what the caller hears. At the operator desk's waiting room it can
play the operator's side too (`Desk`, a rehearsal without Twilio credentials).
"""
from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree  # nosec B405: parses TwiML from the service under test, which we run

from twilio.request_validator import RequestValidator

Post = Callable[[str, dict, dict], tuple[int, str]]  # (absolute url, form, headers) -> (status, body)
MAX_REQUESTS = 80
DIAL_RESULTS = ("completed", "busy", "no-answer")


def simulated_call_sid() -> str:
    """A trainee's call (models.calls.is_simulated_call_sid): a training case, never texted, never a real ring."""
    from models.calls import SIMULATED_CALL_SID, SIMULATED_PREFIX

    sid = SIMULATED_PREFIX + secrets.token_hex(12)
    assert SIMULATED_CALL_SID.fullmatch(sid)  # nosec B101: a recognisable SID is what keeps it off the SMS ladder
    return sid


@dataclass
class Transcript:
    call_sid: str
    heard: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict, int, str]] = field(default_factory=list)  # url, form, status, body
    ended: str = ""

    def text(self) -> str:
        return "\n".join(self.heard)


@dataclass
class Caller:
    """What the simulated caller does: keys at each menu, a postcode, a message, the operator's luck."""

    presses: list[str] = field(default_factory=list)  # "-" is silence
    postcode: str | None = None
    message_seconds: int = 0
    operator: str = "completed"  # DialCallStatus the operator leg ends with: completed, busy, no-answer
    number: str = "+66812345678"
    desk: Desk | None = None  # at the operator desk's waiting room: who plays the operator's side


class Desk:
    """The operator's side at the desk, in a rehearsal (casework.training.desk_rehearsal): each offer of the call
    is answered as `answer_as`, or not answered (None), with the participant callbacks Twilio would send.

    `route` makes a routing pass when no offer has come (in-process there may be no worker to run the job)."""

    OFFERS = 5  # operators tried before the caller gives up

    def __init__(self, sessions, answer_as: str | None, route: Callable[[], None] | None = None,
                 patience: float = 10.0):
        self.sessions, self.answer_as, self.route, self.patience = sessions, answer_as, route, patience

    def seat(self, call_sid: str) -> dict | None:
        """The call's ringing offer, waiting up to `patience` seconds for one."""
        from casework import training

        deadline = time.monotonic() + self.patience
        while True:
            with self.sessions() as session:
                seat = training.desk_seat(session, call_sid)
            if (seat and seat["offer"]) or time.monotonic() > deadline:
                return seat
            if self.route is not None:
                self.route()
            time.sleep(0.2)

    def leg(self, offer_id: int, action: str) -> list[tuple[str, dict]]:
        from casework import training

        with self.sessions() as session:
            return training.operator_leg(session, offer_id, action)


class Phone:
    def __init__(self, post: Post, base_url: str, auth_token: str, to: str = "+661300"):
        self.post, self.base_url, self.to = post, base_url.rstrip("/"), to
        self.validator = RequestValidator(auth_token)

    def call(self, caller: Caller, call_sid: str | None = None) -> Transcript:
        transcript = Transcript(call_sid or "CA" + secrets.token_hex(16))
        presses = list(caller.presses)
        common = {"CallSid": transcript.call_sid, "AccountSid": "AC" + "0" * 32, "From": caller.number,
                  "To": self.to, "Direction": "inbound", "CallStatus": "in-progress"}
        url, form = "/voice/incoming", {**common, "CallStatus": "ringing"}
        for _ in range(MAX_REQUESTS):
            body = self._send(transcript, url, form)
            next_request = self._follow(body, transcript, presses, caller)
            if next_request is None:
                break
            url, extra = next_request
            form = {**common, **extra}
        self._send(transcript, "/voice/status", {**common, "CallStatus": "completed", "CallDuration": "95",
                                                 "SequenceNumber": "3"})
        return transcript

    def _send(self, transcript: Transcript, url: str, form: dict) -> str:
        absolute = urllib.parse.urljoin(self.base_url + "/", url)
        headers = {"X-Twilio-Signature": self.validator.compute_signature(absolute, form)}
        status, body = self.post(absolute, form, headers)
        transcript.requests.append((absolute, form, status, body))
        if status != 200:
            transcript.heard.append(f"[HTTP {status} from {url}]")
        return body if status == 200 else ""

    def _follow(self, body: str, transcript: Transcript, presses: list[str], caller: Caller):
        """Play one TwiML document; return the next (url, form) Twilio would request, or None."""
        if not body:
            transcript.ended = "error"
            return None
        for verb in ElementTree.fromstring(body):  # nosec B314: TwiML from our own service (see import)
            if verb.tag in ("Say", "Play"):
                transcript.heard.append(_words(verb))
            elif verb.tag == "Gather":
                for inner in verb:
                    transcript.heard.append(_words(inner))
                key = caller.postcode if verb.get("numDigits") == "5" and caller.postcode else None
                if key is None and presses:
                    key = presses.pop(0)
                if key and key != "-":
                    transcript.heard.append(f"[presses {key}]")
                    return verb.get("action"), {"Digits": key}
                transcript.heard.append("[silence]")
            elif verb.tag == "Record":
                if caller.message_seconds:
                    transcript.heard.append(f"[speaks for {caller.message_seconds}s]")
                    sid = "RE" + secrets.token_hex(16)
                    return verb.get("action"), {"RecordingSid": sid, "RecordingDuration": str(caller.message_seconds),
                                                "RecordingUrl": f"https://api.twilio.com/recordings/{sid}"}
                transcript.heard.append("[says nothing]")
            elif verb.tag == "Redirect":
                return verb.text, {}
            elif verb.tag == "Dial" and verb.find("Conference") is not None and caller.desk is not None:
                return self._at_the_desk(verb, transcript, caller.desk)
            elif verb.tag in ("Dial", "Enqueue"):
                target = verb.text or " ".join(inner.text or "" for inner in verb)
                transcript.heard.append(f"[connected to the operator line {target.strip()}: {caller.operator}]")
                if not verb.get("action"):
                    transcript.ended = "operator"
                    return None
                result = {"DialCallStatus": caller.operator} if verb.tag == "Dial" else {
                    "QueueResult": "bridged" if caller.operator == "completed" else "hangup"}
                return verb.get("action"), result
            elif verb.tag == "Hangup":
                transcript.ended = "hangup"
                return None
        transcript.ended = "end of document"
        return None


    def _at_the_desk(self, dial, transcript: Transcript, desk: Desk):
        """The waiting room: each offer answered as desk.answer_as (who then hangs up, ending the conference and
        the caller's <Dial>) or not answered; the caller hangs up when no one answers."""
        transcript.heard.append(f"[waits at the operator desk: {dial.find('Conference').text}]")
        for _ in range(desk.OFFERS):
            seat = desk.seat(transcript.call_sid)
            if seat is None or seat["offer"] is None:
                transcript.heard.append("[no operator offered]" if seat else
                                        "[not in the desk's line: simulated calls enter it only in a dry run]")
                break
            offer, name = seat["offer"], seat["operator"]
            if name != desk.answer_as:
                transcript.heard.append(f"[offered to {name}: no answer]")
                self._leg(transcript, desk.leg(offer, "no-answer"))
                continue
            transcript.heard.append(f"[offered to {name}: answers]")
            self._leg(transcript, desk.leg(offer, "answer"))
            transcript.heard.append(f"[{name} hangs up]")
            self._leg(transcript, desk.leg(offer, "hang-up"))
            return (dial.get("action"), {"DialCallStatus": "completed"}) if dial.get("action") else None
        transcript.ended = "desk"
        return None

    def _leg(self, transcript: Transcript, callbacks: list[tuple[str, dict]]) -> None:
        for url, form in callbacks:
            self._send(transcript, url, form)


def _words(verb) -> str:
    if verb.tag == "Play":
        return f"[plays {verb.text}]"
    return verb.text or ""


def http_post(url: str, form: dict, headers: dict) -> tuple[int, str]:
    """Against a running service."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"the simulator calls http(s) URLs only, not {url[:40]!r}")
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310: scheme checked above
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def client_post(client, base_url: str) -> Post:
    """Against a Flask test client, in-process."""

    def post(url: str, form: dict, headers: dict) -> tuple[int, str]:
        path = url.removeprefix(base_url.rstrip("/"))
        response = client.post(path, data=form, headers=headers, base_url=base_url)
        return response.status_code, response.get_data(as_text=True)

    return post


def signed_reply(sender: str, body: str, url: str | None = None) -> tuple[int, str]:
    """POST a Twilio-signed incoming SMS to /sms/incoming (a running service, or in-process); its status and body.

    Used by `flask sms simulate-reply` (a dry run only).
    """
    from flask import current_app

    config = current_app.config["HOTLINE"]
    base = (url or config.PUBLIC_BASE_URL or "http://localhost").rstrip("/")
    form = {"MessageSid": "SM" + secrets.token_hex(16), "From": sender, "To": config.TWILIO_FROM_NUMBER or "+661300",
            "Body": body, "AccountSid": config.TWILIO_ACCOUNT_SID or "AC" + "0" * 32}
    signature = RequestValidator(config.TWILIO_AUTH_TOKEN).compute_signature(base + "/sms/incoming", form)
    headers = {"X-Twilio-Signature": signature}
    if url:
        return http_post(base + "/sms/incoming", form, headers)
    response = current_app.test_client().post("/sms/incoming", data=form, headers=headers, base_url=base)
    return response.status_code, response.get_data(as_text=True)
