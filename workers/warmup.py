"""Rehearse the jobs once in the worker's parent, in a transaction that is rolled back, so that every
work horse forked afterwards inherits SQLAlchemy's compiled statements instead of compiling its own.

SQLAlchemy caches a statement's SQL (per engine, and per mapper for the flush's INSERTs and UPDATEs)
the first time it runs. RQ forks a horse per job from a parent that never ran a query, so every horse
compiled every statement of its job again (bench P3: ~40 % of a case job's CPU). Here the parent runs
the real job steps (`start_escalation`'s and `check_acknowledged`'s, their SMS included)
against the real database, on a case, centre and contacts of its own made inside one transaction:

- every session the jobs open is bound to that transaction (their commits are savepoints), and the
  transaction is rolled back at the end: nothing is written, and the rows it made were never visible
  to anyone else (they have negative ids, so no sequence moves and no case number is skipped);
- no SMS is sent (the rehearsal's own sender answers a dry run) and Redis is not touched (its context has
  none), so nothing is enqueued or scheduled; the jobs' own INFO logs are silenced meanwhile.

PostgreSQL only (SQLite's driver cannot nest a rolled-back transaction safely, and the embedded demo
does not need the speed). If anything fails, the worker starts anyway, with the caches it got.
"""
from __future__ import annotations

import logging
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.orm import sessionmaker

from casework import ladder
from casework.escalation_sms import Sent

log = logging.getLogger(__name__)


def warm_up(context) -> float:
    """Run the jobs once against the context's database and roll everything back; the seconds it took."""
    with context.sessions() as session:
        engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return 0.0
    started = time.monotonic()
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                # Every session of the rehearsal joins this transaction; their commits are savepoints.
                rehearsal = replace(context, redis=None, sender=RehearsalSender(),
                                    sessions=sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                                          expire_on_commit=False))
                with _quiet():
                    _rehearse(rehearsal)
            finally:
                transaction.rollback()
    except Exception as error:  # noqa: BLE001 - a worker without warm caches still works
        log.warning("statement cache not warmed up (%s: %s); each job compiles its own",
                    type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
        return 0.0
    finally:
        engine.dispose()  # no connection of the parent's may reach a horse
    took = time.monotonic() - started
    log.info("statement cache warmed up in %.0f ms, rolled back", 1000 * took)
    return took


class RehearsalSender:
    """Sends nothing; answers as Twilio would."""

    def send(self, to, body, status_callback) -> Sent:
        return Sent(sid="SMwarmup" + secrets.token_hex(12), status="queued", dry_run=True)

    def find_sent(self, to, body, since) -> None:
        return None


def _rehearse(context) -> None:
    from models import Call, Case, Centre, Contact, utcnow

    from . import jobs

    me = -os.getpid()  # ids no real row has, distinct per process: two workers starting at once do not collide
    now = utcnow()
    with context.sessions.begin() as session:
        centre = Centre(id=me, code=f"warmup{me}"[:16], province_code=None, name_th="warm-up", name_en="warm-up")
        session.add(centre)
        session.add_all([Contact(id=me - level, centre_id=me, name="warm-up", role="", phone=f"+6681{level:07d}",
                                 level=level, on_duty=True, active=True, updated_at=now) for level in (1, 2)])
        session.add(Call(id=me, call_sid=f"CAwarmup{-me}", status="completed", topic="trafficking",
                         category="forced_labour", urgency="normal", province_code="10", started_at=now - timedelta(minutes=2),
                         ended_at=now))
        session.flush()
        for case_id, call_id, source in ((me, me, "call"), (me - 1, None, "app")):
            session.add(Case(id=case_id, reference=f"warmup{case_id}", source=source, call_id=call_id,
                             category="forced_labour", urgency="normal", province_code="10", district_code="1001",
                             centre_id=me, status="new", level=0, created_at=now))
    jobs.step_in(context, ladder.begin, me)  # a call's case: level 1, its SMS sent in the same job
    jobs.step_in(context, ladder.begin, me - 1)  # a case from the API
    jobs.step_in(context, ladder.check, me - 1, 1)  # an SLA window passed: level 2, its SMS
    jobs.step_in(context, ladder.check, me - 1, 1)  # ... and a late check that finds the case moved on


@contextmanager
def _quiet():
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)
