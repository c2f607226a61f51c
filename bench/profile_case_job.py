#!/usr/bin/env python3
"""P3 diagnosis: what one `start_escalation` job costs in a forked child of the worker's preloaded parent.

Not a benchmark (no RQ, no ratio): it sets up P3's schema, mock Twilio and Redis as
`bench/p3_worker_throughput.py` does, queues `--calls` calls through the webhook's path, runs
`workers.__main__.preload()` in this process and then, per call, forks a child that runs
`workers.jobs.start_escalation(case_id)` (its level-1 SMS included) and exits, as an RQ work horse would.
Per child it prints the CPU and minor page faults (from `wait4`, so robust to a busy neighbour),
the wall time, the SQL statements it executed, how many of them SQLAlchemy had to compile (a miss in
any compiled cache), how many PostgreSQL connections it opened, and PostgreSQL's CPU per job.
An empty child (fork and exit) is measured first, for comparison. `--same-child N` runs N more calls
one after the other in one child (what a job costs once the process is warm); `--profile N` runs N
more under cProfile in one child (`--profile 1`: a first job; PROFILE_SORT=tottime to sort by own
time). PROBE_TIMERS=1 adds the wall time and page faults spent in the functions listed in TIMED,
PROBE_ECHO=1 prints each statement.

    .venv/bin/python bench/profile_case_job.py --calls 20 [--same-child 10] [--profile 1]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.p1_voice_incoming import (
    CLK_TCK,  # noqa: E402
    fresh_schema,  # noqa: E402
)
from bench.p2_escalation_latency import Proc, app_env, free_port  # noqa: E402
from bench.p3_worker_throughput import DATABASE_URL, SCHEMA, flask, postgres_ticks, queue_calls, real_looking_contacts, start_mock  # noqa: E402
from tests.helpers import lease  # noqa: E402


def instrument(engine) -> dict:
    """Count, in this process: statements executed, compilations (cache misses) and new connections."""
    from sqlalchemy import event
    from sqlalchemy.sql import compiler

    counts = {"statements": 0, "compiled": 0, "connects": 0}
    echo = os.environ.get("PROBE_ECHO")
    original = compiler.Compiled.__init__

    def counting_init(self, *args, **kwargs):
        counts["compiled"] += 1
        original(self, *args, **kwargs)

    compiler.Compiled.__init__ = counting_init
    def executed(_conn, _cursor, statement, *_args):
        counts["statements"] += 1
        if echo:
            print("   SQL", " ".join(statement.split())[:150], file=sys.stderr)

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "connect", lambda *a: counts.__setitem__("connects", counts["connects"] + 1))
    return counts


TIMED = [("workers.twilio_sms", "TwilioSender.send"), ("rq.queue", "Queue.enqueue_in"), ("workers.jobs", "carry_out"),
         ("workers.jobs", "deliver"), ("casework.escalation_sms", "take"), ("casework.ladder", "begin"),
         ("sqlalchemy.orm.session", "SessionTransaction.commit"), ("sqlalchemy.orm.session", "Session.execute"),
         ("sqlalchemy.pool.base", "Pool.connect"), ("casework.ladder", "start_level"), ("logging", "Logger._log"),
         ("casework.ladder", "contacts_for"), ("casework.ladder", "insert_ignore"), ("models.cases", "Case.move_to"),
         ("casework.work", "add"), ("casework.escalation_sms", "escalation_sms"), ("sqlalchemy.orm.session", "Session.flush"),
         ("casework.escalation_sms", "district_name")]


def timers(counts: dict) -> None:
    """Wall time spent in each of TIMED (nested ones counted in both)."""
    import importlib

    for module_name, path in TIMED:
        owner = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        original, key, fault_key = getattr(owner, name), f"ms {path}", f"faults {path}"
        counts[key] = counts[fault_key] = 0

        def timed(*args, __original=original, __key=key, __fault_key=fault_key, **kwargs):
            started, faults = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            try:
                return __original(*args, **kwargs)
            finally:
                counts[__key] += 1000 * (time.perf_counter() - started)
                counts[__fault_key] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults

        setattr(owner, name, timed)


def child(call_ids: list[int], counts: dict, write_fd: int, profile: bool) -> None:
    from sqlalchemy import select

    from models import Case
    from workers import runtime
    from workers.jobs import start_escalation

    with runtime.current().sessions() as session:
        case_ids = [session.scalar(select(Case.id).where(Case.call_id == call_id)) for call_id in call_ids]

    if os.environ.get("PROBE_TIMERS"):
        timers(counts)

    for key in counts:
        counts[key] = 0
    started, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    import resource

    from workers.db import release

    per_call, faults = [], []
    for case_id in case_ids:
        cpu_before, faults_before = time.process_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start_escalation(case_id)
        per_call.append(1000 * (time.process_time() - cpu_before))
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before)
    release()  # as HotlineWorker.perform_job does at the end of a job
    if len(call_ids) > 1:
        print("CPU ms per job in one child:", " ".join(f"{ms:.1f}" for ms in per_call), file=sys.stderr)
        print("minor faults per job in one child:", " ".join(str(n) for n in faults), file=sys.stderr)
    if profile:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(60)
    out = {**counts, "wall": time.perf_counter() - started, "cpu_in_job": time.process_time() - cpu}
    os.write(write_fd, json.dumps(out).encode())


def fork_one(call_ids: list[int], counts: dict, profile: bool = False) -> dict:
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            child(call_ids, counts, write_fd, profile)
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"child failed with status {status}")
    result = json.loads(data)
    result.update(cpu=usage.ru_utime + usage.ru_stime, fork_wall=time.perf_counter() - started,
                  sys_cpu=usage.ru_stime, minor_faults=usage.ru_minflt)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--profile", type=int, default=0, help="also run N calls under cProfile in one child")
    parser.add_argument("--same-child", type=int, default=0,
                        help="also run N more calls one after the other in ONE child (CPU per job: the first against the rest)")
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args()

    from redis import Redis

    work = Path(tempfile.mkdtemp(prefix="p3-probe-"))
    redis_db = lease.claim()
    if redis_db is None:
        raise SystemExit("no free Redis database")
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    redis = Redis.from_url(redis_url)
    procs: list[Proc] = []
    try:
        mock_url = start_mock(work, procs)
        (work / "spool").mkdir()
        env = {**app_env(mock_url, work / "spool", free_port(), redis_url), "DATABASE_URL": DATABASE_URL}
        fresh_schema(env, SCHEMA)
        flask(env, "centres", "load")
        real_looking_contacts()
        call_ids = queue_calls(env, args.calls + args.profile + args.same_child, random.Random(3), redis)
        redis.flushdb()
        os.environ.clear()
        os.environ.update(env)

        import logging

        logging.basicConfig(level=logging.INFO)
        logging.getLogger("twilio").setLevel(logging.WARNING)
        from casework.config import Config
        from workers import runtime
        from workers.__main__ import preload

        started = time.process_time()
        context = runtime.start(Config.from_env())
        preload(context)
        print(f"preload: {1000 * (time.process_time() - started):.0f} ms CPU")
        counts = instrument(context.sessions.kw["bind"])
        empty = [fork_one([], counts) for _ in range(5)]
        print("an empty child (fork, exit): CPU ms", " ".join(f"{1000 * r['cpu']:.1f}" for r in empty),
              "minor faults", " ".join(str(r["minor_faults"]) for r in empty))
        pg_before = postgres_ticks()
        results = [fork_one([call_id], counts) for call_id in call_ids[:args.calls]]
        pg_per_job = 1000 * (postgres_ticks() - pg_before) / CLK_TCK / max(len(results), 1)
        keys = ["cpu", "sys_cpu", "cpu_in_job", "wall", "fork_wall"]
        print(f"{len(results)} start_escalation jobs, each in its own forked child; medians (min-max):")
        for key in keys:
            values = [1000 * r[key] for r in results]
            print(f"  {key:11} {statistics.median(values):7.1f} ms ({min(values):.1f}-{max(values):.1f})")
        for key in [k for k in results[0] if k not in keys and k not in ("wall", "cpu_in_job")]:
            values = [r[key] for r in results]
            print(f"  {key:11} {statistics.median(values):7.1f}    ({min(values)}-{max(values)})")
        print(f"  PostgreSQL CPU per job (all backends, neighbours' included): {pg_per_job:.1f} ms")
        if args.same_child:
            pg_before = postgres_ticks()
            fork_one(call_ids[args.calls:args.calls + args.same_child], counts)
            print(f"  PostgreSQL CPU per job, {args.same_child} jobs on one connection: "
                  f"{1000 * (postgres_ticks() - pg_before) / CLK_TCK / args.same_child:.1f} ms")
        if args.profile:
            fork_one(call_ids[args.calls + args.same_child:], counts, profile=True)
    finally:
        for proc in reversed(procs):
            proc.stop()
        lease.release(redis_db, flush=True)
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            import psycopg

            from bench.p1_voice_incoming import PG_ADMIN_URL

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
