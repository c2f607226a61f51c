"""The case story's figures (casework/story_figures.py) at volume: counted live on PostgreSQL with 50,000 cases.

Seeds a fresh schema `bench_story` in database `test` (tables from the models) with a year of cases (as
bench/reports_queries.py), 80% of them with an intake in one to three versions (people, minors, two
nationalities, three signs), a referral for every other case, and an arrival and a note by SMS for 60% of the
acknowledged ones; then times `story()` for 12 weeks, a month and the whole year; prints p50/max in ms.
Drops the schema at the end unless --keep.

    .venv/bin/python bench/story_figures.py [--cases 50000] [--rounds 7]
"""
from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reports_queries import KINDS, PROVINCES, timed, url  # noqa: E402
from sqlalchemy import text  # noqa: E402

from casework.figures import Period, periods  # noqa: E402
from casework.story_figures import story  # noqa: E402
from casework.summary import local_day  # noqa: E402
from models import Base, Case, make_engine, make_sessionmaker, utcnow  # noqa: E402

SCHEMA = "bench_story"


def seed(engine, cases: int) -> None:
    provinces = "ARRAY[" + ",".join(f"'{p}'" for p in PROVINCES) + "]"
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
    with engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    Base.metadata.create_all(engine)
    statements = [
        """INSERT INTO users (username, password_hash, role, provinces, language, active, created_at)
           VALUES ('op', 'x', 'operator', '[]', 'en', true, now())""",
        """INSERT INTO centres (code, name_th, name_en) VALUES ('central', 'x', 'x')""",
        """INSERT INTO contacts (centre_id, name, role, phone, level, on_duty, active, updated_at)
           VALUES (1, 'c', '', '+66800000001', 1, true, true, now())""",
        f"""INSERT INTO cases (reference, source, category, urgency, province_code, status, level, unacknowledged,
                               created_at, acknowledged_at, outcome)
            SELECT '1300-69-' || lpad(i::text, 6, '0'), 'call', ({kinds})[1 + i % 8], 'normal',
                   ({provinces})[1 + (i::bigint * 104729) % 77], 'acknowledged', 1, false,
                   now() - (i::float / {cases}) * interval '365 days',
                   CASE WHEN i % 10 < 7 THEN now() - (i::float / {cases}) * interval '365 days'
                        + ((i * 37) % 240) * interval '1 minute' END,
                   CASE WHEN i % 5 = 0 THEN 'rescued_assisted' WHEN i % 5 = 1 THEN 'not_found' END
            FROM generate_series(1, {cases}) AS i""",
        """INSERT INTO intakes (case_id, version, author_id, created_at, people_count, minors_count, nationalities, indicators)
           SELECT c.id, v, 1, c.created_at, 1 + c.id % 6, c.id % 3, '["MM", "KH"]',
                  '["documents_taken", "debt_bondage", "forced_crime"]'
           FROM cases c, generate_series(1, 3) AS v WHERE c.id % 5 <> 0 AND v <= 1 + c.id % 3""",
        """INSERT INTO referrals (case_id, agency, status, created_at)
           SELECT id, (ARRAY['police_191','dsi','shelter','ngo'])[1 + id % 4], (ARRAY['requested','accepted','done'])[1 + id % 3],
                  created_at FROM cases WHERE id % 2 = 0""",
        """INSERT INTO field_reports (case_id, contact_id, message_sid, kind, at)
           SELECT id, 1, 'SMa' || id, 'arrived', acknowledged_at + interval '40 minutes'
           FROM cases WHERE acknowledged_at IS NOT NULL AND id % 10 < 6""",
        """INSERT INTO field_reports (case_id, contact_id, message_sid, kind, body, at)
           SELECT id, 1, 'SMn' || id, 'note', 'x', acknowledged_at + interval '50 minutes'
           FROM cases WHERE acknowledged_at IS NOT NULL AND id % 10 < 6""",
        "ANALYZE cases, intakes, referrals, field_reports",
    ]
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args()
    engine = make_engine(url(SCHEMA))
    try:
        seed(engine, args.cases)
        sessions = make_sessionmaker(engine)
        today = local_day(utcnow())
        spans = {"12 weeks": periods(today - timedelta(weeks=11), today, "week"),
                 "1 month": periods(today, today, "month"),
                 "365 days": [Period(today - timedelta(days=365), today + timedelta(days=1))]}
        print(f"story figures, {args.cases} cases, PostgreSQL, p50/max of {args.rounds} rounds")
        for name, span in spans.items():
            whole = Period(span[0].start, span[-1].end)
            with sessions() as session:
                p50, worst = timed(lambda: story(session, lambda s: s.where(Case.not_training()), whole), args.rounds)  # noqa: B023
            print(f"  {name:10} {p50:8.1f} ms  {worst:8.1f} ms")
    finally:
        if not args.keep:
            with engine.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
