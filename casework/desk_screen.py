"""What the operator's screen and the supervisors' wallboard show (issue 16), read from the desk's rows.

The operator sees the call being offered to them without its number: the caller is identified to nobody until a
person has answered and chosen to reveal it on the call's page. The wallboard counts the day's waits; the console
passes the Bangkok day's bounds, since the calendar is the console's (hotline.console.i18n).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Call, DeskOffer, DeskProfile, DeskWait, LineChat, User, utcnow
from models.line import SIMULATED_PREFIX
from models.vocabulary import DESK_STATES

from . import desk_callback, desk_line, work

SERVICE_LEVEL_SECONDS = 30  # answered within this many seconds of asking counts towards the service level


@dataclass(frozen=True)
class Offered:
    """A call rung to me now, in words the screen may show (never the caller's number)."""

    offer_id: int
    call_id: int
    language: str
    kind: str | None  # the kind of trafficking, once chosen in the menu
    topic: str | None  # trafficking or other help
    urgent: bool
    province_code: str | None
    asked_at: datetime
    earlier_calls: int  # other calls from the same number, so the operator knows whether this is a repeat caller


def offer_for(session: Session, user: User) -> Offered | None:
    """The ring for me now, if any (the unique index keeps it to one)."""
    offer = session.scalar(select(DeskOffer).where(DeskOffer.user_id == user.id, DeskOffer.state == "ringing"))
    if offer is None:
        return None
    wait = offer.wait
    call = wait.call
    return Offered(offer_id=offer.id, call_id=call.id, language=wait.language, kind=call.category, topic=call.topic,
                   urgent=wait.urgent or call.urgency == "urgent", province_code=call.province_code,
                   asked_at=wait.asked_at, earlier_calls=earlier_calls(session, call))


def earlier_calls(session: Session, call: Call) -> int:
    """Other calls from this call's number; none for a withheld number."""
    if not call.from_e164:
        return 0
    return session.scalar(select(func.count()).select_from(Call).where(
        Call.from_e164 == call.from_e164, Call.id != call.id)) or 0


def my_call(session: Session, user: User) -> int | None:
    """The call I answered and am still on (the screen pops its page); the latest if a transfer left two."""
    return session.scalar(
        select(DeskWait.call_id).join(DeskOffer, DeskOffer.wait_id == DeskWait.id)
        .where(DeskOffer.user_id == user.id, DeskOffer.state == "answered")
        .order_by(DeskOffer.answered_at.desc(), DeskOffer.id.desc()).limit(1))


def decline(session: Session, user: User, offer_id: int, now: datetime | None = None) -> list[str] | None:
    """I decline the ring: I am free again, the caller goes to the next operator, and my leg is hung up. None when
    the offer is not mine or no longer rings (answered, missed or cancelled meanwhile). The job ids to enqueue."""
    offer = session.get(DeskOffer, offer_id, with_for_update=True)
    if offer is None or offer.user_id != user.id or offer.state != "ringing":
        return None
    jobs = desk_line.not_answered(session, offer, "declined", now or utcnow())
    hang_up = work.desk_hang_up(offer.id)
    work.add(session, hang_up)
    return [job.job_id for job in [*jobs, hang_up]]


@dataclass(frozen=True)
class Line:
    language: str
    waiting: int
    longest_since: datetime  # when the one waiting longest asked


@dataclass(frozen=True)
class Board:
    """The supervisors' wallboard: the line now, the team now, and the day so far."""

    lines: list[Line]  # per language, the longest wait first
    longest_since: datetime | None
    team: dict[str, list[str]]  # desk state -> usernames
    asked_today: int  # waits decided today: answered, or gone, or in line past the service level
    answered_in_time: int
    abandoned_today: int
    callbacks_due: int
    now: datetime
    chats: list[Line] = field(default_factory=list)  # LINE chats waiting for a person nobody has taken, per language

    seconds = SERVICE_LEVEL_SECONDS  # a class attribute, not a field: the page names the threshold

    @property
    def service_level(self) -> int | None:
        """Per cent answered within SERVICE_LEVEL_SECONDS; None before anyone asked today."""
        return round(100 * self.answered_in_time / self.asked_today) if self.asked_today else None


def board(session: Session, start: datetime, end: datetime, now: datetime | None = None) -> Board:
    """The wallboard's figures; the day is [start, end) by `asked_at`. Simulator calls are training, not counted."""
    now = now or utcnow()
    real = DeskWait.call_id.in_(select(Call.id).where(Call.not_training()))
    in_line = session.execute(
        select(DeskWait.language, func.count(), func.min(DeskWait.asked_at))
        .where(DeskWait.state.in_(desk_line.IN_LINE), real).group_by(DeskWait.language)).all()
    lines = sorted((Line(language, count, since) for language, count, since in in_line),
                   key=lambda line: (line.longest_since, line.language))
    today = session.execute(select(DeskWait.state, DeskWait.asked_at, DeskWait.answered_at).where(
        DeskWait.asked_at >= start, DeskWait.asked_at < end, real)).all()
    decided = [row for row in today if not _undecided(row, now)]
    in_time = sum(1 for row in decided
                  if row.answered_at is not None and _seconds(row.asked_at, row.answered_at) <= SERVICE_LEVEL_SECONDS)
    team: dict[str, list[str]] = {state: [] for state in DESK_STATES}
    for state, username in session.execute(
            select(DeskProfile.state, User.username).join(User, User.id == DeskProfile.user_id)
            .where(User.active.is_(True)).order_by(DeskProfile.state_since, User.username)):
        team.setdefault(state, []).append(username)
    callbacks = session.scalar(select(func.count()).select_from(DeskWait).where(desk_callback.on_the_list())) or 0
    return Board(lines=lines, longest_since=lines[0].longest_since if lines else None, team=team,
                 asked_today=len(decided), answered_in_time=in_time,
                 abandoned_today=Counter(row.state for row in today)["abandoned"], callbacks_due=callbacks, now=now,
                 chats=chats_waiting(session))


def chats_waiting(session: Session) -> list[Line]:
    """The LINE chats that asked for a person and nobody has taken (casework.line_inbox), per language, the longest
    wait first; the simulator's are training."""
    rows = session.execute(
        select(LineChat.language, func.count(), func.min(LineChat.person_asked_at))
        .where(LineChat.person_asked_at.is_not(None), LineChat.taken_by_id.is_(None),
               LineChat.line_user_id.not_like(f"{SIMULATED_PREFIX}%"))
        .group_by(LineChat.language)).all()
    return sorted((Line(language or "th", count, since) for language, count, since in rows),
                  key=lambda line: (line.longest_since, line.language))


def _undecided(row, now: datetime) -> bool:
    """Still in line and not yet past the service level: neither in time nor late yet."""
    return row.answered_at is None and row.state in desk_line.IN_LINE and \
        _seconds(row.asked_at, now) <= SERVICE_LEVEL_SECONDS


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()
