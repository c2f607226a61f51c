"""Reassigning a case to another province: the old centre's ladder stops and the new centre's starts at level 1,
through the outbox, recorded with who and when; closed cases stay where they are."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import time_machine
from helpers.console_support import Browser, add_case, add_centre, add_user
from helpers.ladder import DUTY_1, DUTY_2, HEAD, reply, report, run_jobs
from sqlalchemy import select

from models import AuditEntry, Case, Centre, Contact, Escalation, Message, OutboxItem, utcnow

SID = "CA" + "d" * 32
BANGKOK_1, BANGKOK_HEAD = "+66810010011", "+66810010021"


def the_case(db, case_id: int | None = None) -> Case:
    db.expire_all()
    return db.get(Case, case_id) if case_id else db.scalars(select(Case)).one()


def test_a_case_moves_with_who_when_and_an_outbox_item_to_restart_the_ladder(as_role, users, db):
    old = add_centre(db, "50", "Chiang Mai centre")
    add_centre(db, "10", "Bangkok centre")
    case = add_case(db, centre_id=old.centre_id, status="escalating", level=1, sla_due_at=utcnow() + timedelta(hours=1))
    second = Contact(centre_id=old.centre_id, name="Malee", phone="+66810050012", level=1)
    db.add(second)
    db.flush()
    db.add_all([Escalation(case_id=case.id, level=1, contact_id=old.id, status="sent"),
                Escalation(case_id=case.id, level=1, contact_id=second.id, status="pending")])
    db.commit()
    browser = as_role("operator")
    assert "Move the case" in browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    response = browser.post(f"/console/cases/{case.id}/province", {"province": "10", "note": "the boat is in Bangkok"})
    assert response.status_code == 302
    case = the_case(db, case.id)
    assert (case.province_code, case.centre.code, case.status, case.level, case.ladder_run) == ("10", "10", "escalating", 0, 1)
    assert case.sla_due_at is None and [e.status for e in case.escalations] == ["superseded", "cancelled"]
    moved = case.transitions[-1]
    assert (moved.actor, moved.note, moved.to_centre_id) == (f"user:{users['operator'].id}", "the boat is in Bangkok",
                                                              case.centre_id)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "reassign_case")).one()
    assert entry.user_id == users["operator"].id and entry.target == f"case:{case.reference}"
    assert entry.reason == "50 -> 10; centre 50 -> 10"
    item = db.scalars(select(OutboxItem)).one()
    assert (item.job_id, item.function, item.args) == (f"case-restart-{case.id}-1", "restart_escalation", [case.id, 1])
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="escalation"'):page.index('id="notes"')]
    assert "Moved to Bangkok centre by operator" in timeline and "the boat is in Bangkok" in timeline
    assert timeline.index("superseded") < timeline.index("Moved to")


def test_an_acknowledged_case_goes_back_to_escalating_for_its_new_centre(as_role, db):
    add_centre(db, "50")
    add_centre(db, "10", "Bangkok centre")
    case = add_case(db, status="acknowledged", acknowledged_at=utcnow())
    assert as_role("supervisor").post(f"/console/cases/{case.id}/province", {"province": "10"}).status_code == 302
    case = the_case(db, case.id)
    assert case.status == "escalating" and case.acknowledged_at is None
    assert [(t.from_status, t.to_status) for t in case.transitions] == [("acknowledged", "escalating")]


def test_a_closed_case_or_a_bad_choice_is_a_form_error_and_nothing_moves(as_role, db):
    add_centre(db, "50")
    closed = add_case(db, status="closed", outcome="false_report")
    open_case = add_case(db)
    browser = as_role("supervisor")
    response = browser.post(f"/console/cases/{closed.id}/province", {"province": "10"})
    assert response.status_code == 400 and "A closed case cannot be moved" in response.get_data(as_text=True)
    assert "Move the case" not in browser.get(f"/console/cases/{closed.id}").get_data(as_text=True)
    for data, error in [({"province": "50"}, "The case is already in this province."),
                        ({"province": ""}, "Choose the province the case belongs to."),
                        ({"province": "99"}, "Choose one of the options."),
                        ({"province": "10", "note": "x" * 1001}, "Write at most 1,000 characters.")]:
        response = browser.post(f"/console/cases/{open_case.id}/province", data)
        assert response.status_code == 400 and error in response.get_data(as_text=True), data
    assert browser.post(f"/console/cases/{open_case.id}/province", {"province": "10"}, token=False).status_code == 400
    for case in (closed, open_case):
        moved = the_case(db, case.id)
        assert moved.province_code == "50" and moved.ladder_run == 0 and moved.transitions == []
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "reassign_case")).all() == []
    assert db.scalars(select(OutboxItem)).all() == []


def test_a_field_officer_may_not_move_a_case_out_of_their_sight(as_role, db):
    add_centre(db, "50")
    case = add_case(db)
    browser = as_role("field_officer")
    assert "Move the case" not in browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert browser.post(f"/console/cases/{case.id}/province", {"province": "10"}).status_code == 403
    assert the_case(db, case.id).province_code == "50"


def _bangkok(db) -> None:
    centre = Centre(code="10", province_code="10", name_th="ศปคม.กทม.", name_en="Bangkok centre")
    db.add(centre)
    db.flush()
    db.add_all([Contact(centre_id=centre.id, name="bkk duty", role="duty", phone=BANGKOK_1, level=1),
                Contact(centre_id=centre.id, name="bkk head", role="head", phone=BANGKOK_HEAD, level=2)])
    db.commit()


def sent(db, level: int | None = None) -> list[str]:
    db.expire_all()
    return [e.contact.phone for e in db.scalars(select(Escalation).order_by(Escalation.id))
            if level is None or e.level == level]


def test_reassignment_texts_the_new_centre_at_level_1_and_never_the_old_one_again(ladder_env, db):
    app, twilio, redis = ladder_env
    _bangkok(db)
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    assert sent(db) == [DUTY_1, DUTY_2]
    add_user(db, "somsri", "supervisor")
    browser = Browser(app.test_client())
    browser.login("somsri")
    case = the_case(db)
    assert browser.post(f"/console/cases/{case.id}/province", {"province": "10"}).status_code == 302
    run_jobs(redis)
    assert sent(db) == [DUTY_1, DUTY_2, BANGKOK_1]
    db.expire_all()
    to = [m.to_number for m in db.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))]
    assert to == [DUTY_1, DUTY_2, BANGKOK_1]
    case = the_case(db)
    assert case.status == "escalating" and case.level == 1 and case.centre.code == "10"
    assert {e.contact.phone: e.status for e in case.escalations}[DUTY_1] == "superseded"
    answer = ElementTree.fromstring(reply(twilio, DUTY_1, f"ACK {case.ack_code}", "SM" + "7" * 32).data)
    assert "ACK" in answer.find("Message").text and the_case(db).status == "escalating"  # the old centre cannot take it
    with time_machine_travel(3601):
        run_jobs(redis)  # the old run's level-1 check does nothing; the new run's climbs to Bangkok's head
        assert sent(db, 2) == [BANGKOK_HEAD] and HEAD not in sent(db)
        reply(twilio, BANGKOK_HEAD, f"ACK {case.ack_code}", "SM" + "8" * 32)
    case = the_case(db)
    assert case.status == "acknowledged" and case.acknowledged_by is not None
    with time_machine_travel(12000):
        run_jobs(redis)
    assert sent(db) == [DUTY_1, DUTY_2, BANGKOK_1, BANGKOK_HEAD]  # nothing more, to anyone
    assert db.scalars(select(OutboxItem).where(OutboxItem.status != "done")).all() == []


def test_a_case_moved_away_and_back_pages_its_first_centre_again(ladder_env, db):
    app, twilio, redis = ladder_env
    _bangkok(db)
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    add_user(db, "somsri", "supervisor")
    browser = Browser(app.test_client())
    browser.login("somsri")
    case = the_case(db)
    for province in ("10", "50"):
        assert browser.post(f"/console/cases/{case.id}/province", {"province": province}).status_code == 302
        run_jobs(redis)
    assert sent(db) == [DUTY_1, DUTY_2, BANGKOK_1, DUTY_1, DUTY_2]  # Chiang Mai's duty team hears of it again
    case = the_case(db)
    assert (case.centre.code, case.level, case.ladder_run) == ("50", 1, 2)
    assert [(e.ladder_run, e.status) for e in case.escalations] == [
        (0, "superseded"), (0, "superseded"), (1, "superseded"), (2, "sent"), (2, "sent")]
    reply(twilio, DUTY_2, f"ACK {case.ack_code}", "SM" + "9" * 32)
    case = the_case(db)
    assert case.status == "acknowledged" and [e.status for e in case.escalations][-2:] == ["sent", "acknowledged"]


def time_machine_travel(seconds: int):
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)
