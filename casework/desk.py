"""The operator desk's rules (issue 16): desk profiles (languages, endpoint) and the one place a state changes.

A person chooses only `available` or `away` (`DESK_CHOSEN`); wrap-up ends when they do. `offered` and `on_call` are
the router's. Every change is kept in the profile (since when, by whom) and audited. Ending a console login (logout,
expiry, a deactivation or another change of rights) makes its owner away, except on a call: the call is real and
goes on without the console, so only the router, when it ends, moves them on (to wrap-up).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import AuditEntry, DeskProfile, DeskWait, User, utcnow
from models.phones import mask, voice_number
from models.vocabulary import DESK_CHOSEN, DESK_NEXT, DESK_STATES, LANGUAGES

DESK_ROLES = ("operator", "supervisor")
WRAP_UP_SLACK = timedelta(seconds=60)  # a call's end and its operator's wrap-up come by separate callbacks  # who takes calls; an admin does not
BROWSER = "browser"
SIP = re.compile(r"sip:(?P<user>[A-Za-z0-9._~+-]{1,64})@(?P<host>[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*)"
                 r"(?::\d{1,5})?(?:;transport=(?:udp|tcp|tls))?")


class Refused(ValueError):
    """A change the desk's rules do not allow; `problem` is its code (the caller says it in its own words):
    no_desk_role, no_profile, not_chosen (the router's state), not_from (not from the current state),
    unknown_state, no_language, unknown_language, bad_phone, bad_sip."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


DRY_RUN_CALLER_ID = "+6621300"  # development without Twilio: nothing is dialled, but the request is whole


def caller_id(config) -> str:
    """The number the desk rings operators, interpreters and callers from (required in production: config.check)."""
    return config.desk_caller_id or DRY_RUN_CALLER_ID


def profile_of(session: Session, user: User | int, lock: bool = False) -> DeskProfile | None:
    user_id = user if isinstance(user, int) else user.id
    statement = select(DeskProfile).where(DeskProfile.user_id == user_id)
    return session.scalar(statement.with_for_update() if lock else statement)


def languages(codes: Iterable[str]) -> list[str]:
    """The codes, known and at least one, in the menu's order."""
    codes = {code.strip().lower() for code in codes if code.strip()}
    if not codes:
        raise Refused("no_language")
    if codes - set(LANGUAGES):
        raise Refused("unknown_language")
    return [code for code in LANGUAGES if code in codes]


def endpoint(text: str) -> str:
    """Where the desk rings someone: `browser`, `sip:user@host`, or a phone number (stored as E.164)."""
    text = (text or "").strip()
    if text.lower() == BROWSER:
        return BROWSER
    if text.lower().startswith("sip:"):
        if len(text) > 200 or not SIP.fullmatch(text):
            raise Refused("bad_sip")
        return text
    number = voice_number(text)
    if number is None:
        raise Refused("bad_phone")
    return number


def endpoint_kind(value: str) -> str:
    return BROWSER if value == BROWSER else "sip" if value.startswith("sip:") else "phone"


def masked_endpoint(value: str, mask_phone: Callable[[str], str | None] = mask) -> str:
    """An endpoint as lists show it: a number masked, a SIP address with its user hidden but the first letter."""
    kind = endpoint_kind(value)
    if kind == "phone":
        return mask_phone(value) or ""
    if kind == "sip":
        found = SIP.fullmatch(value)
        return f"sip:{found['user'][0]}…@{found['host']}" if found else "sip:…"
    return value


def save_profile(session: Session, user: User, spoken: Iterable[str], where: str, actor: str) -> DeskProfile:
    """Create or change the user's profile (a new one starts away); audited when something changed."""
    if user.role not in DESK_ROLES:
        raise Refused("no_desk_role")
    codes, value = languages(spoken), endpoint(where)
    profile = profile_of(session, user, lock=True)
    if profile is None:
        profile = DeskProfile(user_id=user.id, state="away", state_since=utcnow(), state_by=actor[:64])
        session.add(profile)
    elif (profile.languages, profile.endpoint) == (codes, value):
        return profile
    profile.languages, profile.endpoint = codes, value
    _audit(session, "desk_profile", user, actor, f"{','.join(codes)} / {endpoint_kind(value)}")
    session.flush()
    return profile


def set_state(session: Session, user: User, state: str, actor: str, reason: str | None = None,
              router: bool = False) -> DeskProfile:
    """Move the user to `state` if the moves allow it from where they are; a person (not `router`) only to a
    state of DESK_CHOSEN. The same state again changes nothing (a double click)."""
    if state not in DESK_STATES:
        raise Refused("unknown_state")
    if not router and state not in DESK_CHOSEN:
        raise Refused("not_chosen")
    profile = profile_of(session, user, lock=True)
    if profile is None:
        raise Refused("no_profile")
    if profile.state == state:
        return profile
    if state not in DESK_NEXT[profile.state]:
        raise Refused("not_from")
    _move(session, user, profile, state, actor, reason)
    return profile


def on_a_call(session: Session, user: User, actor: str, reason: str) -> None:
    """They answered a ring: on a call whatever the console said (a click on "away" while it rang changes no fact)."""
    profile = profile_of(session, user, lock=True)
    if profile is not None and profile.state != "on_call":
        _move(session, user, profile, "on_call", actor, reason)


def leave(session: Session, user: User, actor: str, why: str) -> None:
    """Their console login ended (`why`: logout, expired, deactivated, ...): away, unless on a call or away already."""
    profile = profile_of(session, user, lock=True)
    if profile is not None and profile.state not in ("on_call", "away"):
        _move(session, user, profile, "away", actor, why)


def _move(session: Session, user: User, profile: DeskProfile, state: str, actor: str, reason: str | None) -> None:
    before, now = profile.state, utcnow()
    if before == "wrap_up":  # the call they wrapped up has its wrap-up time (casework.desk_record)
        session.execute(update(DeskWait).where(
            DeskWait.answered_by == user.id, DeskWait.wrapped_up_at.is_(None), DeskWait.ended_at.is_not(None),
            DeskWait.ended_at >= profile.state_since - WRAP_UP_SLACK).values(wrapped_up_at=now))
    profile.state, profile.state_since, profile.state_by = state, now, actor[:64]
    if state == "available":
        profile.missed_at = None  # they are back: the missed offer is behind them
    _audit(session, "desk_state", user, actor, f"{before} -> {state}" + (f" ({reason})" if reason else ""))
    session.flush()


def _audit(session: Session, action: str, user: User, actor: str, reason: str) -> None:
    """In the caller's transaction; a person's own change has their id, anything else (a command, the system)
    names itself in the reason."""
    by = int(actor.removeprefix("user:")) if actor.startswith("user:") else None
    session.add(AuditEntry(at=utcnow(), user_id=by, action=action, target=f"user:{user.id}",
                           reason=reason if by is not None else f"{actor}: {reason}"))


def team(session: Session) -> list[tuple[User, DeskProfile]]:
    """Everyone with a desk profile who may log in, by username."""
    rows = session.execute(select(User, DeskProfile).join(DeskProfile, DeskProfile.user_id == User.id)
                           .where(User.active.is_(True)).order_by(User.username))
    return [(user, profile) for user, profile in rows]
