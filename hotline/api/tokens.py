"""API tokens: shown once, stored as a SHA-256 hash, revocable, scoped to provinces or all."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiToken, utcnow

PREFIX = "h1300_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, name: str, provinces: list[str], can_see_numbers: bool = False,
          can_report: bool = True) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret exists only in this return value."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=digest(secret), prefix=secret[:12], scope="province" if provinces else "all",
                     provinces=sorted(set(provinces)), can_see_numbers=can_see_numbers, can_report=can_report,
                     created_at=utcnow())
    session.add(token)
    session.flush()
    return token, secret


def find(session: Session, secret: str) -> ApiToken | None:
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    return token if token is not None and token.revoked_at is None else None


def sees_province(token: ApiToken, province_code: str | None) -> bool:
    """A province-scoped token sees its provinces only; cases with no province are central triage's."""
    return token.scope == "all" or province_code in token.provinces
