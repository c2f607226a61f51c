"""A call's first webhook, the busiest write (bench P1): its Call and its "incoming" CallEvent, each
written once however often Twilio sends it.

On PostgreSQL it is one statement, which SQLAlchemy compiles once and psycopg sends on an autocommit
connection: SQLAlchemy's per-execution work costs more CPU than the statement itself. Through SQLAlchemy
(SQLite, or a spooled webhook replayed in its session's transaction) it takes two statements.
"""
from __future__ import annotations

from functools import lru_cache

import psycopg
from psycopg.types.json import Json
from sqlalchemy import bindparam, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import Connection

from .calls import Call, CallEvent
from .upsert import insert_ignore_statement

CALL_COLUMNS = ("call_sid", "status", "from_raw", "from_e164", "caller_withheld", "caller_country", "to_number",
                "province_code", "province_source", "province_candidates", "language", "ivr_path", "started_at")
EVENT_COLUMNS = ("key", "kind", "params", "received_at")
JSON_PARAMETERS = ("province_candidates", "ivr_path", "event_params")


def log_new_call(db: psycopg.Connection | Connection, call: dict, event: dict) -> None:
    """`call` has CALL_COLUMNS, `event` EVENT_COLUMNS; `db` is psycopg's own connection (autocommit) or
    SQLAlchemy's (inside a transaction)."""
    if isinstance(db, psycopg.Connection):
        parameters = {**call, **{f"event_{name}": value for name, value in event.items()}}
        for name in JSON_PARAMETERS:
            parameters[name] = Json(parameters[name])
        db.execute(_call_and_event_sql(), parameters)
        return
    dialect = db.dialect.name
    call_id = (db.execute(insert_ignore_statement(dialect, Call.__table__, ("call_sid",)), call).scalar()
               or db.scalar(select(Call.id).where(Call.call_sid == call["call_sid"])))
    db.execute(insert_ignore_statement(dialect, CallEvent.__table__, ("call_id", "key")), dict(call_id=call_id, **event))


@lru_cache(maxsize=1)
def _call_and_event_sql() -> str:
    """The Call (unless its CallSid is known), then its event (unless logged), in one statement.

    `the_call` is the new row or the known one, never both: the SELECT sees the table as it was before the
    statement. A call that a concurrent transaction inserts is in neither (it committed after this
    statement's snapshot; the INSERT waited for it, then did nothing): that transaction logs the event."""
    calls, events = Call.__table__, CallEvent.__table__
    new_call = (pg_insert(calls).values({name: bindparam(name) for name in CALL_COLUMNS})
                .on_conflict_do_nothing(index_elements=["call_sid"]).returning(calls.c.id).cte("new_call"))
    the_call = union_all(select(new_call.c.id), select(calls.c.id).where(calls.c.call_sid == bindparam("call_sid")))
    the_call = the_call.cte("the_call")
    event = select(the_call.c.id, *(bindparam(f"event_{name}", type_=events.c[name].type) for name in EVENT_COLUMNS))
    statement = (pg_insert(events).from_select(["call_id", *EVENT_COLUMNS], event)
                 .on_conflict_do_nothing(index_elements=["call_id", "key"]))
    return str(statement.compile(dialect=psycopg_dialect()))
