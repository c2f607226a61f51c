#!/usr/bin/env python3
"""Benchmark P3: cases escalated per second by ONE worker, against RQ's own no-op job rate.

One command, from the repo root, with the venv:

    .venv/bin/python bench/p3_worker_throughput.py          # 3 rounds of 20 calls and 20 no-op jobs

What it does (see bench/README.md):

1. a fresh PostgreSQL schema `bench_p3` (`alembic upgrade head`), the demo provinces, centres and
   contacts (`flask centres load`), the contacts' fictional numbers replaced by non-demo ones (the
   sender refuses demo numbers); a Redis database of its own, leased as the tests lease theirs;
   the mock Twilio Messages API of P2 (`bench/p2_fake_twilio.py`, its own process);
2. per round, in turns (the order swapped every round):
   - **target**: N completed trafficking calls (kinds, ~30 % urgent, provinces, some unknown) are
     written, and each goes through the webhook's own path, `hotline.telephony.intake.queue_case`
     (opens the case, writes the outbox item `case-start-<case id>`), committed, then
     `workers.dispatch.dispatch` (enqueues it), all before the worker starts. Then ONE worker
     (`bench/p3_worker.py`: the app's `python -m workers` Worker class, queues, serializer and
     preload, in burst mode) runs until the queues are empty: per call the `start_escalation` job (routes
     and starts the ladder) and one `send_escalation` job per level-1 contact, each POSTing to the mock;
   - **baseline**: N jobs of `bench.p3_noop.noop` enqueued with the same options (`enqueue_once`)
     on the same queue, run by the same worker, started the same way;
3. the rate is N over the span from the first job's start to the last job's end (RQ's own
   timestamps), so the worker's start-up is left out of both; the ratio is
   (cases per second) / (no-op jobs per second), per round;
4. checks every case is at level 1 with one escalation per on-duty level-1 contact of its centre,
   each `sent`, one Message and one SMS at the mock per escalation, every outbox item `done`, no
   failed job, no error in the worker's log.

Load goes to 127.0.0.1 only; everything started is stopped by pid.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.p1_voice_incoming import CLK_TCK, PG_ADMIN_URL, fresh_schema, machine, machine_busy, source_state  # noqa: E402
from bench.p2_escalation_latency import ACCOUNT_SID, AUTH_TOKEN, Proc, app_env, free_port, http, tail  # noqa: E402
from tests.helpers import lease  # noqa: E402

SCHEMA = "bench_p3"
DATABASE_URL = f"{PG_ADMIN_URL}?options=-csearch_path%3D{SCHEMA}"
GOAL = 0.5
KINDS = ["sexual_exploitation", "forced_labour", "forced_begging", "slavery", "organ_removal", "forced_criminality",
         "child_exploitation", "other"]


# --- set-up ------------------------------------------------------------------------------------


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def db():
    import psycopg

    return psycopg.connect(DATABASE_URL, autocommit=True)


def real_looking_contacts() -> int:
    """The demo roster's numbers are refused by the sender: give every contact a non-demo mobile."""
    from models.reference import is_demo_number

    with db() as conn:
        conn.execute("UPDATE contacts SET phone = '+6681' || lpad(id::text, 7, '0')")
        phones = [p for (p,) in conn.execute("SELECT phone FROM contacts")]
    if any(is_demo_number(p) for p in phones):
        raise SystemExit("a contact still has a demo number")
    return len(phones)


def start_mock(work: Path, procs: list[Proc]) -> str:
    ready = work / "mock.url"
    mock = Proc("mock", [sys.executable, str(ROOT / "bench" / "p2_fake_twilio.py"), "--account-sid", ACCOUNT_SID,
                         "--auth-token", AUTH_TOKEN, "--ready", str(ready)], dict(os.environ), work / "mock.log")
    procs.append(mock)
    mock.start()
    deadline = time.monotonic() + 20
    while not ready.exists():
        if not mock.alive() or time.monotonic() > deadline:
            raise SystemExit(f"the mock did not start:\n{tail(mock.log)}")
        time.sleep(0.05)
    return ready.read_text().strip()


PGBOUNCER_ROLE = "p3_bench"  # --pgbouncer: the worker's role, with only row rights on the schema


def start_pgbouncer(work: Path, procs: list[Proc]) -> str:
    """A private PgBouncer (Debian's `pgbouncer`) in session mode in front of the machine's PostgreSQL: a work
    horse's connection is then a cheap one to PgBouncer, and the PostgreSQL backend behind it, with its warm
    caches, outlives the job. Returns the DATABASE_URL for the worker. It logs in as a role of its own whose
    search_path is `bench_p3`: PgBouncer resets each backend it hands back (DISCARD ALL), and passes no options."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise SystemExit("pgbouncer is not installed: apt-get install -y pgbouncer")
    home = work / "pgbouncer"
    home.mkdir()
    work.chmod(0o755)
    home.chmod(0o777)  # it refuses to run as root: started as postgres (-u), it reads and writes here
    port = free_port()
    with db() as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PGBOUNCER_ROLE,)).fetchone():
            conn.execute(f"CREATE ROLE {PGBOUNCER_ROLE} LOGIN")
        conn.execute(f"ALTER ROLE {PGBOUNCER_ROLE} SET search_path = {SCHEMA}")
        conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {PGBOUNCER_ROLE}")
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO {PGBOUNCER_ROLE}")
        conn.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {PGBOUNCER_ROLE}")
    (home / "users.txt").write_text(f'"{PGBOUNCER_ROLE}" ""\n')
    (home / "pgbouncer.ini").write_text(f"""[databases]
{SCHEMA} = host=127.0.0.1 port=5432 dbname=test user={PGBOUNCER_ROLE}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home / "users.txt"}
pool_mode = session
default_pool_size = 4
ignore_startup_parameters = extra_float_digits
logfile = {home / "pgbouncer.log"}
""")
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    proc = Proc("pgbouncer", [binary, *user, str(home / "pgbouncer.ini")], dict(os.environ), home / "stdout.log")
    procs.append(proc)
    proc.start()
    url = f"postgresql://{PGBOUNCER_ROLE}@127.0.0.1:{port}/{SCHEMA}"
    deadline = time.monotonic() + 20
    while True:
        try:
            import psycopg

            with psycopg.connect(url, connect_timeout=2) as conn:
                if conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0:
                    raise SystemExit(f"through PgBouncer the schema {SCHEMA} looks empty")
            return url
        except Exception as error:  # noqa: BLE001 - not up yet
            if not proc.alive() or time.monotonic() > deadline:
                raise SystemExit(f"pgbouncer did not start ({error}):\n{tail(home / 'pgbouncer.log')}")
            time.sleep(0.1)


def mock_count(url: str) -> int:
    return json.loads(http("GET", f"{url}/_bench/count")[1])["count"]


# --- work to do ------------------------------------------------------------------------------------


def queue_calls(env: dict, n: int, rng: random.Random, redis) -> list[int]:
    """N completed trafficking calls through the webhook's path: the case opened in the webhook's transaction
    (`casework.intake.case_for_call`), then dispatched after commit (hotline/telephony/routes.py does the same)."""
    from sqlalchemy.orm import Session

    from casework.intake import case_for_call
    from models import Call, make_engine, utcnow
    from workers import dispatch

    with db() as conn:
        provinces = [code for (code,) in conn.execute("SELECT province_code FROM centres WHERE province_code IS NOT NULL")]
    engine = make_engine(env["DATABASE_URL"])
    call_ids, job_ids = [], []
    try:
        with Session(engine) as session:
            for _ in range(n):
                caller = "+66" + rng.choice(["81", "86", "89", "92", "95"]) + "".join(rng.choice("0123456789") for _ in range(7))
                ended = utcnow()
                call = Call(call_sid="CA%032x" % rng.getrandbits(128), status="completed", from_raw=caller,
                            from_e164=caller, caller_country="TH", to_number="+661300",
                            province_code=None if rng.random() < 0.1 else rng.choice(provinces),
                            province_source="menu", language=rng.choice(["th", "th", "th", "en", "my"]),
                            ivr_path=["language:1", "main:1", "kind", "where", "consent:1"], topic="trafficking",
                            category=rng.choice(KINDS), urgency="urgent" if rng.random() < 0.3 else "normal",
                            callback_consent=True, started_at=ended - dt.timedelta(seconds=95), ended_at=ended,
                            duration_seconds=95)
                session.add(call)
                job_ids += case_for_call(session, call).job_ids
                session.commit()
                call_ids.append(call.id)
            dispatch.dispatch(session, redis, job_ids)
    finally:
        engine.dispose()
    return call_ids


def queue_noops(n: int, redis, label: str) -> None:
    from workers.dispatch import enqueue_once
    from workers.queues import DEFAULT, queue

    q = queue(DEFAULT, redis)
    for i in range(n):
        enqueue_once(q, "bench.p3_noop.noop", [], f"noop-{label}-{i}")


FLOORS = {"floor": False, "floor-db": True}  # run name -> with a PostgreSQL connection (bench/p3_noop.py)


def queue_floors(n: int, redis, label: str, with_database: bool) -> None:
    from workers.dispatch import enqueue_once
    from workers.queues import DEFAULT, queue

    q = queue(DEFAULT, redis)
    for i in range(n):
        enqueue_once(q, "bench.p3_noop.floor", [f"+6689{i:07d}", f"floor-check-{label}-{i}", with_database],
                     f"floor-{label}-{i}")


# --- one run -----------------------------------------------------------------------------------------


def postgres_ticks() -> int:
    """CPU ticks of PostgreSQL, with its reaped backends' (the worker's horses connect without a pool)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat[stat.index("(") + 1:stat.rindex(")")].startswith("postgres"):
                f = stat[stat.rindex(")") + 2:].split()
                total += sum(int(v) for v in f[11:15])
    return total


def job_span(redis) -> tuple[int, float, dict[str, int]]:
    """(jobs finished, seconds from the first start to the last end, statuses) from RQ's job hashes."""
    starts, ends, statuses = [], [], {}
    for key in redis.scan_iter("rq:job:*", count=1000):
        if key.count(b":") != 2:
            continue  # rq:job:<id>:dependents and the like
        started, ended, status = redis.hmget(key, "started_at", "ended_at", "status")
        status = (status or b"?").decode()
        statuses[status] = statuses.get(status, 0) + 1
        if status != "finished":
            continue
        starts.append(_stamp(started))
        ends.append(_stamp(ended))
    return len(ends), (max(ends) - min(starts)) if ends else 0.0, statuses


def _stamp(value: bytes) -> float:
    return dt.datetime.fromisoformat(value.decode().rstrip("Z")).replace(tzinfo=dt.UTC).timestamp()


def run_worker(env: dict, work: Path, label: str, procs: list[Proc]) -> dict:
    """One burst worker, until the queues are empty; its CPU (with its horses') and the machine's."""
    log = work / f"worker-{label}.log"
    proc = Proc(f"worker-{label}", [sys.executable, "-m", "bench.p3_worker"], env, log)
    procs.append(proc)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_before, busy_before, started = postgres_ticks(), machine_busy(), time.monotonic()
    proc.start()
    try:
        code = proc.process.wait(timeout=900)
    except subprocess.TimeoutExpired:
        proc.stop()
        raise SystemExit(f"the worker did not finish {label} within 900 s:\n{tail(log)}")
    wall = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy()
    procs.remove(proc)
    if code != 0:
        raise SystemExit(f"the worker exited {code} in {label}:\n{tail(log)}")
    worker_cpu = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    machine_cpu = (busy[0] - busy_before[0]) / CLK_TCK
    pg_cpu = (postgres_ticks() - pg_before) / CLK_TCK
    return {"wall": wall, "worker_cpu": worker_cpu, "postgres_cpu": pg_cpu,
            "other_cpu": max(machine_cpu - worker_cpu - pg_cpu, 0.0), "log": str(log)}


def check_round(call_ids: list[int], mock_sent: int) -> list[str]:
    """Every call's case is on level 1 with one sent SMS per on-duty level-1 contact, and nothing is left over."""
    first, last = min(call_ids), max(call_ids)
    with db() as conn:
        cases = conn.execute("SELECT count(*) FROM cases WHERE call_id BETWEEN %s AND %s", (first, last)).fetchone()[0]
        wrong = conn.execute(
            "SELECT count(*) FROM cases c WHERE c.call_id BETWEEN %s AND %s AND (c.level <> 1 OR c.status <> 'escalating'"
            " OR (SELECT count(*) FROM escalations e WHERE e.case_id = c.id AND e.level = 1 AND e.status = 'sent'"
            "     AND e.message_sid IS NOT NULL)"
            "  <> (SELECT count(*) FROM contacts k WHERE k.centre_id = c.centre_id AND k.level = 1 AND k.active"
            "      AND k.on_duty AND k.unreachable_reason IS NULL)"
            " OR (SELECT count(*) FROM escalations e WHERE e.case_id = c.id) = 0)", (first, last)).fetchone()[0]
        escalations = conn.execute("SELECT count(*) FROM escalations e JOIN cases c ON c.id = e.case_id "
                                   "WHERE c.call_id BETWEEN %s AND %s", (first, last)).fetchone()[0]
        messages = conn.execute("SELECT count(*) FROM messages m JOIN cases c ON c.id = m.case_id "
                                "WHERE c.call_id BETWEEN %s AND %s AND m.direction = 'out' AND NOT m.dry_run",
                                (first, last)).fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM outbox WHERE status <> 'done'").fetchone()[0]
    problems = []
    if cases != len(call_ids):
        problems.append(f"{len(call_ids)} calls but {cases} cases")
    if wrong:
        problems.append(f"{wrong} cases not at level 1 with every level-1 contact's SMS sent")
    if not escalations == messages == mock_sent:
        problems.append(f"{escalations} escalations, {messages} messages stored, {mock_sent} SMS at the mock")
    if pending:
        problems.append(f"{pending} outbox items not done")
    return problems


def log_problems(path: str) -> list[str]:
    text = Path(path).read_text(errors="replace")
    bad = [line for line in text.splitlines() if re.search(r"\bERROR\b|Traceback|CRITICAL", line)]
    return [f"{len(bad)} error lines in {path}, e.g. {bad[0][:300]}"] if bad else []


# --- report --------------------------------------------------------------------------------------------


def report(results: list[dict], args) -> str:
    lines = [
        f"{args.rounds} round(s); each: {args.calls} calls (target) and {args.calls} no-op jobs (baseline)"
        + (f" and {args.calls} floor jobs of each kind" if args.floor else "") + ", one burst "
        "worker each. Rate = N / (last job's end - first job's start), RQ's timestamps. CPU in core-seconds per "
        "case (target) or per job (baseline); worker = the worker and its horses.",
        "",
        "| round | run | jobs | span s | wall s (with start-up) | per second | jobs/s | CPU s worker | CPU s postgres "
        "| CPU s other | worker CPU ms per case or job, start-up included |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        per = r["n"] / r["span"]
        lines.append(f"| {r['round'] + 1} | {r['run']} | {r['jobs']} | {r['span']:.2f} | {r['wall']:.2f} | {per:.1f} "
                     f"| {r['jobs'] / r['span']:.1f} | {r['worker_cpu']:.2f} | {r['postgres_cpu']:.2f} "
                     f"| {r['other_cpu']:.2f} | {1000 * r['worker_cpu'] / r['n']:.1f} |")
    header = False
    for target in ("target", *FLOORS):
        ratios, job_ratios = [], []
        for round_ in range(args.rounds):
            pair = {r["run"]: r for r in results if r["round"] == round_}
            if {target, "baseline"} <= set(pair):
                t, b = pair[target], pair["baseline"]
                ratios.append((t["n"] / t["span"]) / (b["n"] / b["span"]))
                job_ratios.append((t["jobs"] / t["span"]) / (b["n"] / b["span"]))
        if not ratios:
            continue
        if not header:
            lines += ["", "| worker | cases/s ÷ no-op jobs/s, per round | median (goal ≥ 0.5) "
                      "| its jobs/s ÷ no-op jobs/s, median |", "|---|---|---:|---:|"]
            header = True
        ratio = statistics.median(ratios)
        name = {"target": "the app", "floor": "floor: one SMS + the SLA check",
                "floor-db": "floor-db: the same + a new PostgreSQL connection"}[target]
        lines.append(f"| {name} "
                     f"| {', '.join(f'{x:.3f}' for x in ratios)} | {ratio:.3f} {'met' if ratio >= GOAL else 'MISSED'} "
                     f"| {statistics.median(job_ratios):.3f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="calls (and no-op jobs) per round (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, target and baseline in turns (default 3)")
    parser.add_argument("--warmup", type=int, default=5, help="calls and no-op jobs before round 1, untimed (default 5)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--only", choices=["baseline", "target"], help="run one side only")
    parser.add_argument("--floor", action="store_true",
                        help="also run, in each round, N floor jobs without and with a database connection "
                             "(bench/p3_noop.py): the least any case job costs")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="the worker connects through a private PgBouncer in session mode (docs/deploy.md)")
    parser.add_argument("--json", type=Path, help="also write every run's raw numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) and the schema")
    args = parser.parse_args()

    from redis import Redis

    work = Path(tempfile.mkdtemp(prefix="p3-bench-"))
    redis_db = lease.claim()
    if redis_db is None:
        raise SystemExit("every Redis database 1-15 is leased by a running test or benchmark; try again later")
    redis_url = f"redis://127.0.0.1:6379/{redis_db}"
    redis = Redis.from_url(redis_url)
    procs: list[Proc] = []
    results: list[dict] = []
    problems: list[str] = []
    rng = random.Random(args.seed)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        print(f"P3: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine()}; app at {source_state()}", flush=True)
        mock_url = start_mock(work, procs)
        env = {**app_env(mock_url, work / "spool", free_port(), redis_url), "DATABASE_URL": DATABASE_URL}
        (work / "spool").mkdir()
        print(f"P3: work directory {work}; Redis database {redis_db} (leased); mock Twilio {mock_url}", flush=True)
        print(f"P3: fresh schema {SCHEMA!r}, alembic upgrade head, flask centres load", flush=True)
        fresh_schema(env, SCHEMA)
        flask(env, "centres", "load")
        print(f"P3: {real_looking_contacts()} contacts given non-demo numbers", flush=True)
        worker_env = env
        if args.pgbouncer:
            worker_env = {**env, "DATABASE_URL": start_pgbouncer(work, procs)}
            print(f"P3: the worker connects through PgBouncer: {worker_env['DATABASE_URL']}", flush=True)
        runs = [r for r in ("baseline", "target") if args.only in (None, r)] + (list(FLOORS) if args.floor else [])
        plan = [(-1, run, args.warmup) for run in runs if args.warmup] + [
            (round_, run, args.calls) for round_ in range(args.rounds) for run in (runs if round_ % 2 == 0 else runs[::-1])]
        for round_, run, n in plan:
            redis.flushdb()
            lease.renew(redis_db)
            label = f"{run}-{'warmup' if round_ < 0 else f'r{round_ + 1}'}"
            sent_before = mock_count(mock_url)
            calls = run == "target"
            if calls:
                call_ids = queue_calls(env, n, rng, redis)
            elif run in FLOORS:
                queue_floors(n, redis, label, FLOORS[run])
            else:
                queue_noops(n, redis, label)
            queued = sum(redis.llen(f"rq:queue:{q}") for q in ("urgent", "default", "sms"))
            result = run_worker(worker_env, work, label, procs)
            jobs, span, statuses = job_span(redis)
            if statuses.get("finished") != jobs or set(statuses) - {"finished", "scheduled"}:
                problems.append(f"{label}: job statuses {statuses}")
            if calls:
                problems += [f"{label}: {p}" for p in check_round(call_ids, mock_count(mock_url) - sent_before)]
            elif jobs != n:
                problems.append(f"{label}: {jobs} {run} jobs finished of {n}")
            elif run in FLOORS and (mock_count(mock_url) - sent_before, statuses.get("scheduled")) != (n, n):
                problems.append(f"{label}: {mock_count(mock_url) - sent_before} SMS at the mock and "
                                f"{statuses.get('scheduled')} checks scheduled for {n} floor jobs")
            problems += log_problems(result["log"])
            result.update(round=round_, run=run, n=n, jobs=jobs, span=span, queued=queued, statuses=statuses)
            print(f"  {label:18} {n} {'calls' if calls else run + ' jobs'} ({queued} queued, {jobs} jobs): "
                  f"span {span:6.2f} s, {n / span:6.1f}/s, {jobs / span:6.1f} jobs/s; wall {result['wall']:.2f} s; "
                  f"CPU s worker {result['worker_cpu']:.2f} postgres {result['postgres_cpu']:.2f} "
                  f"other {result['other_cpu']:.2f}", flush=True)
            if round_ >= 0:
                results.append(result)
    except KeyboardInterrupt:
        print("P3: interrupted", file=sys.stderr)
        return 130
    finally:
        for proc in reversed(procs):
            proc.stop()
        lease.release(redis_db, flush=True)

    print()
    print(report(results, args))
    print(f"\nP3: {time.monotonic() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            if args.pgbouncer:
                conn.execute(f"DROP ROLE IF EXISTS {PGBOUNCER_ROLE}")
    if problems:
        print("\nP3: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
