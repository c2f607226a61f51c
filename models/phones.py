"""Caller numbers as Twilio sends them, made into E.164 and a province guess."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import geocoder

from .places import province_codes_for_names

# Twilio sends a withheld caller ID as a word, or as the word typed on a keypad.
WITHHELD_WORDS = {"anonymous", "restricted", "unavailable", "unknown", "blocked", "private", "withheld"}
WITHHELD_KEYPAD = {"+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533"}


@dataclass(frozen=True)
class Caller:
    raw: str | None
    e164: str | None = None
    country: str | None = None
    withheld: bool = False
    province_candidates: list[str] = field(default_factory=list)

    @property
    def province_code(self) -> str | None:
        """Only an unambiguous landline names a province."""
        return self.province_candidates[0] if len(self.province_candidates) == 1 else None


def read_caller(raw: str | None, region: str = "TH") -> Caller:
    raw = (raw or "").strip()[:64] or None
    if raw is None or raw.lower().strip("+ ") in WITHHELD_WORDS:
        return Caller(raw, withheld=True)
    text = re.sub(r"[\s().-]", "", raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text in WITHHELD_KEYPAD:
        return Caller(raw, withheld=True)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return Caller(raw)
    if not phonenumbers.is_valid_number(number):
        return Caller(raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    country = phonenumbers.region_code_for_number(number)
    candidates: list[str] = []
    if country == "TH" and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        candidates = province_codes_for_names(geocoder.description_for_number(number, "en").split("/"))
    return Caller(raw, e164, country, False, candidates)


def mask(e164: str | None) -> str:
    """`+66 8X XXX 5678`-style masking for logs and roles that may not see numbers."""
    if not e164:
        return "no number"
    return e164[:4] + "X" * max(len(e164) - 8, 0) + e164[-4:]
