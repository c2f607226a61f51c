"""The desk's record of a call (casework.desk_record): one rule for who answered, the wait and the talk, on SQLite
and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers.console_support import add_call, add_user

from casework.desk_record import record_of, record_of_call, records_of
from models import DeskWait

ASKED = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def wait(db, call, **fields) -> DeskWait:
    row = DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language="th", asked_at=ASKED, **fields)
    db.add(row)
    db.commit()
    return row


def test_an_answered_call_has_its_operator_its_wait_and_its_talk(db):
    operator = add_user(db, "op_rec", "operator")
    call = add_call(db)
    wait(db, call, state="answered", answered_by=operator.id, answered_at=ASKED + timedelta(seconds=31.6),
         ended_at=ASKED + timedelta(minutes=5, seconds=31.6))
    record = record_of_call(db, call.id)
    assert (record.answered_by, record.wait_seconds, record.talk_seconds) == ("op_rec", 32, 300)
    assert record.answered_at == ASKED + timedelta(seconds=31.6)
    assert record_of(db.query(DeskWait).one()) == record  # the row's own operator: the same record


def test_a_caller_who_hung_up_waited_but_talked_to_nobody_and_one_in_line_has_no_wait_yet(db):
    gone, waiting, never = add_call(db), add_call(db), add_call(db)
    wait(db, gone, state="abandoned", ended_at=ASKED + timedelta(seconds=95))
    wait(db, waiting, state="waiting")
    records = records_of(db, [gone.id, waiting.id, never.id])
    assert (records[gone.id].answered_by, records[gone.id].wait_seconds, records[gone.id].talk_seconds) == (None, 95, None)
    assert (records[waiting.id].wait_seconds, records[waiting.id].in_line) == (None, True)
    assert never.id not in records and record_of_call(db, never.id) is None and records_of(db, []) == {}


def test_an_answered_call_still_going_has_no_talk_time_yet(db):
    operator = add_user(db, "op_now", "operator")
    call = add_call(db)
    wait(db, call, state="answered", answered_by=operator.id, answered_at=ASKED + timedelta(seconds=5))
    record = record_of_call(db, call.id)
    assert (record.answered_by, record.wait_seconds, record.talk_seconds) == ("op_now", 5, None)


def test_a_caller_who_left_a_message_waited_until_the_message_was_offered(db):
    call = add_call(db)
    wait(db, call, state="message", message_offered_at=ASKED + timedelta(seconds=180))
    record = record_of_call(db, call.id)
    assert (record.wait_seconds, record.talk_seconds, record.in_line) == (180, None, False)
