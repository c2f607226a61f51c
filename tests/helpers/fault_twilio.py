"""A fake Twilio Messages API on 127.0.0.1 that misbehaves on cue, and remembers every request.

Like tests/fake_twilio.py (create and list messages), plus the faults the suite needs:

- `plan`: outcomes for the next POSTs, one each: "429", "500", "timeout" (hold the connection
  past the sender's 10 s timeout, message NOT created) and "timeout-accepted" (create the
  message first, then hold: Twilio has it but the sender never hears so);
- `permanent`: To number -> Twilio error code (21211 invalid number, 21610 unsubscribed),
  answered 400 every time for that contact;
- `delay`: seconds every accepted POST is held open after the message is created (a slow
  Twilio, so a kill lands mid-send); `holding` lists the (reference, To) held right now.

`posts` keeps every POST with its outcome; `accepted()` counts created messages per
(case reference in the body, To) - the number the suite's invariants are about.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

REFERENCE = re.compile(r"1300-\d{2}-\d{6}")
ERRORS = {
    "429": (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
    "500": (500, {"code": 20500, "message": "Internal Server Error", "status": 500}),
}
PERMANENT = {
    21211: "The 'To' number {to} is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
}


@dataclass
class Post:
    at: float
    to: str
    body: str
    outcome: str  # accepted | 429 | 500 | timeout | timeout-accepted | <Twilio code>
    sid: str | None = None

    @property
    def reference(self) -> str | None:
        found = REFERENCE.search(self.body or "")
        return found.group(0) if found else None


class FaultyTwilio:
    def __init__(self, stall: float = 11.0):
        self.lock = threading.Lock()
        self.posts: list[Post] = []
        self.messages: list[dict] = []  # what "Twilio" has, newest last
        self.plan: list[str] = []
        self.permanent: dict[str, int] = {}
        self.delay = 0.0
        self.stall = stall  # > workers/sms.py TIMEOUT (10 s)
        self.holding: list[tuple[str | None, str]] = []  # (reference, To) of accepted POSTs held open now
        self.lists = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if self.close_connection:  # said, or a client may reuse the socket as it closes
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the sender gave up (timeout) or was killed meanwhile
                    self.close_connection = True

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                to, body = form.get("To", ""), form.get("Body", "")
                outcome, message = fake._decide(to, body)
                if outcome in ERRORS:
                    return self._answer(*ERRORS[outcome])
                if outcome.isdigit():
                    code = int(outcome)
                    return self._answer(400, {"code": code, "status": 400,
                                              "message": PERMANENT.get(code, "refused").format(to=to)})
                if outcome.startswith("timeout"):
                    time.sleep(fake.stall)
                    self.close_connection = True
                    return self._answer(500, {"code": 20500, "message": "too late", "status": 500})
                held = fake.delay
                if held:
                    key = (Post(0, to, body, outcome).reference, to)
                    with fake.lock:
                        fake.holding.append(key)
                    try:
                        time.sleep(held)
                    finally:
                        with fake.lock:
                            fake.holding.remove(key)
                self._answer(201, message)

            def do_GET(self):
                """Newest first, `PageSize` a page (Twilio's default 50), `next_page_uri` while more remain."""
                path, _, raw = self.path.partition("?")
                query = parse_qs(raw)
                to = query.get("To", [None])[0]
                size, page = int(query.get("PageSize", ["50"])[0]), int(query.get("Page", ["0"])[0])
                with fake.lock:
                    fake.lists += 1
                    found = [m for m in reversed(fake.messages) if to in (None, m["to"])]
                more = len(found) > (page + 1) * size
                following = f"{path}?{urlencode({'To': to or '', 'PageSize': size, 'Page': page + 1})}"
                self._answer(200, {"messages": found[page * size:(page + 1) * size],
                                   "next_page_uri": following if more else None,
                                   "page": page, "page_size": size})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _decide(self, to: str, body: str) -> tuple[str, dict | None]:
        with self.lock:
            if to in self.permanent:
                outcome = str(self.permanent[to])
            elif self.plan:
                outcome = self.plan.pop(0)
            else:
                outcome = "accepted"
            message = None
            if outcome in ("accepted", "timeout-accepted"):
                message = {"sid": "SM" + secrets.token_hex(16), "to": to, "body": body, "status": "queued",
                           "date_created": format_datetime(datetime.now(UTC).replace(microsecond=0),
                                                           usegmt=True).replace("GMT", "+0000")}
                self.messages.append(message)
            self.posts.append(Post(time.monotonic(), to, body, outcome, message and message["sid"]))
        return outcome, message

    # --- what the suite counts ---------------------------------------------------

    def accepted(self) -> Counter:
        """Messages Twilio has, per (case reference, To)."""
        with self.lock:
            return Counter((REFERENCE.search(m["body"] or "") and REFERENCE.search(m["body"]).group(0), m["to"])
                           for m in self.messages)

    def outcomes(self) -> Counter:
        with self.lock:
            return Counter(p.outcome for p in self.posts)

    def attempts_to(self, to: str) -> list[Post]:
        with self.lock:
            return [p for p in self.posts if p.to == to]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
