#!/usr/bin/env python3
"""Benchmark D1 (issue 16): from an operator becoming available, or a caller asking for a person, to the offer's
request (participants create) arriving at Twilio; goal p95 < 250 ms with an idle worker.

One command, from the repo root, with the venv:

    .venv/bin/python bench/desk_offer.py            # 50 timed runs per path (+5 warm-up)

It starts everything itself and stops (by pid) everything it started:

1. a fresh PostgreSQL schema `bench_desk` in database `test` (`alembic upgrade head`), one Thai operator with a
   phone endpoint; a private `redis-server` on a free port (never the machine's 6379, which the tests share);
2. a fake Twilio REST API in this process that stamps each POST with `time.time()` as it arrives and answers 201;
3. gunicorn (`wsgi:app`, 2 sync workers) and ONE `python -m workers` (the Procfile's worker), HOTLINE_ENV=production,
   OPERATOR_DIAL_TARGET=desk, real (not dry-run) Twilio credentials pointing at the fake.

Paths, one run at a time, each t0 with the worker idle (its queues empty, RQ's state idle):

- `available`: a caller waits in line (the IVR webhooks, untimed); t0; the operator chooses available as the
  console's POST /console/desk/state does (`desk.set_state` + `desk_line.came_free` in one transaction, then the
  route job enqueued after the commit), here in this process without the HTTP request and login around it;
- `ask`: the operator is available; the caller is at the main menu (untimed); t0; the signed webhook for key 2
  (a person) to gunicorn, whose answer is the waiting room and whose commit enqueues the route job;
- `floor` (the baseline, same run): t0; an RQ job enqueued on the same queue (urgent) whose only work is one HTTP POST
  to the fake, with the same `requests` stack the twilio client uses: RQ's round trip (enqueue, pick up, fork a
  work horse) and one request, nothing of the desk's.

t1 is the fake's arrival stamp. After each run the caller hangs up (`desk_line.caller_gone`, untimed). Per run the
route job's RQ timestamps split t1 - t0 into: until enqueued, queued until a horse started it, and started until
the request arrived. Prints Markdown tables. Load goes to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = "bench_desk"
DATABASE_URL = f"{PG_ADMIN_URL}?options=-csearch_path%3D{SCHEMA}"
ACCOUNT_SID = "AC" + "de" * 16
AUTH_TOKEN = "desk-bench-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://hotline.example.go.th"
OPERATOR_PHONE = "+66810000601"


def floor_post(url: str) -> None:
    """The floor job: one POST to the fake, nothing else (run by the worker; imports only what it needs)."""
    import requests

    requests.post(url, data={"floor": "1"}, timeout=10)


# --- the fake Twilio -----------------------------------------------------------------------


class Fake:
    def __init__(self):
        self.arrivals: list[tuple[float, str]] = []
        self.arrived = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                at = time.time()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = "participant" if self.path.endswith("/Participants.json") else "other"
                with fake.arrived:
                    fake.arrivals.append((at, kind))
                    fake.arrived.notify_all()
                body = json.dumps({"call_sid": "CA" + secrets.token_hex(16), "sid": "CA" + secrets.token_hex(16),
                                   "status": "queued"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_after(self, seen: int, timeout: float = 10) -> float:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.arrivals) > seen, timeout):
                raise RuntimeError("nothing arrived at the fake Twilio")
            return self.arrivals[seen][0]


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Procs:
    def __init__(self, folder: Path):
        self.folder, self.started = folder, []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def service_env(redis_url: str, fake_url: str, folder: Path) -> dict:
    from dataclasses import fields

    from casework.config import Config

    ours = {f.name for f in fields(Config)} | {"HOTLINE_ENV", "HOTLINE_INSTANCE_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update({"PATH": f"{VENV_BIN}:{env.get('PATH', '')}", "HOTLINE_ENV": "production",
                "SECRET_KEY": "desk-bench-secret-" + "0" * 24, "DATABASE_URL": DATABASE_URL, "REDIS_URL": redis_url,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": fake_url,
                "OPERATOR_DIAL_TARGET": "desk", "DESK_CALLER_ID": "+6621300000", "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "SPOOL_DIR": str(folder / "spool"), "HOTLINE_INSTANCE_DIR": str(folder), "PYTHONUNBUFFERED": "1"})
    return env


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {seconds}s")
        time.sleep(0.05)
    return result


# --- the runs --------------------------------------------------------------------------------


class Bench:
    def __init__(self, web: str, redis, fake: Fake, sessions):
        from twilio.request_validator import RequestValidator

        self.web, self.redis, self.fake, self.sessions = web, redis, fake, sessions
        self.validator = RequestValidator(AUTH_TOKEN)
        self.http = __import__("requests").Session()
        self.n = 0

    def post(self, path: str, params: dict) -> float:
        signature = self.validator.compute_signature(PUBLIC_BASE_URL + path, params)
        started = time.time()
        answer = self.http.post(self.web + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {answer.status_code} {answer.text[:300]}")
        return time.time() - started

    def caller_at_main_menu(self) -> dict:
        self.n += 1
        params = {"CallSid": f"CA{secrets.token_hex(16)}", "AccountSid": ACCOUNT_SID, "From": f"+6689{self.n:07d}",
                  "To": "+661300", "Direction": "inbound", "ApiVersion": "2010-04-01", "CallStatus": "ringing"}
        self.post("/voice/incoming", params)
        self.post("/voice/ivr/language?s=1&try=1", {**params, "CallStatus": "in-progress", "Digits": "1"})
        return {**params, "CallStatus": "in-progress", "Digits": "2"}

    def idle(self) -> None:
        from rq import Queue, Worker

        def quiet():
            queues_empty = all(Queue(name, connection=self.redis).count == 0 for name in ("urgent", "default", "sms"))
            workers = Worker.all(connection=self.redis)
            return queues_empty and workers and all(w.get_state() == "idle" for w in workers)

        wait_for(quiet, 30, "the worker did not go idle")
        time.sleep(0.1)

    def operator(self, state: str, jobs: bool = False) -> list[str]:
        from casework import desk, desk_line
        from models import User

        with self.sessions.begin() as session:
            user = session.query(User).filter_by(username="op_bench").one()
            desk.set_state(session, user, state, f"user:{user.id}")
            return desk_line.came_free(session, user) if jobs else []

    def hang_up(self, call_sid: str) -> None:
        from sqlalchemy import select

        from casework import desk_line
        from models import Call, utcnow

        with self.sessions.begin() as session:
            call = session.scalar(select(Call).where(Call.call_sid == call_sid))
            desk_line.caller_gone(session, call, utcnow())

    def stages(self, job_id: str, t0: float, t1: float) -> tuple[float, float, float]:
        """(until enqueued, queued until started, started until the request arrived), ms, from RQ's job hash."""
        from rq.job import Job
        from rq.serializers import JSONSerializer

        job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
        enqueued, started = job.enqueued_at.timestamp(), job.started_at.timestamp()
        return (enqueued - t0) * 1000, (started - enqueued) * 1000, (t1 - started) * 1000

    def route_job(self, like: str) -> str:
        from sqlalchemy import select

        from models import OutboxItem

        with self.sessions() as session:
            return session.scalar(select(OutboxItem.job_id).where(OutboxItem.job_id.like(like))
                                  .order_by(OutboxItem.id.desc()).limit(1))

    def available(self) -> dict:
        from workers.dispatch import after_commit

        self.operator("away")
        answer = self.caller_at_main_menu()
        self.post("/voice/ivr/main?s=2&try=1", answer)  # waits: nobody is available
        self.idle()
        seen = len(self.fake.arrivals)
        t0 = time.time()
        after_commit(self.sessions, self.redis, self.operator("available", jobs=True))
        t1 = self.fake.next_after(seen)
        run = {"total": (t1 - t0) * 1000, "stages": self.stages(self.route_job("desk-route-u%"), t0, t1)}
        self.idle()
        self.hang_up(answer["CallSid"])
        return run

    def ask(self) -> dict:
        from sqlalchemy import select

        from models import Call, DeskWait
        from workers.dispatch import after_commit

        after_commit(self.sessions, self.redis, self.operator("available", jobs=True))  # nobody waits
        answer = self.caller_at_main_menu()
        self.idle()
        seen = len(self.fake.arrivals)
        t0 = time.time()
        webhook = self.post("/voice/ivr/main?s=2&try=1", answer)
        t1 = self.fake.next_after(seen)
        with self.sessions() as session:
            wait_id = session.scalar(select(DeskWait.id).join(Call).where(Call.call_sid == answer["CallSid"]))
        run = {"total": (t1 - t0) * 1000, "webhook": webhook * 1000,
               "stages": self.stages(self.route_job(f"desk-route-w{wait_id}-%"), t0, t1)}
        self.idle()
        self.hang_up(answer["CallSid"])  # the operator is available again (their ring was stopped)
        return run

    def warm(self) -> dict:
        """`available` with the route pass run here, in a warm process (its database connections and twilio client
        reused), not by the worker's freshly forked horse: what the horse's start costs, by difference."""
        from casework import desk, desk_line
        from models import User
        from workers import desk_twilio

        self.operator("away")
        answer = self.caller_at_main_menu()
        self.post("/voice/ivr/main?s=2&try=1", answer)
        self.idle()
        seen, marks = len(self.fake.arrivals), {}
        send = desk_twilio.send

        def timed_send(context, request):
            marks["send"] = time.time()
            return send(context, request)

        desk_twilio.send = timed_send
        try:
            t0 = time.time()
            with self.context.sessions.begin() as session:
                user = session.query(User).filter_by(username="op_bench").one()
                desk.set_state(session, user, "available", f"user:{user.id}")
                [job_id] = desk_line.came_free(session, user)
            enqueued = time.time()
            desk_twilio.route_in(self.context, job_id.removeprefix("desk-route-"))
        finally:
            desk_twilio.send = send
        t1 = self.fake.next_after(seen)
        run = {"total": (t1 - t0) * 1000, "stages": ((enqueued - t0) * 1000, 0.0, (t1 - enqueued) * 1000),
               "send": (t1 - marks["send"]) * 1000}
        self.idle()
        self.hang_up(answer["CallSid"])
        return run

    def floor(self) -> dict:
        from casework.work import URGENT
        from workers.dispatch import enqueue_once
        from workers.queues import queue

        self.idle()
        seen = len(self.fake.arrivals)
        t0 = time.time()
        job_id = f"bench-floor-{secrets.token_hex(8)}"
        enqueue_once(queue(URGENT, self.redis), "bench.desk_offer.floor_post", [self.fake.url + "/floor"], job_id)
        t1 = self.fake.next_after(seen)
        return {"total": (t1 - t0) * 1000, "stages": self.stages(job_id, t0, t1)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| path | n | p50 ms | p95 ms | max ms | until enqueued p50 | queued → started p50 | started → Twilio p50 "
             "| webhook answer p50 | the POST alone p50 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for path, runs in results.items():
        totals = [r["total"] for r in runs]
        stage = [statistics.median(r["stages"][i] for r in runs) for i in range(3)]
        hook = statistics.median(r["webhook"] for r in runs) if "webhook" in runs[0] else None
        send = statistics.median(r["send"] for r in runs) if "send" in runs[0] else None
        lines.append(f"| {path} | {len(runs)} | {percentile(totals, 50):.1f} | {percentile(totals, 95):.1f} | "
                     f"{max(totals):.1f} | {stage[0]:.1f} | {stage[1]:.1f} | {stage[2]:.1f} | "
                     f"{'' if hook is None else f'{hook:.1f}'} | {'' if send is None else f'{send:.1f}'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    import psycopg
    from redis import Redis

    folder = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    fake = Fake()
    procs = Procs(folder)
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = service_env(redis_url, fake.url, folder)
    try:
        procs.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(folder)], env)
        redis = Redis.from_url(redis_url)
        wait_for(lambda: _ping(redis), 20, "redis-server did not start")
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
        subprocess.run([str(VENV_BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sessions = seed()
        port = free_port()
        web = f"http://127.0.0.1:{port}"
        procs.start("web", [str(VENV_BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                            "--timeout", "30", "--no-control-socket"], env)
        procs.start("worker", [sys.executable, "-m", "workers"], env)
        wait_for(lambda: _healthy(web), 60, "gunicorn did not answer /healthz")
        from rq import Worker

        wait_for(lambda: Worker.all(connection=redis), 60, "the worker did not register")
        bench = Bench(web, redis, fake, sessions)
        from casework.config import Config
        from workers import runtime

        bench.context = runtime.start(Config.from_env(env))
        results: dict[str, list[dict]] = {"floor": [], "available": [], "ask": [], "warm": []}
        for n in range(args.warmup + args.runs):  # the paths take turns, so a disturbance hits all of them
            for path, runs in results.items():
                run = getattr(bench, path)()
                if n >= args.warmup:
                    runs.append(run)
        print(f"\n{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}\n")
        print(table(results))
        return 0
    finally:
        procs.stop()
        fake.server.shutdown()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        shutil.rmtree(folder, ignore_errors=True)


def seed():
    from casework import desk
    from models import User, make_engine, make_sessionmaker

    sessions = make_sessionmaker(make_engine(DATABASE_URL))
    with sessions.begin() as session:
        user = User(username="op_bench", role="operator", password_hash="x", active=True, language="th")
        session.add(user)
        session.flush()
        desk.save_profile(session, user, ["th"], OPERATOR_PHONE, "bench")
    return sessions


def _ping(redis) -> bool:
    try:
        return bool(redis.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


def _healthy(web: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{web}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
