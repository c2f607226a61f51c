"""SQLAlchemy 2 models of the hotline; importable without Flask or RQ."""
from .calls import FINAL_STATUSES, Call, CallEvent
from .cases import Case, CaseTransition, Escalation, Message
from .centres import CENTRAL, Centre, Contact, Province
from .db import Base, make_engine, make_sessionmaker, utcnow
from .desk import DeskOffer, DeskProfile, DeskWait, Interpreter
from .line import LineChat, LineEvent, LineMedia, LineMessage, LineReport
from .outbox import OutboxItem
from .people import ROLES, Annotation, ApiToken, AuditEntry, ConsoleSession, Report, User
from .story import FieldReport, Intake, LinkedCall, Referral, ReferralStep
from .summary import SummaryAcks, SummaryCount, SummaryPeriod

__all__ = [
    "Annotation", "ApiToken", "AuditEntry", "Base", "Call", "CallEvent", "Case", "CaseTransition", "CENTRAL",
    "Centre", "ConsoleSession", "Contact", "DeskOffer", "DeskProfile", "DeskWait", "Escalation", "FieldReport",
    "FINAL_STATUSES", "Intake", "Interpreter", "LineChat", "LineEvent", "LineMedia", "LineMessage", "LineReport",
    "LinkedCall",
    "Message", "OutboxItem", "Province", "Referral", "ReferralStep", "Report", "ROLES", "SummaryAcks",
    "SummaryCount", "SummaryPeriod", "User", "make_engine", "make_sessionmaker", "utcnow",
]
