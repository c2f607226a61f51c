"""What a call's record says about the desk (issue 16): who answered, when, how long the caller waited and talked,
and the operator's wrap-up after it.

One rule for the call page, the calls list, the CSV and the API. Computed from the caller's DeskWait, so it
needs no columns of its own: the wait runs from asking for a person to being answered (or leaving the line),
the talk from being answered to the call's end. A call that never asked for a person has no record (None).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DeskWait, User

from .desk_line import IN_LINE


@dataclass(frozen=True)
class DeskRecord:
    state: str  # models.vocabulary.WAIT_STATES
    answered_by: str | None  # the operator's username
    answered_at: datetime | None
    wait_seconds: int | None  # None while still in line
    in_line: bool  # still waiting for a person
    talk_seconds: int | None  # None until an answered call ended
    wrap_up_seconds: int | None = None  # from the call's end to its operator's next state (notes written)


def record_of(wait: DeskWait | None, username: str | None = None) -> DeskRecord | None:
    """`username`: the answering operator's, when the caller read it already (a list joins it for every row)."""
    if wait is None:
        return None
    if username is None and wait.answered_by is not None and wait.operator is not None:
        username = wait.operator.username
    # A caller who chose to leave a message left the line when the keys were offered (a wait's ended_at is the
    # end of a call only while it was in line or answered).
    left_line = wait.answered_at or wait.ended_at or (wait.message_offered_at if wait.state == "message" else None)
    return DeskRecord(
        state=wait.state, answered_by=username if wait.answered_by is not None else None,
        answered_at=wait.answered_at, wait_seconds=_seconds(wait.asked_at, left_line), in_line=wait.state in IN_LINE,
        talk_seconds=_seconds(wait.answered_at, wait.ended_at) if wait.answered_at else None,
        wrap_up_seconds=_seconds(wait.ended_at, wait.wrapped_up_at) if wait.answered_at else None)


def records_of(session: Session, call_ids: Iterable[int]) -> dict[int, DeskRecord]:
    """Records of many calls in one query (a list page): call id → record, only calls that asked for a person."""
    ids = list(call_ids)
    if not ids:
        return {}
    rows = session.execute(select(DeskWait, User.username).outerjoin(User, User.id == DeskWait.answered_by)
                           .where(DeskWait.call_id.in_(ids))).all()
    return {wait.call_id: record_of(wait, username or "") for wait, username in rows}


def record_of_call(session: Session, call_id: int) -> DeskRecord | None:
    return records_of(session, [call_id]).get(call_id)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(round((end - start).total_seconds()), 0)
