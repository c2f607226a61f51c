"""A stand-in for the parts of Twilio's REST API the operator desk uses (a conference's participants, a call's
update) that remembers every request, and plays Twilio's side back: the signed status callbacks a participant's
leg sends to the URL the desk gave (ringing, answered, no answer, completed)."""
from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from helpers.fake_twilio import JsonHandler

PARTICIPANTS = re.compile(r"/2010-04-01/Accounts/(?P<account>AC\w+)/Conferences/(?P<conference>[^/]+)/Participants\.json")
CALLS = re.compile(r"/2010-04-01/Accounts/(?P<account>AC\w+)/Calls\.json")
CALL = re.compile(r"/2010-04-01/Accounts/(?P<account>AC\w+)/Calls/(?P<sid>CA\w+)\.json")
PARTICIPANT = re.compile(r"/2010-04-01/Accounts/(?P<account>AC\w+)/Conferences/(?P<conference>CF\w+)"
                         r"/Participants/(?P<sid>CA\w+)\.json")
CONFERENCE = re.compile(r"/2010-04-01/Accounts/(?P<account>AC\w+)/Conferences/(?P<conference>CF\w+)\.json")


@dataclass
class Request:
    kind: str  # participant | call_update | participant_update | conference_update | call (a new call: Calls.json)
    target: str  # the conference's name, the CallSid, CF…/CallSid (a participant), or the CF… sid
    form: dict
    call_sid: str  # the leg a participant request made, or the call updated


class FakeDeskTwilio:
    def __init__(self):
        self.requests: list[Request] = []
        self.fail_next: list[tuple[int, dict]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(JsonHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}
                with fake.lock:
                    if fake.fail_next:
                        return self._answer(*fake.fail_next.pop(0))
                    found = PARTICIPANTS.fullmatch(self.path)
                    if found:
                        sid = "CA" + secrets.token_hex(16)
                        fake.requests.append(Request("participant", unquote(found["conference"]), form, sid))
                        return self._answer(201, {"call_sid": sid, "conference_sid": "CF" + secrets.token_hex(16),
                                                  "account_sid": found["account"], "label": form.get("Label"),
                                                  "status": "queued"})
                    found = CALLS.fullmatch(self.path)
                    if found:
                        sid = "CA" + secrets.token_hex(16)
                        fake.requests.append(Request("call", form.get("To", ""), form, sid))
                        return self._answer(201, {"sid": sid, "account_sid": found["account"], "to": form.get("To"),
                                                  "from": form.get("From"), "status": "queued"})
                    found = CALL.fullmatch(self.path)
                    if found:
                        fake.requests.append(Request("call_update", found["sid"], form, found["sid"]))
                        return self._answer(200, {"sid": found["sid"], "status": form.get("Status", "in-progress")})
                    found = PARTICIPANT.fullmatch(self.path)
                    if found:
                        fake.requests.append(Request("participant_update", f"{found['conference']}/{found['sid']}",
                                                     form, found["sid"]))
                        return self._answer(200, {"call_sid": found["sid"], "conference_sid": found["conference"],
                                                  "account_sid": found["account"], "status": "connected",
                                                  "hold": form.get("Hold") == "true"})
                    found = CONFERENCE.fullmatch(self.path)
                    if found:
                        fake.requests.append(Request("conference_update", found["conference"], form, ""))
                        return self._answer(200, {"sid": found["conference"], "account_sid": found["account"],
                                                  "status": form.get("Status", "in-progress")})
                return self._answer(404, {"code": 20404, "message": "not found", "status": 404})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def participants(self, to: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.kind == "participant" and to in (None, r.form.get("To"))]

    def calls(self) -> list[Request]:
        return [r for r in self.requests if r.kind == "call"]

    def updates(self) -> list[Request]:
        return [r for r in self.requests if r.kind == "call_update"]

    def controls(self) -> list[Request]:
        """The updates of a conference or of its participants (hold, resume, hand-over, end), in order."""
        return [r for r in self.requests if r.kind in ("participant_update", "conference_update")]

    def leg(self, twilio, request: Request, *statuses: str) -> None:
        """Twilio's callbacks for a participant's leg, signed for the URL the desk gave, in order."""
        url = request.form["StatusCallback"]
        parts = urlsplit(url)
        for number, status in enumerate(statuses, 1):
            params = {"CallSid": request.call_sid, "AccountSid": "AC" + "0" * 32, "CallStatus": status,
                      "SequenceNumber": str(number), "To": request.form.get("To", ""), "Direction": "outbound-api"}
            response = twilio.post(f"{parts.path}?{parts.query}", params, signed_url=url)
            assert response.status_code == 200, response.get_data(as_text=True)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
