"""SQLAlchemy 2 models of the hotline; importable without Flask or RQ."""
from .calls import FINAL_STATUSES, Call, CallEvent
from .cases import Case, CaseTransition, Escalation, Message
from .centres import CENTRAL, Centre, Contact, Province
from .db import Base, make_engine, make_sessionmaker, utcnow
from .outbox import OutboxItem

__all__ = [
    "Base", "Call", "CallEvent", "Case", "CaseTransition", "CENTRAL", "Centre", "Contact", "Escalation",
    "FINAL_STATUSES", "Message", "OutboxItem", "Province", "make_engine", "make_sessionmaker", "utcnow",
]
