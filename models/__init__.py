"""SQLAlchemy 2 models of the hotline; importable without Flask or RQ."""
from .calls import FINAL_STATUSES, Call, CallEvent
from .db import Base, make_engine, make_sessionmaker, utcnow
from .outbox import OutboxItem

__all__ = ["Base", "Call", "CallEvent", "FINAL_STATUSES", "OutboxItem", "make_engine", "make_sessionmaker", "utcnow"]
