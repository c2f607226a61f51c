"""Reports at volume: the report page and its GROUP BY queries on PostgreSQL with 1,000,000 calls.

Seeds a fresh schema `bench_reports` in database `test` (tables from the models; the tests' schemas
are not touched) with a year of calls and cases spread over the 77 provinces, five languages and
the eight kinds, about 70% of the cases acknowledged at level 1-3 or in the console; then times each
live query and the page (logged in as a supervisor, through the Flask test client) counted live, with
the summary tables empty; then counts the summary as the nightly job does (casework/summary.py), times
that, and times the page again, now read from the summary (today still counted live); default 12 weeks,
52 weeks and 12 months; prints p50/max in ms. Drops the schema at the end unless --keep.

    .venv/bin/python bench/reports_queries.py [--calls 1000000] [--cases 100000] [--rounds 7] [--schema bench_reports]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from models import Base, User, make_engine, make_sessionmaker  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = "bench_reports"


def url(schema: str = SCHEMA) -> str:
    return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


URL = url()
PROVINCES = [line.split(",")[0] for line in (ROOT / "data" / "provinces.csv").read_text().splitlines()[1:] if line]
KINDS = ["sexual_exploitation", "forced_labour", "forced_begging", "slavery", "organ_removal", "forced_criminality",
         "child_exploitation", "other"]


def seed(engine, calls: int, cases: int, schema: str = SCHEMA) -> None:
    provinces = "ARRAY[" + ",".join(f"'{p}'" for p in PROVINCES) + "]"
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
    with engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {schema}"))
    Base.metadata.create_all(engine)
    statements = [
        # A year back from now; 85% Thai, then Burmese, Khmer, Lao, English.
        f"""INSERT INTO calls (call_sid, status, language, province_code, caller_withheld, province_candidates, ivr_path,
                               started_at)
            SELECT 'CA' || lpad(i::text, 32, '0'), 'completed',
                   (ARRAY['th','th','th','th','th','th','th','th','th','th','th','th','th','th','th','th','th','my','km','en'])
                       [1 + i % 20],
                   ({provinces})[1 + (i::bigint * 7919) % 77], false, '[]', '[]',
                   now() - (i::float / {calls}) * interval '365 days'
            FROM generate_series(1, {calls}) AS i""",
        """INSERT INTO centres (code, name_th, name_en) VALUES ('central', 'x', 'x')""",
        """INSERT INTO contacts (centre_id, name, role, phone, level, on_duty, active, updated_at)
           SELECT 1, 'c' || l, '', '+6680000000' || l, l, true, true, now() FROM generate_series(1, 3) AS l""",
        f"""INSERT INTO cases (reference, source, category, urgency, province_code, status, level, unacknowledged,
                               created_at, acknowledged_at)
            SELECT '1300-69-' || lpad(i::text, 6, '0'), 'call', ({kinds})[1 + i % 8], 'normal',
                   ({provinces})[1 + (i::bigint * 104729) % 77], CASE WHEN i % 10 < 7 THEN 'acknowledged' ELSE 'escalating' END,
                   1 + i % 3, false, now() - (i::float / {cases}) * interval '365 days',
                   CASE WHEN i % 10 < 7 THEN now() - (i::float / {cases}) * interval '365 days'
                        + ((i * 37) % 240) * interval '1 minute' END
            FROM generate_series(1, {cases}) AS i""",
        """INSERT INTO escalations (case_id, level, contact_id, status, created_at, acknowledged_at)
           SELECT id, 1 + id % 3, 1 + id % 3, 'acknowledged', created_at, acknowledged_at
           FROM cases WHERE acknowledged_at IS NOT NULL AND id % 7 <> 0""",
        "ANALYZE calls, cases, escalations",  # our tables only: other schemas are busy
    ]
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def timed(fn, rounds: int) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    parser.add_argument("--reuse", action="store_true", help="time a kept schema again, without seeding")
    parser.add_argument("--schema", default=SCHEMA, help="the schema seeded (and dropped unless --keep)")
    args = parser.parse_args()

    from casework import summary
    from casework.config import Config
    from hotline import create_app
    from hotline.console import access
    from hotline.console.i18n import today
    from hotline.console.report_queries import ack_durations, call_counts, case_counts, periods
    from models import Call, Case, SummaryAcks, SummaryCount, SummaryPeriod, utcnow

    engine = make_engine(url(args.schema))
    started = time.perf_counter()
    if not args.reuse:
        seed(engine, args.calls, args.cases, args.schema)
        print(f"seeded {args.calls:,} calls and {args.cases:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
    Base.metadata.create_all(engine)  # a schema kept from before the summary gets its tables
    sessions = make_sessionmaker(engine)
    try:
        app = create_app(Config(ENV="test", DATABASE_URL=url(args.schema), TWILIO_AUTH_TOKEN="bench", SECRET_KEY="bench", TESTING=True))
        with sessions() as session:
            user = session.scalar(select(User).where(User.username == "bench"))
            if user is None:
                user = User(username="bench", password_hash="scrypt:1024:8:1$x$y", role="supervisor", language="en")
                session.add(user)
                session.commit()
            last = today(utcnow())
            ranges = (("12 weeks", "week", last - timedelta(weeks=11)), ("52 weeks", "week", last - timedelta(weeks=51)),
                      ("12 months", "month", last.replace(year=last.year - 1)))
            client = app.test_client()
            with client.session_transaction("/console/") as s:  # "/" is health's: no session there
                now = int(time.time())
                s.update(uid=user.id, pw=access._fingerprint(user), login_at=now, seen_at=now)

            def page(unit, first):
                path = f"/console/reports?period={unit}&date_from={first.isoformat()}&date_to={last.isoformat()}"
                return lambda: client.get(path).status_code == 200 or sys.exit(f"{path} failed")

            # 1. No summary: every figure counted live, as the page did before the summary (and does before its first count).
            with engine.begin() as c:
                for model in (SummaryAcks, SummaryCount, SummaryPeriod):
                    c.execute(model.__table__.delete())
            for label, unit, first in ranges:
                spans = periods(first, last, unit)
                # As the page asks for a supervisor: every province, trainers' calls and cases left out.
                cases = lambda s: s.where(Case.not_training())  # noqa: E731
                calls = lambda s: s.where(Call.not_training())  # noqa: E731
                for name, fn in (("case_counts", lambda: case_counts(session, cases, spans)),
                                 ("call_counts", lambda: call_counts(session, calls, spans)),
                                 ("ack_durations", lambda: ack_durations(session, cases, spans))):
                    p50, worst = timed(fn, args.rounds)
                    print(f"{label:>9}  {name:<14} p50 {p50:7.1f} ms  max {worst:7.1f} ms", flush=True)
                p50, worst = timed(page(unit, first), args.rounds)
                print(f"{label:>9}  {'page, live':<14} p50 {p50:7.1f} ms  max {worst:7.1f} ms", flush=True)

            # 2. The summary counted as the nightly job does, then the page read from it (today still live).
            began = time.perf_counter()
            counted, _changed = summary.recount(sessions)
            print(f"recount of every period ({counted} weeks and months): {time.perf_counter() - began:.1f} s", flush=True)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:  # as autovacuum soon would
                c.execute(text("VACUUM ANALYZE summary_periods, summary_counts, summary_acks"))  # our tables only
            began = time.perf_counter()
            summary.recount(sessions, last - timedelta(days=31), last)
            print(f"recount of the last 31 days' periods, nothing changed: {(time.perf_counter() - began) * 1000:.0f} ms",
                  flush=True)
            for label, unit, first in ranges:
                p50, worst = timed(page(unit, first), args.rounds)
                print(f"{label:>9}  {'page, summary':<14} p50 {p50:7.1f} ms  max {worst:7.1f} ms", flush=True)
    finally:
        if not args.keep:
            with engine.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {args.schema} CASCADE"))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
