#!/usr/bin/env python3
"""Benchmark: `POST /api/v1/reports` (issue 5), against a bare JSON baseline, the same way as P1.

One command, from the repo root, with the venv:

    .venv/bin/python bench/api_reports.py

What it does (see bench/README.md); P1's machinery (servers, wrk runs, CPU accounting, the
table) is imported from bench/p1_voice_incoming.py, only the requests and the checks differ:

1. drops and re-creates the PostgreSQL schema `bench_api` in database `test`, runs
   `alembic upgrade head` into it and loads the demo provinces, centres and contacts
   (`flask centres load`), so every report's case is routed as in production;
2. creates an API token with the project's own command (`flask tokens create bench-api --scope all`)
   and sets the per-token rate limit out of the way (`API_RATE_LIMIT_PER_MINUTE`, see below);
3. writes, before anything is timed, one JSON report per request, each with its own idempotency
   key: the issue's kinds, ~30 % urgent, app users, volunteers (with an id) and agencies, a location
   given as a province code, a postcode or a latitude/longitude (and some with none), a Thai
   description, sometimes a contact number with callback consent, the five languages;
4. serves the real app (`wsgi:app`, HOTLINE_ENV=production, PostgreSQL, its own leased Redis
   database, where the escalation jobs pile up unworked) and the baseline
   (`bench/baseline_app.py`: parse the JSON, answer 201 with a static case) with the Procfile's
   `web` command, loads them in turns with wrk (`bench/api_wrk.lua`) at 16 and 64 connections;
5. checks every answer was a 201 and that every report the target accepted made exactly one
   Report, one Case (source app/volunteer/agency) and one outbox item `case-start-<case id>`
   (enqueued), and prints P1's table.

Load goes to 127.0.0.1 only. Servers are stopped (by their pid) on exit, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.p1_voice_incoming import (  # noqa: E402
    PG_ADMIN_URL,
    VENV_BIN,
    Bench,
    Measurement,
    Server,
    both_servers,
    fresh_schema,
    machine,
    production_env,
    report,
    run_wrk,
    source_state,
    tail,
)
from tests.helpers import lease  # noqa: E402

SCHEMA = "bench_api"
PATH = "/api/v1/reports"
LUA = ROOT / "bench" / "api_wrk.lua"
RATE_LIMIT = 100_000_000  # a minute per token: far above what the bench sends, so no 429 (the default is 120)
TABLES = ("reports", "cases", "outbox", "audit")

KINDS = ["sexual_exploitation", "forced_labour", "forced_begging", "slavery", "organ_removal", "forced_criminality",
         "child_exploitation", "other"]
KIND_WEIGHTS = [20, 35, 6, 3, 1, 15, 15, 5]
LANGUAGES, LANGUAGE_WEIGHTS = ["th", "en", "my", "km", "lo"], [70, 10, 10, 6, 4]
# Postcodes each naming one province, and towns (lat, lon) well inside theirs; checked at start-up.
POSTCODES = ["10110", "10200", "10400", "10500", "50200", "50000", "40000", "90110", "20150", "63110", "41000",
             "30000", "84000", "57000", "72000", "34000"]
TOWNS = [(13.7563, 100.5018), (18.7883, 98.9853), (16.4419, 102.8360), (7.0086, 100.4747), (12.9236, 100.8825),
         (16.7130, 98.5747), (17.4138, 102.7870), (7.8804, 98.3923), (14.9799, 102.0978), (9.1382, 99.3215)]
MOBILE_PREFIXES = ["61", "62", "63", "64", "65", "81", "82", "83", "84", "85", "86", "87", "89", "91", "92", "93", "94",
                   "95", "96", "97", "98", "99"]  # Thai mobiles, written +66... or 0xx-xxx-xxxx
DESCRIPTIONS = [
    "มีคนงานต่างด้าวถูกยึดหนังสือเดินทางและไม่ได้รับค่าจ้างหลายเดือน",
    "เห็นเด็กถูกพามาขอทานที่ตลาดทุกวัน มีผู้ใหญ่คอยเก็บเงิน",
    "ญาติไปทำงานต่างประเทศแล้วติดต่อไม่ได้ บอกว่าถูกบังคับให้หลอกลวงทางออนไลน์",
    "ผู้หญิงหลายคนถูกกักตัวในร้านคาราโอเกะ ออกไปไหนไม่ได้",
    "เรือประมงลำหนึ่งมีลูกเรือถูกทำร้ายและไม่ได้ขึ้นฝั่งมาหลายเดือน",
    "Workers at a factory say their documents were taken and they owe a debt they cannot repay.",
]


def reports(rng: random.Random, provinces: list[str]):
    """Endless distinct reports, as the Protect-U app and volunteers' tools would send them."""
    while True:
        r = rng.random()
        location = (None if r < 0.1 else {"province_code": rng.choice(provinces)} if r < 0.5
                    else {"postcode": rng.choice(POSTCODES)} if r < 0.8
                    else dict(zip(("latitude", "longitude"),
                                  (round(c + rng.uniform(-0.01, 0.01), 5) for c in rng.choice(TOWNS)))))
        kind = rng.choices(["app_user", "volunteer", "agency"], [60, 30, 10])[0]
        body = {
            "idempotency_key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "kind": rng.choices(KINDS, KIND_WEIGHTS)[0],
            "urgency": "urgent" if rng.random() < 0.3 else "normal",
            "reporter": {"type": kind, **({"id": f"V-{rng.randrange(10**6):06d}"} if kind == "volunteer" else
                                          {"id": "DSDW-%02d" % rng.randrange(1, 77)} if kind == "agency" else {})},
            "language": rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0],
        }
        if rng.random() < 0.85:
            body["description"] = " ".join(rng.choice(DESCRIPTIONS) for _ in range(rng.randint(1, 4)))
        if location:
            body["location"] = location
        if rng.random() < 0.5:
            digits = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))
            body["contact_number"] = "+66" + digits if rng.random() < 0.7 else f"0{digits[:2]}-{digits[2:5]}-{digits[5:]}"
            body["callback_consent"] = rng.random() < 0.8
        yield body


class Bodies:
    """The pre-generated reports, one JSON line each, read by both servers from their own cursor
    (P1's Pool, for JSON): more are written between runs when needed, never while one is timed."""

    def __init__(self, path: Path, seed: int, provinces: list[str]):
        self.path, self.lines, self.signing_seconds = path, 0, 0.0
        self.keys: set[str] = set()
        self.source = reports(random.Random(seed), provinces)
        path.write_text("")

    def ensure(self, lines: int) -> None:
        if lines <= self.lines:
            return
        started = time.monotonic()
        with self.path.open("a", encoding="utf-8") as f:
            for _ in range(lines - self.lines):
                body = next(self.source)
                if body["idempotency_key"] in self.keys:
                    raise SystemExit("generated a repeated idempotency key; change --seed")
                self.keys.add(body["idempotency_key"])
                f.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.lines = lines
        self.signing_seconds += time.monotonic() - started

    def line(self, index: int) -> str:
        with self.path.open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i == index:
                    return line
        raise IndexError(index)


def checked_places() -> None:
    """Every postcode and town the reports use maps to a province (else the app answers 422)."""
    from models.places import place_for_postcode, province_for_point

    bad = [p for p in POSTCODES if place_for_postcode(p) is None]
    bad += [t for t in TOWNS if province_for_point(*t) is None]
    if bad:
        raise SystemExit(f"these locations map to no province: {bad}")


def provinces() -> list[str]:
    import csv

    with (ROOT / "data" / "provinces.csv").open(encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(line for line in f if not line.startswith("#"))]


# --- database ---------------------------------------------------------------------------------


def database_url() -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{SCHEMA}"


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def create_token(env: dict) -> str:
    output = flask(env, "tokens", "create", "bench-api", "--scope", "all")
    found = re.search(r"\b(h1300_\S+)", output)
    if not found:
        raise SystemExit(f"no token in the output of flask tokens create: {output!r}")
    return found.group(1)


def row_counts() -> dict[str, int]:
    import psycopg

    query = "SELECT " + ", ".join(f"(SELECT count(*) FROM {SCHEMA}.{t})" for t in TABLES)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return dict(zip(TABLES, conn.execute(query).fetchone()))


def pipeline_problems() -> list[str]:
    """Each report: one case of an API source, linked once, with exactly one enqueued case-start item."""
    import psycopg

    checks = {
        "reports without a case": "SELECT count(*) FROM reports WHERE case_id IS NULL",
        "cases not from a report": "SELECT count(*) FROM cases c WHERE NOT EXISTS "
                                   "(SELECT 1 FROM reports r WHERE r.case_id = c.id)",
        "cases with a source other than app/volunteer/agency":
            "SELECT count(*) FROM cases WHERE source NOT IN ('app', 'volunteer', 'agency')",
        "reports sharing a case": "SELECT count(*) - count(DISTINCT case_id) FROM reports",
        "cases without exactly one outbox item": "SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM outbox o "
                                                 "WHERE o.job_id = 'case-start-' || c.id) <> 1",
        "outbox items not for a case": "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM cases c "
                                       "WHERE o.job_id = 'case-start-' || c.id)",
        "outbox items not enqueued": "SELECT count(*) FROM outbox WHERE status <> 'enqueued'",
        "cases without a centre": "SELECT count(*) FROM cases WHERE centre_id IS NULL",
        "reports without an audit entry (at least)": "SELECT GREATEST((SELECT count(*) FROM reports) - (SELECT count(*) "
                                                     "FROM audit WHERE action = 'api:create_report'), 0)",
    }
    problems = []
    with psycopg.connect(database_url(), autocommit=True) as conn:
        for what, query in checks.items():
            n = conn.execute(query).fetchone()[0]
            if n:
                problems.append(f"{n} {what}")
    return problems


# --- the runs -------------------------------------------------------------------------------------


class ApiBench(Bench):
    """P1's rounds and turns, with JSON reports and the API's tables."""

    def __init__(self, servers, pool, args, work, token: str):
        super().__init__(servers, pool, args, work)
        self.token = token

    def row_counts(self) -> dict[str, int]:
        return row_counts()

    def run_wrk(self, server: Server, first: int, count: int, connections: int, duration: float, label: str) -> dict:
        return run_wrk(server, self.pool, first, count, connections, self.args.threads, duration, self.work, label,
                       lua=LUA, path=PATH, extra_env={"API_TOKEN": self.token})


def post(url: str, body: bytes, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def probe(server: Server, line: str, token: str, is_target: bool) -> None:
    """A report answers 201 with a case; for the target, the same key again is 200 with the same
    reference and a wrong token is 401."""
    status, answer = post(server.base + PATH, line.encode(), token)
    if status != 201 or not isinstance(answer, dict) or not answer.get("reference"):
        raise SystemExit(f"{server.name}: a report got {status}: {str(answer)[:300]}\n{tail(server.log)}")
    if not is_target:
        return
    again, repeated = post(server.base + PATH, line.encode(), token)
    if again != 200 or repeated.get("reference") != answer["reference"]:
        raise SystemExit(f"{server.name}: the repeated report got {again} {str(repeated)[:200]}")
    if post(server.base + PATH, line.encode(), token[:-4] + "AAAA")[0] != 401:
        raise SystemExit(f"{server.name}: a wrong token was not refused with 401")


def prime(server: Server, token: str, rng: random.Random) -> None:
    """Each gunicorn worker loads reverse_geocode's places (~3 s of CPU) on its first latitude/longitude
    report: send a few at once, so both workers have done it before anything is timed."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = []
    for town in TOWNS[:8]:
        body = next(reports(rng, ["10"]))
        body["location"] = {"latitude": town[0], "longitude": town[1]}
        bodies.append(json.dumps(body).encode())
    with ThreadPoolExecutor(len(bodies)) as pool:
        statuses = list(pool.map(lambda body: post(server.base + PATH, body, token)[0], bodies))
    if set(statuses) != {201}:
        raise SystemExit(f"{server.name}: priming reports got {statuses}\n{tail(server.log)}")


def validate(measurements: list[Measurement], logs: list[Path], token_secret: str, slack: int) -> list[str]:
    """`slack`: reports of the previous run still in flight when this one's counts were taken (a worker
    waiting on PostgreSQL looks idle to Server.wait_idle)."""
    problems = []
    for m in measurements:
        d, where = m.data, f"{m.server} round {m.round + 1} c={m.connections}"
        if m.errors:
            problems.append(f"{where}: wrk counted errors {d['errors']}")
        if d["overrun"]:
            problems.append(f"{where}: ran out of reports ({d['overrun']} repeats sent); raise --max-rate")
        if d["created"] != d["requests"]:
            problems.append(f"{where}: {d['requests']} answers, of which only {d['created']} were 201")
        if "rows" in d:
            rows = d["rows"]
            # Every 201 stored its report; at most those in flight when wrk stopped are stored but unanswered.
            if not (d["created"] - slack <= rows["reports"] <= d["sent"] + slack
                    and rows["cases"] == rows["outbox"] == rows["reports"]):
                problems.append(f"{where}: {d['created']} created, {d['sent']} sent, but rows written {rows}")
    problems += pipeline_problems()
    for log in logs:
        text = log.read_text(errors="replace") if log.exists() else ""
        if re.search(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT", text):
            problems.append(f"errors in {log}:\n{tail(log, 15)}")
        if token_secret in text:
            problems.append(f"the API token appears in {log}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6, help="seconds of load per run (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; in each, both servers at each concurrency (default 3)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load on each server before round 1 (default 2)")
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[16, 64],
                        help="comma-separated concurrencies (default 16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=None, help="WEB_CONCURRENCY for both servers (default: gunicorn.conf.py's, 2 per core)")
    parser.add_argument("--max-rate", type=float, default=4000,
                        help="most reports per second a run may need; later runs size from what was measured (default 4000)")
    parser.add_argument("--quiet-wait", type=float, default=3, help="seconds to wait before each run for an idle machine")
    parser.add_argument("--seed", type=int, default=1300)
    parser.add_argument("--only", choices=["baseline", "target"], help="run one server only")
    parser.add_argument("--json", type=Path, help="also write every run's raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (reports, logs, wrk output)")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    checked_places()
    work = Path(tempfile.mkdtemp(prefix="api-bench-"))
    redis_db = lease.claim()
    if redis_db is None:
        raise SystemExit("every Redis database 1-15 is leased by a running test or benchmark; try again later")
    env = production_env(database_url(), work / "spool", f"redis://127.0.0.1:6379/{redis_db}",
                         API_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT))
    servers = both_servers(env, work, args.workers, args.only)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    measurements: list[Measurement] = []
    try:
        print(f"API: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine()}; app at {source_state()}", flush=True)
        print(f"API: work directory {work}; Redis database {redis_db} (leased)", flush=True)
        print(f"API: fresh schema {SCHEMA!r}, alembic upgrade head, flask centres load, flask tokens create", flush=True)
        fresh_schema(env, SCHEMA)
        flask(env, "centres", "load")
        token = create_token(env)
        print(f"API: per-token rate limit API_RATE_LIMIT_PER_MINUTE={RATE_LIMIT} (default 120)", flush=True)
        pool = Bodies(work / "reports.jsonl", args.seed, provinces())
        pool.ensure(1 + int(args.max_rate * (args.warmup or args.duration)) + max(args.connections))
        print(f"API: wrote {pool.lines} distinct reports in {pool.signing_seconds:.1f} s; more between runs as needed",
              flush=True)
        for server in servers:
            print(f"API: starting {server.name}: {server.command} (HOST=127.0.0.1 PORT={server.port})", flush=True)
            server.start()
        for server in servers:
            probe(server, pool.line(0), token, is_target=server.name == "target")
            prime(server, token, random.Random(args.seed + 1))
        measurements = ApiBench(servers, pool, args, work, token).measure()
    except KeyboardInterrupt:
        print("API: interrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        lease.release(redis_db, flush=True)

    problems = validate(measurements, [s.log for s in servers], token, max(args.connections))
    print()
    print(report(measurements, args, goals=False))
    print(f"\nAPI: {time.monotonic() - started:.0f} s in all, {pool.lines} reports written "
          f"({pool.signing_seconds:.1f} s, not timed)")
    if args.json:
        args.json.write_text(json.dumps([{"server": m.server, "connections": m.connections, "round": m.round + 1,
                                          "rps": m.rps, **m.data} for m in measurements], indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nAPI: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
