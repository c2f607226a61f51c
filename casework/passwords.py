"""What a console password must be: long, not the username, not a common password.

One rule for `flask users` and the console (a password change, the admin's users page). It answers
with a problem's code, and each caller says it in its own words (the CLI in English, the console
translated).
"""
from __future__ import annotations

from functools import cache

from .config import ROOT

MIN_LENGTH = 10
COMMON_FILE = ROOT / "data" / "common-passwords.txt"  # its source: data/README.md
TAIL = "0123456789!@#$%^&*()-_=+.,;:?~ "  # what people add to a common password to pass a rule


@cache
def common() -> frozenset[str]:
    with COMMON_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def problem(password: str, username: str) -> str | None:
    """None for a good password; else "short", "username" or "common"."""
    if len(password) < MIN_LENGTH:
        return "short"
    lowered = password.lower()
    if username and username.strip().lower() in lowered:
        return "username"
    if lowered in common() or lowered.rstrip(TAIL) in common():
        return "common"
    return None
