"""Benchmark P3's jobs besides the app's: RQ's own cost of a job, and the floor of a case job.

`noop` is the baseline: nothing of the hotline's. `floor` (`p3_worker_throughput.py --floor`) is the least a
job that pages someone about a case must do, whatever its code: one SMS through the app's sender (the twilio
client, to the bench's mock Twilio) and the SLA check scheduled with RQ, as the app schedules it; with
`with_database`, also a new PostgreSQL connection that runs one query (a forked work horse cannot reuse its
parent's). No routing, no rows written, no ORM: a case job can only cost more.
"""
from __future__ import annotations

from datetime import timedelta


def noop() -> None:
    return None


def floor(to: str, check_id: str, with_database: bool = False) -> None:
    from workers import dispatch, runtime
    from workers.queues import DEFAULT, queue

    context = runtime.current()
    config = context.config
    if with_database:
        import psycopg

        with psycopg.connect(config.DATABASE_URL) as connection:
            connection.execute("SELECT 1").fetchone()
    context.sender.send(to, "1300: a floor job, not a case", None)
    queue(DEFAULT, context.redis).enqueue_in(timedelta(minutes=30), noop, job_id=check_id, unique=True,
                                             retry=dispatch.RETRY)
