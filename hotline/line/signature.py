"""LINE's webhook signature, in `x-line-signature`: the base64 HMAC-SHA256 of the raw body with the channel secret,
compared in constant time, before anything is parsed.

Written out here rather than imported from line-bot-sdk: importing its `SignatureValidator` loads the whole
`linebot.v3` package with pydantic (+26 MB in every process of the webhook pool, which must stay small: see
tests/test_pools.py). The check is the same few lines as the SDK's; tests/test_line_webhook.py holds the two to
the same answers. The SDK builds the chat's messages (casework/line_menu.py), in the workers."""
from __future__ import annotations

import base64
import hashlib
import hmac

HEADER = "x-line-signature"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_signed(secret: str, body: bytes, signature: str | None) -> bool:
    """On the bytes as they came. LINE signs UTF-8 text: a body that is not UTF-8 cannot be one LINE signed."""
    if not signature:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.encode("utf-8", "replace"))
