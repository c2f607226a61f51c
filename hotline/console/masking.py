"""Caller numbers as the console shows them: `+66 8X XXX 5678`, whatever the role."""
from __future__ import annotations

import re

import phonenumbers


def mask_number(number: str | None) -> str | None:
    """Country code, the first digit and the last four; everything between is X. None for no number.

    >>> mask_number("+66812345678")
    '+66 8X XXX 5678'
    >>> mask_number("+6621234567")
    '+66 2X XX 4567'
    """
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return _mask_digits(number)
    national = phonenumbers.national_significant_number(parsed)
    if len(national) < 7:
        return f"+{parsed.country_code} " + "X" * max(len(national) - 2, 0) + national[-2:]
    hidden = len(national) - 5  # the first digit and the last four stay
    first = 1 if hidden <= 3 else hidden - 3  # Thai mobiles: 8X XXX, landlines: 2X XX
    middle = hidden - first
    return f"+{parsed.country_code} {national[0]}{'X' * first} {'X' * middle} {national[-4:]}"


def _mask_digits(raw: str) -> str:
    """A number that is not E.164 (Twilio passed something odd): only its last two digits show."""
    digits = re.sub(r"\D", "", raw)
    return "X" * max(len(digits) - 2, 1) + digits[-2:]
