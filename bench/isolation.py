#!/usr/bin/env python3
"""Isolation benchmark (issue 18): do Twilio's webhooks wait for the console's heaviest pages?

One command, from the repo root, with the venv (about 10 minutes the first time, most of it seeding):

    .venv/bin/python bench/isolation.py                                # 1,000,000 calls, 60 s per phase
    .venv/bin/python bench/isolation.py --seed-calls 50000 --duration 5   # a quick check, ~2 minutes

In one run, on a PostgreSQL schema seeded by bench/seed_calls.py (`bench_iso`, or `bench_iso_<N>` for
another size; reused when already seeded):

1. starts the checkout's own processes as ITS Procfile says, in production mode: `release:` once, then
   `web:`, `voice:` (when the Procfile has one), `worker:` and `relay:` (so the outbox drains), each as
   `bash -c "exec <command>"` in a session of its own; a Redis database leased as the tests lease theirs
   (tests/helpers/lease.py); a fake Twilio (bench/p2_fake_twilio.py) whose recording media answers after
   `--recording-delay` s (default 5);
2. 16 callers (`--callers`): wrk with bench/isolation_wrk.lua, one connection per thread, replaying
   pre-signed webhooks with distinct CallSids: `POST /voice/incoming`, then the menu step its TwiML asks
   for (`/voice/ivr/language?s=1&try=1` with Digits=1), each once; measured ALONE for `--duration` s;
3. then 8 supervisors (`--clients`), each logged in through the login form (CSRF token, a session each),
   loop over the 52-week report, `/console/cases.csv` and a voice message (`/console/calls/<id>/recording`,
   fetched from the fake Twilio); `--settle` s later the same callers are measured again UNDER LOAD;
4. prints a Markdown table: webhook req/s, p50/p95/p99/max, webhooks over 1 s and 5 s, the ratio of the
   p99s (goal <= 1.5) and the count over 1 s (goal 0); the console clients' pages and errors; the CPU of
   each process group, with the neighbours' (other people's tests on the shared machine).

Checked, or the run is invalid (exit 1): every webhook answered 200 text/xml TwiML; the rows written
(a Call with its `incoming` event per first step, an `ivr` event per menu step, the language set) match
what was answered; nothing spooled; every console page right (the report's table, the CSV's rows, the
recording's bytes); no error in the processes' logs.

Ports: every Procfile process gets its own environment with HOST=127.0.0.1 and PORT set to a free port
(one PORT per process, as honcho and foreman give), and any other variable named `...PORT` in its
command line (e.g. `${VOICE_PORT:-5001}`) a free port too. The bench then reads the port each process
really listens on from /proc (its listening TCP sockets), so a line that binds something else still
works. Webhooks go to the `voice:` process's port when the Procfile has one, else to `web:`'s; console
pages always go to `web:`'s, as the proxy in docs/deploy.md routes them.

Twilio: TWILIO_API_BASE_URL points at the fake, and so does `https://api.twilio.com`: the processes get
HTTPS_PROXY = the fake, which ends TLS for api.twilio.com only, with a throwaway certificate made at run
time (openssl), and REQUESTS_CA_BUNDLE = that certificate's CA (NO_PROXY=127.0.0.1,localhost). Code that
fetches the stored `https://api.twilio.com/...` recording URL (main) and code that uses
TWILIO_API_BASE_URL both reach it; the table says which way the recordings came.

The schema: the seeded calls are kept; the rows a run adds (calls past the seeded ones, their events,
audit rows, API tokens, reports, cases not seeded) are deleted before and after each run (`--keep`
keeps them, and the work directory). So that the relay and the worker stay as idle as on a day in
production: the seeded waiting cases get no SLA due time (else the relay's overdue-check backstop
escalates them all), and the day's retention run is marked done (its audit row; else the relay starts
it, erasing the seeded numbers and asking Twilio to delete every old call). 100 seeded calls get a
recording of Twilio's form (`RE...` sid, `https://api.twilio.com/2010-04-01/Accounts/<AC>/Recordings/RE...`).

Load goes to 127.0.0.1 only. Everything started is stopped by its pid (and its session), also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import p1_voice_incoming as p1  # noqa: E402
from bench import p2_escalation_latency as p2  # noqa: E402
from bench.seed_calls import seed  # noqa: E402
from tests.helpers import lease  # noqa: E402

LUA = ROOT / "bench" / "isolation_wrk.lua"
FAKE = ROOT / "bench" / "p2_fake_twilio.py"
DEFAULT_CALLS = 1_000_000
STARTED = ("web", "voice", "worker", "relay")  # the Procfile processes a deployment runs (release: once, before)
RECORDINGS = 100  # seeded calls given a voice message
RECORDING_BYTES = 100_000
LANGUAGE_STEP = "/voice/ivr/language?s=1&try=1"  # what main's /voice/incoming asks for; the probe checks it
TWILIO_HOST = "api.twilio.com"
GOAL_RATIO, GOAL_SLOW_MS = 1.5, 1000
SEEDED_TABLES = ("calls", "call_events", "cases", "users", "provinces", "centres", "contacts", "alembic_version", "bench_seed")
ADDED_TABLES = ("messages", "escalations", "case_transitions", "annotations", "reports", "audit", "outbox", "api_tokens")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Failure(RuntimeError):
    """The run cannot go on or cannot be trusted."""


def schema_for(calls: int) -> str:
    return "bench_iso" if calls == DEFAULT_CALLS else f"bench_iso_{calls}"


# --- the schema --------------------------------------------------------------------------------


def prepare_schema(schema: str, calls: int, quiet: bool = False) -> dict:
    """Seed (or reuse), then put the schema back as seeded: delete what runs added, clear the seeded waiting
    cases' SLA due times, give RECORDINGS seeded calls a recording. Returns what the console will show."""
    import psycopg

    seed(schema, calls, quiet=quiet)
    from models.vocabulary import WAITING_STATUSES

    with psycopg.connect(db_url(schema), autocommit=True) as conn:
        present = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))}
        with conn.transaction():
            for table in ADDED_TABLES:
                if table in present:
                    conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM cases WHERE reference NOT LIKE '1300-B-%%'")
            conn.execute("DELETE FROM calls WHERE id > %s", (calls,))  # their call_events go with them (ON DELETE CASCADE)
            conn.execute("UPDATE cases SET sla_due_at = NULL WHERE status = ANY(%s) AND sla_due_at IS NOT NULL",
                         (list(WAITING_STATUSES),))
            # The day's retention run has been done (the audit row a finished run writes, casework/retention.py):
            # else the relay starts it, blanking the seeded calls' numbers and asking Twilio to delete their logs.
            bangkok = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7)).date()
            for day in (bangkok + dt.timedelta(days=d) for d in (-1, 0, 1)):
                conn.execute("INSERT INTO audit (at, action, target, reason) VALUES (now(), 'retention', %s, %s)",
                             (f"retention:{day.isoformat()}", "marked done by bench/isolation.py"))
            ids = recording_call_ids(calls)
            conn.execute(
                "UPDATE calls SET recording_sid = 'RE' || md5('bench-recording-' || id), recording_duration = 9, "
                "recording_url = %s || 'RE' || md5('bench-recording-' || id) WHERE id = ANY(%s) AND recording_sid IS NULL",
                (f"https://{TWILIO_HOST}/2010-04-01/Accounts/{p1.ACCOUNT_SID}/Recordings/", ids))
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        recorded = [r[0] for r in conn.execute("SELECT id FROM calls WHERE recording_url IS NOT NULL ORDER BY id")]
    return {"schema": schema, "calls": calls, "cases": cases, "recording_calls": recorded}


def recording_call_ids(calls: int) -> list[int]:
    step = max(1, calls // (RECORDINGS + 1))
    return [calls - step * k for k in range(1, RECORDINGS + 1) if calls - step * k > 0]


def db_url(schema: str) -> str:
    return p1.database_url(schema)


def added_rows(schema: str, calls: int) -> dict[str, int]:
    """Calls past the seeded ones and their events by kind, in one snapshot."""
    import psycopg

    with psycopg.connect(db_url(schema), autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM calls WHERE id > %(n)s), "
            "(SELECT count(*) FROM call_events WHERE call_id > %(n)s AND kind = 'incoming'), "
            "(SELECT count(*) FROM call_events WHERE call_id > %(n)s AND kind = 'ivr'), "
            "(SELECT count(*) FROM call_events WHERE call_id > %(n)s)", {"n": calls}).fetchone()
    return dict(zip(("calls", "incoming", "ivr", "events"), row))


def rows_consistent(schema: str, calls: int) -> list[str]:
    """Every new call that took the menu step came in first and chose Thai (Digits=1)."""
    import psycopg

    with psycopg.connect(db_url(schema), autocommit=True) as conn:
        no_incoming, wrong_language = conn.execute(
            "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'incoming')), "
            "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'ivr') "
            "AND c.language IS DISTINCT FROM 'th') FROM calls c WHERE c.id > %s", (calls,)).fetchone()
    problems = []
    if no_incoming:
        problems.append(f"{no_incoming} new calls have no `incoming` event")
    if wrong_language:
        problems.append(f"{wrong_language} calls answered the language menu with 1 but are not Thai")
    return problems


# --- processes ----------------------------------------------------------------------------------


def procfile(root: Path = ROOT) -> dict[str, str]:
    """name -> command, in the Procfile's order."""
    entries = {}
    for line in (root / "Procfile").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z0-9_-]+", name.strip()):
            entries[name.strip()] = command.strip()
    return entries


def free_port() -> int:
    return p1.free_port()


def command_env(command: str, env: dict) -> dict:
    """HOST=127.0.0.1 and a free PORT for this process; any other ...PORT / ...HOST the line names likewise."""
    env = {**env, "HOST": "127.0.0.1", "PORT": str(free_port())}
    for name in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", command)):
        if name.endswith("PORT") and name != "PORT":
            env[name] = str(free_port())
        elif name.endswith("HOST") and name != "HOST":
            env[name] = "127.0.0.1"
    return env


def socket_inodes(pids) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    return inodes


def tcp_sockets() -> list[tuple[str, int, str, str]]:
    """(local address hex, local port, state hex, inode) of every TCP socket in this network namespace."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port = fields[1].rsplit(":", 1)
            out.append((address, int(port, 16), fields[3], fields[9]))
    return out


def listening_ports(pids) -> list[int]:
    inodes = socket_inodes(pids)
    return sorted({port for _, port, state, inode in tcp_sockets() if state == "0A" and inode in inodes})


def our_ports(pids) -> set[int]:
    inodes = socket_inodes(pids)
    return {port for _, port, _, inode in tcp_sockets() if inode in inodes}


def session_pids(session: int, table: dict | None = None) -> list[int]:
    table = table or p2.proc_ticks()
    return [pid for pid, row in table.items() if row[2] == session]


def cores_used(pids: list[int], window: float = 0.5) -> float:
    def ticks() -> int:
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError):
                continue
        return total

    before = ticks()
    time.sleep(window)
    return (ticks() - before) / CLK_TCK / window


@dataclass
class Service:
    name: str
    command: str
    proc: p2.Proc
    env: dict
    port: int | None = None

    @property
    def session(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return session_pids(self.session)

    def workers(self) -> list[int]:
        """The gunicorn workers: processes of the session whose parent is also in it."""
        table = p2.proc_ticks()
        members = {pid for pid, row in table.items() if row[2] == self.session}
        return sorted(pid for pid in members if table[pid][1] in members)


class Stack:
    """The checkout's Procfile processes, each started as its line says, each in a session of its own."""

    def __init__(self, env: dict, work: Path, redis_url: str, names=STARTED):
        self.env, self.work, self.redis_url = env, work, redis_url
        self.entries = procfile()
        missing = [n for n in ("web", "worker", "relay") if n not in self.entries]
        if missing:
            raise Failure(f"the Procfile has no {', '.join(missing)} line")
        self.names = [n for n in self.entries if n in names]
        self.ignored = [n for n in self.entries if n not in names and n != "release"]
        self.services: dict[str, Service] = {}

    def describe(self) -> list[str]:
        return [f"{name}: {self.entries[name]}" for name in self.entries]

    def release(self) -> None:
        if "release" in self.entries:
            done = subprocess.run(["bash", "-c", "exec " + self.entries["release"]], cwd=ROOT, env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if done.returncode:
                raise Failure(f"release: {self.entries['release']} failed:\n{done.stdout[-2000:]}")

    def start(self) -> None:
        self.release()
        for name in self.names:
            command = self.entries[name]
            if "gunicorn" in command.split() and "control-socket" not in command:
                # gunicorn's default control socket is one path for every gunicorn of the user: each its own
                command += f" --control-socket {self.work / (name + '.ctl')}"
            env = command_env(command, self.env)
            proc = p2.Proc(name, ["bash", "-c", "exec " + command], env, self.work / f"{name}.log")
            proc.start()
            self.services[name] = Service(name, command, proc, env)
        for service in self.services.values():
            self._ready(service)

    def _ready(self, service: Service, limit: float = 120) -> None:
        deadline = time.monotonic() + limit
        if service.name in ("web", "voice"):
            while not (ports := listening_ports(service.pids())):
                if not service.proc.alive():
                    raise Failure(f"{service.name} exited at start-up:\n{p2.tail(service.proc.log)}")
                if time.monotonic() > deadline:
                    raise Failure(f"{service.name} did not listen within {limit:.0f} s:\n{p2.tail(service.proc.log)}")
                time.sleep(0.1)
            wanted = int(service.env["PORT"])
            service.port = wanted if wanted in ports else ports[0]
            while True:
                try:
                    urllib.request.urlopen(service.base + "/healthz", timeout=5).close()
                    break
                except urllib.error.HTTPError:
                    break  # any HTTP answer: a worker is up
                except OSError:
                    if time.monotonic() > deadline:
                        raise Failure(f"{service.name} did not answer within {limit:.0f} s:\n{p2.tail(service.proc.log)}")
                    time.sleep(0.2)
        elif service.name == "worker":
            from redis import Redis

            redis = Redis.from_url(self.redis_url)
            while not redis.scard("rq:workers"):
                if not service.proc.alive():
                    raise Failure(f"the worker exited at start-up:\n{p2.tail(service.proc.log)}")
                if time.monotonic() > deadline:
                    raise Failure(f"the worker did not register within {limit:.0f} s:\n{p2.tail(service.proc.log)}")
                time.sleep(0.1)
        # Booted: its processes have imported what they import at start (slow on a busy machine).
        while time.monotonic() < deadline and cores_used(service.pids()) > 0.05:
            pass
        if not service.proc.alive():
            raise Failure(f"{service.name} exited at start-up:\n{p2.tail(service.proc.log)}")

    @property
    def webhooks(self) -> Service:
        return self.services.get("voice") or self.services["web"]

    @property
    def console(self) -> Service:
        return self.services["web"]

    def groups(self) -> dict[int, str]:
        return {s.session: s.name for s in self.services.values()}

    def logs(self) -> list[Path]:
        return [s.proc.log for s in self.services.values()]

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.proc.stop()


def make_certificate(work: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for api.twilio.com signed by it (openssl CLI): (ca, cert, key)."""
    if shutil.which("openssl") is None:
        raise Failure("openssl is not installed (apt-get install -y openssl)")
    tls = work / "tls"
    tls.mkdir()
    (tls / "leaf.ext").write_text(f"subjectAltName=DNS:{TWILIO_HOST}\nbasicConstraints=critical,CA:FALSE\n"
                                  "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    for command in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=isolation bench throwaway CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={TWILIO_HOST}"],
        ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem",
         "-days", "2", "-extfile", "leaf.ext"],
    ):
        done = subprocess.run(["openssl", *command], cwd=tls, capture_output=True, text=True)
        if done.returncode:
            raise Failure(f"openssl {' '.join(command[:2])} failed: {done.stderr[-500:]}")
    return tls / "ca.pem", tls / "leaf.pem", tls / "leaf.key"


def start_fake(work: Path, delay: float) -> tuple[p2.Proc, str, Path]:
    """The fake Twilio, also the HTTPS proxy for api.twilio.com; (process, its URL, the CA to trust)."""
    ca, cert, key = make_certificate(work)
    ready = work / "fake.url"
    fake = p2.Proc("fake Twilio", [sys.executable, str(FAKE), "--account-sid", p1.ACCOUNT_SID, "--auth-token", p1.AUTH_TOKEN,
                                   "--ready", str(ready), "--recording-delay", str(delay),
                                   "--recording-bytes", str(RECORDING_BYTES), "--tls-cert", str(cert), "--tls-key", str(key),
                                   "--tls-host", TWILIO_HOST], {**os.environ}, work / "fake.log")
    fake.start()
    deadline = time.monotonic() + 20
    while not ready.exists():
        if not fake.alive() or time.monotonic() > deadline:
            raise Failure(f"the fake Twilio did not start:\n{p2.tail(fake.log)}")
        time.sleep(0.05)
    return fake, ready.read_text().strip(), ca


def fake_counts(url: str) -> dict:
    with urllib.request.urlopen(url + "/_bench/count", timeout=10) as answer:
        return json.loads(answer.read())


def stack_env(schema: str, work: Path, redis_url: str, fake_url: str, ca: Path, extra: dict) -> dict:
    """Production mode (p1's settings), this schema and Redis database, Twilio = the fake both ways."""
    spool = work / "spool"
    spool.mkdir(exist_ok=True)
    return p1.production_env(db_url(schema), spool, redis_url,
                             TWILIO_API_BASE_URL=fake_url, HOTLINE_INSTANCE_DIR=str(work),
                             HTTPS_PROXY=fake_url, https_proxy=fake_url, NO_PROXY="127.0.0.1,localhost",
                             no_proxy="127.0.0.1,localhost", REQUESTS_CA_BUNDLE=str(ca), **extra)


def leased_redis() -> tuple[int, str]:
    number = lease.claim()
    if number is None:
        raise Failure("no free Redis database (1-15) on 127.0.0.1:6379, or Redis is not running")
    from redis import Redis

    Redis(host="127.0.0.1", port=6379, db=number).flushdb()
    lease.renew(number)
    return number, f"redis://127.0.0.1:6379/{number}"


# --- webhooks, signed before anything is timed ------------------------------------------------


class Calls:
    """Pre-signed calls, STEPS lines each (`path<TAB>signature<TAB>body`): /voice/incoming, then the menu step.
    Each call is used once in the whole run; more are signed between phases, never while one is timed."""

    STEPS = 2

    def __init__(self, path: Path, seed: int, menu_step: str = LANGUAGE_STEP):
        from twilio.request_validator import RequestValidator

        self.path, self.rng, self.calls, self.menu_step = path, random.Random(seed), 0, menu_step
        self.validator = RequestValidator(p1.AUTH_TOKEN)
        self.sids: set[str] = set()
        self.signing_seconds = 0.0
        path.write_text("")

    def signed(self, path: str, params: dict) -> str:
        return f"{path}\t{self.validator.compute_signature(p1.PUBLIC_BASE_URL + path, params)}\t{p1.form_body(params)}\n"

    def pair(self) -> tuple[dict, dict]:
        incoming = p1.Form(p1.incoming_params(self.rng))
        if incoming["CallSid"] in self.sids:
            raise Failure("generated a repeated CallSid; change --seed")
        self.sids.add(incoming["CallSid"])
        step = p1.Form({**incoming, "CallStatus": "in-progress", "Digits": "1", "FinishedOnKey": ""})
        return incoming, step

    def ensure(self, calls: int) -> None:
        if calls <= self.calls:
            return
        started = time.monotonic()
        with self.path.open("a", encoding="utf-8") as f:
            for _ in range(calls - self.calls):
                incoming, step = self.pair()
                f.write(self.signed("/voice/incoming", incoming) + self.signed(self.menu_step, step))
        self.calls = calls
        self.signing_seconds += time.monotonic() - started


def post_signed(base: str, line: str, spoil: bool = False) -> tuple[int, bytes, str]:
    path, signature, body = line.rstrip("\n").split("\t")
    return p1.post(base + path, body.encode(), signature[:-4] + "AAA=" if spoil else signature)


def probe(stack: Stack, schema: str, seed_: int) -> str:
    """A wrongly signed webhook is 403; a signed call is 200 TwiML and stored; returns the menu step it asks for."""
    probe_calls = Calls(stack.work / "probe.tsv", seed_ + 7)
    incoming, _ = probe_calls.pair()
    line = probe_calls.signed("/voice/incoming", incoming)
    status, _, _ = post_signed(stack.webhooks.base, line, spoil=True)
    if status != 403:
        raise Failure(f"a wrongly signed /voice/incoming got {status}, not 403")
    status, answer, kind = post_signed(stack.webhooks.base, line)
    if status != 200 or kind != "text/xml" or ElementTree.fromstring(answer).tag != "Response":
        raise Failure(f"a signed /voice/incoming got {status} {kind}: {answer[:300]!r}\n{p2.tail(stack.webhooks.proc.log)}")
    if not p1.has_call(incoming["CallSid"], schema):
        raise Failure(f"the probe call {incoming['CallSid']} was answered but not stored")
    actions = [e.get("action") for e in ElementTree.fromstring(answer).iter() if e.get("action")]
    if not actions:
        raise Failure(f"/voice/incoming's TwiML asks for no menu step: {answer[:300]!r}")
    parts = urllib.parse.urlsplit(actions[0])
    step = parts.path + (f"?{parts.query}" if parts.query else "")
    menu = p1.Form({**incoming, "CallStatus": "in-progress", "Digits": "1", "FinishedOnKey": ""})
    status, answer, kind = post_signed(stack.webhooks.base, probe_calls.signed(step, menu))
    if status != 200 or kind != "text/xml" or ElementTree.fromstring(answer).tag != "Response":
        raise Failure(f"the menu step {step} got {status} {kind}: {answer[:300]!r}")
    return step


# --- the console clients ------------------------------------------------------------------------


def report_path(weeks: int = 52) -> str:
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7)).date()  # Bangkok
    first = today - dt.timedelta(weeks=weeks - 1)
    return f"/console/reports?period=week&date_from={first.isoformat()}&date_to={today.isoformat()}"


@dataclass
class Page:
    name: str
    path: str | None = None  # None: the next recording

    def url(self, recordings: list[int], counter) -> str:
        if self.path:
            return self.path
        return f"/console/calls/{recordings[next(counter) % len(recordings)]}/recording"


PAGES = [Page("52-week report", report_path()), Page("cases.csv", "/console/cases.csv"), Page("voice message")]


@dataclass
class Fetch:
    page: str
    started: float
    seconds: float
    status: int
    kind: str
    size: int
    lines: int
    ok: bool
    why: str = ""

    @property
    def refused(self) -> bool:
        """A 429 or 503: a console that bounds its slow work may turn a page away while busy (not a bench error)."""
        return self.status in (429, 503)


def fetch(base_port: int, cookie: str, page: Page, path: str, csv_lines: int | None, timeout: float = 120) -> Fetch:
    started = time.monotonic()
    status, kind, size, lines, body = 0, "", 0, 0, b""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=timeout)
        conn.request("GET", path, headers={"Cookie": cookie})
        answer = conn.getresponse()
        status, kind = answer.status, answer.headers.get("Content-Type", "")
        keep = page.name.endswith("report")
        while chunk := answer.read(65536):
            size += len(chunk)
            lines += chunk.count(b"\n")
            if keep:
                body += chunk
        conn.close()
    except (OSError, http.client.HTTPException) as error:
        return Fetch(page.name, started, time.monotonic() - started, status, kind, size, lines, False, type(error).__name__)
    seconds = time.monotonic() - started
    why = ""
    if status != 200:
        why = f"status {status}"
    elif page.name.endswith("report") and (b"<table" not in body or b'name="password"' in body):
        why = "not the report page"
    elif page.name == "cases.csv" and (not kind.startswith("text/csv") or (csv_lines is not None and lines != csv_lines) or lines < 2):
        why = f"CSV of {lines} lines ({kind})"
    elif page.name == "voice message" and (not kind.startswith("audio/") or size != RECORDING_BYTES):
        why = f"{size} bytes of {kind}"
    return Fetch(page.name, started, seconds, status, kind, size, lines, not why, why)


class Client(threading.Thread):
    """One supervisor with a session of their own, looping over the pages until told to stop."""

    def __init__(self, index: int, port: int, cookie: str, recordings: list[int], counter, csv_lines: int | None):
        super().__init__(daemon=True, name=f"console-{index}")
        self.index, self.port, self.cookie, self.recordings, self.counter = index, port, cookie, recordings, counter
        self.csv_lines = csv_lines
        self.stop = threading.Event()
        self.fetches: list[Fetch] = []

    def run(self) -> None:
        i = self.index
        while not self.stop.is_set():
            page = PAGES[i % len(PAGES)]
            f = fetch(self.port, self.cookie, page, page.url(self.recordings, self.counter), self.csv_lines)
            self.fetches.append(f)
            if f.refused:  # turned away while busy: a person would try again a moment later
                self.stop.wait(1.0)
            i += 1


def login(base: str) -> str:
    from bench.p4_console_lists import login as p4_login  # the login form, its CSRF token, the session cookie

    return p4_login(base)


# --- CPU, by process group ----------------------------------------------------------------------


def our_backends(our_pids: list[int]) -> set[int]:
    """PostgreSQL backends whose client is one of our processes (matched by the client's TCP port)."""
    import psycopg

    ports = our_ports(our_pids)
    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute("SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL").fetchall()
    return {pid for pid, port in rows if port in ports}


def cpu_groups(before: dict, after: dict, wall: float, sessions: dict[int, str], wrk_pid: int | None,
               pg_ours: set[int]) -> dict[str, float]:
    """Cores used in the window by each of our process groups (by session), wrk, this process (the console
    clients), PostgreSQL (our backends / the others'), Redis (shared) and everything else (neighbours)."""
    groups: dict[str, float] = {name: 0.0 for name in sessions.values()}
    groups.update({"wrk": 0.0, "console clients": 0.0, "postgres (ours)": 0.0, "redis (shared)": 0.0,
                   "postgres (others)": 0.0, "other": 0.0})
    me = os.getpid()
    for pid, row in after.items():
        if pid == "_busy":
            continue
        comm, _ppid, session, ticks, start = row
        prior = before.get(pid)
        used = ticks - (prior[3] if prior and prior[4] == start else 0)
        if session in sessions:
            group = sessions[session]
        elif pid == wrk_pid:
            group = "wrk"
        elif pid == me:
            group = "console clients"
        elif comm.startswith("postgres"):
            group = "postgres (ours)" if pid in pg_ours else "postgres (others)"
        elif comm.startswith("redis-server"):
            group = "redis (shared)"
        else:
            group = "other"
        groups[group] += used / CLK_TCK / wall
    groups["machine"] = (after["_busy"] - before["_busy"]) / CLK_TCK / wall
    return {k: round(v, 2) for k, v in groups.items()}


def snapshot() -> dict:
    table = p2.proc_ticks()
    table["_busy"] = p1.machine_busy()[0]
    return table


# --- one phase ----------------------------------------------------------------------------------


@dataclass
class Phase:
    label: str
    round: int
    answers: list[tuple[int, int, int, int]] = field(default_factory=list)  # (step, latency us, status, ok)
    sent: int = 0
    available: int = 0
    overrun: int = 0
    wrk_errors: dict = field(default_factory=dict)
    duration_s: float = 0.0
    cpu: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    ran_out: int = 0
    waiting_ms: list[float] = field(default_factory=list)  # sent, unanswered when wrk stopped: how long they had waited
    fetches: list[Fetch] = field(default_factory=list)
    clients_seconds: float = 0.0
    loadavg: tuple = ()

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(a[1] / 1000 for a in self.answers)

    def pct(self, q: float) -> float:
        values = self.latencies_ms
        return values[max(0, math.ceil(q / 100 * len(values)) - 1)] if values else float("nan")

    @property
    def rps(self) -> float:
        return len(self.answers) / self.duration_s if self.duration_s else 0.0

    def over(self, ms: float) -> int:
        return sum(1 for a in self.answers if a[1] > ms * 1000)

    def late(self, ms: float) -> int:
        """Answered after more than `ms`, or still unanswered at the end after waiting more than `ms`."""
        return self.over(ms) + sum(1 for w in self.waiting_ms if w > ms)

    @property
    def bad(self) -> int:
        return sum(1 for a in self.answers if not a[3])


def run_wrk(stack: Stack, calls: Calls, first: int, count: int, connections: int, duration: float, work: Path,
            label: str, sessions: dict[int, str]) -> Phase:
    calls.ensure(first + count)
    result = work / f"wrk-{label}.tsv"
    env = {**os.environ, "ISO_REQUESTS": str(calls.path), "ISO_STEPS": str(Calls.STEPS), "ISO_FIRST": str(first),
           "ISO_COUNT": str(count), "ISO_THREADS": str(connections), "ISO_RESULT": str(result)}
    command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "60s",
               "-s", str(LUA), stack.webhooks.base + "/voice/incoming"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(p1.load_time((first + count) * Calls.STEPS) + 0.75)
    window = max(duration - 1.25, 0.5)
    before, t = snapshot(), time.monotonic()
    time.sleep(window / 2)
    our = [pid for session in sessions for pid in session_pids(session)] + [os.getpid()]
    pg_ours = our_backends(our)
    time.sleep(max(window / 2 - (time.monotonic() - t), 0))
    after = snapshot()
    cpu = cpu_groups(before, after, time.monotonic() - t, sessions, process.pid, pg_ours)
    output, _ = process.communicate(timeout=duration + 120)
    if process.returncode != 0 or not result.exists():
        raise Failure(f"wrk failed ({process.returncode}):\n{output}")
    phase = Phase(label, 0, cpu=cpu)
    for line in result.read_text().splitlines():
        fields = line.split("\t")
        if fields[0] == "#sent":
            phase.sent, phase.available, phase.overrun = map(int, fields[1:4])
        elif fields[0] == "#errors":
            phase.wrk_errors = dict(zip(("connect", "read", "write", "status", "timeout"), map(int, fields[1:6])))
        elif fields[0] == "#waiting":
            phase.waiting_ms.append(int(fields[1]) / 1000)
        elif fields[0] == "#ranout":
            phase.ran_out = int(fields[1])
        elif fields[0] == "#summary":
            phase.duration_s = int(fields[1]) / 1e6
        else:
            phase.answers.append(tuple(map(int, fields)))
    return phase


def settle_rows(schema: str, calls: int, limit: float = 60) -> dict[str, int]:
    """The row counts once they stop changing (webhooks wrk gave up waiting for are still being answered)."""
    deadline = time.monotonic() + limit
    last = added_rows(schema, calls)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = added_rows(schema, calls)
        if now == last:
            return now
        last = now
    return last


class Bench:
    def __init__(self, args, stack: Stack, calls: Calls, schema: str, info: dict, work: Path, fake: p2.Proc):
        self.args, self.stack, self.calls, self.schema, self.info, self.work = args, stack, calls, schema, info, work
        self.cursor = 0
        self.best_rps = 0.0
        self.phases: list[Phase] = []
        self.sessions = {**stack.groups(), fake.pid: "fake Twilio"}  # session id -> group (each started in its own)

    def size(self, duration: float) -> int:
        """Calls a phase may need: 1.6 x the best rate seen (webhooks/s, 2 a call) + a margin."""
        rate = self.best_rps or 3000.0
        return int(1.6 * rate * duration / Calls.STEPS) + 4 * self.args.callers

    def phase(self, label: str, round_: int, duration: float, clients: list[Client] | None = None) -> Phase:
        count = self.size(duration)
        rows_before = added_rows(self.schema, self.info["calls"])
        if clients:
            for client in clients:
                client.start()
            time.sleep(self.args.settle)
        loadavg = os.getloadavg()
        started = time.monotonic()
        phase = run_wrk(self.stack, self.calls, self.cursor, count, self.args.callers, duration, self.work,
                           f"{label}-r{round_}", self.sessions)
        if clients:
            for client in clients:
                client.stop.set()
            for client in clients:
                client.join(timeout=180)
                phase.fetches += client.fetches
            phase.clients_seconds = time.monotonic() - started + self.args.settle
        phase.label, phase.round, phase.loadavg = label, round_, loadavg + os.getloadavg()
        self.cursor += count
        after = settle_rows(self.schema, self.info["calls"])
        phase.rows = {k: after[k] - rows_before[k] for k in after}
        self.best_rps = max(self.best_rps, phase.rps)
        self.phases.append(phase)
        return phase


def print_phase(phase: Phase) -> None:
    cpu = phase.cpu
    print(f"  {phase.label:<12} round {phase.round + 1}: {len(phase.answers)} webhooks, {phase.rps:.0f}/s, "
          f"p50 {phase.pct(50):.1f} p95 {phase.pct(95):.1f} p99 {phase.pct(99):.1f} max {phase.pct(100):.1f} ms, "
          f"over 1 s {phase.over(1000)}, unanswered at the end {len(phase.waiting_ms)} (waited up to "
          f"{max(phase.waiting_ms, default=0):.0f} ms), not TwiML {phase.bad}; rows {phase.rows}; "
          f"cores {', '.join(f'{k} {v:.2f}' for k, v in cpu.items() if v)}", flush=True)
    if phase.fetches:
        by_page: dict[str, list[Fetch]] = {}
        for f in phase.fetches:
            by_page.setdefault(f.page, []).append(f)
        print("               console: " + "; ".join(
            f"{name} {len(fs)} ({sum(not f.ok for f in fs)} bad), median {p1.median([f.seconds for f in fs]):.2f} s"
            for name, fs in by_page.items()), flush=True)


# --- checks and report -------------------------------------------------------------------------


def validate(bench: Bench, spool: Path) -> list[str]:
    problems = []
    for phase in bench.phases:
        where = f"{phase.label} round {phase.round + 1}"
        if phase.bad:
            statuses = sorted({a[2] for a in phase.answers if not a[3]})
            problems.append(f"{where}: {phase.bad} webhooks not answered 200 text/xml TwiML (statuses {statuses})")
        if phase.overrun or phase.ran_out:
            problems.append(f"{where}: a wrk thread ran out of pre-signed calls")
        errors = {k: v for k, v in phase.wrk_errors.items() if v and k != "timeout"}
        if errors:
            problems.append(f"{where}: wrk counted errors {errors}")
        incoming = sum(1 for a in phase.answers if a[0] == 1)
        menu = sum(1 for a in phase.answers if a[0] == 2)
        rows = phase.rows
        in_flight = bench.args.callers  # one request per connection may be sent but not answered when wrk stops
        if not (incoming <= rows["calls"] <= incoming + in_flight and rows["incoming"] == rows["calls"]
                and menu <= rows["ivr"] <= menu + in_flight):
            problems.append(f"{where}: answered {incoming} incoming and {menu} menu steps, but rows written {rows}")
        bad_pages = [f for f in phase.fetches if not f.ok and not f.refused]
        if bad_pages:
            problems.append(f"{where}: {len(bad_pages)} console pages wrong, e.g. {bad_pages[0].page}: {bad_pages[0].why}")
    problems += rows_consistent(bench.schema, bench.info["calls"])
    if spool.exists() and any(spool.iterdir()):
        problems.append("the app spooled webhooks: its database writes failed")
    for log in bench.stack.logs():
        text = log.read_text(errors="replace") if log.exists() else ""
        bad = [line for line in text.splitlines() if re.search(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT", line)]
        if bad:
            problems.append(f"{log.name}: {len(bad)} error lines, e.g. {bad[0][:300]}")
    return problems


def fmt_ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def report(bench: Bench, alone_pages: dict[str, list[Fetch]], meta: dict) -> str:
    args = bench.args
    alone = [p for p in bench.phases if p.label == "alone"]
    loaded = [p for p in bench.phases if p.label == "under load"]
    lines = [f"Webhooks: {args.callers} callers (wrk, one connection each), `POST /voice/incoming` then `{meta['menu_step']}` "
             f"(Digits=1), {args.duration:g} s per phase; console: {args.clients} supervisors looping over the 52-week report, "
             f"`/console/cases.csv` and a voice message (fake Twilio answers after {args.recording_delay:g} s), started "
             f"{args.settle:g} s before the webhooks of the loaded phase.", "",
             "| phase | round | webhooks answered | req/s | p50 ms | p95 ms | p99 ms | max ms | > 1 s | > 5 s "
             "| unanswered when wrk stopped (waited up to, ms) | not 200 TwiML |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for phase in sorted(bench.phases, key=lambda p: (p.label != "alone", p.round)):
        waited = f"{len(phase.waiting_ms)} ({fmt_ms(max(phase.waiting_ms))})" if phase.waiting_ms else "0"
        lines.append(f"| {phase.label} | {phase.round + 1} | {len(phase.answers):,} | {phase.rps:,.0f} | {fmt_ms(phase.pct(50))} "
                     f"| {fmt_ms(phase.pct(95))} | {fmt_ms(phase.pct(99))} | {fmt_ms(phase.pct(100))} | {phase.over(1000):,} "
                     f"| {phase.over(5000):,} | {waited} | {phase.bad} |")
    ratios = [lo.pct(99) / al.pct(99) for al, lo in zip(alone, loaded) if al.pct(99) > 0 and lo.answers]
    slow = sum(p.late(GOAL_SLOW_MS) for p in loaded)
    answered = sum(len(p.answers) + len(p.waiting_ms) for p in loaded)
    if ratios:
        ratio = p1.median(ratios)
        lines += ["", f"**p99 under console load ÷ p99 alone: {', '.join(f'{r:,.1f}' for r in ratios)}"
                  + (f" (median {ratio:,.1f})" if len(ratios) > 1 else "")
                  + f"** (goal ≤ {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'MISSED'}); "
                  f"**webhooks over 1 s under load: {slow:,} of {answered:,}** (goal 0: {'met' if slow == 0 else 'MISSED'}; "
                  "counting those still unanswered when wrk stopped that had waited over 1 s)."]
    elif loaded:
        lines += ["", f"**No webhook was answered under console load** ({slow} waited over 1 s): goals MISSED."]
    lines += ["", "| console page | alone, each of 3 in turn (s) | under load: served | per minute | p50 s | max s | wrong "
              "| refused (429/503) | size |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    fetches = [f for p in loaded for f in p.fetches]
    seconds = sum(p.clients_seconds for p in loaded) or 1
    for page in PAGES:
        mine = [f for f in fetches if f.page == page.name]
        solo = alone_pages.get(page.name, [])
        size = solo[0] if solo else None
        shown = (f"{size.lines - 1:,} rows, {size.size / 1e6:.1f} MB" if page.name == "cases.csv" and size
                 else f"{size.size / 1e3:,.0f} kB" if size else "")
        served = [f for f in mine if f.ok]
        lines.append(f"| {page.name} | {', '.join(f'{f.seconds:.2f}' for f in solo)} | {len(served)} "
                     f"| {len(served) / seconds * 60:.1f} | {p1.median([f.seconds for f in served]) if served else float('nan'):.2f} "
                     f"| {max((f.seconds for f in served), default=float('nan')):.2f} | {sum(not f.ok and not f.refused for f in mine)} "
                     f"| {sum(f.refused for f in mine)} | {shown} |")
    groups = [g for g in bench.phases[0].cpu if g != "machine"] + ["machine"]
    lines += ["", "CPU in cores (sampled mid-phase; `postgres (ours)`: the backends our processes are connected to; "
              "`postgres (others)` and `other`: the neighbours):", "",
              "| phase | round | " + " | ".join(groups) + " |", "|---|---:|" + "---:|" * len(groups)]
    for phase in sorted(bench.phases, key=lambda p: (p.round, p.label != "alone")):
        lines.append(f"| {phase.label} | {phase.round + 1} | " + " | ".join(f"{phase.cpu.get(g, 0):.2f}" for g in groups) + " |")
    lines += ["", "Rows written (calls past the seeded ones and their events), against webhooks answered:", ""]
    for phase in bench.phases:
        r = phase.rows
        lines.append(f"- {phase.label}, round {phase.round + 1}: {r['calls']:,} calls with {r['incoming']:,} `incoming` and "
                     f"{r['ivr']:,} `ivr` events, for {sum(1 for a in phase.answers if a[0] == 1):,} incoming and "
                     f"{sum(1 for a in phase.answers if a[0] == 2):,} menu steps answered (up to {args.callers} more sent "
                     "when wrk stopped); load average " + " / ".join(f"{v:.2f}" for v in phase.loadavg[:3])
                     + " at the start, " + " / ".join(f"{v:.2f}" for v in phase.loadavg[3:]) + " at the end.")
    return "\n".join(lines)


# --- quiet ---------------------------------------------------------------------------------------


def pytest_cores(window: float = 2.0) -> float:
    """Cores used by pytest processes (other engineers' test runs) over `window` seconds."""
    def pytest_pids() -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if b"pytest" in Path(f"/proc/{entry}/cmdline").read_bytes():
                        pids.append(int(entry))
                except OSError:
                    continue
        return pids

    return cores_used(pytest_pids(), window)


def wait_quiet(limit: float, every: float = 30.0) -> str:
    """Wait (at most `limit` s, looking every `every` s) for load average < 1 and no pytest using CPU."""
    started = time.monotonic()
    while True:
        load, busy = os.getloadavg()[0], pytest_cores()
        waited = time.monotonic() - started
        if load < 1 and busy < 0.05:
            return f"quiet after {waited:.0f} s (load average {load:.2f}, pytest {busy:.2f} cores)"
        if waited >= limit:
            return f"never quiet within {limit:.0f} s: ran anyway (load average {load:.2f}, pytest {busy:.2f} cores)"
        print(f"waiting for a quiet machine: load average {load:.2f}, pytest {busy:.2f} cores ({waited:.0f} s)", flush=True)
        time.sleep(every)


# --- main -----------------------------------------------------------------------------------------


def console_sessions(base: str, clients: int) -> list[str]:
    return [login(base) for _ in range(clients)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-calls", "--calls", dest="seed_calls", type=int, default=DEFAULT_CALLS,
                        help=f"calls in the seeded schema (default {DEFAULT_CALLS:,}; cases are ~6%% of them)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of webhooks per phase (default 60)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of (alone, under load) (default 1)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of webhooks before round 1 (default 5)")
    parser.add_argument("--settle", type=float, default=5,
                        help="seconds the console clients run before the loaded phase's webhooks start (default 5)")
    parser.add_argument("--callers", type=int, default=16, help="concurrent callers: wrk threads = connections (default 16)")
    parser.add_argument("--clients", type=int, default=8, help="logged-in console clients (default 8)")
    parser.add_argument("--recording-delay", type=float, default=5, help="seconds before the fake Twilio answers a recording (default 5)")
    parser.add_argument("--wait-quiet", type=float, default=0,
                        help="first wait up to this many seconds (checking every 30 s) for load average < 1 and no pytest using CPU")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra environment for every process")
    parser.add_argument("--seed", type=int, default=1800)
    parser.add_argument("--json", type=Path, help="write every phase's figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, wrk output) and the rows the run added")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    command = " ".join([".venv/bin/python", "bench/isolation.py", *sys.argv[1:]])
    quiet = wait_quiet(args.wait_quiet) if args.wait_quiet else "not waited for"
    started = time.monotonic()
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    code = p1.source_state()
    print(f"isolation: {when}; {p1.machine()}; app at {code}; machine {quiet}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="isolation-"))
    schema = schema_for(args.seed_calls)
    extra = dict(item.split("=", 1) for item in args.env)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        return run(args, command, quiet, when, code, started, work, schema, extra)
    finally:
        if not args.keep:
            try:
                prepare_schema(schema, args.seed_calls, quiet=True)
            except Exception as error:
                print(f"clean-up of {schema} failed: {error}", file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)


def run(args, command: str, quiet: str, when: str, code: str, started: float, work: Path, schema: str, extra: dict) -> int:
    fake = stack = None
    redis_number = None
    bench = None
    problems: list[str] = []
    alone_pages: dict[str, list[Fetch]] = {}
    meta: dict = {}
    try:
        info = prepare_schema(schema, args.seed_calls)
        print(f"isolation: schema {schema}: {info['calls']:,} seeded calls, {info['cases']:,} cases, "
              f"{len(info['recording_calls'])} calls with a recording", flush=True)
        redis_number, redis_url = leased_redis()
        fake, fake_url, ca = start_fake(work, args.recording_delay)
        env = stack_env(schema, work, redis_url, fake_url, ca, extra)
        stack = Stack(env, work, redis_url)
        print("isolation: Procfile: " + "; ".join(stack.describe()), flush=True)
        stack.start()
        for s in stack.services.values():
            print(f"isolation: {s.name} pid {s.proc.pid}" + (f", port {s.port}, {len(s.workers())} workers" if s.port else ""), flush=True)
        print(f"isolation: webhooks to {stack.webhooks.name} ({stack.webhooks.base}), console to web ({stack.console.base})", flush=True)
        menu_step = probe(stack, schema, args.seed)
        meta["menu_step"] = menu_step
        calls = Calls(work / "calls.tsv", args.seed, menu_step)
        bench = Bench(args, stack, calls, schema, info, work, fake)

        cookies = console_sessions(stack.console.base, args.clients)
        counter = iter(range(10**9))
        csv_lines = None
        for page in PAGES:  # each page alone, three times in turn, before any load
            for _ in range(3):
                f = fetch(stack.console.port, cookies[0], page, page.url(info["recording_calls"], counter), csv_lines)
                if not f.ok:
                    raise Failure(f"{page.name}: {f.why}\n{p2.tail(stack.console.proc.log)}")
                alone_pages.setdefault(page.name, []).append(f)
                if page.name == "cases.csv":
                    csv_lines = f.lines
        print("isolation: console pages alone: " + "; ".join(
            f"{name} {', '.join(f'{f.seconds:.2f}' for f in fs)} s" for name, fs in alone_pages.items()), flush=True)

        if args.warmup:
            bench.phase("warm-up", -1, args.warmup)
            bench.phases.pop()
        for round_ in range(args.rounds):
            print_phase(bench.phase("alone", round_, args.duration))
            clients = [Client(i, stack.console.port, cookies[i], info["recording_calls"], counter, csv_lines)
                       for i in range(args.clients)]
            print_phase(bench.phase("under load", round_, args.duration, clients))
        meta["fake"] = fake_counts(fake_url)
    except Failure as error:
        problems.append(str(error))
    except KeyboardInterrupt as error:
        problems.append(f"interrupted ({error})")
    finally:
        if stack:
            stack.stop()
        if fake:
            fake.stop()
        if redis_number is not None:
            lease.release(redis_number, flush=True)

    if bench and bench.phases:
        problems = validate(bench, work / "spool") + problems
        recordings = meta.get("fake", {}).get("recordings", {})
        workers = {s.name: len(s.workers()) for s in stack.services.values() if s.port} if stack else {}
        header = [
            f"- Date {when}; app at {code}; machine {p1.machine()}; {quiet}.",
            f"- Command: `{command}`",
            "- Procfile: " + "; ".join(f"`{line}`" for line in stack.describe()) + ". Started: " + ", ".join(stack.names)
            + (f" (not started: {', '.join(stack.ignored)})" if stack.ignored else "")
            + f"; webhooks to `{stack.webhooks.name}`, console to `web`.",
            f"- Schema `{schema}`: {info['calls']:,} seeded calls, {info['cases']:,} cases; recordings fetched by the app from the "
            f"fake Twilio: {recordings.get('proxy', 0)} through the CONNECT proxy (the stored api.twilio.com URL), "
            f"{recordings.get('direct', 0)} directly (TWILIO_API_BASE_URL).",
        ]
        text = "\n".join(header) + "\n\n" + report(bench, alone_pages, meta)
        print("\n" + text)
        if args.json:
            args.json.write_text(json.dumps({
                "date": when, "code": code, "command": command, "quiet": quiet, "workers": workers, "fake": meta.get("fake"),
                "phases": [{"label": p.label, "round": p.round + 1, "answered": len(p.answers), "rps": p.rps,
                            "p50_ms": p.pct(50), "p95_ms": p.pct(95), "p99_ms": p.pct(99), "max_ms": p.pct(100),
                            "over_1s": p.over(1000), "over_5s": p.over(5000), "not_twiml": p.bad, "cpu": p.cpu, "rows": p.rows,
                            "unanswered_waited_ms": p.waiting_ms,
                            "sent": p.sent, "wrk_errors": p.wrk_errors, "loadavg": p.loadavg,
                            "console": [f.__dict__ for f in p.fetches]} for p in bench.phases]}, indent=1))
    print(f"\nisolation: {time.monotonic() - started:.0f} s in all; {bench.calls.calls if bench else 0:,} calls signed "
          f"({bench.calls.signing_seconds if bench else 0:.1f} s, not timed); work directory {work}"
          + (" (kept)" if args.keep else ""), flush=True)
    if problems:
        print("\nisolation: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
