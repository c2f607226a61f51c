#!/usr/bin/env python3
"""Benchmark P2: from a trafficking call's last webhook to the level-1 SMS reaching Twilio.

One command, from the repo root, with the venv:

    .venv/bin/python bench/p2_escalation_latency.py            # 200 timed calls per path (+5 warm-up)

It starts everything itself and stops (by pid) everything it started, also on Ctrl-C and
when `--time-limit` runs out:

1. a fresh PostgreSQL schema `bench_p2` in database `test` (`alembic upgrade head`); Redis
   database 0 (`--redis-db`), flushed, and only when empty or ours (tests/conftest.py gives each
   test run a database in 1-15 and flushes it before every test); one province centre (Chiang
   Mai, 50) with ONE on-duty level-1 contact whose number is not a demo number, and the central centre;
2. a mock of Twilio's Messages API (`bench/p2_fake_twilio.py`, its own process) that stamps
   each POST .../Messages.json with `time.time()` when it arrives;
3. the webhook pool with the Procfile's `voice` command (`web` before it had one; gunicorn, 2 sync workers) and ONE
   `python -m workers` (RQ's forking Worker, scheduler on), all with HOTLINE_ENV=production
   and real-looking Twilio credentials, so the sender really calls the (mock) API.

Then, one call at a time, with the worker idle at each t0, it plays Twilio's signed webhooks
for a normal trafficking report (language 1, main 1, kind 3 = forced labour, postcode 50200)
and times t1 - t0, where t1 is the mock's arrival time of the SMS to the contact and t0 the
wall clock just before the webhook that completes the report is sent:

- `status`: the caller hangs up at the consent question; the report is completed by the final
  status callback (`POST /voice/status`, CallStatus=completed), which opens the case and queues
  `case-start-<case id>` (casework/call_log.py `status()`);
- `goodbye`: the full menu (consent 1, a recorded message); the report is completed by the
  webhook answering the message node, whose answer is the goodbye (case opened, reference read
  back, `case-start-<case id>` queued). The rest of the call (goodbye, recording and status
  callbacks) is played after the SMS arrived, untimed, and must not send a second SMS.

It checks exactly one SMS per call (to the contact, carrying the case reference), prints a
Markdown table (p50/p95/p99/max, n, SMS count, duplicates) with a per-stage breakdown from
RQ's job timestamps, and writes it into `bench/results/p2.md` between the markers
`<!-- p2:run:<worker>:begin -->` and `<!-- p2:run:<worker>:end -->` (the rest of that file is kept).

The worker is the Procfile's, which since 1f719bb preloads the jobs' modules, the engine, the ORM
mappers and `twilio.rest.api` before RQ forks (before that commit, a `--worker preload` what-if
measured that fix; bench/results/p2.md keeps both runs). Results and their reading: bench/results/p2.md.

Load goes to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "p2.md"
MARKERS = "<!-- p2:run:{}:begin -->", "<!-- p2:run:{}:end -->"  # one block per --worker variant

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = "bench_p2"
DATABASE_URL = f"{PG_ADMIN_URL}?options=-csearch_path%3D{SCHEMA}"
REDIS_URL = "redis://127.0.0.1:6379/{}"
OWNER_KEY = "p2-bench:owner"  # marks a Redis database as this benchmark's, so a later run may flush it
ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "p2-bench-auth-token-0123456789abcdef"
FROM_NUMBER = "+15005550006"
HOTLINE_NUMBER = "+661300"
PUBLIC_BASE_URL = "https://hotline.example.go.th"  # the URL Twilio signs; the app sits behind a proxy
OPERATOR = "+6621234567"
PROVINCE, POSTCODE, KIND_KEY, KIND = "50", "50200", "3", "forced_labour"
CONTACT = "+66810000011"  # Chiang Mai duty officer: a plausible mobile, not a demo number
TRIAGE = "+66810000101"  # the central division's triage (unknown provinces only: never texted here)
QUEUES = ("urgent", "default", "sms")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCENARIOS = ("status", "goodbye")


class Failure(RuntimeError):
    """The run cannot be trusted: say why and exit 1."""


class TimeUp(BaseException):
    """--time-limit ran out."""


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log.open("ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to our pid; then whatever is left in the session we started (its pgid is our pid), by pid."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in session_members(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid and int(entry) != os.getpid():  # field 6 (session id)
                members.append(int(entry))
    return members


def procfile_webhooks() -> str:
    """The Procfile's command for Twilio's webhooks: its `voice:` pool, or `web:` in a checkout that has none."""
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    command = (lines.get("voice") or lines.get("web") or "").strip()
    if not command:
        raise Failure("no voice: or web: line in Procfile")
    return command


def procfile_worker() -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("worker:"):
            argv = shlex.split(line.removeprefix("worker:").strip())
            if argv[0] == "python":
                argv[0] = sys.executable
            return argv
    raise Failure("no worker: line in Procfile")


def app_env(mock_url: str, spool: Path, port: int, redis_url: str) -> dict:
    from dataclasses import fields as dc_fields

    from casework.config import Config

    ours = {f.name for f in dc_fields(Config)} | {"HOTLINE_ENV", "HOTLINE_INSTANCE_DIR", "TWILIO_EDGE", "TWILIO_REGION"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update({
        "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
        "HOTLINE_ENV": "production",
        "SECRET_KEY": "p2-bench-secret-key-" + "0" * 24,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE_URL": mock_url,
        "OPERATOR_DIAL_TARGET": OPERATOR,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SPOOL_DIR": str(spool),
        "HOTLINE_INSTANCE_DIR": str(spool.parent),
        "ESCALATION_ACK_WINDOW_NORMAL": "86400",  # no level-2 SMS during the run
        "ESCALATION_ACK_WINDOW_URGENT": "86400",
        "HOST": "127.0.0.1",
        "PORT": str(port), "VOICE_PORT": str(port), "VOICE_CONCURRENCY": "2",
        "WEB_CONCURRENCY": "2",
    })
    return env


# --- database and redis -------------------------------------------------------------------


def fresh_schema(env: dict) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    subprocess.run([str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def drop_schema() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def seed() -> None:
    """One province centre with ONE on-duty level-1 contact (a real-looking number), and the central centre."""
    from sqlalchemy.orm import Session

    from models import CENTRAL, Centre, Contact, Province, make_engine
    from models.reference import is_demo_number

    for number in (CONTACT, TRIAGE):
        if is_demo_number(number):
            raise Failure(f"{number} is a demo number: the sender would refuse it")
    engine = make_engine(DATABASE_URL)
    with Session(engine) as session:
        session.add(Province(code=PROVINCE, name_th="เชียงใหม่", name_en="Chiang Mai", region="north"))
        session.flush()
        province = Centre(code=PROVINCE, province_code=PROVINCE, name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
        central = Centre(code=CENTRAL, province_code=None, name_th="กองต่อต้านการค้ามนุษย์", name_en="ATP Division")
        session.add_all([province, central])
        session.flush()
        session.add_all([
            Contact(centre_id=province.id, name="duty officer", role="duty", phone=CONTACT, level=1, on_duty=True),
            Contact(centre_id=central.id, name="triage", role="triage", phone=TRIAGE, level=1, on_duty=True),
        ])
        session.commit()
    engine.dispose()


def db():
    import psycopg

    return psycopg.connect(DATABASE_URL, autocommit=True)


# --- the mock's clock and the webhooks ---------------------------------------------------


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Mock:
    def __init__(self, url: str):
        self.url, self.seen = url, 0

    def wait_next(self, timeout: float) -> list[dict]:
        """Messages that arrived after the ones already seen (a long poll; at least one unless timed out)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            status, body = http("GET", f"{self.url}/_bench/messages?after={self.seen}&wait={min(left, 5):.3f}",
                                timeout=left + 5)
            found = json.loads(body)["messages"]
            if found:
                self.seen += len(found)
                return found

    def drain(self, settle: float) -> list[dict]:
        """Whatever else arrives within `settle` seconds."""
        found, deadline = [], time.monotonic() + settle
        while (left := deadline - time.monotonic()) > 0:
            status, body = http("GET", f"{self.url}/_bench/messages?after={self.seen}&wait={left:.3f}", timeout=left + 5)
            more = json.loads(body)["messages"]
            self.seen += len(more)
            found += more
        return found

    def count(self) -> dict:
        return json.loads(http("GET", f"{self.url}/_bench/count")[1])


class Caller:
    """Twilio's webhooks for one call, signed as Twilio signs them (full public URL + form)."""

    def __init__(self, web: str, rng: random.Random):
        from twilio.request_validator import RequestValidator

        self.web, self.validator, self.rng = web, RequestValidator(AUTH_TOKEN), rng
        self.sid = "CA%032x" % rng.getrandbits(128)
        self.caller = "+668" + "".join(rng.choice("0123456789") for _ in range(8))  # a mobile: no province from it
        self.started = time.time()

    def params(self, status: str = "in-progress", **extra) -> dict:
        return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid, "CallStatus": status,
                "Called": HOTLINE_NUMBER, "CalledCountry": "TH", "Caller": self.caller, "CallerCountry": "TH",
                "Direction": "inbound", "From": self.caller, "FromCountry": "TH", "To": HOTLINE_NUMBER,
                "ToCountry": "TH", **extra}

    def signed(self, path: str, params: dict) -> tuple[str, bytes, dict]:
        """Everything but the sending, so it can happen before t0."""
        signature = self.validator.compute_signature(PUBLIC_BASE_URL + path, params)
        body = urllib.parse.urlencode(params).encode()
        return self.web + path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                       "X-Twilio-Signature": signature}

    @staticmethod
    def send(prepared: tuple[str, bytes, dict]) -> ElementTree.Element:
        url, body, headers = prepared
        status, answer = http("POST", url, body, headers)
        if status != 200:
            raise Failure(f"POST {url} answered {status}: {answer[:300]!r}")
        root = ElementTree.fromstring(answer)
        if root.tag != "Response":
            raise Failure(f"POST {url} answered no TwiML: {answer[:300]!r}")
        return root

    def post(self, path: str, params: dict) -> ElementTree.Element:
        return self.send(self.signed(path, params))

    def status_params(self) -> dict:
        return self.params("completed", CallDuration=str(int(time.time() - self.started) + 30), Duration="1",
                           SequenceNumber="0", CallbackSource="call-progress-events",
                           Timestamp=time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()))


def next_action(root: ElementTree.Element, expect: str) -> str:
    """The action URL the TwiML sends the caller's answer to; it must be node `expect`."""
    for element in root.iter():
        action = element.get("action")
        if action:
            node = urllib.parse.urlsplit(action).path.rsplit("/", 1)[-1]
            if node != expect:
                raise Failure(f"the menu went to {node!r}, expected {expect!r}: {ElementTree.tostring(root)[:400]!r}")
            return action
    raise Failure(f"no action in TwiML (expected {expect!r}): {ElementTree.tostring(root)[:400]!r}")


def walk_to_postcode(caller: Caller) -> str:
    """incoming -> language 1 -> main 1 -> kind 3 -> postcode; returns the next action (consent)."""
    action = next_action(caller.post("/voice/incoming", caller.params("ringing")), "language")
    for digits, expect in (("1", "main"), ("1", "kind"), (KIND_KEY, "where"), (POSTCODE, "consent")):
        action = next_action(caller.post(action, caller.params(Digits=digits)), expect)
    return action


# --- measurement --------------------------------------------------------------------------


def proc_ticks() -> dict[int, tuple[str, int, int, int, int]]:
    """pid -> (comm, ppid, session, utime+stime ticks, start time): a pid is the same process while its start time is."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        close = stat.rindex(")")
        f = stat[close + 2:].split()
        table[int(entry)] = (stat[stat.index("(") + 1:close], int(f[1]), int(f[3]), int(f[11]) + int(f[12]), int(f[19]))
    return table


def other_cores(before: dict, after: dict, wall: float, ours: set[int]) -> float:
    """Cores used by processes that are not ours, PostgreSQL or Redis (a neighbour disturbing the run)."""
    used = 0
    for pid, (comm, _, session, ticks, start) in after.items():
        if session in ours or pid in ours or comm.startswith(("postgres", "redis-server")):
            continue
        prior = before.get(pid)
        used += ticks - (prior[3] if prior and prior[4] == start else 0)
    return used / CLK_TCK / max(wall, 1e-3)


def busy_cores(window: float = 0.1) -> float:
    def sample():
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(values) - values[3] - values[4], sum(values)

    a = sample()
    time.sleep(window)
    b = sample()
    return (b[0] - a[0]) / CLK_TCK / window


@dataclass
class Sample:
    scenario: str
    variant: str
    index: int
    warmup: bool
    call_sid: str
    t0: float
    t_answer: float = 0.0  # the completing webhook's answer came back
    t1: float | None = None  # the SMS reached the mock
    reference: str | None = None
    sms: list[dict] = field(default_factory=list)
    stages: dict = field(default_factory=dict)
    other_cores: float = 0.0
    quiet_wait: float = 0.0

    @property
    def latency_ms(self) -> float:
        return (self.t1 - self.t0) * 1000


def job_times(redis, job_id: str) -> dict[str, float]:
    """RQ's own timestamps of a job (UTC, microseconds), as epoch seconds."""
    raw = redis.hmget(f"rq:job:{job_id}", "enqueued_at", "started_at", "ended_at", "status")
    out = {}
    for name, value in zip(("enqueued_at", "started_at", "ended_at"), raw[:3]):
        if value:
            text = value.decode().rstrip("Z")
            out[name] = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()
    out["status"] = raw[3].decode() if raw[3] else None
    return out


def wait_worker_idle(redis, worker_key: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pipe = redis.pipeline()
        for name in QUEUES:
            pipe.llen(f"rq:queue:{name}")
        pipe.hget(worker_key, "state")
        *lengths, state = pipe.execute()
        if not any(lengths) and state == b"idle":
            return
        time.sleep(0.005)
    raise Failure("the worker did not become idle within 30 s")


WORKERS = {
    "procfile": "the Procfile's `python -m workers`",
}


class Workers:
    """The one RQ worker, of one variant at a time: switching stops it (SIGTERM, by pid) and starts the other."""

    def __init__(self, env: dict, work: Path, redis, procs: list, ours: set[int]):
        self.env, self.work, self.redis, self.procs, self.ours = env, work, redis, procs, ours
        self.current: Proc | None = None
        self.variant: str | None = None
        self.key: str | None = None
        self.starts = 0

    def use(self, variant: str) -> bool:
        """Make `variant` the running worker; True if it had to be started."""
        if variant == self.variant and self.current and self.current.alive():
            return False
        if self.current:
            self.current.stop()
            deadline = time.monotonic() + 30
            while self.redis.sismember("rq:workers", self.key) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.starts += 1
        argv = procfile_worker()
        proc = Proc(f"worker-{variant}-{self.starts}", argv, self.env, self.work / f"worker-{self.starts}-{variant}.log")
        self.procs.append(proc)
        proc.start()
        self.ours.add(proc.pid)
        deadline = time.monotonic() + 90
        while True:
            if not proc.alive():
                raise Failure(f"the {variant} worker exited at start-up:\n{tail(proc.log)}")
            keys = [k.decode() for k in self.redis.smembers("rq:workers")]
            if len(keys) == 1 and self.redis.hget(keys[0], "state") == b"idle":
                break
            if len(keys) > 1:
                raise Failure(f"more than one RQ worker in our Redis database: {keys}")
            if time.monotonic() > deadline:
                raise Failure(f"the {variant} worker did not register within 90 s:\n{tail(proc.log)}")
            time.sleep(0.1)
        self.current, self.variant, self.key = proc, variant, keys[0]
        return True


class Run:
    def __init__(self, args, web: str, mock: Mock, redis, workers: Workers, ours: set[int], rng: random.Random):
        self.args, self.web, self.mock, self.redis, self.workers = args, web, mock, redis, workers
        self.ours, self.rng = ours, rng
        self.samples: list[Sample] = []
        self.deadline = time.monotonic() + args.time_limit

    def quiet(self) -> float:
        """Wait (at most --quiet-wait s) until the machine is nearly idle; the time waited."""
        started = time.monotonic()
        while time.monotonic() - started < self.args.quiet_wait and busy_cores() > self.args.quiet_cores:
            pass
        return time.monotonic() - started

    @property
    def worker_key(self) -> str:
        return self.workers.key

    def one(self, scenario: str, index: int, warmup: bool) -> Sample:
        caller = Caller(self.web, self.rng)
        action = walk_to_postcode(caller)
        if scenario == "status":  # the caller hangs up at the consent question
            prepared = caller.signed("/voice/status", caller.status_params())
        else:
            action = next_action(caller.post(action, caller.params(Digits="1")), "message")
            recording = "RE%032x" % self.rng.getrandbits(128)
            prepared = caller.signed(action, caller.params(
                Digits="#", RecordingSid=recording, RecordingDuration="9",
                RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording}"))
        wait_worker_idle(self.redis, self.worker_key)
        time.sleep(self.args.gap)
        waited = self.quiet()
        before = proc_ticks()
        sample = Sample(scenario, self.workers.variant, index, warmup, caller.sid, t0=time.time(), quiet_wait=waited)
        root = caller.send(prepared)  # --- timed from here ---
        sample.t_answer = time.time()
        arrived = self.mock.wait_next(self.args.sms_timeout)  # --- to the mock's stamp on the SMS ---
        after = proc_ticks()
        if not arrived:
            raise Failure(f"{scenario} call {caller.sid}: no SMS within {self.args.sms_timeout} s")
        sample.t1 = arrived[0]["arrived"]
        sample.sms = arrived
        sample.other_cores = other_cores(before, after, max(time.time() - sample.t0, 0.01), self.ours)
        if scenario == "goodbye":
            next_action(root, "goodbye")
        wait_worker_idle(self.redis, self.worker_key)
        sample.sms += self.mock.drain(self.args.settle)  # a second SMS for the same call would land here
        if scenario == "goodbye":  # the rest of the call, untimed: none of it may send another SMS
            caller.post("/voice/recording", caller.params(
                "completed", RecordingSid=recording, RecordingStatus="completed", RecordingDuration="9",
                RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording}"))
            goodbye = next_action(root, "goodbye")
            caller.post(goodbye, caller.params(Digits=""))
            caller.post("/voice/status", caller.status_params())
            wait_worker_idle(self.redis, self.worker_key)
            sample.sms += self.mock.drain(self.args.settle)
        self.describe(sample)
        return sample

    def describe(self, sample: Sample) -> None:
        """The case, its escalation and RQ's timestamps for its jobs, after the fact (untimed)."""
        with db() as conn:
            row = conn.execute(
                "SELECT c.id, k.id, k.reference, k.created_at, k.status, k.level FROM calls c "
                "JOIN cases k ON k.call_id = c.id WHERE c.call_sid = %s", (sample.call_sid,)).fetchone()
            if row is None:
                raise Failure(f"call {sample.call_sid}: no case")
            case_id, sample.reference = row[1], row[2]
            escalations = conn.execute("SELECT id, status, level FROM escalations WHERE case_id = %s ORDER BY id",
                                       (case_id,)).fetchall()
            messages = conn.execute("SELECT count(*) FROM messages WHERE case_id = %s AND direction = 'out'",
                                    (case_id,)).fetchone()[0]
        if len(escalations) != 1 or escalations[0][1] != "sent" or escalations[0][2] != 1:
            raise Failure(f"call {sample.call_sid}: escalations {escalations}, expected one level-1 'sent'")
        if messages != 1:
            raise Failure(f"call {sample.call_sid}: {messages} outgoing Message rows, expected 1")
        for message in sample.sms:
            if message["to"] != CONTACT or sample.reference not in message["body"]:
                raise Failure(f"call {sample.call_sid} ({sample.reference}): an SMS to {message['to']} "
                              f"that is not its own: {message['body']!r}")
        case_job = job_times(self.redis, f"case-start-{case_id}")
        sms_job = job_times(self.redis, f"sms-{escalations[0][0]}")
        sample.stages = {"case_job": case_job, "sms_job": sms_job}
        # The case job sends the level-1 SMS itself; an sms-<id> job exists only if that send failed.
        if case_job.get("status") != "finished" or sms_job.get("status") not in (None, "finished"):
            raise Failure(f"call {sample.call_sid}: jobs {case_job} {sms_job}")

    def series(self, scenario: str, count: int, warmup: int, variants: list[str], block: int) -> None:
        """`count` timed calls per worker variant; with several, in blocks of `block` calls, taking turns
        (and swapping who goes first every round), so a busy neighbour hits each about equally."""
        done = {v: 0 for v in variants}
        warmed: set[str] = set()
        rounds = 0
        while any(done[v] < count for v in variants):
            for variant in (variants if rounds % 2 == 0 else variants[::-1]):
                todo = min(block, count - done[variant])
                if todo <= 0:
                    continue
                restarted = self.workers.use(variant)
                warm = warmup if variant not in warmed else (1 if restarted else 0)
                warmed.add(variant)
                for i in range(warm + todo):
                    if time.monotonic() > self.deadline:
                        raise TimeUp()
                    sample = self.one(scenario, done[variant], i < warm)
                    self.samples.append(sample)
                    if i >= warm:
                        done[variant] += 1
                    n = done[variant]
                    if self.args.verbose or (i >= warm and n % 25 == 0):
                        print(f"  {scenario} {variant} {n if i >= warm else 'warm-up'}: {sample.latency_ms:.0f} ms "
                              f"(answer {1000 * (sample.t_answer - sample.t0):.0f} ms)", flush=True)
            rounds += 1


# --- report --------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def stage_values(samples: list[Sample]) -> dict[str, list[float]]:
    """Where the span goes, per call, in ms, from RQ's timestamps and the mock's."""
    names = {
        "webhook answered (t0 -> answer)": lambda s: s.t_answer - s.t0,
        "t0 -> start_escalation enqueued": lambda s: s.stages["case_job"]["enqueued_at"] - s.t0,
        "start_escalation: enqueued -> started (dequeue, fork)": lambda s: s.stages["case_job"]["started_at"] - s.stages["case_job"]["enqueued_at"],
        "start_escalation: started -> SMS at mock (the case job sends it)": lambda s: s.t1 - s.stages["case_job"]["started_at"],
        "start_escalation: started -> ended (import, run)": lambda s: s.stages["case_job"]["ended_at"] - s.stages["case_job"]["started_at"],
        "start_escalation ended -> send_escalation started": lambda s: s.stages["sms_job"]["started_at"] - s.stages["case_job"]["ended_at"],
        "send_escalation: started -> SMS at mock": lambda s: s.t1 - s.stages["sms_job"]["started_at"],
    }
    out = {}
    for name, get in names.items():
        try:
            out[name] = [1000 * get(s) for s in samples]
        except (KeyError, TypeError):
            continue
    return out


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {cpu}, {mem_kb / 1024 / 1024:.1f} GiB RAM"


def code_state() -> str:
    """The commit measured, and which app files differed from it (other people edit the tree meanwhile)."""
    def git(*argv):
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout.rstrip("\n")

    head = git("rev-parse", "--short", "HEAD").strip()
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "workers", "hotline", "models", "wsgi.py",
                                      "Procfile", "migrations").splitlines()]
    if not dirty:
        return f"commit {head}, app code clean"
    return f"commit {head} plus uncommitted changes in {', '.join(f'`{d}`' for d in dirty)}"


def versions(redis) -> str:
    from importlib.metadata import version

    import psycopg

    with psycopg.connect(PG_ADMIN_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    parts = [f"Python {platform.python_version()}"] + [f"{p} {version(p)}" for p in
                                                      ("rq", "redis", "twilio", "Flask", "SQLAlchemy", "gunicorn", "psycopg")]
    parts += [f"Redis server {redis.info('server')['redis_version']}", f"PostgreSQL {pg}"]
    return ", ".join(parts)


def report(run: Run, args, command: str, started: dt.datetime, env_notes: list[str], redis, complete: bool,
           code: str) -> str:
    lines = [f"Run {started:%Y-%m-%d %H:%M} UTC{'' if complete else ' (INCOMPLETE: stopped early)'}; "
             f"machine: {machine()}.", "", f"Command (from the repo root): `{command}`", "", f"Code: {code}.", "",
             f"Versions: {versions(redis)}.", ""]
    lines += env_notes
    lines += ["", "| completing webhook | n | p50 ms | p95 ms | p99 ms | max ms | SMS received | calls with ≠ 1 SMS "
              "| issue 6: p95 < 300, p99 < 1000 | issue 3: p95 < 1000 |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    labels = {"status": "final status callback `completed` (hang-up at consent)",
              "goodbye": "goodbye step (`/voice/ivr/message` answer, full menu)"}
    many = len(args.workers) > 1
    groups = [(scenario, variant) for scenario in args.scenarios for variant in args.workers]
    for scenario, variant in groups:
        timed = [s for s in run.samples if s.scenario == scenario and s.variant == variant and not s.warmup]
        if not timed:
            continue
        v = [s.latency_ms for s in timed]
        p50, p95, p99 = pct(v, 50), pct(v, 95), pct(v, 99)
        sms = sum(len(s.sms) for s in timed)
        wrong = sum(len(s.sms) != 1 for s in timed)
        ok6 = "yes" if p95 < 300 and p99 < 1000 else "**no**"
        ok3 = "yes" if p95 < 1000 else "**no**"
        lines.append(f"| {labels[scenario]}{f' — worker **{variant}**' if many else ''} | {len(v)} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {max(v):.0f} | {sms} "
                     f"| {wrong} | {ok6} | {ok3} |")
    calm = [(s.scenario, s.variant, s.latency_ms) for s in run.samples if not s.warmup and s.other_cores <= 0.5]
    if calm:
        lines += ["", "The same, counting only the spans during which processes not started by the benchmark used "
                  "≤ 0.5 cores (see *Neighbours* below):", "", "| completing webhook | n | p50 ms | p95 ms | p99 ms | max ms |",
                  "|---|---|---|---|---|---|"]
        for scenario, variant in groups:
            v = [ms for name, var, ms in calm if name == scenario and var == variant]
            if v:
                lines.append(f"| {scenario}{f' — {variant}' if many else ''} | {len(v)} | {pct(v, 50):.0f} | {pct(v, 95):.0f} | {pct(v, 99):.0f} | {max(v):.0f} |")
    lines += ["", "Where the time goes (median / p95 per call, ms; RQ's own job timestamps, the mock's arrival stamp):", ""]
    for scenario, variant in groups:
        timed = [s for s in run.samples if s.scenario == scenario and s.variant == variant and not s.warmup]
        if not timed:
            continue
        lines += [f"| {scenario}{f' — {variant}' if many else ''} stage | median | p95 |", "|---|---|---|"]
        for name, values in stage_values(timed).items():
            lines.append(f"| {name} | {statistics.median(values):.1f} | {pct(values, 95):.1f} |")
        lines.append(f"| **total (t0 -> SMS at mock)** | {statistics.median([s.latency_ms for s in timed]):.1f} "
                     f"| {pct([s.latency_ms for s in timed], 95):.1f} |")
        lines.append("")
    others = [s.other_cores for s in run.samples if not s.warmup]
    if others:
        disturbed = sum(o > 0.5 for o in others)
        lines.append(f"Neighbours: CPU used by processes not started by the benchmark (not PostgreSQL/Redis) during "
                     f"each timed span: median {statistics.median(others):.2f} cores, max {max(others):.2f}; "
                     f"{disturbed} of {len(others)} spans had > 0.5 cores of it. Waited for a quiet machine "
                     f"(< {args.quiet_cores} busy cores, at most {args.quiet_wait} s) before each t0: "
                     f"median {statistics.median([s.quiet_wait for s in run.samples]):.2f} s.")
    return "\n".join(lines)


def write_results(text: str, variant: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    BEGIN, END = (m.format(variant) for m in MARKERS)
    block = f"{BEGIN}\n{text}\n{END}"
    if RESULTS.exists():
        current = RESULTS.read_text()
        if BEGIN in current and END in current:
            head, _, rest = current.partition(BEGIN)
            _, _, tail_ = rest.partition(END)
            RESULTS.write_text(head + block + tail_)
            return
        ends = list(re.finditer(r"<!-- p2:run:[a-z+]+:end -->", current))
        if ends:  # after the last run block, so the notes that follow the blocks stay below them
            cut = ends[-1].end()
            RESULTS.write_text(current[:cut] + "\n\n" + block + current[cut:])
            return
        RESULTS.write_text(current.rstrip("\n") + "\n\n" + block + "\n")
        return
    RESULTS.write_text("# Benchmark P2: final webhook → level-1 SMS at Twilio\n\n" + block + "\n")


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per scenario (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first, per scenario (default 5)")
    parser.add_argument("--scenarios", default="status,goodbye", help="status, goodbye or both (default)")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds of idle worker before each t0 (default 0.2)")
    parser.add_argument("--settle", type=float, default=0.3,
                        help="seconds to wait for a second SMS after each call's first (default 0.3)")
    parser.add_argument("--quiet-cores", type=float, default=0.5,
                        help="before t0, wait until fewer cores than this are busy (default 0.5)")
    parser.add_argument("--quiet-wait", type=float, default=1.5, help="...but at most this long (default 1.5 s)")
    parser.add_argument("--sms-timeout", type=float, default=60.0, help="a call fails without its SMS by then")
    parser.add_argument("--time-limit", type=float, default=5400.0,
                        help="stop the calls after this many seconds (default 5400) and report what was measured")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=0,
                        help="Redis database on 127.0.0.1:6379 (default 0: the tests use 1-15 and flush theirs)")
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not update {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, help="every sample's raw numbers")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) and the schema")
    parser.add_argument("--pause-before", type=float, default=0.0,
                        help="after start-up, print the worker's pid and sleep this long (attach a profiler)")
    parser.add_argument("--worker", default="procfile",
                        help="procfile: the Procfile's `python -m workers` (the only variant since the preload what-if became it)")
    parser.add_argument("--block", type=int, default=20, help="calls per turn when --worker names several (default 20)")
    parser.add_argument("--worker-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the worker only, for diagnosis (e.g. PYTHONPROFILEIMPORTTIME=1)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.workers = [w.strip() for w in args.worker.split(",") if w.strip()]
    if not set(args.workers) <= set(WORKERS) or not args.workers or len(set(args.workers)) != len(args.workers):
        parser.error(f"--worker: one or more of {', '.join(WORKERS)}")
    if not set(args.scenarios) <= set(SCENARIOS) or not args.scenarios:
        parser.error(f"--scenarios: choose from {', '.join(SCENARIOS)}")
    command = " ".join([".venv/bin/python", "bench/p2_escalation_latency.py", *map(shlex.quote, sys.argv[1:])])
    started = dt.datetime.now(dt.UTC)
    code = code_state()  # before anything starts: the processes load the tree as it is now

    from redis import Redis

    work = Path(tempfile.mkdtemp(prefix="p2-bench-"))
    procs: list[Proc] = []
    mock_proc: Proc | None = None
    run: Run | None = None
    complete, failure = False, None

    def stop_on_signal(signum, _):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGALRM, stop_on_signal)
    signal.alarm(int(args.time_limit + 600))  # a hard bound, whatever hangs
    redis_url = REDIS_URL.format(args.redis_db)
    redis = Redis.from_url(redis_url)
    try:
        print(f"work directory {work}", flush=True)
        ready = work / "mock.url"
        mock_proc = Proc("mock", [sys.executable, str(ROOT / "bench" / "p2_fake_twilio.py"), "--account-sid",
                                  ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--ready", str(ready)],
                         dict(os.environ), work / "mock.log")
        procs.append(mock_proc)
        mock_proc.start()
        deadline = time.monotonic() + 20
        while not ready.exists():
            if not mock_proc.alive() or time.monotonic() > deadline:
                raise Failure(f"the mock did not start:\n{tail(mock_proc.log)}")
            time.sleep(0.05)
        mock = Mock(ready.read_text().strip())

        port = free_port()
        env = app_env(mock.url, work / "spool", port, redis_url)
        (work / "spool").mkdir()
        keys = redis.dbsize()
        if keys and not redis.exists(OWNER_KEY):
            raise Failure(f"Redis database {args.redis_db} holds {keys} keys that are not this benchmark's: "
                          "choose an empty one with --redis-db")
        print(f"fresh schema, migrations, reference data, Redis db {args.redis_db}", flush=True)
        fresh_schema(env)
        seed()
        redis.flushdb()
        redis.set(OWNER_KEY, "bench/p2_escalation_latency.py")

        web = Proc("web", ["bash", "-c", "exec " + procfile_webhooks()], env, work / "web.log")
        procs.append(web)
        web.start()
        ours = {os.getpid(), *(p.pid for p in procs)}
        workers = Workers({**env, **dict(item.split("=", 1) for item in args.worker_env)}, work, redis, procs, ours)
        workers.use(args.workers[0])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            if not web.alive():
                raise Failure(f"start-up failed:\nweb:\n{tail(web.log)}")
            try:
                status, body = http("GET", base + "/healthz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Failure(f"not ready within 90 s:\nweb:\n{tail(web.log)}")
            time.sleep(0.2)
        health = json.loads(body)
        print(f"web on {base} (gunicorn pid {web.pid}), worker pid {workers.current.pid} ({workers.key}), "
              f"mock {mock.url}; healthz {health}", flush=True)
        if args.pause_before:
            print(f"pausing {args.pause_before} s (worker pid {workers.current.pid})", flush=True)
            time.sleep(args.pause_before)

        run = Run(args, base, mock, redis, workers, ours, random.Random(args.seed))
        for scenario in args.scenarios:
            print(f"{scenario}: {args.warmup} warm-up + {args.calls} timed calls per worker ({', '.join(args.workers)})",
                  flush=True)
            run.series(scenario, args.calls, args.warmup, args.workers, args.block)
        complete = True
    except TimeUp:
        print("time limit reached: reporting what was measured", flush=True)
    except Failure as error:
        failure = str(error)
    except KeyboardInterrupt as error:
        failure = f"interrupted ({error})"
    finally:
        for proc in reversed(procs):
            proc.stop()

    problems = []
    if failure:
        problems.append(failure)
    if run and run.samples:
        try:
            counts = run.mock.count() if mock_proc and mock_proc.alive() else None
        except Exception:
            counts = None
        logs = {p.name: p.log.read_text(errors="replace") for p in procs if p.log.exists()}
        for name, text in logs.items():
            bad = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line or " CRITICAL " in line]
            if bad:
                problems.append(f"{name} log has {len(bad)} error lines, e.g. {bad[0][:300]}")
        sent = sum(len(s.sms) for s in run.samples)
        if counts and counts["rejected"]:
            problems.append(f"the mock rejected {counts['rejected']} requests: {counts['rejections']}")
        try:
            with db() as conn:
                outbox_rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY status ORDER BY 1").fetchall()
        except Exception as error:
            outbox_rows = [("unreadable", str(error)[:100])]
        outbox_note = ", ".join(f"{n} {status}" for status, n in outbox_rows)
        if any(status != "done" for status, _ in outbox_rows):
            problems.append(f"outbox items not done after the run: {outbox_note} (the relay would sweep them again)")
        duplicates = [s.call_sid for s in run.samples if len(s.sms) != 1]
        if duplicates:
            problems.append(f"{len(duplicates)} calls did not get exactly one SMS: {duplicates[:5]}")
        env_notes = [
            "Config: HOTLINE_ENV=production, real-looking Twilio credentials (so `workers/twilio_sms.py` really POSTs), "
            f"TWILIO_API_BASE_URL = the mock; one province centre ({PROVINCE}) with one on-duty level-1 contact; "
            "gunicorn as the Procfile's webhook pool with 2 sync workers, ONE `python -m workers` (RQ forking Worker, scheduler on), "
            f"PostgreSQL schema `{SCHEMA}`, Redis db {args.redis_db}; the caller is a Thai mobile (no province from the number), "
            f"postcode {POSTCODE}. {len(run.samples)} calls in all (warm-up included), {sent} SMS seen by the mock"
            + (f" ({counts['count']} stored, {counts['rejected']} rejected)" if counts else "")
            + f"; outbox rows at the end: {outbox_note}.",
            f"Timing: t0 = `time.time()` in the driver just before it sends the completing webhook (signed beforehand); "
            f"t1 = `time.time()` in the mock when the POST .../Messages.json arrives (same machine, same clock). "
            f"Before each t0 the worker is idle (queues empty, worker state idle) for {args.gap} s.",
            "Worker: " + "; ".join(f"**{w}** = {WORKERS[w]}" for w in args.workers)
            + (f" (taking turns in blocks of {args.block} calls, the worker restarted at each turn, one untimed "
               f"call after each restart)" if len(args.workers) > 1 else "") + ". "
            f"Environment: PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}"
            + (f"; diagnostic worker environment {args.worker_env}" if args.worker_env else "") + ".",
        ]
        text = report(run, args, command, started, env_notes, redis, complete and not failure, code)
        if problems:
            text += "\n\nProblems:\n" + "\n".join(f"- {p}" for p in problems)
        print("\n" + text)
        if args.json:
            args.json.write_text(json.dumps([s.__dict__ for s in run.samples], indent=1, default=str))
        if not args.no_write:
            write_results(text, "+".join(args.workers))
            print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    elif problems:
        print("\n".join(problems), file=sys.stderr)
    if not args.keep:
        try:
            drop_schema()
            if redis.exists(OWNER_KEY):
                redis.flushdb()
        except Exception as error:  # the report matters more than the clean-up
            print(f"clean-up failed: {error}", file=sys.stderr)
        for path in sorted(work.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        work.rmdir()
    else:
        print(f"kept {work} and schema {SCHEMA}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
