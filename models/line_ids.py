"""LINE user ids: personal data, like a phone number (issue 17). Masked wherever shown, never logged."""
from __future__ import annotations

import re

LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")  # as LINE writes them


def mask_line_user(line_user_id: str | None) -> str:
    """`UXXXX…9c1c`-style: enough to tell two chats apart in a list, not enough to find the person."""
    if not line_user_id:
        return "no LINE id"
    return line_user_id[:1] + "XXXX…" + line_user_id[-4:] if len(line_user_id) > 8 else "XXXX"
