"""What a job needs besides its ids, set up once per process by its entry point (`python -m workers`, the
relay, a test) and inherited by every work horse RQ forks: the settings, the database, Redis and the
SMS sender. Jobs are functions of ids (RQ calls them by name), so they find it here."""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from sqlalchemy.orm import sessionmaker

from casework.config import Config
from casework.escalation_sms import Sender

from .db import sessions
from .queues import connect


@dataclass(frozen=True)
class Context:
    config: Config
    sessions: sessionmaker
    redis: Redis | None
    sender: Sender


_current: list[Context] = []


def start(config: Config, sender: Sender | None = None) -> Context:
    """The process's context, from settings read once by the caller; the Twilio sender unless one is given."""
    from .twilio_sms import TwilioSender

    context = Context(config, sessions(config.DATABASE_URL), connect(config.REDIS_URL), sender or TwilioSender(config))
    _current[:] = [context]
    return context


def current() -> Context:
    if not _current:
        raise RuntimeError("no worker context: the process must call workers.runtime.start(config) first "
                           "(python -m workers does)")
    return _current[0]


def stop() -> None:
    """Forget the context (tests change settings between runs)."""
    _current.clear()
