"""LINE's webhook signature: the base64 HMAC-SHA256 of the raw body with the channel secret, in `x-line-signature`
(line-bot-sdk is not installed; this is its documented algorithm). Also used to sign requests the hotline makes
to itself (tests, the simulator to come)."""
from __future__ import annotations

import base64
import hashlib
import hmac

HEADER = "x-line-signature"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_signed(secret: str, body: bytes, signature: str | None) -> bool:
    """Compared in constant time, on the bytes as they came, before anything is parsed."""
    return bool(signature) and hmac.compare_digest(sign(secret, body).encode(), signature.encode("utf-8", "replace"))
