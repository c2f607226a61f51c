"""Twilio's recording media on 127.0.0.1 (TWILIO_API_BASE_URL), with Range, and answers it can hold back: the
console's recording tests and the pools' test share it."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT = "AC" + "9" * 32
PATH = "/2010-04-01/Accounts/AC0/Recordings/RE" + "2" * 32
RECORDING = "https://api.twilio.com" + PATH
CHUNK = 64 * 1024  # hotline.console.recording.CHUNK: the first chunk reaches the browser before a hold
AUDIO = b"ID3" + bytes(range(256)) * (3 * CHUNK // 256)  # a little over three chunks
WAIT = 10  # seconds any step may take before the test gives up (a step that waits on a hold never ends)


class FakeTwilioMedia:
    """Twilio's recording media, with Range; `hold` keeps an answer back until `go` is set: "start" before
    the headers, "middle" after the first chunk; `status` answers that error instead."""

    def __init__(self):
        self.requests: list[dict] = []
        self.hold: str | None = None
        self.status: int | None = None
        self.arrived, self.go = threading.Semaphore(0), threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                      "range": self.headers.get("Range")})
                fake.arrived.release()
                if fake.hold == "start":
                    fake.go.wait(WAIT)
                if fake.status:
                    self.send_response(fake.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                first, last = 0, len(AUDIO) - 1
                wanted = self.headers.get("Range", "")
                if wanted.startswith("bytes="):
                    start, _, end = wanted[len("bytes="):].partition("-")
                    first, last = int(start), int(end) if end else last
                self.send_response(206 if wanted else 200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(last - first + 1))
                self.send_header("Accept-Ranges", "bytes")
                if wanted:
                    self.send_header("Content-Range", f"bytes {first}-{last}/{len(AUDIO)}")
                self.end_headers()
                body = AUDIO[first:last + 1]
                try:
                    if fake.hold == "middle":
                        self.wfile.write(body[:CHUNK])
                        self.wfile.flush()
                        fake.go.wait(WAIT)
                        body = body[CHUNK:]
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the app hung up: what a stopped player does
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.go.set()
        self.server.shutdown()
        self.server.server_close()
