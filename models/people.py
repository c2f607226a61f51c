"""Who uses the console and the API, what they wrote, and what they saw or changed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

ROLES = ["operator", "supervisor", "admin", "field_officer"]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    provinces: Mapped[list] = mapped_column(JSON, default=list)  # a field officer's scope: province codes
    language: Mapped[str] = mapped_column(String(2), default="th")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleSession(Base):
    """A console login, kept on the server: the cookie carries only a random token whose hash is the id, so
    logging out, a password change or a deactivation ends it at once, wherever the cookie was copied."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the last page or form (not polling)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(32))  # logout, expired, password, deactivated, role, ...


class Annotation(Base):
    """Append-only notes on a call or a case; an edit is a new row that supersedes the old one."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")


class AuditEntry(Base):
    """Who saw or changed what, when and why: number reveals, recordings, exports, logins, API calls."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))  # login, reveal_number, play_recording, export_csv, api_call, ...
    target: Mapped[str | None] = mapped_column(String(64))  # e.g. call:12, case:1300-69-004821
    reason: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A system's key to the JSON API: stored hashed, revocable, scoped to provinces or all."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the secret
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, to recognise a token in lists
    scope: Mapped[str] = mapped_column(String(16))  # all | province
    provinces: Mapped[list] = mapped_column(JSON, default=list)
    can_see_numbers: Mapped[bool] = mapped_column(Boolean, default=False)
    can_report: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Report(Base):
    """A report that came in through the API (Protect-U app, a volunteer, an agency); it opens a case."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("token_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    body_sha256: Mapped[str | None] = mapped_column(String(64))  # the request as sent: a reused key with another body is refused
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    reporter_type: Mapped[str] = mapped_column(String(16))  # app_user | volunteer | agency
    reporter_id: Mapped[str | None] = mapped_column(String(64))
    contact_number: Mapped[str | None] = mapped_column(String(20))
    callback_consent: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(2), default="th")
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
