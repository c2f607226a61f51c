"""The new call's one-statement write stays "nothing twice" when Twilio's retry races the first attempt."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from models import Call, CallEvent
from models.new_calls import log_new_call


def values(sid: str) -> tuple[dict, dict]:
    now = datetime.now(UTC)
    call = dict(call_sid=sid, status="ringing", from_raw="+66812345678", from_e164="+66812345678",
                caller_withheld=False, caller_country="TH", to_number="+661300", province_code=None,
                province_source=None, province_candidates=[], language="th", ivr_path=[], started_at=now)
    return call, dict(key="incoming", kind="incoming", params={"CallSid": sid}, received_at=now)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_simultaneous_first_webhooks_of_one_call_write_one_call_and_one_event(app, db):
    pool = app.extensions["autocommit"]
    sids = [f"CA{n:032x}" for n in range(60)]
    racers = 4
    barrier = threading.Barrier(racers)
    errors: list[BaseException] = []

    def race():
        pooled = pool.raw_connection()
        try:
            for sid in sids:
                barrier.wait(timeout=10)  # every racer sends the same CallSid at the same moment
                log_new_call(pooled.driver_connection, *values(sid))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            barrier.abort()
        finally:
            pooled.close()

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert db.scalar(select(func.count()).select_from(Call)) == len(sids)
    assert db.scalar(select(func.count()).select_from(CallEvent)) == len(sids)
