"""No English left on the Thai console (issue 15): every page of each role's menu, and a call, a case with its SMS,
the centres with the demo roster, the simulator mid-call, the reports and the audit trail, read as a Thai user reads
them. A run of Latin letters must be a name or a code (helpers/visible_text.py says which)."""
from __future__ import annotations

import re

import pytest
from helpers.console_support import Browser
from helpers.ladder import report, run_jobs
from helpers.visible_text import english_words, visible_text
from sqlalchemy import select, update

from casework.config import ROOT
from models import Call, Case, Contact, User
from models.reference import load_centres, load_contacts, load_provinces

ROUTED, CENTRAL_SID = "CA" + "6" * 32, "CA" + "8" * 32
NAV = re.compile(r'<nav aria-label="[^"]*">(.*?)</nav>', re.S)
LINK = re.compile(r'href="(/console/[^"]*)"')
LINE_CHATS = (1,)  # the LINE simulator's chat, waiting for a person (danger now)


@pytest.fixture
def hotline_day(ladder_env, users, db):
    """The demo roster loaded as `flask centres load` does; a Chiang Mai case its duty team acknowledged by SMS,
    one routed to central triage, and every user reading Thai."""
    app, twilio, redis = ladder_env
    for load, name in ((load_provinces, "provinces.csv"), (load_centres, "centres.csv"), (load_contacts, "contacts.csv")):
        load(db, ROOT / "data" / name)
    db.commit()
    report(twilio, ROUTED, ["1", "3"], postcode="50200")
    report(twilio, CENTRAL_SID, ["1", "3"])
    run_jobs(redis)
    case = db.scalar(select(Case).join(Call, Case.call_id == Call.id).where(Call.call_sid == ROUTED))
    duty = db.scalar(select(Contact).where(Contact.phone == "+66800500011", Contact.active))
    twilio.post("/sms/incoming", {"MessageSid": "SM" + "4" * 32, "From": duty.phone, "To": "+6620001300",
                                  "Body": f"ACK {case.ack_code}", "AccountSid": "AC" + "0" * 32})
    db.execute(update(User).values(language="th"))
    db.commit()
    central = db.scalar(select(Case).join(Call, Case.call_id == Call.id).where(Call.call_sid == CENTRAL_SID))
    return app, case, central


def pages_of(browser: Browser, case: Case, central: Case) -> list[str]:
    """The role's menu, and the pages reached from a call, a case, a centre and the simulator."""
    menu = LINK.findall(NAV.search(browser.get("/console/").get_data(as_text=True))[1])
    assert menu, "no menu found"
    return [*menu, f"/console/calls/{case.call_id}", f"/console/cases/{case.id}",
            f"/console/cases/{central.id}", "/console/centres/50",
            "/console/centres/central", "/console/sms", "/console/simulator", "/console/reports", "/console/audit",
            "/console/callbacks", "/console/simulator/line", *[f"/console/chats/{chat_id}" for chat_id in LINE_CHATS]]


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin", "field_officer"])
def test_thai_pages_show_no_english_but_names_and_codes(hotline_day, role):
    app, case, central = hotline_day
    browser = Browser(app.test_client(), language="th")
    assert browser.login(role).status_code == 302
    if role in ("operator", "supervisor", "admin"):
        browser.post("/console/simulator/call", {"caller": "mobile"})
        browser.post("/console/simulator/press", {"key": "1"})
        for words in ("မြန်မာ (Burmese)", "လူကုန်ကူးမှုတိုင်ရန်", "ယခု အန္တရာယ်ရှိ"):  # the LINE simulator: danger now
            browser.post("/console/simulator/line", {"do": "text", "text": words})
    names = {"operator", "supervisor", "admin", "field_officer"}  # the usernames
    leaks = {}
    for path in dict.fromkeys(pages_of(browser, case, central)):
        response = browser.get(path)
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        page = response.get_data(as_text=True)
        assert '<html lang="th">' in page, path
        words = english_words(visible_text(page), names)
        if words:
            leaks[path] = sorted(set(words))
    assert not leaks, f"English on the Thai pages of a {role}: {leaks}"


def test_the_reader_skips_code_scripts_and_english_marked_text():
    page = ('<html><head><title>Dashboard</title></head><body><p>แดชบอร์ด <b>level 1</b><br>'
            '<button lang="en">English</button><code>/voice/ivr</code><script>var x = 1;</script>'
            '<ul><li>SMS ACK 4821<li>CA12ab +66 8X XXX 5678 somsri user:somsri</ul>'
            '<td translate="no">ACK recorded</td></body></html>')
    assert english_words(visible_text(page), {"somsri"}) == ["level"]
