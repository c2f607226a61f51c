"""The operator desk under load, for the fault suite (issue 16): a Twilio that dials operators for real-looking
(each participant create becomes a leg that rings, is answered, talks and hangs up, told to the service by signed
callbacks over HTTP), callers who ask for a person through the IVR, and operators who end their wrap-up.

Callbacks and webhooks are signed for the public URL (the first web's) and posted to any of the web processes, as
behind a load balancer."""
from __future__ import annotations

import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.request_validator import RequestValidator

from helpers.fake_twilio_desk import CALL, PARTICIPANTS
from helpers.fault_stack import AUTH_TOKEN


class Webs:
    """Posts to the web processes in turn, signed as Twilio signs for the public URL."""

    def __init__(self, public: str, bases: list[str]):
        self.public, self.bases = public, bases
        self.validator = RequestValidator(AUTH_TOKEN)
        self.turn = 0
        self.lock = threading.Lock()
        self.local = threading.local()
        self.failures: list[str] = []

    def post(self, path: str, params: dict) -> requests.Response | None:
        with self.lock:
            base = self.bases[self.turn % len(self.bases)]
            self.turn += 1
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        signature = self.validator.compute_signature(self.public + path, params)
        for attempt in range(4):
            try:
                answer = session.post(base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
                if answer.status_code != 200:
                    self.failures.append(f"{path}: HTTP {answer.status_code} {answer.text[:200]}")
                return answer
            except requests.ConnectionError:  # gunicorn busy accepting: Twilio retries too
                time.sleep(0.3 * (attempt + 1))
        self.failures.append(f"{path}: no answer")
        return None


def ask_for_a_person(webs: Webs, sid: str, caller: str) -> None:
    """A Thai caller through the menu to a person (main menu, key 2: other help)."""
    base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": "+661300", "Direction": "inbound",
            "ApiVersion": "2010-04-01"}
    webs.post("/voice/incoming", {**base, "CallStatus": "ringing"})
    webs.post("/voice/ivr/language?s=1&try=1", {**base, "CallStatus": "in-progress", "Digits": "1"})
    webs.post("/voice/ivr/main?s=2&try=1", {**base, "CallStatus": "in-progress", "Digits": "2"})


@dataclass
class Leg:
    """One participant create: an operator's phone dialled into a caller's conference."""

    call_sid: str
    to: str
    offer: int
    callback: str
    requested: float  # time.monotonic()
    ended: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)


class DialingTwilio:
    """Participants create → a leg that rings for `ring` seconds, is answered, talks for `talk` seconds and ends;
    its status callbacks go to the desk. `hold` keeps the create's answer back (the window to kill a worker in)."""

    def __init__(self, seed: int = 16, ring=(0.1, 0.6), talk=(0.8, 2.0)):
        self.rng = random.Random(seed)
        self.ring, self.talk, self.hold = ring, talk, 0.0
        self.webs: Webs | None = None
        self.legs: list[Leg] = []
        self.updates: list[tuple[str, dict]] = []
        self.in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}
                if PARTICIPANTS.fullmatch(self.path):
                    fake._created(self, form)
                elif found := CALL.fullmatch(self.path):
                    fake._updated(found["sid"], form)
                    self._answer(200, {"sid": found["sid"], "status": form.get("Status", "in-progress")})
                else:
                    self._answer(404, {"code": 20404, "message": "not found", "status": 404})

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except ConnectionError:
                    pass  # the worker that asked was killed: Twilio has dialled anyway

        self.Handler = Handler
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _created(self, handler, form: dict) -> None:
        callback = form["StatusCallback"]
        offer = int(parse_qs(urlsplit(callback).query)["o"][0])
        with self.lock:
            leg = Leg("CA" + secrets.token_hex(16), form["To"], offer, callback, time.monotonic())
            self.legs.append(leg)
            ring, talk = self.rng.uniform(*self.ring), self.rng.uniform(*self.talk)
            self.in_flight += 1
        if self.webs is not None:  # no service to tell: the dial is only recorded
            threading.Thread(target=self._play, args=(leg, ring, talk), daemon=True).start()
        try:
            time.sleep(self.hold)
        finally:
            with self.lock:
                self.in_flight -= 1
        handler._answer(201, {"call_sid": leg.call_sid, "conference_sid": "CF" + secrets.token_hex(16),
                              "label": form.get("Label"), "status": "queued"})

    def _updated(self, sid: str, form: dict) -> None:
        with self.lock:
            self.updates.append((sid, form))
            for leg in self.legs:
                if leg.call_sid == sid:
                    leg.cancelled.set()

    def _play(self, leg: Leg, ring: float, talk: float) -> None:
        parts = urlsplit(leg.callback)
        path = f"{parts.path}?{parts.query}"

        def tell(status: str, number: int) -> None:
            self.webs.post(path, {"CallSid": leg.call_sid, "AccountSid": "AC" + "f" * 32, "CallStatus": status,
                                  "SequenceNumber": str(number), "To": leg.to, "Direction": "outbound-api"})

        time.sleep(ring / 2)
        tell("ringing", 1)
        if leg.cancelled.wait(ring / 2):
            leg.ended = time.monotonic()
            tell("canceled", 2)
            return
        tell("in-progress", 2)
        leg.cancelled.wait(talk)
        leg.ended = time.monotonic()
        tell("completed", 3)

    def overlapping_legs(self) -> list[str]:
        """Two legs of different offers on one operator's phone at once (as Twilio saw them)."""
        problems = []
        by_phone: dict[str, list[Leg]] = {}
        for leg in self.legs:
            by_phone.setdefault(leg.to, []).append(leg)
        for phone, legs in by_phone.items():
            legs.sort(key=lambda leg: leg.requested)
            for before, after in zip(legs, legs[1:]):
                if after.offer != before.offer and (before.ended is None or after.requested < before.ended):
                    problems.append(f"{phone[-4:]}: offer {after.offer} dialled while offer {before.offer} was on")
        return problems

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
