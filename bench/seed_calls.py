#!/usr/bin/env python3
"""Seed a PostgreSQL schema with N calls, their events and cases, in a few SQL statements (P4, P5).

    .venv/bin/python bench/seed_calls.py --schema bench_p4 --calls 1000000

A year of calls, oldest first (ids grow with time): statuses, languages, callers (some withheld),
provinces (Bangkok the most, a third unknown), a trafficking share with a case each (most closed),
and a quarter of the calls with two webhook events. Rows are made by `INSERT ... SELECT
generate_series` with a fixed `setseed`, so a schema seeded twice is the same. The schema is
migrated with `alembic upgrade head` first; a schema already seeded with the same size is reused
(its marker table says so) unless --fresh. Also creates a supervisor, SUPERVISOR / PASSWORD.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import p1_voice_incoming as p1  # noqa: E402

SUPERVISOR, PASSWORD = "bench-supervisor", "bench-supervisor-password-0123"
SEED_VERSION = 2  # bump when the rows below change, so old seeded schemas are not reused
PROVINCES = [str(c) for c in (list(range(10, 28)) + list(range(30, 50)) + list(range(50, 59))
                              + list(range(60, 68)) + list(range(70, 78)) + list(range(80, 87)) + list(range(90, 97)))]


def database_url(schema: str) -> str:
    return f"{p1.PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


def seeded(schema: str) -> int | None:
    import psycopg

    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        try:
            row = conn.execute(f"SELECT calls FROM {schema}.bench_seed WHERE version = %s", (SEED_VERSION,)).fetchone()
            revision = conn.execute(f"SELECT version_num FROM {schema}.alembic_version").fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return row[0] if row and revision and revision[0] == _head() else None  # a new migration: seed again


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(p1.ROOT / "alembic.ini"))).get_current_head()


def seed(schema: str, calls: int, fresh: bool = False, quiet: bool = False) -> float:
    """Seconds it took (0 when the schema was reused)."""
    if not fresh and seeded(schema) == calls:
        if not quiet:
            print(f"seed: schema {schema} already holds {calls:,} seeded calls; reused (--fresh to re-seed)", flush=True)
        return 0.0
    import psycopg
    from werkzeug.security import generate_password_hash

    started = time.monotonic()
    with psycopg.connect(p1.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    subprocess.run([str(p1.VENV_BIN / "alembic"), "upgrade", "head"], cwd=p1.ROOT, check=True,
                   env={**os.environ, "HOTLINE_ENV": "development", "DATABASE_URL": database_url(schema)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    provinces = "ARRAY[" + ",".join(f"'{p}'" for p in PROVINCES) + "]"
    steps = [
        ("calls", f"""
        INSERT INTO calls (id, call_sid, status, from_raw, from_e164, caller_withheld, caller_country, to_number,
                           province_code, province_source, province_candidates, language, ivr_path, topic, category,
                           urgency, callback_consent, duration_seconds, started_at, ended_at)
        SELECT g, 'CA' || md5('{schema}' || g), r.status,
               CASE WHEN r.withheld THEN 'anonymous' ELSE r.number END,
               CASE WHEN r.withheld THEN NULL ELSE r.number END, r.withheld,
               CASE WHEN r.withheld THEN NULL ELSE 'TH' END, '+661300',
               r.province, CASE WHEN r.province IS NOT NULL THEN (ARRAY['landline','caller','operator'])[1 + (r.u3 * 3)::int % 3] END,
               '[]'::json, r.language, CASE WHEN r.topic IS NULL THEN '["language"]' ELSE '["language","main","kind"]' END::json,
               r.topic, CASE WHEN r.topic = 'trafficking' THEN (ARRAY['sexual_exploitation','forced_labour','forced_begging',
                   'slavery','organ_removal','forced_criminality','child_exploitation','other'])[1 + (r.u5 * 8)::int % 8] END,
               CASE WHEN r.topic = 'trafficking' THEN CASE WHEN r.u2 < 0.3 THEN 'urgent' ELSE 'normal' END END,
               CASE WHEN r.topic IS NOT NULL THEN r.u2 < 0.7 END, r.duration, r.started_at,
               r.started_at + make_interval(secs => r.duration)
        FROM generate_series(1, {calls}) g
        CROSS JOIN LATERAL (SELECT random() + 0 * g AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
                                   (600000000 + (random() * 399999999)::bigint)::text AS digits) u  -- 0 * g: once per row
        CROSS JOIN LATERAL (SELECT
            CASE WHEN u.u1 < 0.78 THEN 'completed' WHEN u.u1 < 0.86 THEN 'no-answer' WHEN u.u1 < 0.90 THEN 'busy'
                 WHEN u.u1 < 0.93 THEN 'failed' ELSE 'canceled' END AS status,
            u.u2 < 0.05 AS withheld, '+66' || u.digits AS number,
            CASE WHEN u.u3 < 0.33 THEN NULL WHEN u.u3 < 0.50 THEN '10'
                 ELSE ({provinces})[1 + (u.u4 * {len(PROVINCES)})::int % {len(PROVINCES)}] END AS province,
            CASE WHEN u.u4 < 0.60 THEN 'th' WHEN u.u4 < 0.75 THEN 'my' WHEN u.u4 < 0.85 THEN 'en'
                 WHEN u.u4 < 0.93 THEN 'km' ELSE 'lo' END AS language,
            CASE WHEN u.u1 >= 0.78 THEN NULL WHEN u.u2 < 0.08 THEN 'trafficking' WHEN u.u2 < 0.60 THEN 'other_help' END AS topic,
            CASE WHEN u.u1 < 0.78 THEN 20 + (u.u3 * 580)::int ELSE 0 END AS duration,
            now() - interval '365 days' + (g::float8 / {calls}) * interval '365 days'
                + make_interval(secs => u.u4 * 30) AS started_at,
            u.u2, u.u3, u.u5) r
        """),
        ("call_events", """
        INSERT INTO call_events (call_id, key, kind, params, received_at)
        SELECT c.id, e.key, e.kind, '{}'::json, c.started_at + e.after
        FROM calls c CROSS JOIN (VALUES ('incoming', 'incoming', interval '0'),
                                        ('status', 'status:completed:', interval '3 minutes')) AS e(kind, key, after)
        WHERE c.id % 4 = 0
        """),
        ("cases", """
        INSERT INTO cases (reference, source, call_id, category, urgency, province_code, status, outcome, level,
                           unacknowledged, sla_due_at, created_at, acknowledged_at, closed_at)
        SELECT '1300-B-' || c.id, 'call', c.id, c.category, c.urgency, c.province_code, s.status,
               CASE WHEN s.status = 'closed' THEN (ARRAY['rescued_assisted','referred_police','referred_agency',
                   'no_action_needed','false_report'])[1 + c.id % 5] END,
               1, s.status = 'escalating' AND c.id % 3 = 0, c.started_at + interval '62 minutes',
               c.started_at + interval '2 minutes',
               CASE WHEN s.status IN ('acknowledged', 'in_progress', 'closed') THEN c.started_at + interval '20 minutes' END,
               CASE WHEN s.status = 'closed' THEN c.started_at + interval '3 days' END
        FROM calls c CROSS JOIN LATERAL (SELECT CASE
            WHEN c.started_at < now() - interval '30 days' THEN 'closed'
            ELSE (ARRAY['new','escalating','acknowledged','in_progress','closed','closed'])[1 + c.id % 6] END AS status) s
        WHERE c.topic = 'trafficking'
        ORDER BY c.id
        """),
    ]
    with psycopg.connect(database_url(schema), autocommit=True) as conn:
        conn.execute("SELECT setseed(0.1300)")
        for table, sql in steps:
            t = time.monotonic()
            rows = conn.execute(sql).rowcount
            if not quiet:
                print(f"seed: {schema}.{table}: {rows:,} rows in {time.monotonic() - t:.1f} s", flush=True)
        for table in ("calls", "call_events", "cases"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("INSERT INTO users (username, password_hash, role, provinces, language, active, created_at) "
                     "VALUES (%s, %s, 'supervisor', '[]', 'en', true, now())",
                     (SUPERVISOR, generate_password_hash(PASSWORD)))
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_seed (calls integer, version integer)")
        conn.execute("INSERT INTO bench_seed VALUES (%s, %s)", (calls, SEED_VERSION))
    took = time.monotonic() - started
    if not quiet:
        print(f"seed: schema {schema}: {calls:,} calls seeded in {took:.0f} s", flush=True)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema", required=True)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="re-seed even if the schema holds this many calls")
    args = parser.parse_args()
    seed(args.schema, args.calls, args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
