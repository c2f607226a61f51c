#!/usr/bin/env python3
"""The report's queries as PostgreSQL runs them once psycopg has prepared them: with a generic plan.

psycopg prepares a statement on the server from its 5th run on a connection; PostgreSQL may then plan it once for
any parameters. This runs each report query (12 and 52 weeks, a supervisor's scope) as a prepared statement under
`SET plan_cache_mode = force_generic_plan`, on a schema seeded by `bench/reports_queries.py --keep`, and prints the
time of one run. A query whose generic plan goes wrong shows here as seconds (BENCHMARKS.md, Reports).

    .venv/bin/python bench/reports_queries.py --keep && .venv/bin/python bench/generic_plans.py
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.reports_queries import URL  # noqa: E402
from hotline.console import report_queries as queries  # noqa: E402
from hotline.console.i18n import today  # noqa: E402
from models import Call, Case, make_engine, utcnow  # noqa: E402


class Capture:
    """Stands in for the session: keeps the statement a query function would run."""

    statement = None

    def execute(self, statement):
        self.statement = statement
        return []


def main() -> int:
    dialect = make_engine(URL).dialect
    last = today(utcnow())
    cases = lambda s: s.where(Case.not_training())  # noqa: E731 - as the page, for a supervisor
    calls = lambda s: s.where(Call.not_training())  # noqa: E731
    with psycopg.connect(URL, autocommit=True) as connection:
        connection.execute("SET plan_cache_mode = force_generic_plan")
        for weeks in (12, 52):
            spans = queries.periods(last - timedelta(weeks=weeks - 1), last, "week")
            for name, query, scope in (("ack_durations", queries.ack_durations, cases),
                                       ("case_counts", queries.case_counts, cases),
                                       ("call_counts", queries.call_counts, calls)):
                capture = Capture()
                query(capture, scope, spans)
                compiled = capture.statement.compile(dialect=dialect)
                started = time.perf_counter()
                rows = connection.execute(str(compiled), compiled.params, prepare=True).fetchall()
                print(f"{weeks} weeks  {name:<14} generic plan: {(time.perf_counter() - started) * 1000:8.0f} ms, "
                      f"{len(rows)} rows", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
