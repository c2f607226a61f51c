"""A tiny stand-in for Twilio's Messages API that remembers what it was sent: for the
cases Prism cannot play (a message that really exists when we list it afterwards)."""
from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON; the fakes of Twilio's APIs subclass it."""

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeTwilio:
    def __init__(self):
        self.created: list[dict] = []
        self.fail_next: list[tuple[int, dict]] = []  # (HTTP status, JSON body) answers to the next POSTs
        fake = self

        class Handler(JsonHandler):
            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                if fake.fail_next:
                    return self._answer(*fake.fail_next.pop(0))
                message = {"sid": "SM" + secrets.token_hex(16), "to": form.get("To"), "body": form.get("Body"),
                           "status": "queued",
                           "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())}
                fake.created.append(message)
                self._answer(201, message)

            def do_GET(self):
                query = parse_qs(self.path.partition("?")[2])
                to = query.get("To", [None])[0]
                messages = [m for m in fake.created if to in (None, m["to"])]
                self._answer(200, {"messages": messages, "next_page_uri": None, "page": 0, "page_size": 20})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
