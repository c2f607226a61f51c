#!/usr/bin/env python3
"""Benchmark P1: the signed `POST /voice/incoming`, against a bare signed-TwiML baseline.

One command, from the repo root, with the venv:

    .venv/bin/python bench/p1_voice_incoming.py

What it does, in order (see bench/README.md):

1. drops and re-creates the PostgreSQL schema `bench` in database `test` and runs
   `alembic upgrade head` into it (the tests' schema `hotline_test` is not touched);
2. signs, before anything is timed, one distinct Twilio "incoming call" webhook per
   request (a fresh CallSid each, `RequestValidator.compute_signature` over the full
   URL and the form, exactly as Twilio signs);
3. starts the baseline (`bench/baseline_app.py`: signature check + static TwiML) and the real
   app (`wsgi:app`, HOTLINE_ENV=production, PostgreSQL), each with the Procfile's `web` command
   on 127.0.0.1, and checks each (403 for a wrong signature, 200 TwiML and stored rows for a
   right one);
4. warms both up, then, for `--rounds` rounds, loads each with wrk at each concurrency, the two
   taking turns so that anything else on the machine hits both alike;
5. checks every answer was a 200, that the target wrote one Call and one CallEvent per
   call (the app answers TwiML even when its database fails, so a 200 alone proves
   nothing), and prints the table: req/s, p50/p95/p99, the CPU each process group used,
   and the ratio target/baseline.

Load goes to 127.0.0.1 only. Servers are stopped (by their pid) on exit, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
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
from casework.config import pool  # noqa: E402  (gunicorn.conf.py's default number of workers)

BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
LUA = BENCH / "p1_wrk.lua"

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = "bench"
FLOOR_SCHEMA = "bench_floor"  # the floor server's own tables (--floor): it stores the same CallSids as the target
REDIS_URL = "redis://127.0.0.1:6379/14"  # required by production config; /voice/incoming does not use it
AUTH_TOKEN = "p1-bench-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://hotline.example.go.th"  # the URL Twilio signs (production sits behind a proxy)
PATH = "/voice/incoming"
HOTLINE_NUMBER = "+661300"
ACCOUNT_SID = "AC" + "b3" * 16
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUIET_CORES = 0.3  # a run whose "other" processes use more than this was disturbed by a neighbour

# The target app, and the baseline in its place, run with the Procfile's `web` command.
TARGET_APP, BASELINE_APP = "wsgi:app", "bench.baseline_app:app"


# --- requests, signed before anything is timed -------------------------------


def caller_number(rng: random.Random) -> str:
    """What Twilio puts in From: mostly Thai mobiles, some landlines (which name a province), some withheld."""
    r = rng.random()
    if r < 0.70:
        return "+66" + rng.choice("689") + "".join(rng.choice("0123456789") for _ in range(8))
    if r < 0.85:  # Bangkok landline
        return "+662" + "".join(rng.choice("0123456789") for _ in range(7))
    if r < 0.95:  # provincial landlines: Chiang Mai, Khon Kaen, Songkhla, Chon Buri
        return "+66" + rng.choice(["53", "43", "74", "38"]) + "".join(rng.choice("0123456789") for _ in range(6))
    return rng.choice(["anonymous", "+266696687"])


def incoming_params(rng: random.Random) -> dict[str, str]:
    """The form of Twilio's voice webhook for a new inbound call (field names as Twilio sends them)."""
    caller = caller_number(rng)
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": "CA%032x" % rng.getrandbits(128),
        "CallStatus": "ringing",
        "Called": HOTLINE_NUMBER, "CalledCity": "", "CalledCountry": "TH", "CalledState": "", "CalledZip": "",
        "Caller": caller, "CallerCity": "", "CallerCountry": "TH", "CallerState": "", "CallerZip": "",
        "Direction": "inbound",
        "From": caller, "FromCity": "", "FromCountry": "TH", "FromState": "", "FromZip": "",
        "To": HOTLINE_NUMBER, "ToCity": "", "ToCountry": "TH", "ToState": "", "ToZip": "",
    }


class Form(dict):
    """A form with one value per field. `getall` lets RequestValidator take its MultiDict path; on a plain
    dict it finds the values by raising and catching two AttributeErrors per field (~50 us a call)."""

    def getall(self, key: str) -> list[str]:
        return [self[key]]


# --- database -------------------------------------------------------------------


def database_url(schema: str = SCHEMA) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


def fresh_schema(env: dict, schema: str = SCHEMA) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    subprocess.run([str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def row_counts(schema: str = SCHEMA) -> dict[str, int]:
    """In one statement, so in one snapshot (a Call and its CallEvent commit together)."""
    import psycopg

    tables = ("calls", "call_events", "outbox")
    query = "SELECT " + ", ".join(f"(SELECT count(*) FROM {schema}.{t})" for t in tables)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return dict(zip(tables, conn.execute(query).fetchone()))


def has_call(sid: str, schema: str = SCHEMA) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {schema}.calls c JOIN {schema}.call_events e ON e.call_id = c.id "
                           "WHERE c.call_sid = %s AND e.kind = 'incoming'", (sid,)).fetchone()
        return row[0] == 1


# --- servers -------------------------------------------------------------------


def procfile_webhooks() -> str:
    """The Procfile's command for Twilio's webhooks: its `voice:` pool, or `web:` in a checkout that has none."""
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    command = (lines.get("voice") or lines.get("web") or "").strip()
    if not command:
        raise SystemExit("no voice: or web: line in Procfile")
    if TARGET_APP not in command.split():
        raise SystemExit(f"Procfile's webhook command does not serve {TARGET_APP}: {command}")
    return command


def expected_workers(env: dict) -> int:
    """How many workers gunicorn.conf.py gives the pool `env` and the command name."""
    saved = dict(os.environ)
    os.environ.update(env)
    if "HOTLINE_POOL=webhooks" in procfile_webhooks():
        os.environ["HOTLINE_POOL"] = "webhooks"
    try:
        return pool().workers
    finally:
        os.environ.clear()
        os.environ.update(saved)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str
    env: dict
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def command(self) -> str:
        return procfile_webhooks().replace(TARGET_APP, self.app)

    @property
    def control_socket(self) -> Path:
        # gunicorn 27's control socket defaults to ~/.gunicorn/gunicorn.ctl, one path for every gunicorn
        # of the user: unless the Procfile turns it off, give each server its own.
        return self.log.with_suffix(".ctl")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**self.env, "HOST": "127.0.0.1", "PORT": str(self.port), "VOICE_PORT": str(self.port)}
        command = f"exec {self.command}"
        if "control-socket" not in command:
            command += f" --control-socket {self.control_socket}"
        self.process = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env,
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start-up:\n{tail(self.log)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{self.name} did not listen within 60 s:\n{tail(self.log)}")
        # Wait for the workers to have booted and imported the app (slow on a busy machine).
        workers = expected_workers(env)
        while time.monotonic() < deadline and len(self.workers()) < workers:
            time.sleep(0.1)
        while True:
            try:
                urllib.request.urlopen(self.base + "/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer will do (the baseline has no "/")
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{self.name} did not answer within 60 s:\n{tail(self.log)}")
                time.sleep(0.2)

    def wait_idle(self, limit: float = 15) -> None:
        """Requests wrk sent but stopped waiting for are still in the listen queue; let the workers finish them."""
        deadline = time.monotonic() + limit
        pids = [self.process.pid, *self.workers()]
        while time.monotonic() < deadline:
            before = proc_table()
            time.sleep(0.25)
            after = proc_table()
            used = sum(after[p][2] - before[p][2] for p in pids if p in before and p in after) / CLK_TCK / 0.25
            if used < 0.05:
                return

    def workers(self) -> list[int]:
        return [pid for pid, (_, ppid, _) in proc_table().items() if self.process and ppid == self.process.pid]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def post(url: str, body: bytes, signature: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()


def probe(server: Server, line: str, sid: str, check_db: bool, schema: str = SCHEMA) -> None:
    """One signed call answers 200 TwiML (and is stored); the same call with a wrong signature is 403."""
    signature, body = line.rstrip("\n").split("\t")
    status, _, _ = post(server.base + PATH, body.encode(), signature[:-4] + "AAA=")
    if status != 403:
        raise SystemExit(f"{server.name}: a wrongly signed request got {status}, not 403")
    status, answer, mimetype = post(server.base + PATH, body.encode(), signature)
    if status != 200 or mimetype != "text/xml" or ElementTree.fromstring(answer).tag != "Response":
        raise SystemExit(f"{server.name}: a signed request got {status} {mimetype}: {answer[:300]!r}\n{tail(server.log)}")
    if check_db and not has_call(sid, schema):
        raise SystemExit(f"{server.name}: the signed call {sid} was answered but not stored\n{tail(server.log)}")


# --- CPU accounting ----------------------------------------------------------------


def proc_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (comm, ppid, utime+stime in clock ticks) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        close = stat.rindex(")")
        fields = stat[close + 2:].split()
        table[int(entry)] = (stat[stat.index("(") + 1:close], int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def machine_busy() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def cpu_by_group(before, after, wall: float, wrk_pid: int, master_pid: int) -> dict[str, float]:
    """Cores used over the window by wrk, gunicorn (master + workers), PostgreSQL, everything else."""
    t0, t1 = before[0], after[0]
    groups = {"wrk": 0.0, "gunicorn": 0.0, "postgres": 0.0, "other": 0.0}
    for pid, (comm, ppid, ticks) in t1.items():
        used = ticks - (t0[pid][2] if pid in t0 else 0)  # a process born in the window: all of its time
        if pid == wrk_pid:
            group = "wrk"
        elif pid == master_pid or ppid == master_pid:
            group = "gunicorn"
        elif comm.startswith("postgres"):
            group = "postgres"
        else:
            group = "other"
        groups[group] += used / CLK_TCK / wall
    busy = (after[1][0] - before[1][0]) / CLK_TCK / wall
    groups["machine"] = busy
    return {k: round(v, 2) for k, v in groups.items()}


# --- load ----------------------------------------------------------------------------


class Pool:
    """The pre-signed calls, one file for both servers; each server reads it from its own cursor, so every
    call reaches each server once. More calls are signed between runs, never while one is timed."""

    def __init__(self, path: Path, seed: int):
        from twilio.request_validator import RequestValidator

        self.path, self.rng, self.lines = path, random.Random(seed), 0
        self.validator, self.url = RequestValidator(AUTH_TOKEN), PUBLIC_BASE_URL + PATH
        self.sids: set[str] = set()
        self.signing_seconds = 0.0
        path.write_text("")

    def ensure(self, lines: int) -> None:
        if lines <= self.lines:
            return
        started = time.monotonic()
        with self.path.open("a", encoding="utf-8") as f:
            for _ in range(lines - self.lines):
                params = Form(incoming_params(self.rng))
                if params["CallSid"] in self.sids:
                    raise SystemExit("generated a repeated CallSid; change --seed")
                self.sids.add(params["CallSid"])
                f.write(f"{self.validator.compute_signature(self.url, params)}\t{form_body(params)}\n")
        self.lines = lines
        self.signing_seconds += time.monotonic() - started

    def line(self, index: int) -> str:
        with self.path.open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i == index:
                    return line
        raise IndexError(index)


def form_body(params: dict[str, str]) -> str:
    """application/x-www-form-urlencoded, as urlencode() would write it (only faster)."""
    return "&".join(k + "=" + (v if v.isalnum() else urllib.parse.quote_plus(v)) for k, v in params.items())


def run_wrk(server: Server, pool: Pool, first: int, count: int, connections: int, threads: int,
            duration: float, work: Path, label: str, lua: Path = LUA, path: str = PATH,
            extra_env: dict | None = None) -> dict:
    """`lua` gets the P1_* variables below (other benchmarks pass their own script, path and variables)."""
    pool.ensure(first + count)
    result = work / f"{label}.json"
    env = {**os.environ, **(extra_env or {}), "P1_REQUESTS": str(pool.path), "P1_FIRST": str(first),
           "P1_COUNT": str(count), "P1_THREADS": str(threads), "P1_PATH": path, "P1_RESULT": str(result)}
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "10s",
               "-s", str(lua), server.base + path]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # wrk first loads its share of the calls (init), then loads the server for `duration`; CPU is
    # sampled in the steady middle of the run.
    time.sleep(load_time(first + count) + 0.75)
    window = max(duration - 1.25, 0.5)
    before = (proc_table(), machine_busy())
    started = time.monotonic()
    time.sleep(window)
    after = (proc_table(), machine_busy())
    cpu = cpu_by_group(before, after, time.monotonic() - started, process.pid, server.process.pid)
    output, _ = process.communicate(timeout=duration + 60)
    if process.returncode != 0 or not result.exists():
        raise SystemExit(f"wrk failed ({process.returncode}):\n{output}")
    data = json.loads(result.read_text())
    data["cpu_cores"] = cpu
    data["label"] = label
    return data


def load_time(lines: int) -> float:
    """Rough time wrk's init() takes to read up to `lines` lines and format its share (~1 us a line)."""
    return 0.1 + lines * 1.0e-6


@dataclass
class Measurement:
    server: str
    connections: int
    round: int
    data: dict

    @property
    def rps(self) -> float:
        return self.data["requests"] / (self.data["duration_us"] / 1e6)

    def ms(self, key: str) -> float:
        return self.data["latency_us"][key] / 1000

    @property
    def errors(self) -> int:
        return sum(self.data["errors"].values())

    def cpu_ms(self, group: str) -> float:
        """CPU time one request cost a process group: less sensitive to a busy neighbour than req/s is."""
        return self.data["cpu_cores"][group] * 1000 / self.rps if self.rps else 0.0


class Bench:
    def __init__(self, servers: list[Server], pool: Pool, args, work: Path):
        self.servers, self.pool, self.args, self.work = servers, pool, args, work
        self.cursor = {s.name: 1 for s in servers}  # line 0 is the probe
        self.best = {s.name: 0.0 for s in servers}
        self.measurements: list[Measurement] = []

    def row_counts(self) -> dict[str, int]:
        return row_counts()

    def counts_for(self, server: Server) -> dict[str, int]:
        return row_counts(FLOOR_SCHEMA) if server.name == "floor" else self.row_counts()

    def run_wrk(self, server: Server, first: int, count: int, connections: int, duration: float, label: str) -> dict:
        return run_wrk(server, self.pool, first, count, connections, self.args.threads, duration, self.work, label)

    def wait_for_quiet(self) -> float:
        """Other people's tests share this machine: wait (a bounded time) until it is nearly idle."""
        deadline = time.monotonic() + self.args.quiet_wait
        while True:
            before, t = machine_busy(), time.monotonic()
            time.sleep(0.5)
            busy = (machine_busy()[0] - before[0]) / CLK_TCK / (time.monotonic() - t)
            if busy < QUIET_CORES or time.monotonic() >= deadline:
                return busy

    def run(self, server: Server, connections: int, duration: float, label: str, round_: int) -> Measurement:
        idle_busy = self.wait_for_quiet()
        rate = self.args.max_rate if not self.best[server.name] else min(self.args.max_rate, 1.6 * self.best[server.name] + 200)
        count = int(rate * duration) + connections
        check_db = server.name in ("target", "floor")
        counts_before = self.counts_for(server) if check_db else None
        first = self.cursor[server.name]
        data = self.run_wrk(server, first, count, connections, duration, f"{server.name}-{label}")
        # With one wrk thread the calls are used in order; with more, each thread takes every n-th line.
        used = data["sent"] + data["overrun"] + 1 if self.args.threads == 1 else count
        self.cursor[server.name] = first + used
        server.wait_idle()
        if check_db:
            counts_after = self.counts_for(server)
            data["rows"] = {t: counts_after[t] - counts_before[t] for t in counts_after}
        data["busy_before"] = round(idle_busy, 2)
        m = Measurement(server.name, connections, round_, data)
        self.best[server.name] = max(self.best[server.name], m.rps)
        return m

    def measure(self) -> list[Measurement]:
        args = self.args
        for server in self.servers:
            if args.warmup > 0:
                self.run(server, args.connections[0], args.warmup, "warmup", -1)
        for round_ in range(args.rounds):
            # Baseline and target take turns at each concurrency, first one then the other going first,
            # so a neighbour's load or a drift hits both about equally.
            order = self.servers if round_ % 2 == 0 else self.servers[::-1]
            for connections in args.connections:
                for server in order:
                    m = self.run(server, connections, args.duration, f"r{round_}-c{connections}", round_)
                    cpu = m.data["cpu_cores"]
                    print(f"  round {round_ + 1} {server.name:8} c={connections:<3} {m.rps:7.0f} req/s  "
                          f"p50 {m.ms('p50'):6.1f}  p95 {m.ms('p95'):6.1f}  p99 {m.ms('p99'):6.1f} ms  "
                          f"errors {m.errors}  cores wrk {cpu['wrk']:.2f} gunicorn {cpu['gunicorn']:.2f} "
                          f"postgres {cpu['postgres']:.2f} other {cpu['other']:.2f}"
                          + (f"  rows {m.data['rows']}" if "rows" in m.data else ""), flush=True)
                    self.measurements.append(m)
        return self.measurements


def validate(measurements: list[Measurement], spool: Path, logs: list[Path]) -> list[str]:
    """Everything that would make the numbers meaningless."""
    problems = []
    for m in measurements:
        d = m.data
        where = f"{m.server} round {m.round + 1} c={m.connections}"
        if m.errors:
            problems.append(f"{where}: wrk counted errors {d['errors']}")
        if d["overrun"]:
            problems.append(f"{where}: ran out of pre-signed calls ({d['overrun']} repeats sent); raise --max-rate")
        if "rows" in d:
            rows = d["rows"]
            # Every answered call was stored; at most the calls in flight at the end are stored but unanswered.
            if not (d["requests"] <= rows["calls"] <= d["sent"] and rows["call_events"] == rows["calls"]):
                problems.append(f"{where}: {d['requests']} answered, {d['sent']} sent, but rows written {rows}")
    if spool.exists() and any(spool.iterdir()):
        problems.append(f"the app spooled webhooks to {spool}: its database writes failed")
    for log in logs:
        text = log.read_text(errors="replace") if log.exists() else ""
        if re.search(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT", text):
            problems.append(f"errors in {log}:\n{tail(log, 15)}")
    return problems


# --- report ----------------------------------------------------------------------------


def source_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--", "hotline", "models", "workers", "migrations", "wsgi.py", "Procfile")
    return (f"commit {git('rev-parse', '--short', 'HEAD')}"
            + (f", with uncommitted changes in {len(changed.splitlines())} app file(s)" if changed else ", clean"))


def median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    return f"{os.cpu_count()} cores (nproc), CPU {model}, {mem_kb / 1024 / 1024:.1f} GiB RAM"


def report(measurements: list[Measurement], args, goals: bool = True) -> str:
    """Medians over the rounds; the ratio is taken per round (baseline and target ran back to back).
    `goals`: judge against P1's goals (other benchmarks that reuse this table have none)."""
    runs: dict[tuple[str, int], list[Measurement]] = {}
    for m in measurements:
        runs.setdefault((m.server, m.connections), []).append(m)
    lines = [
        f"Medians of {args.rounds} round(s) of {args.duration:g} s per server and concurrency "
        "(req/s: median, then min-max; CPU in cores, sampled mid-run; CPU ms/req = cores x 1000 / req/s).",
        "",
        "| server | conns | req/s | req/s range | p50 ms | p95 ms | p99 ms | worst p99 ms | errors "
        "| CPU wrk | CPU gunicorn | CPU postgres | CPU other | CPU ms/req gunicorn + postgres |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in args.connections:
        for name in ("baseline", "floor", "target"):
            ms = runs.get((name, c))
            if not ms:
                continue
            cpu = {k: median([m.data["cpu_cores"][k] for m in ms]) for k in ("wrk", "gunicorn", "postgres", "other")}
            rps = [m.rps for m in ms]
            lines.append(
                f"| {name} | {c} | {median(rps):.0f} | {min(rps):.0f}-{max(rps):.0f} "
                f"| {median([m.ms('p50') for m in ms]):.1f} | {median([m.ms('p95') for m in ms]):.1f} "
                f"| {median([m.ms('p99') for m in ms]):.1f} | {max(m.ms('p99') for m in ms):.1f} "
                f"| {sum(m.errors for m in ms)} | {cpu['wrk']:.2f} | {cpu['gunicorn']:.2f} | {cpu['postgres']:.2f} "
                f"| {cpu['other']:.2f} | {median([m.cpu_ms('gunicorn') for m in ms]):.2f} + "
                f"{median([m.cpu_ms('postgres') for m in ms]):.2f} |")
    ratios_table = ["", "| server | conns | server/baseline req/s, per round | median ratio" + (" (goal >= 0.35)" if goals else "")
                    + " | p99 ms, median" + (" (goal < 50 ms at 64)" if goals else "") + " |",
                    "|---|---:|---|---:|---:|"]
    for name in ("target", "floor"):
        for c in args.connections:
            base = {m.round: m for m in runs.get(("baseline", c), [])}
            server = {m.round: m for m in runs.get((name, c), [])}
            ratios = [server[r].rps / base[r].rps for r in sorted(base) if r in server]
            if not ratios:
                continue
            ratio = median(ratios)
            p99 = median([m.ms("p99") for m in server.values()])
            ratios_table.append(
                f"| {name} | {c} | {', '.join(f'{r:.3f}' for r in ratios)} | {ratio:.3f}"
                + ((" met" if ratio >= 0.35 else " MISSED") if goals else "")
                + f" | {p99:.1f}" + (f" {'met' if p99 < 50 else 'MISSED'}" if goals and c == 64 else "") + " |")
    if len(ratios_table) > 3:
        lines += ratios_table
    disturbed = [f"{m.server} c={m.connections} round {m.round + 1} ({m.data['cpu_cores']['other']:.2f})"
                 for m in measurements if m.data["cpu_cores"]["other"] > QUIET_CORES]
    lines += ["", f"Runs during which other processes on the machine used more than {QUIET_CORES} cores: "
              + (", ".join(disturbed) if disturbed else "none") + "."]
    return "\n".join(lines)



def production_env(database: str, spool: Path, redis_url: str = REDIS_URL, **extra: str) -> dict:
    """What the real app needs to start with HOTLINE_ENV=production; Twilio's API points nowhere."""
    return {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
        "HOTLINE_ENV": "production",
        "SECRET_KEY": "bench-secret-key-not-a-real-one",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_FROM_NUMBER": "+6621001300",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # nothing here calls Twilio; if it did, it stays local
        "OPERATOR_DIAL_TARGET": "+6621234567",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SPOOL_DIR": str(spool),
        **extra,
    }


def both_servers(env: dict, work: Path, workers: int | None, only: str | None, floor: bool = False) -> list[Server]:
    """The bare baseline and the real app, each under the Procfile's web command (or just `only`); with `floor`,
    also the baseline that stores each call (bench/baseline_app.py), in a schema of its own."""
    if workers:
        env["WEB_CONCURRENCY"] = env["VOICE_CONCURRENCY"] = str(workers)
    both = [Server("baseline", BASELINE_APP, env, work / "baseline.log"),
            Server("target", TARGET_APP, env, work / "target.log")]
    if floor:
        both.append(Server("floor", BASELINE_APP, {**env, "BASELINE_STORES_CALLS": "1",
                                                   "DATABASE_URL": database_url(FLOOR_SCHEMA)}, work / "floor.log"))
    return [server for server in both if only in (None, server.name)]

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6, help="seconds of load per run (default 6)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; in each, both servers run at each concurrency, taking turns (default 3)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load on each server before round 1 (default 2)")
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[16, 64],
                        help="comma-separated concurrencies (default 16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the machine has 2 cores)")
    parser.add_argument("--workers", type=int, default=None,
                        help="WEB_CONCURRENCY for both servers (default: unset, i.e. gunicorn.conf.py's: 2 per core, 2-8)")
    parser.add_argument("--max-rate", type=float, default=6000,
                        help="most calls per second a run may need; later runs size from what was measured (default 6000)")
    parser.add_argument("--quiet-wait", type=float, default=3,
                        help="seconds to wait before each run for the machine to be idle (default 3)")
    parser.add_argument("--seed", type=int, default=1300)
    parser.add_argument("--only", choices=["baseline", "target", "floor"], help="run one server only")
    parser.add_argument("--floor", action="store_true",
                        help="also load a third server: the baseline plus the app's one-statement write of each call, "
                             "the least any app that stores a call before answering can cost (bench/baseline_app.py)")
    parser.add_argument("--json", type=Path, help="also write every run's raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (calls, logs, wrk output)")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="p1-"))
    spool = work / "spool"
    env = production_env(database_url(), spool)
    servers = both_servers(env, work, args.workers, args.only, args.floor or args.only == "floor")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    measurements: list[Measurement] = []
    try:
        print(f"P1: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine()}; app at {source_state()}", flush=True)
        print(f"P1: work directory {work}", flush=True)
        for schema, name in ((SCHEMA, "target"), (FLOOR_SCHEMA, "floor")):
            if any(s.name == name for s in servers):
                print(f"P1: fresh schema {schema!r} in {PG_ADMIN_URL}, alembic upgrade head", flush=True)
                fresh_schema({**env, "DATABASE_URL": database_url(schema)}, schema)
        pool = Pool(work / "calls.tsv", args.seed)
        pool.ensure(1 + int(args.max_rate * (args.warmup or args.duration)) + max(args.connections))
        print(f"P1: signed {pool.lines} distinct incoming calls in {pool.signing_seconds:.1f} s "
              f"(URL {PUBLIC_BASE_URL + PATH}); more are signed between runs as needed", flush=True)
        for server in servers:
            print(f"P1: starting {server.name}: {server.command} (HOST=127.0.0.1 PORT={server.port})", flush=True)
            server.start()
        probe_line = pool.line(0)
        probe_sid = urllib.parse.parse_qs(probe_line.split("\t")[1])["CallSid"][0]
        for server in servers:
            probe(server, probe_line, probe_sid, check_db=server.name in ("target", "floor"),
                  schema=FLOOR_SCHEMA if server.name == "floor" else SCHEMA)
        measurements = Bench(servers, pool, args, work).measure()
    except KeyboardInterrupt:
        print("P1: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()

    problems = validate(measurements, spool, [s.log for s in servers])
    print()
    print(report(measurements, args))
    print(f"\nP1: {time.monotonic() - started:.0f} s in all, {pool.lines} calls signed "
          f"({pool.signing_seconds:.1f} s, not timed)")
    if args.json:
        args.json.write_text(json.dumps([{"server": m.server, "connections": m.connections, "round": m.round + 1,
                                          "rps": m.rps, **m.data} for m in measurements], indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nP1: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
