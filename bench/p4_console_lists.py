#!/usr/bin/env python3
"""Benchmark P4: console list pages at 1,000,000 calls (goal: p95 < 100 ms), as a logged-in supervisor.

    .venv/bin/python bench/p4_console_lists.py

The schema `bench_1m` seeded by bench/seed_calls.py (reused when already seeded, as P5 does), the real
app under the Procfile's `web` command (P1's Server), a real login (login form, CSRF token, session
cookie), then each page loaded in turn by wrk at 2 connections (one request per sync worker, so the
latency is the page's service time, not queueing), for `--rounds` rounds. Pages: /console/calls and
/console/cases, first page, with common filters, and a deep keyset page (half-way through the year).
Every page is checked first: 200, the list rendered, not the login page.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import p1_voice_incoming as p1  # noqa: E402
from bench.p5_incoming_at_scale import SIZES, app_env  # noqa: E402
from bench.seed_calls import PASSWORD, SUPERVISOR, seed  # noqa: E402
from hotline.console.keyset import Cursor  # noqa: E402

LUA = p1.BENCH / "p4_wrk.lua"
GOAL_P95_MS = 100


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(base: str) -> str:
    """The session cookie of a supervisor who logged in through the login form."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(base + "/console/login", timeout=30) as answer:
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', answer.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "username": SUPERVISOR, "password": PASSWORD}).encode()
    request = urllib.request.Request(base + "/console/login", data=body, method="POST", headers={"Cookie": cookie})
    try:
        opener.open(request, timeout=30)
        raise SystemExit("login: expected a redirect")
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise SystemExit(f"login failed: {answer.code}")
        return answer.headers["Set-Cookie"].split(";", 1)[0]


def cursor(schema: str, table: str, at: str, where: str = "TRUE") -> str:
    """keyset.Cursor's text for the row half-way down the list (newest first)."""
    import psycopg

    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        total = conn.execute(f"SELECT count(*) FROM {schema}.{table} WHERE {where}").fetchone()[0]
        moment, id_ = conn.execute(f"SELECT {at}, id FROM {schema}.{table} WHERE {where} ORDER BY {at} DESC, id DESC "
                                   f"OFFSET %s LIMIT 1", (total // 2,)).fetchone()
    return str(Cursor(moment, id_))


def pages(schema: str) -> list[tuple[str, str]]:
    return [
        ("calls, first page", "/console/calls"),
        ("calls, status=completed, language=my", "/console/calls?status=completed&language=my"),
        ("calls, province=50 (Chiang Mai)", "/console/calls?province=50"),
        ("calls, date range (one month)", "/console/calls?date_from=2026-05-01&date_to=2026-05-31"),
        ("calls, status=failed, language=lo", "/console/calls?status=failed&language=lo"),
        ("calls, province=96, status=failed (rare)", "/console/calls?province=96&status=failed"),
        ("calls, deep keyset page (half-way)", "/console/calls?older=" + cursor(schema, "calls", "started_at")),
        ("calls, deep page, language=km", "/console/calls?language=km&older="
         + cursor(schema, "calls", "started_at", "language = 'km'")),
        ("cases, first page", "/console/cases"),
        ("cases, status=open", "/console/cases?status=open"),
        ("cases, province=10, category=forced_labour", "/console/cases?province=10&category=forced_labour"),
        ("cases, urgency=urgent, status=closed", "/console/cases?urgency=urgent&status=closed"),
        ("cases, deep keyset page (half-way)", "/console/cases?older=" + cursor(schema, "cases", "created_at")),
    ]


def check(base: str, cookie: str, path: str) -> None:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as answer:
        html = answer.read().decode()
    if answer.status != 200 or "<table" not in html or 'name="password"' in html:
        raise SystemExit(f"{path}: not the list page ({answer.status})")


def run_wrk(base: str, cookie: str, path: str, connections: int, duration: float, result: Path, server) -> dict:
    env = {**os.environ, "P4_COOKIE": cookie, "P4_RESULT": str(result)}
    process = subprocess.Popen(["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "10s",
                                "-s", str(LUA), base + path], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    time.sleep(0.75)
    before = (p1.proc_table(), p1.machine_busy())
    t = time.monotonic()
    time.sleep(max(duration - 1.25, 0.5))
    after = (p1.proc_table(), p1.machine_busy())
    cpu = p1.cpu_by_group(before, after, time.monotonic() - t, process.pid, server.process.pid)
    output, _ = process.communicate(timeout=duration + 60)
    if process.returncode != 0 or not result.exists():
        raise SystemExit(f"wrk failed:\n{output}")
    data = json.loads(result.read_text())
    data["cpu_cores"] = cpu
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--quiet-wait", type=float, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    started = time.monotonic()
    print(f"P4: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {p1.machine()}; app at {p1.source_state()}", flush=True)
    schema, calls = SIZES["1M"]
    seed(schema, calls)
    work = Path(tempfile.mkdtemp(prefix="p4-"))
    server = p1.Server("console", p1.TARGET_APP, app_env(schema, work / "spool"), work / "console.log")
    results: dict[str, list[dict]] = {}
    quiet = p1.Bench([], None, argparse.Namespace(quiet_wait=args.quiet_wait), work)
    try:
        server.start()
        cookie = login(server.base)
        todo = pages(schema)
        for _, path in todo:
            check(server.base, cookie, path)
        for round_ in range(args.rounds):
            for name, path in todo:
                quiet.wait_for_quiet()
                data = run_wrk(server.base, cookie, path, args.connections, args.duration,
                               work / f"r{round_}-{len(results.get(name, []))}.json", server)
                results.setdefault(name, []).append(data)
                lat = data["latency_us"]
                print(f"  round {round_ + 1} {name:45} {data['requests'] / data['duration_us'] * 1e6:6.0f} req/s  "
                      f"p50 {lat['p50'] / 1000:6.1f}  p95 {lat['p95'] / 1000:6.1f} ms  other {data['cpu_cores']['other']:.2f}",
                      flush=True)
    finally:
        server.stop()
    med = p1.median
    lines = [f"Medians of {args.rounds} round(s) of {args.duration:g} s per page, {args.connections} connections.", "",
             "| page | path | req/s | p50 ms | p95 ms | p99 ms | errors | CPU gunicorn | CPU postgres | CPU other | gunicorn CPU ms/page | p95 goal < 100 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    problems = []
    for name, path in todo:
        runs = results[name]
        p95 = med([r["latency_us"]["p95"] / 1000 for r in runs])
        errors = sum(sum(r["errors"].values()) for r in runs)
        if errors:
            problems.append(f"{name}: {errors} errors")
        cpu = {k: med([r["cpu_cores"][k] for r in runs]) for k in ("gunicorn", "postgres", "other")}
        shown = path if len(path) < 60 else path[:40] + "…"
        lines.append(f"| {name} | `{shown}` | {med([r['requests'] / r['duration_us'] * 1e6 for r in runs]):.0f} "
                     f"| {med([r['latency_us']['p50'] / 1000 for r in runs]):.1f} | {p95:.1f} "
                     f"| {med([r['latency_us']['p99'] / 1000 for r in runs]):.1f} | {errors} | {cpu['gunicorn']:.2f} "
                     f"| {cpu['postgres']:.2f} | {cpu['other']:.2f} "
                     f"| {med([r['cpu_cores']['gunicorn'] * r['duration_us'] / 1000 / r['requests'] for r in runs]):.0f} "
                     f"| {'met' if p95 < GOAL_P95_MS else 'MISSED'} |")
    log = server.log.read_text(errors="replace") if server.log.exists() else ""
    if re.search(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT", log):
        problems.append(f"errors in the server's log:\n{p1.tail(server.log, 15)}")
    print("\n" + "\n".join(lines))
    print(f"\nP4: {time.monotonic() - started:.0f} s in all (seeding included)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nP4: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
