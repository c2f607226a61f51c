"""The Prism mock server serving Twilio's own OpenAPI description, for contract tests.

Prism is pinned in tests/contract/package.json (+ package-lock.json) and installed
there with `npm ci` on first use. Without node/npm the tests skip, unless
HOTLINE_REQUIRE_SERVICES=1 (CI), where they fail.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from casework.config import ROOT

CONTRACT_DIR = ROOT / "tests" / "contract"
PRISM_BIN = CONTRACT_DIR / "node_modules" / ".bin" / "prism"
# Never edited: CI checks the repo out with shared/ beside it.
TWILIO_V2010 = ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
READY_WITHIN = 60  # seconds; Prism loads the 1.9 MB description in ~3 s on 2 cores
REQUIRE = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"


def need(what: str, ok: bool) -> None:
    if ok:
        return
    if REQUIRE:
        pytest.fail(f"{what} and HOTLINE_REQUIRE_SERVICES=1")
    pytest.skip(what)


def relaxed_copy(dest: Path, source: Path = TWILIO_V2010) -> Path:
    """A test-only copy of Twilio's description with two changes Prism 5 needs.

    1. Form fields declared as arrays also accept a single value. Prism 5 parses a
       form body with a repeated key (MediaUrl=a&MediaUrl=b, which is how Twilio and
       its clients send lists) as the last value alone, then rejects it as "must be
       array" (stoplight/prism issue 2473), and rejects a one-element list too.
    2. The Messages POST also declares 429, 500 and 503 answers (Twilio sends them:
       20429 Too Many Requests, server errors) so `Prefer: code=429` works; with only
       201 described, Prism answers such a Prefer with 404. No 4xx other than 429 is
       added: Prism would then answer *invalid* requests with it instead of its 422.
    """
    need(f"Twilio's OpenAPI description is missing at {source}", source.exists())
    spec = json.loads(source.read_text(encoding="utf-8"))
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue  # `servers`, `description`, an operation without a body
            form = operation["requestBody"].get("content", {}).get("application/x-www-form-urlencoded", {})
            for name, prop in form.get("schema", {}).get("properties", {}).items():
                if prop.get("type") == "array" and "items" in prop:
                    form["schema"]["properties"][name] = {"anyOf": [prop, prop["items"]]}
    error = {"type": "object", "required": ["code", "message", "status"], "properties": {
        "code": {"type": "integer"}, "message": {"type": "string"},
        "more_info": {"type": "string"}, "status": {"type": "integer"}}}
    answers = spec["paths"][MESSAGES]["post"]["responses"]
    for status, code, text in ((429, 20429, "Too Many Requests"), (500, 20500, "Internal Server Error"),
                               (503, 20503, "Service Unavailable")):
        example = {"code": code, "message": text, "status": status,
                   "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        answers.setdefault(str(status), {"description": text, "content": {
            "application/json": {"schema": error, "example": example}}})
    dest.write_text(json.dumps(spec), encoding="utf-8")
    return dest


def install() -> None:
    """`npm ci` in tests/contract unless the pinned Prism is already there."""
    need("node and npm are not installed (Prism contract tests need them)",
         bool(shutil.which("node") and shutil.which("npm")))
    pinned = json.loads((CONTRACT_DIR / "package.json").read_text())["dependencies"]["@stoplight/prism-cli"]
    installed = CONTRACT_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if PRISM_BIN.exists() and installed.exists() and json.loads(installed.read_text())["version"] == pinned:
        return
    # --ignore-scripts: Prism needs no install scripts, and it keeps @scarf/scarf's telemetry quiet.
    done = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=CONTRACT_DIR,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "SCARF_ANALYTICS": "false"})
    need(f"`npm ci` in {CONTRACT_DIR} failed: {done.stderr[-2000:]}", done.returncode == 0 and PRISM_BIN.exists())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def prism_mock(spec: Path, log_file: Path):
    """Run `prism mock` on 127.0.0.1 (a free port) and yield its base URL."""
    install()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_file, "wb") as log:
        command = [shutil.which("node"), str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
        process = subprocess.Popen(command, cwd=CONTRACT_DIR, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + READY_WITHIN
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_file.read_text(errors="replace")[-3000:]
                pytest.fail(f"Prism did not start on {url} (exit {process.poll()}):\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url + "/", timeout=1)
    except urllib.error.HTTPError:
        return True  # Prism's 404 "no path matched": it is up
    except OSError:
        return False
    return True
