"""The operator's screen (issue 16): the call rung to me on my desk page, without the caller's number; declining
it frees me and rings the next operator; the page's JSON names the call's page once I answered (the screen pop).
End to end with the fake Twilio REST API and real RQ jobs, on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
from helpers.console_support import FAST_HASH, Browser
from helpers.ladder import run_jobs
from helpers.visible_text import english_words, visible_text
from sqlalchemy import select, update
from test_desk_routing import SID_A, ask_for_a_person, fake, state_of, wait_of  # noqa: F401

from casework import desk
from models import Call, DeskOffer, User, utcnow

CALLER = "+66812345678"  # call_params' From: it must appear nowhere on the operator's screen
OP1_PHONE, OP2_PHONE = "+66811110001", "+66811110002"


def operator(app, username: str, phone: str) -> int:
    """A Thai-speaking operator who can log in, available now."""
    with app.extensions["sessions"].begin() as session:
        user = User(username=username, role="operator", password_hash=FAST_HASH, active=True, language="en")
        session.add(user)
        session.flush()
        desk.save_profile(session, user, ["th"], phone, "test")
        desk.set_state(session, user, "available", "test")
        return user.id


def earlier_calls(app, count: int) -> None:
    with app.extensions["sessions"].begin() as session:
        session.add_all(Call(call_sid=f"CA{n:032d}", status="completed", from_raw=CALLER, from_e164=CALLER,
                             language="th", ivr_path=[], started_at=utcnow()) for n in range(1, count + 1))
        session.add(Call(call_sid="CA" + "9" * 32, status="completed", from_e164="+66899999999", language="th",
                         ivr_path=[], started_at=utcnow()))  # someone else's


def logged_in(app, username: str) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def no_number(text: str) -> None:
    for form in (CALLER, CALLER[3:], "0" + CALLER[3:], "5678"):
        assert form not in text, form


@pytest.fixture
def rung(desk_env, fake):  # noqa: F811
    """op1 (free longest) and op2, both Thai; a Thai caller with two earlier calls, rung to op1."""
    app, twilio, redis = desk_env
    first = operator(app, "op1", OP1_PHONE)
    second = operator(app, "op2", OP2_PHONE)
    earlier_calls(app, 2)
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.form["To"] == OP1_PHONE
    return app, twilio, redis, first, second, ring


def test_my_desk_page_shows_the_call_rung_to_me_without_its_number(rung):
    app, _twilio, _redis, first, _second, ring = rung
    op1 = logged_in(app, "op1")
    page = op1.get("/console/desk").get_data(as_text=True)
    assert "A call for you" in page and "Decline" in page
    facts = dict(re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", re.search(r'id="offer".*?</section>', page, re.S)[0],
                            re.S))
    assert facts["Language"] == "Thai" and facts["Earlier calls from this number"] == "2"
    assert "data-since=" in facts["Waiting"]
    assert "answer your phone" in page
    no_number(page)

    now = op1.get("/console/desk/now.json")
    assert now.status_code == 200 and now.json["state"] == "offered" and now.json["call_url"] is None
    offer = now.json["offer"]
    assert (offer["language"], offer["earlier_calls"], offer["urgent"]) == ("th", 2, False)
    no_number(now.get_data(as_text=True))
    assert op1.get("/console/desk/now.json", headers={"If-None-Match": now.headers["ETag"]}).status_code == 304

    other = logged_in(app, "op2")
    assert "A call for you" not in other.get("/console/desk").get_data(as_text=True)
    assert other.get("/console/desk/now.json").json["offer"] is None


def test_declining_frees_me_hangs_up_my_leg_and_rings_the_next_operator(rung, fake):  # noqa: F811
    app, _twilio, redis, first, second, ring = rung
    op1 = logged_in(app, "op1")
    offer_id = op1.get("/console/desk/now.json").json["offer"]["offer_id"]
    response = op1.post("/console/desk/decline", {"offer": str(offer_id)})
    assert response.status_code == 302 and response.location == "/console/desk"
    assert state_of(app, first).state == "available" and state_of(app, first).missed_at is None
    with app.extensions["sessions"]() as session:
        assert session.get(DeskOffer, offer_id).state == "declined"

    run_jobs(redis)
    assert [r.form["To"] for r in fake.participants()] == [OP1_PHONE, OP2_PHONE]
    assert [(u.target, u.form.get("Status")) for u in fake.updates()] == [(ring.call_sid, "canceled")]
    assert state_of(app, second).state == "offered"
    assert "You declined the call" in op1.get("/console/desk").get_data(as_text=True)

    again = op1.post("/console/desk/decline", {"offer": str(offer_id)})  # a second click, an old page
    assert again.status_code == 409 and "no longer offered to you" in again.get_data(as_text=True)


def test_nobody_declines_another_operators_offer(rung):
    app, _twilio, _redis, first, second, _ring = rung
    op2 = logged_in(app, "op2")
    with app.extensions["sessions"]() as session:
        offer_id = session.scalar(select(DeskOffer.id).where(DeskOffer.user_id == first))
    for data in ({"offer": str(offer_id)}, {"offer": "x"}, {}):
        assert op2.post("/console/desk/decline", data).status_code == 409
    assert state_of(app, first).state == "offered" and state_of(app, second).state == "available"


def test_once_i_answer_the_json_names_the_calls_page_and_the_page_follows_only_a_new_call(rung, fake):  # noqa: F811
    app, twilio, _redis, first, _second, ring = rung
    op1 = logged_in(app, "op1")
    page = op1.get("/console/desk").get_data(as_text=True)
    assert 'data-follow="call_url" data-followed=""' in page
    fake.leg(twilio, ring, "ringing", "in-progress")
    call_id = wait_of(app, SID_A).call_id
    now = op1.get("/console/desk/now.json").json
    assert now["state"] == "on_call" and now["call_url"] == f"/console/calls/{call_id}" and now["offer"] is None
    page = op1.get("/console/desk").get_data(as_text=True)  # opened during the call: it does not jump away
    assert f'data-followed="/console/calls/{call_id}"' in page and "You are on a call" in page

    fake.leg(twilio, ring, "in-progress", "completed")
    assert op1.get("/console/desk/now.json").json["call_url"] is None


def test_the_desk_json_is_for_desk_roles(app, db, users, as_role):
    assert Browser(app.test_client()).get("/console/desk/now.json").status_code == 401
    assert as_role("admin").get("/console/desk/now.json").status_code == 403
    now = as_role("operator").get("/console/desk/now.json").json  # no profile yet
    assert now == {"state": None, "offer": None, "call_url": None, "sections": {"now": now["sections"]["now"]}}


def test_the_offer_reads_in_thai(rung):
    app, _twilio, _redis, _first, _second, _ring = rung
    with app.extensions["sessions"].begin() as session:
        session.execute(update(User).values(language="th"))
    op1 = Browser(app.test_client(), language="th")
    assert op1.login("op1").status_code == 302
    page = op1.get("/console/desk").get_data(as_text=True)
    assert 'id="offer"' in page and '<html lang="th">' in page
    assert english_words(visible_text(page), {"op1", "SIP"}) == []  # SIP: the profile form's acronym
