"""RQ jobs: plain functions of ids, safe to run twice, raising on failure."""
from __future__ import annotations

import logging

from models import Call

from .db import sessions
from .outbox import mark_done

log = logging.getLogger(__name__)


def case_job_id(call_id: int) -> str:
    return f"case-open-{call_id}"


def open_case(call_id: int) -> None:
    """Take a trafficking report into the case pipeline.

    The case model, routing and escalation arrive with the escalation issue; until
    then the job confirms the call exists and closes its outbox item, so the
    outbox, the queue and the sweep are exercised end to end.
    """
    with sessions().begin() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise LookupError(f"call {call_id} does not exist")
        log.info("open_case call=%s urgency=%s category=%s", call_id, call.urgency, call.category)
        mark_done(session, case_job_id(call_id))
