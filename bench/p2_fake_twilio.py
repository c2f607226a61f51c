#!/usr/bin/env python3
"""A stand-in for Twilio's Messages API for benchmark P2, run as its own process on 127.0.0.1.

    python bench/p2_fake_twilio.py --port 0 --account-sid AC... --auth-token ... --ready FILE

It writes its URL to FILE once it listens. Each `POST /2010-04-01/Accounts/<sid>/Messages.json`
is stamped with the wall clock (`time.time()`) the moment the request line and headers have been
read (before the body), checked (the account in the path, HTTP basic auth with the account SID and
auth token, `To` and `Body` present), remembered, and answered 201 with a JSON message as Twilio
answers. `GET .../Messages.json` lists them (the app's `find_sent` after an interrupted send).

For the benchmark driver only (never called by the app):
- `GET /_bench/messages?after=N&wait=S` answers `{"messages": [...]}` with the messages after the
  first N, waiting up to S seconds for at least one (a long poll, so the driver does not spin);
- `GET /_bench/count` answers `{"count": N, "rejected": M}`.
"""
from __future__ import annotations

import argparse
import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


class Store:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.messages: list[dict] = []
        self.rejected: list[dict] = []
        self.changed = threading.Condition()

    def add(self, message: dict) -> None:
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def after(self, first: int, wait: float) -> list[dict]:
        deadline = time.monotonic() + wait
        with self.changed:
            while len(self.messages) <= first:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            return list(self.messages[first:])


def make_handler(store: Store):
    messages_path = f"/2010-04-01/Accounts/{store.account_sid}/Messages.json"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer goes out in two writes (headers, then body): with Nagle on, a client that reuses its
        # connection (keep-alive) waits for a delayed ACK, ~40 ms an answer, a delay Twilio does not add.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._answer(status, {"code": code, "message": message, "status": status,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}"})

        def do_POST(self):
            arrived = time.time()  # the moment the request reached the mock (headers read)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            path = urlsplit(self.path).path
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if path != messages_path:
                store.rejected.append({"arrived": arrived, "path": path, "why": "path"})
                return self._error(404, 20404, f"The requested resource {path} was not found")
            if self.headers.get("Authorization") != store.auth:
                store.rejected.append({"arrived": arrived, "path": path, "why": "auth"})
                return self._error(401, 20003, "Authenticate")
            if not form.get("To") or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
                store.rejected.append({"arrived": arrived, "path": path, "why": "form", "form": form})
                return self._error(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required")
            sid = "SM" + secrets.token_hex(16)
            now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(arrived))
            message = {
                "sid": sid, "account_sid": store.account_sid, "api_version": "2010-04-01",
                "to": form["To"], "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form["Body"], "status": "queued", "direction": "outbound-api",
                "num_segments": "1", "num_media": "0", "price": None, "price_unit": "USD",
                "error_code": None, "error_message": None,
                "date_created": now, "date_updated": now, "date_sent": None,
                "uri": f"/2010-04-01/Accounts/{store.account_sid}/Messages/{sid}.json", "subresource_uris": {},
            }
            store.add({**message, "arrived": arrived, "status_callback": form.get("StatusCallback")})
            self._answer(201, message)

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/_bench/messages":
                found = store.after(int(query.get("after", "0")), float(query.get("wait", "0")))
                return self._answer(200, {"messages": found})
            if parts.path == "/_bench/count":
                return self._answer(200, {"count": len(store.messages), "rejected": len(store.rejected),
                                          "rejections": store.rejected[-5:]})
            if parts.path == messages_path:
                if self.headers.get("Authorization") != store.auth:
                    return self._error(401, 20003, "Authenticate")
                to = query.get("To")
                found = [{k: v for k, v in m.items() if k not in ("arrived", "status_callback")}
                         for m in reversed(store.messages) if to in (None, m["to"])]
                limit = int(query.get("PageSize", "50"))
                return self._answer(200, {"messages": found[:limit], "next_page_uri": None, "page": 0,
                                          "page_size": limit, "uri": parts.path, "first_page_uri": parts.path,
                                          "previous_page_uri": None, "start": 0, "end": len(found[:limit])})
            return self._error(404, 20404, f"The requested resource {parts.path} was not found")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--ready", type=Path, help="write the URL here once listening")
    args = parser.parse_args()
    store = Store(args.account_sid, args.auth_token)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(store))
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_port}"
    if args.ready:
        tmp = args.ready.with_suffix(".tmp")
        tmp.write_text(url)
        tmp.replace(args.ready)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
