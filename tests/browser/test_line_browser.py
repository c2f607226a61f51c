"""The LINE chat in a real browser (issue 17): a trainer reports in Burmese through the LINE simulator, tapping the
quick replies (someone in danger now: a training case at once, and a person asked for); then an operator opens the
chat from the inbox and answers it, and the person sees the answer.

The screenshots land in test-artifacts/browser/ (see conftest.py), passed or failed.
"""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import shoot
from helpers.console_support import PASSWORD, add_user
from sqlalchemy import select

from casework import line_words
from models import Case, LineChat, LineMessage, LineReport

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_line_simulator_reports_in_burmese_and_an_operator_answers_the_chat(page, db):
    add_user(db, "malee", "operator", language="en")
    page.goto("/console/login?lang=en")
    page.fill("#username", "malee")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/console/$"))

    page.get_by_role("navigation").get_by_role("link", name="LINE simulator").click()
    page.wait_for_url(re.compile(r"/console/simulator/line$"))
    page.get_by_role("button", name="Add the account (follow)").click()
    thread = page.locator("#chat .line-thread")
    thread.filter(has_text="Please choose your language").wait_for()
    my = line_words.CHOICE
    for tap, then in [("မြန်မာ (Burmese)", line_words.MAIN_QUESTION["my"]),
                      (my["trafficking"]["my"], line_words.KIND_QUESTION["my"]),
                      (my["danger_now"]["my"], line_words.WHERE_QUESTION["my"][:20])]:
        page.get_by_role("form", name="Quick replies").get_by_role("button", name=tap, exact=True).click()
        thread.filter(has_text=then).wait_for()
    page.select_option("#line-place", "chiang_mai")
    page.get_by_role("button", name="Send the location").click()
    thread.filter(has_text=line_words.CONSENT_QUESTION["my"]).wait_for()
    page.get_by_role("form", name="Quick replies").get_by_role("button", name=my["no"]["my"], exact=True).click()
    thread.filter(has_text=line_words.ACCOUNT_QUESTION["my"][:20]).wait_for()
    page.fill("#line-text", "အလုပ်ရုံမှာ လူ ၅ ယောက် ပိတ်မိနေတယ်")
    page.locator("#line-send").click()
    thread.filter(has_text=line_words.PERSON_WAIT["my"]).wait_for()
    reference = page.locator("#simulated-case").inner_text()
    assert reference.startswith("TRAIN-")
    shoot(page, "line-simulator-burmese-report")

    page.get_by_role("navigation").get_by_role("link", name="LINE chats").click()
    page.wait_for_url(re.compile(r"/console/chats$"))
    row = page.locator("#chat-inbox tbody tr").first
    assert "danger now" in row.inner_text() and reference in row.inner_text()
    assert "Usimulator" not in page.content()  # the LINE user id is masked
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/console/chats/\d+$"))
    assert "အလုပ်ရုံမှာ လူ ၅ ယောက် ပိတ်မိနေတယ်" in page.locator("#thread").inner_text()
    page.get_by_role("button", name="Take the chat").click()
    page.fill("#reply-text", "မင်္ဂလာပါ။ ကျွန်ုပ်တို့ ရဲကို အကြောင်းကြားနေပါပြီ။")
    page.locator("#send-reply").click()
    page.locator("#thread").filter(has_text="ကျွန်ုပ်တို့ ရဲကို အကြောင်းကြားနေပါပြီ").wait_for()
    shoot(page, "line-chat-operator-answers")

    page.get_by_role("navigation").get_by_role("link", name="LINE simulator").click()
    thread.filter(has_text="ကျွန်ုပ်တို့ ရဲကို အကြောင်းကြားနေပါပြီ").wait_for()  # the person sees the answer

    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert (case.source, case.urgency) == ("training", "urgent")
    assert db.scalars(select(LineReport.province_code)).one() == "50"  # the pin (the case moves only with centres loaded)
    chat = db.scalars(select(LineChat)).one()
    assert chat.taken_by_id is not None and chat.step == "person"
    bot = db.scalars(select(LineMessage.status).where(LineMessage.sent_by_id.is_(None))).all()
    assert set(bot) == {"dry-run"}  # the simulator's turns ran at once, never sent to LINE
    assert db.scalars(select(LineMessage.reply_token).where(LineMessage.sent_by_id == chat.taken_by_id)).all() == [None]
