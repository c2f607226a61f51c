"""What the desk asks of Twilio's REST API (issue 16), as plain requests the worker sends (`workers.desk_twilio`):
each prepared in a transaction from the database's facts, and its outcome recorded in another.

A request is prepared only while it still makes sense (the offer still rings, the caller still waits), so a job
run twice, or late, asks nothing twice that matters: a second ring of a ringing offer is not prepared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from models import DeskOffer, DeskWait, Interpreter, utcnow

from . import desk, desk_callback, desk_line, work

OPERATOR_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class Request:
    """One REST request: `kind` is participant (dial someone into a conference), redirect (a caller's call to a
    URL), hang_up (end a leg) or call (a new call: an operator's callback); `params` are the twilio client's
    keyword arguments."""

    kind: str
    target: str  # the conference's friendly name, or a CallSid
    params: dict = field(default_factory=dict)
    offer_id: int | None = None
    wait_id: int | None = None


def _base(config) -> str:
    return (config.PUBLIC_BASE_URL or "http://127.0.0.1:5000").rstrip("/")


def client_identity(user_id: int) -> str:
    """The Voice SDK identity of a user's browser: in their access token, and what the desk dials."""
    return f"user-{user_id}"


def dial_to(endpoint: str, user_id: int) -> str:
    """Twilio's `To` for an endpoint: the number, the SIP address, or the user's browser (Voice SDK identity)."""
    return f"client:{client_identity(user_id)}" if endpoint == desk.BROWSER else endpoint


def ring(session: Session, config, offer_id: int) -> Request | None:
    offer = session.get(DeskOffer, offer_id, with_for_update=True)
    if offer is None or offer.state != "ringing" or offer.requested_at is not None:
        return None
    if offer.attempts:  # a dial is in flight, or died on the way: Twilio has no idempotency key, never dial twice
        return None  # (the sweep settles a dial that never reached Twilio: desk_line.overdue_offers)
    wait = session.get(DeskWait, offer.wait_id)
    offer.attempts += 1
    return Request("participant", wait.conference, dict(
        from_=desk.caller_id(config), to=dial_to(offer.endpoint, offer.user_id),
        timeout=config.DESK_OFFER_SECONDS, label=f"operator-{offer.user_id}", beep=False,
        start_conference_on_enter=True, end_conference_on_exit=True,
        status_callback=f"{_base(config)}/voice/desk/participant?" + urlencode({"o": offer.id}),
        status_callback_method="POST", status_callback_event=OPERATOR_EVENTS), offer_id=offer.id)


def rung(session: Session, offer_id: int, call_sid: str) -> None:
    """Twilio took the ring: its leg's CallSid (callbacks may have brought it first)."""
    offer = session.get(DeskOffer, offer_id, with_for_update=True)
    if offer is not None:
        offer.requested_at = offer.requested_at or utcnow()
        offer.call_sid = offer.call_sid or call_sid[:64]


def ring_refused(session: Session, offer_id: int, at: datetime | None = None) -> list[work.Work]:
    """Twilio will not dial the endpoint (a bad number, an unknown SIP host): the operator is set away, marked,
    and the caller goes to the next one."""
    offer = session.get(DeskOffer, offer_id, with_for_update=True)
    return desk_line.not_answered(session, offer, "failed", at or utcnow()) if offer is not None else []


def hang_up(session: Session, offer_id: int) -> Request | None:
    offer = session.get(DeskOffer, offer_id)
    if offer is None or not offer.call_sid or offer.call_sid.startswith("DR"):
        return None
    return Request("hang_up", offer.call_sid, {"status": "canceled" if offer.answered_at is None else "completed"},
                   offer_id=offer.id)


def add_interpreter(session: Session, config, wait_id: int) -> Request | None:
    wait = session.get(DeskWait, wait_id)
    if wait is None or wait.state != "answered" or wait.interpreter_id is None or wait.ended_at is not None:
        return None
    interpreter = session.get(Interpreter, wait.interpreter_id)
    if interpreter is None or not interpreter.active:
        return None
    return Request("participant", wait.conference, dict(
        from_=desk.caller_id(config), to=interpreter.phone, timeout=config.DESK_OFFER_SECONDS * 2,
        label="interpreter", beep=False, start_conference_on_enter=True, end_conference_on_exit=False),
        wait_id=wait.id)


def offer_message(session: Session, config, wait_id: int) -> Request | None:
    wait = session.get(DeskWait, wait_id)
    if wait is None or wait.state != "deciding":
        return None
    return Request("redirect", wait.call.call_sid, {"url": f"{_base(config)}/voice/desk/leave?" + urlencode({"w": wait.id}),
                                                     "method": "POST"}, wait_id=wait.id)


def message_not_offered(session: Session, wait_id: int) -> list[work.Work]:
    """The caller could not be taken to the message keys (the call ended, Twilio refused): back in line."""
    wait = session.get(DeskWait, wait_id, with_for_update=True)
    if wait is None or wait.state != "deciding":
        return []
    wait.state = "waiting"
    job = work.desk_route(f"w{wait.id}-back")
    work.add(session, job)
    return [job]


def call_back(session: Session, config, wait_id: int, attempt: str) -> Request | None:
    """Ring the operator who chose to call a caller back (`desk_callback.call_back`); their answer fetches the
    TwiML that dials the caller. Not prepared when the attempt is over (rung, refused, or another one since) or
    the caller may no longer be called."""
    wait = session.get(DeskWait, wait_id)
    if wait is None or wait.callback_by is None or desk_callback.attempt(wait) != attempt \
            or desk_callback.callable_problem(wait.call):
        return None
    profile = desk.profile_of(session, wait.callback_by)
    if profile is None or desk_callback.settled(session, wait, attempt):
        return None
    to = dial_to(profile.endpoint, wait.callback_by)
    return Request("call", to, dict(
        to=to, from_=desk.caller_id(config), timeout=config.DESK_OFFER_SECONDS * 2, method="POST",
        url=f"{_base(config)}/voice/desk/callback?" + urlencode({"w": wait.id, "u": wait.callback_by})),
        wait_id=wait.id)


def called_back(session: Session, wait_id: int, attempt: str, call_sid: str) -> None:
    wait = session.get(DeskWait, wait_id)
    if wait is not None:
        desk_callback.log(session, wait, f"rung:{attempt}", {"CallSid": call_sid[:64]})


def call_back_refused(session: Session, wait_id: int, attempt: str, code) -> None:
    """Twilio will not ring the operator's endpoint: the caller goes back on the list for someone else."""
    wait = session.get(DeskWait, wait_id, with_for_update=True)
    if wait is not None and desk_callback.attempt(wait) == attempt:
        desk_callback.log(session, wait, f"refused:{attempt}", {"ErrorCode": str(code)[:16]})
        wait.callback_at, wait.callback_by = None, None
