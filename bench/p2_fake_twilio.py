#!/usr/bin/env python3
"""A stand-in for Twilio's Messages API for benchmark P2, run as its own process on 127.0.0.1.

    python bench/p2_fake_twilio.py --port 0 --account-sid AC... --auth-token ... --ready FILE

It writes its URL to FILE once it listens. Each `POST /2010-04-01/Accounts/<sid>/Messages.json`
is stamped with the wall clock (`time.time()`) the moment the request line and headers have been
read (before the body), checked (the account in the path, HTTP basic auth with the account SID and
auth token, `To` and `Body` present), remembered, and answered 201 with a JSON message as Twilio
answers. `GET .../Messages.json` lists them (the app's `find_sent` after an interrupted send).

Recordings (the isolation benchmark, issue 18): `GET .../Recordings/<RE sid>` (with `.mp3` or `.wav`, as
the console asks for a voice message) is checked the same way and answered, after `--recording-delay`
seconds (default 0), with `--recording-bytes` of stand-in audio. With `--tls-cert` and `--tls-key` the
mock is also an HTTPS proxy for one host, `--tls-host` (default api.twilio.com): a `CONNECT` to that
host on port 443 is answered 200, the TLS is ended here with the given (throwaway) certificate, and the
requests inside are served by this same mock; any other `CONNECT` is refused. So code that calls
`https://api.twilio.com/...` directly reaches the mock when its environment has `HTTPS_PROXY` (this
mock) and `REQUESTS_CA_BUNDLE` (the certificate's CA). Each recording fetch is counted with how it
came: `proxy` (through the CONNECT) or `direct` (plain HTTP, e.g. through `TWILIO_API_BASE_URL`).

For the benchmark driver only (never called by the app):
- `GET /_bench/messages?after=N&wait=S` answers `{"messages": [...]}` with the messages after the
  first N, waiting up to S seconds for at least one (a long poll, so the driver does not spin);
- `GET /_bench/count` answers `{"count": N, "rejected": M, "recordings": {"proxy": P, "direct": D}}`.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import ssl
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
        self.recordings = {"proxy": 0, "direct": 0}
        self.changed = threading.Condition()
        self.recording_delay, self.recording_bytes = 0.0, 100_000
        self.tls: ssl.SSLContext | None = None
        self.tls_host = "api.twilio.com"

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
    recording_path = re.compile(rf"/2010-04-01/Accounts/{store.account_sid}/Recordings/(RE[0-9a-fA-F]{{32}})(\.mp3|\.wav)?")
    audio = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * (store.recording_bytes // 256 + 1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The answer goes out in two writes (headers, then body): with Nagle on, a client that reuses its
        # connection (keep-alive) waits for a delayed ACK, ~40 ms an answer, a delay Twilio does not add.
        disable_nagle_algorithm = True
        via = "direct"

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

        def do_CONNECT(self):
            """An HTTPS proxy for one host only: end the TLS here and serve what comes inside ourselves."""
            if store.tls is None or self.path != f"{store.tls_host}:443":
                return self._error(403, 20403, f"this proxy serves {store.tls_host}:443 only")
            self.send_response(200, "Connection established")
            self.end_headers()
            try:
                secure = store.tls.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                self.close_connection = True
                return
            try:
                Proxied(secure, self.client_address, self.server)  # handles the requests inside, then returns
            finally:
                secure.close()
                self.close_connection = True

        def _recording(self, sid: str, extension: str | None) -> None:
            if self.headers.get("Authorization") != store.auth:
                return self._error(401, 20003, "Authenticate")
            with store.changed:
                store.recordings[self.via] += 1
            if store.recording_delay:
                time.sleep(store.recording_delay)  # Twilio's media, slow today
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav" if extension == ".wav" else "audio/mpeg")
            self.send_header("Content-Length", str(store.recording_bytes))
            self.end_headers()
            self.wfile.write(audio[:store.recording_bytes])

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if found := recording_path.fullmatch(parts.path):
                return self._recording(found.group(1), found.group(2))
            if parts.path == "/_bench/messages":
                found = store.after(int(query.get("after", "0")), float(query.get("wait", "0")))
                return self._answer(200, {"messages": found})
            if parts.path == "/_bench/count":
                return self._answer(200, {"count": len(store.messages), "rejected": len(store.rejected),
                                          "rejections": store.rejected[-5:], "recordings": store.recordings})
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

    class Proxied(Handler):
        via = "proxy"

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--ready", type=Path, help="write the URL here once listening")
    parser.add_argument("--recording-delay", type=float, default=0.0, help="seconds before a recording's media is answered")
    parser.add_argument("--recording-bytes", type=int, default=100_000, help="size of a recording's media")
    parser.add_argument("--tls-cert", type=Path, help="with --tls-key: also be an HTTPS proxy for --tls-host")
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--tls-host", default="api.twilio.com")
    args = parser.parse_args()
    store = Store(args.account_sid, args.auth_token)
    store.recording_delay, store.recording_bytes, store.tls_host = args.recording_delay, args.recording_bytes, args.tls_host
    if args.tls_cert and args.tls_key:
        store.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        store.tls.load_cert_chain(args.tls_cert, args.tls_key)
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
