#!/usr/bin/env python3
"""Benchmark P5: signed `POST /voice/incoming` with 1,000,000 calls stored, against 10,000 (goal: latency ratio <= 1.2).

    .venv/bin/python bench/p5_incoming_at_scale.py

Two PostgreSQL schemas seeded by bench/seed_calls.py (`bench_10k`, `bench_1m`; a schema already seeded
is reused), the real app served twice by the Procfile's `web` command, one per schema, and P1's load:
its pre-signed calls, its wrk script and its run loop, the two servers taking turns in every round.
Checked as in P1: every answer 200, one Call and one CallEvent written per answered call, nothing
spooled, no error in the logs. Prints the table for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import p1_voice_incoming as p1  # noqa: E402
from bench.seed_calls import database_url, seed  # noqa: E402

SIZES = {"10k": ("bench_10k", 10_000), "1M": ("bench_1m", 1_000_000)}
GOAL = 1.2


def app_env(schema: str, spool: Path) -> dict:
    return p1.production_env(database_url(schema), spool)


def row_counts(schema: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        calls, events = conn.execute(f"SELECT (SELECT count(*) FROM {schema}.calls), "
                                     f"(SELECT count(*) FROM {schema}.call_events)").fetchone()
    return {"calls": calls, "call_events": events}


class Bench(p1.Bench):
    """P1's run loop; rows are counted in each server's own schema."""

    def run(self, server, connections, duration, label, round_):
        schema = SIZES[server.name][0]
        before = row_counts(schema)
        m = super().run(server, connections, duration, label, round_)
        after = row_counts(schema)
        m.data["rows"] = {t: after[t] - before[t] for t in after}
        return m


def report(measurements: list[p1.Measurement], args) -> str:
    runs: dict[tuple[str, int], list[p1.Measurement]] = {}
    for m in measurements:
        runs.setdefault((m.server, m.connections), []).append(m)
    med = p1.median
    lines = [f"Medians of {args.rounds} round(s) of {args.duration:g} s per size and concurrency.", "",
             "| calls stored | conns | req/s | p50 ms | p95 ms | p99 ms | errors | CPU gunicorn | CPU postgres "
             "| CPU other | CPU ms/req gunicorn + postgres |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in args.connections:
        for name in SIZES:
            ms = runs.get((name, c), [])
            if not ms:
                continue
            cpu = {k: med([m.data["cpu_cores"][k] for m in ms]) for k in ("gunicorn", "postgres", "other")}
            lines.append(f"| {name} | {c} | {med([m.rps for m in ms]):.0f} | {med([m.ms('p50') for m in ms]):.1f} "
                         f"| {med([m.ms('p95') for m in ms]):.1f} | {med([m.ms('p99') for m in ms]):.1f} "
                         f"| {sum(m.errors for m in ms)} | {cpu['gunicorn']:.2f} | {cpu['postgres']:.2f} | {cpu['other']:.2f} "
                         f"| {med([m.cpu_ms('gunicorn') for m in ms]):.2f} + {med([m.cpu_ms('postgres') for m in ms]):.2f} |")
    lines += ["", f"| conns | 1M/10k p50, per round | median (goal <= {GOAL}) | 1M/10k p95, per round | median |",
              "|---:|---|---:|---|---:|"]
    for c in args.connections:
        small = {m.round: m for m in runs.get(("10k", c), [])}
        large = {m.round: m for m in runs.get(("1M", c), [])}
        rounds = [r for r in sorted(small) if r in large]
        if not rounds:
            continue
        p50 = [large[r].ms("p50") / small[r].ms("p50") for r in rounds]
        p95 = [large[r].ms("p95") / small[r].ms("p95") for r in rounds]
        lines.append(f"| {c} | {', '.join(f'{x:.2f}' for x in p50)} | {med(p50):.2f} "
                     f"{'met' if med(p50) <= GOAL else 'MISSED'} | {', '.join(f'{x:.2f}' for x in p95)} | {med(p95):.2f} |")
    disturbed = [f"{m.server} c={m.connections} round {m.round + 1} ({m.data['cpu_cores']['other']:.2f})"
                 for m in measurements if m.data["cpu_cores"]["other"] > p1.QUIET_CORES]
    lines += ["", f"Runs during which other processes on the machine used more than {p1.QUIET_CORES} cores: "
              + (", ".join(disturbed) if disturbed else "none") + "."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[2, 16],
                        help="default 2 (one request per sync worker: latency is service time) and 16 (as P1)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-rate", type=float, default=1500)
    parser.add_argument("--quiet-wait", type=float, default=5)
    parser.add_argument("--seed", type=int, default=1305)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    started = time.monotonic()
    print(f"P5: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {p1.machine()}; app at {p1.source_state()}", flush=True)
    for schema, calls in SIZES.values():
        seed(schema, calls)
    work = Path(tempfile.mkdtemp(prefix="p5-"))
    servers = [p1.Server(name, p1.TARGET_APP, app_env(schema, work / f"spool-{name}"), work / f"{name}.log")
               for name, (schema, _) in SIZES.items()]
    measurements: list[p1.Measurement] = []
    pool = p1.Pool(work / "calls.tsv", args.seed)
    try:
        pool.ensure(1 + int(args.max_rate * args.duration) + max(args.connections))
        for server in servers:
            print(f"P5: starting {server.name}: {server.command} (schema {SIZES[server.name][0]})", flush=True)
            server.start()
        line = pool.line(0)
        sid = urllib.parse.parse_qs(line.split("\t")[1])["CallSid"][0]
        for server in servers:
            p1.probe(server, line, sid, check_db=False)
        measurements = Bench(servers, pool, args, work).measure()
    except KeyboardInterrupt:
        return 130
    finally:
        for server in servers:
            server.stop()
    problems = p1.validate(measurements, work / "spool-none", [s.log for s in servers])
    problems += [f"{name} spooled webhooks" for name in SIZES if (work / f"spool-{name}").exists()
                 and any((work / f"spool-{name}").iterdir())]
    print()
    print(report(measurements, args))
    print(f"\nP5: {time.monotonic() - started:.0f} s in all (seeding included)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print("\nP5: the numbers above are NOT valid:", *problems, sep="\n- ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
