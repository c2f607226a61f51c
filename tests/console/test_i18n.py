"""Thai and English: every console string translated, switchable per user, Bangkok times, Buddhist years."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from helpers.console_support import Browser, add_call, add_user
from sqlalchemy import select

from casework.config import ROOT
from models import User

TRANSLATIONS = ROOT / "hotline" / "translations"
PO = TRANSLATIONS / "th" / "LC_MESSAGES" / "messages.po"


def _extracted() -> set[str]:
    method_map, options_map = [], {}
    for line in (TRANSLATIONS / "babel.cfg").read_text().splitlines():
        if line.startswith("["):
            method, pattern = line.strip("[]").split(":")
            method_map.append((pattern.strip(), method.strip()))
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_console_string_has_a_thai_translation():
    catalogue = read_po(PO.open("rb"))
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - translated)
    assert not missing, f"run pybabel extract/update (README, console section) and translate: {missing}"


def test_the_catalogue_has_each_message_once_and_whole():
    """Babel reads a doubled msgid or a msgid without its msgstr without a word (the later one wins): a merge that
    joined two branches' entries would pass the other checks with a wrong or lost translation."""
    lines = PO.read_text(encoding="utf-8").splitlines()
    ids, broken = [], []
    for number, line in enumerate(lines):
        if line.startswith("msgid "):
            following = number + 1
            while following < len(lines) and lines[following].startswith('"'):
                following += 1
            ids.append("\n".join(lines[number:following]))
            if following == len(lines) or not lines[following].startswith("msgstr"):
                broken.append(number + 1)
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    assert not broken and not doubled, f"msgid without msgstr at lines {broken}; doubled: {doubled}"


def test_the_compiled_catalogue_matches_the_po_file():
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(Path(PO.with_suffix(".mo")).open("rb")) if m.id}
    assert po == mo, "run: .venv/bin/pybabel compile -d hotline/translations"


def test_the_login_page_speaks_thai_first_and_english_on_request(app):
    browser = Browser(app.test_client(), language=None)
    page = browser.get("/console/login").get_data(as_text=True)
    assert 'lang="th"' in page and "เข้าสู่ระบบ" in page
    page = browser.get("/console/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Log in to the 1300 console" in page
    page = browser.get("/console/login?lang=th", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "เข้าสู่ระบบ" in page


def test_a_user_switches_language_and_it_is_saved(app, db):
    add_user(db, "somchai", "operator", language="th")
    call = add_call(db, category="forced_labour", started_at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    browser = Browser(app.test_client())
    browser.login("somchai")
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "การบังคับใช้แรงงานหรือบริการ" in page and "เชียงใหม่" in page and "ข้อมูลสายนี้" in page
    response = browser.post("/console/preferences", {"language": "en", "next": "/console/\r\nSet-Cookie: x=1"})
    assert response.status_code == 302 and response.location == "/console/"  # a header cannot be smuggled in
    response = browser.post("/console/preferences", {"language": "en", "next": f"/console/calls/{call.id}"})
    assert response.status_code == 302 and response.location == f"/console/calls/{call.id}"
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "About this call" in page and "Chiang Mai" in page and 'lang="en"' in page
    db.expire_all()
    assert db.scalars(select(User).where(User.username == "somchai")).one().language == "en"
    again = Browser(app.test_client())  # another day, another browser: still English
    again.login("somchai")
    assert "About this call" in again.get(f"/console/calls/{call.id}").get_data(as_text=True)


def test_times_are_bangkok_times_with_buddhist_years_in_thai(app, db):
    add_user(db, "somchai", "operator", language="th")
    call = add_call(db, started_at=datetime(2026, 12, 31, 17, 30, tzinfo=UTC))  # 1 Jan 2027 00:30 in Bangkok
    browser = Browser(app.test_client())
    browser.login("somchai")
    assert "1 ม.ค. 2570 00:30" in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    browser.post("/console/preferences", {"calendar": "ce"})
    assert "1 ม.ค. 2027 00:30" in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    browser.post("/console/preferences", {"language": "en"})
    browser.post("/console/preferences", {"calendar": "be"})
    assert "1 Jan 2570 00:30" in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)


def test_english_users_see_common_era_years_by_default(as_role, db):
    call = add_call(db, started_at=datetime(2026, 12, 31, 17, 30, tzinfo=UTC))
    assert "1 Jan 2027 00:30" in as_role("operator").get(f"/console/calls/{call.id}").get_data(as_text=True)


def test_every_code_the_hotline_stores_has_console_words():
    from casework.ivr.menu import MENU
    from casework.replies import RANK
    from hotline.console import ivr_words, words
    from models.calls import STATUS_ORDER
    from models.vocabulary import CASE_STATUSES, KINDS, OUTCOMES, SOURCES
    from workers.queues import ALL

    assert set(words.KIND) == set(KINDS)
    assert set(words.SOURCE) == set(SOURCES)
    assert set(words.CASE_STATUS) == set(CASE_STATUSES)
    assert set(words.OUTCOME) == set(OUTCOMES)
    assert set(words.CALL_STATUS) == set(STATUS_ORDER)
    assert set(ivr_words.NODE) == set(MENU)
    escalation = {"pending", "sending", "sent", "delivered", "undelivered", "failed", "acknowledged", "cancelled",
                  "superseded"}  # models.cases.Escalation
    assert set(RANK) | escalation | {"received", "twiml", "dry-run"} <= set(words.SMS_STATUS)
    assert set(words.QUEUE) == set(ALL)
