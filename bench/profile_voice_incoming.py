#!/usr/bin/env python3
"""CPU per signed `POST /voice/incoming`, in one process (Flask's test client, real PostgreSQL).

Not a benchmark (no server, no concurrency): a quick before/after for changes in the webhook path,
and a cProfile of it. Uses P1's signed calls and settings; PostgreSQL schema `bench_prof`.

    .venv/bin/python bench/profile_voice_incoming.py [--calls 600] [--profile 25]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import p1_voice_incoming as p1  # noqa: E402

SCHEMA = "bench_prof"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by cumulative time")
    args = parser.parse_args()

    url = f"{p1.PG_ADMIN_URL}?options=-csearch_path%3D{SCHEMA}"
    env = {**os.environ, "HOTLINE_ENV": "production", "SECRET_KEY": "profile-secret-key-not-a-real-one",
           "TWILIO_AUTH_TOKEN": p1.AUTH_TOKEN, "TWILIO_ACCOUNT_SID": p1.ACCOUNT_SID,
           "TWILIO_FROM_NUMBER": "+6621001300", "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
           "OPERATOR_DIAL_TARGET": "+6621234567", "REDIS_URL": p1.REDIS_URL, "DATABASE_URL": url,
           "PUBLIC_BASE_URL": p1.PUBLIC_BASE_URL, "SPOOL_DIR": tempfile.mkdtemp(prefix="prof-spool-")}
    import psycopg

    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    subprocess.run([str(p1.VENV_BIN / "alembic"), "upgrade", "head"], cwd=p1.ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    os.environ.update(env)
    from twilio.request_validator import RequestValidator

    from hotline import create_app

    app = create_app()
    client = app.test_client()
    rng, validator = random.Random(7), RequestValidator(p1.AUTH_TOKEN)
    requests = []
    for _ in range(args.calls + 50):
        params = p1.Form(p1.incoming_params(rng))
        requests.append((validator.compute_signature(p1.PUBLIC_BASE_URL + p1.PATH, params), p1.form_body(params)))

    def send(batch):
        for signature, body in batch:
            answer = client.post(p1.PUBLIC_BASE_URL + p1.PATH, data=body, headers={
                "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
            if answer.status_code != 200 or b"<Response>" not in answer.data:
                raise SystemExit(f"unexpected answer {answer.status_code}: {answer.data[:200]!r}")

    send(requests[:50])  # warm-up: connections, compiled statements, imports
    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    send(requests[50:])
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{args.calls} calls: {cpu * 1000 / args.calls:.2f} ms CPU and {wall * 1000 / args.calls:.2f} ms wall "
          f"per request (this process; PostgreSQL's CPU not included)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        calls, events = conn.execute(f"SELECT (SELECT count(*) FROM {SCHEMA}.calls), "
                                     f"(SELECT count(*) FROM {SCHEMA}.call_events)").fetchone()
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    if calls != args.calls + 50 or events != calls:
        raise SystemExit(f"rows written: {calls} calls, {events} events for {args.calls + 50} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
