"""Thai and English: the user's language, and every time shown in Asia/Bangkok (Buddhist year optional).

The calendar is a per-browser choice (a cookie), since users have no column for it; by
default the Buddhist year goes with Thai and the Common Era with English.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from models.places import province_name

from .masking import mask_number

BANGKOK = ZoneInfo("Asia/Bangkok")
LANGUAGES = ("th", "en")
CALENDAR_COOKIE = "hotline_calendar"
BUDDHIST_OFFSET = 543


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_language, timezone_selector=lambda: "Asia/Bangkok",
          default_domain="messages")
    app.jinja_env.filters.update(when=when, caller=caller_number, province=province_label)
    app.jinja_env.globals.update(buddhist_year=buddhist_year, iso=iso, locale=lambda: str(get_locale()))


def select_language() -> str:
    from .access import current_user

    user = current_user() if request.blueprint == "console" else None
    if user is not None and user.language in LANGUAGES:
        return user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES) or "th"


def buddhist_year() -> bool:
    choice = request.cookies.get(CALENDAR_COOKIE)
    if choice in ("be", "ce"):
        return choice == "be"
    return str(get_locale()) == "th"


def when(moment: datetime | None, style: str = "datetime") -> str:
    """`25 พ.ย. 2569 14:05` / `25 Nov 2026 14:05`; style is datetime, full (with seconds), date, time or seconds."""
    if moment is None:
        return "–"
    local = moment.astimezone(BANGKOK)
    clock = local.strftime("%H:%M:%S" if style in ("seconds", "full") else "%H:%M")
    if style in ("time", "seconds"):
        return clock
    months = get_month_names("abbreviated", locale=str(get_locale()))
    year = local.year + (BUDDHIST_OFFSET if buddhist_year() else 0)
    day = f"{local.day} {months[local.month]} {year}"
    return day if style == "date" else f"{day} {clock}"


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A Bangkok calendar day as a UTC range [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=BANGKOK)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def today(now: datetime) -> date:
    return now.astimezone(BANGKOK).date()


def caller_number(call) -> str:
    """The masked caller of a call, or what stands in for none."""
    if getattr(call, "caller_withheld", False):
        return _("withheld")
    return mask_number(call.from_e164 or call.from_raw) or _("no number")


def province_label(code: str | None) -> str:
    if not code:
        return _("unknown")
    return province_name(code, str(get_locale())) or code
