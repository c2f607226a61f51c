"""The case story's links in the console (issue 19): referrals on the case page (staff, and the field officers of
the case's province), linking a call to a case from the call page (staff), and every call of a case on the case
page with its notes and voice message."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.console_support import Browser, add_call, add_case
from helpers.fake_twilio_media import ACCOUNT, AUDIO, RECORDING, FakeTwilioMedia
from helpers.visible_text import english_words, visible_text
from sqlalchemy import event, func, select, update

from casework.config import Config
from casework.linking import link
from casework.referrals import refer
from models import Annotation, AuditEntry, Case, LinkedCall, Referral, User, utcnow

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def audits(db, action: str) -> list[tuple]:
    db.expire_all()
    return [(a.user_id, a.target, a.reason) for a in db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                                               .order_by(AuditEntry.id))]


# --- referrals ---------------------------------------------------------------------------------------------------

def test_a_referral_is_made_and_moved_on_the_case_page_each_step_with_who_and_when(as_role, users, db):
    case = add_case(db)
    browser = as_role("operator")
    response = browser.post(f"/console/cases/{case.id}/referrals", {"agency": "police_191", "detail": ATTACK})
    assert response.status_code == 302 and response.location.endswith("#referrals")
    referral = db.scalars(select(Referral)).one()
    response = browser.post(f"/console/cases/{case.id}/referrals/{referral.id}/status",
                            {"status": "accepted", "note": "<b>Sgt. Somsak</b> took it"})
    assert response.status_code == 302
    operator = users["operator"].id
    assert audits(db, "refer_case") == [(operator, f"case:{case.id}", f"referral:{referral.id} police_191")]
    assert audits(db, "advance_referral") == [(operator, f"case:{case.id}", f"referral:{referral.id} requested -> accepted")]
    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert referral.status == "accepted" and referral.detail == ATTACK
    assert [(s.status, s.actor) for s in referral.steps] == [("requested", f"user:{operator}"), ("accepted", f"user:{operator}")]
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="referrals"'):]
    assert "police (191)" in section and "accepted by the agency" in section and section.count("operator ·") == 2
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Sgt." not in page
    assert "&lt;b&gt;Sgt. Somsak&lt;/b&gt; took it" in section
    assert 'value="done"' in section and 'value="declined"' not in section  # the next steps' buttons only


def test_a_wrong_move_or_a_bad_field_is_a_form_error_and_changes_nothing(as_role, db):
    case = add_case(db)
    browser = as_role("supervisor")
    assert browser.post(f"/console/cases/{case.id}/referrals", {"agency": "ngo"}).status_code == 302
    referral = db.scalars(select(Referral)).one()
    step = f"/console/cases/{case.id}/referrals/{referral.id}/status"
    response = browser.post(step, {"status": "done"})
    assert response.status_code == 400 and "A referral that is requested cannot become done." in response.get_data(as_text=True)
    response = browser.post(step, {"status": "lost"})
    assert response.status_code == 400 and "Choose one of the options." in response.get_data(as_text=True)
    response = browser.post(step, {"status": "declined", "note": "x" * 1001})
    assert response.status_code == 400 and "Write at most 1,000 characters." in response.get_data(as_text=True)
    for bad in ({"agency": "fbi"}, {"agency": ""}, {"agency": "embassy", "detail": "x" * 201}):
        assert browser.post(f"/console/cases/{case.id}/referrals", bad).status_code == 400
    other = add_case(db)
    assert browser.post(f"/console/cases/{other.id}/referrals/{referral.id}/status", {"status": "accepted"}).status_code == 404
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Referral)) == 1
    assert db.get(Referral, referral.id).status == "requested" and len(db.get(Referral, referral.id).steps) == 1


def test_a_field_officer_refers_their_provinces_cases_and_not_another_provinces(app, as_role, users, db):
    mine, theirs = add_case(db), add_case(db, province_code="10")
    officer = as_role("field_officer")
    assert officer.post(f"/console/cases/{mine.id}/referrals", {"agency": "shelter"}).status_code == 302
    assert officer.post(f"/console/cases/{theirs.id}/referrals", {"agency": "shelter"}).status_code == 404
    as_role("operator").post(f"/console/cases/{theirs.id}/referrals", {"agency": "dsi"})
    theirs_referral = db.scalars(select(Referral).where(Referral.case_id == theirs.id)).one()
    response = officer.post(f"/console/cases/{theirs.id}/referrals/{theirs_referral.id}/status", {"status": "accepted"})
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Referral, theirs_referral.id).status == "requested"
    assert [r.actor for r in db.scalars(select(Referral).where(Referral.case_id == mine.id)).one().steps] == [
        f"user:{users['field_officer'].id}"]


# --- linking a call to a case ------------------------------------------------------------------------------------

def test_an_operator_links_a_call_from_the_suggestions_once_and_the_case_history_says_so(as_role, users, db):
    recent = utcnow() - timedelta(days=2)
    first = add_call(db, started_at=recent)
    case = add_case(db, first)
    old = add_case(db, add_call(db, started_at=utcnow() - timedelta(days=40)))
    add_case(db, add_call(db, from_e164="+66899999999", from_raw="+66899999999", started_at=recent))  # another number
    second = add_call(db, started_at=utcnow())
    browser = as_role("operator")
    page = browser.get(f"/console/calls/{second.id}").get_data(as_text=True)
    panel = page[page.index('id="link"'):]
    panel = panel[:panel.index("</section>")]
    assert case.reference in panel and old.reference not in panel and panel.count('name="reference" value=') == 1
    assert "812345678" not in panel and "5678" not in panel  # the number itself is never shown
    response = browser.post(f"/console/calls/{second.id}/link", {"reference": case.reference})
    assert response.status_code == 302 and response.location.endswith("#link")
    again = browser.post(f"/console/calls/{second.id}/link", {"reference": " " + case.reference[5:] + " "})
    assert again.status_code == 302
    operator = users["operator"].id
    assert audits(db, "link_call") == [(operator, f"case:{case.id}", f"call:{second.id}")]
    assert [(row.case_id, row.actor) for row in db.scalars(select(LinkedCall))] == [(case.id, f"user:{operator}")]
    db.expire_all()
    assert [(t.to_status, t.actor, t.note) for t in db.get(Case, case.id).transitions] == [
        ("new", f"user:{operator}", f"call {second.reference} linked")]
    page = browser.get(f"/console/calls/{second.id}").get_data(as_text=True)
    assert f"Linked to case {case.reference} by operator" in page and "Open a case from this call" not in page
    history = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f"call {second.reference} linked" in history


def test_a_call_that_opened_its_own_case_or_an_unknown_reference_is_refused(as_role, db):
    call = add_call(db)
    own = add_case(db, call)
    other = add_case(db)
    browser = as_role("admin")
    response = browser.post(f"/console/calls/{call.id}/link", {"reference": other.reference})
    assert response.status_code == 400
    assert f"This call opened case {own.reference} itself, so it cannot be linked to another case." in response.get_data(as_text=True)
    loose = add_call(db)
    for reference in ("1300-69-999999", "", ATTACK):
        response = browser.post(f"/console/calls/{loose.id}/link", {"reference": reference})
        assert response.status_code == 400 and "<script>alert" not in response.get_data(as_text=True)
    closed = add_case(db, status="closed", outcome="false_report")
    response = browser.post(f"/console/calls/{loose.id}/link", {"reference": closed.reference})
    assert response.status_code == 400 and "is closed: open a new case from this call instead" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(LinkedCall)) == 0 and audits(db, "link_call") == []


def test_opening_a_case_from_a_linked_call_opens_none(as_role, db):
    case, call = add_case(db), add_call(db)
    browser = as_role("operator")
    assert browser.post(f"/console/calls/{call.id}/link", {"reference": case.reference}).status_code == 302
    assert browser.post(f"/console/calls/{call.id}/case", {}).status_code == 302
    assert db.scalar(select(func.count()).select_from(Case)) == 1 and audits(db, "open_case") == []
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert f"This call is already linked to case {case.reference}." in page


# --- every call on the case page ---------------------------------------------------------------------------------

def test_the_case_page_shows_every_call_with_its_notes_and_voice_message(as_role, users, db):
    own = add_call(db, recording_sid="RE" + "1" * 32, recording_url=RECORDING)
    case = add_case(db, own)
    linked = add_call(db, province_code=None, recording_sid="RE" + "3" * 32, recording_url=RECORDING)
    db.add(Annotation(call_id=own.id, author_id=users["operator"].id, body="first caller: 3 workers", created_at=utcnow()))
    db.add(Annotation(call_id=linked.id, author_id=users["operator"].id, body=ATTACK + " second caller",
                      created_at=utcnow()))
    db.commit()
    assert as_role("operator").post(f"/console/calls/{linked.id}/link", {"reference": case.reference}).status_code == 302
    for role in ("operator", "field_officer"):
        page = as_role(role).get(f"/console/cases/{case.id}").get_data(as_text=True)
        section = page[page.index('id="calls"'):]
        section = section[:section.index("</section>")]
        assert f"Call {own.reference}" in section and f"Call {linked.reference}" in section, role
        assert "first caller: 3 workers" in section and "second caller" in section and "Linked by operator" in section
        assert "<script>alert" not in section and "<img src=x" not in section
        assert "812345678" not in section and "5678" not in section
        # dry-run credentials in tests: the page says why it cannot play instead of a dead player
        assert "this run has no Twilio credentials" in section


@pytest.fixture
def fake():
    twilio = FakeTwilioMedia()
    yield twilio
    twilio.close()


def test_a_field_officer_plays_a_linked_calls_voice_message_from_another_province_audited(config, fake, db, users):
    from hotline import create_app

    app = create_app(Config(**{**config.__dict__, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_BASE_URL": fake.url}))
    try:
        case = add_case(db)
        linked, stranger = (add_call(db, province_code=code, recording_sid=f"RE{n}" + "4" * 31, recording_url=RECORDING)
                            for n, code in ((1, "10"), (2, "10")))
        db.add(LinkedCall(case_id=case.id, call_id=linked.id, actor="user:1", at=utcnow()))
        db.commit()
        officer = Browser(app.test_client())
        assert officer.login("field_officer").status_code == 302
        page = officer.get(f"/console/cases/{case.id}").get_data(as_text=True)
        assert f'src="/console/calls/{linked.id}/recording"' in page
        response = officer.get(f"/console/calls/{linked.id}/recording")
        assert response.status_code == 200 and response.data == AUDIO
        assert officer.get(f"/console/calls/{stranger.id}/recording").status_code == 404  # no case of theirs
        assert officer.get(f"/console/calls/{linked.id}").status_code == 404  # the call page stays its province's
        assert audits(db, "play_recording") == [(users["field_officer"].id, f"call:{linked.id}", None)]
    finally:
        app.extensions["engine"].dispose()


def test_the_links_read_in_thai(as_role, users, db):
    """The referrals, the calls and the link panel, and the history's note of a link, as a Thai user reads them."""
    first = add_call(db, started_at=utcnow() - timedelta(days=1))
    case = add_case(db, first)
    second, third = add_call(db, recording_sid="RE" + "6" * 32, recording_url=RECORDING), add_call(db)
    operator = as_role("operator")
    operator.post(f"/console/cases/{case.id}/referrals", {"agency": "dsi"})
    operator.post(f"/console/cases/{case.id}/referrals", {"agency": "ngo"})
    operator.post(f"/console/calls/{second.id}/link", {"reference": case.reference})
    db.execute(update(User).values(language="th"))
    db.commit()
    names = {"operator", "field_officer"}
    for role, path in (("operator", f"/console/cases/{case.id}"), ("field_officer", f"/console/cases/{case.id}"),
                       ("operator", f"/console/calls/{second.id}"), ("operator", f"/console/calls/{third.id}")):
        page = as_role(role).get(path).get_data(as_text=True)
        assert '<html lang="th">' in page and not english_words(visible_text(page), names), (role, path)
    operator = as_role("operator")
    assert "การส่งต่อ" in operator.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f"เชื่อมสาย {second.reference} แล้ว" in operator.get(f"/console/cases/{case.id}").get_data(as_text=True)


def test_the_case_pages_referrals_and_linked_calls_cost_the_same_queries_however_many(app, as_role, db):
    """No query per referral (its steps) or per linked call (the call itself)."""
    def statements(case) -> list[str]:
        seen: list[str] = []
        listener = lambda _conn, _cursor, statement, *_: seen.append(statement)  # noqa: E731
        engine = app.extensions["engine"]
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert as_role("supervisor").get(f"/console/cases/{case.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return seen

    def costs(many: int) -> tuple[int, int]:
        case = add_case(db, add_call(db))
        for _n in range(many):
            refer(db, case, "police_191", None, "system")
            link(db, case, add_call(db, from_e164=None), "system")
        db.commit()
        seen = statements(case)
        return (sum("FROM referral_steps" in s for s in seen),
                sum("FROM calls" in s and "linked_calls" not in s for s in seen))

    one, three = costs(1), costs(3)
    assert one == three and one[0] == 1
