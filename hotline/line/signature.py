"""LINE's webhook signature, in `x-line-signature`: checked by line-bot-sdk's SignatureValidator (the base64
HMAC-SHA256 of the body with the channel secret, compared in constant time). `sign` is the same algorithm for the
requests the hotline makes to itself (tests, the simulator to come): the SDK only checks."""
from __future__ import annotations

import base64
import hashlib
import hmac

from linebot.v3.webhook import SignatureValidator

HEADER = "x-line-signature"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_signed(secret: str, body: bytes, signature: str | None) -> bool:
    """On the bytes as they came, before anything is parsed. The SDK signs text: a body that is not UTF-8 cannot
    be one LINE signed (its strict decoding round-trips every UTF-8 body byte for byte, so nothing else changes)."""
    if not signature:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return SignatureValidator(secret).validate(text, signature)
