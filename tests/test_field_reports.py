"""After the ACK a field team reports by SMS on the same thread (issue 19): arrived, done with an outcome, or a note;
each is recorded once, moves the case where it says so in the team's name, and is confirmed with the reference."""
from __future__ import annotations

from xml.etree import ElementTree

import pytest
from helpers.ladder import DUTY_1, DUTY_2, OFF_DUTY, TRIAGE, reply, report, run_jobs
from sqlalchemy import func, select

from casework import ladder
from casework.wording import HELP_SMS
from models import Case, Centre, Contact, FieldReport, Message

SID = "CA" + "f" * 32
THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def reports(db) -> list[FieldReport]:
    db.expire_all()
    return list(db.scalars(select(FieldReport).order_by(FieldReport.id)))


def contact_id(db, phone: str) -> int:
    return db.scalar(select(Contact.id).where(Contact.phone == phone))


def said(response) -> str:
    assert response.status_code == 200
    return ElementTree.fromstring(response.data).find("Message").text


def opened(ladder_env, db, acknowledged: bool = True) -> Case:
    """A Chiang Mai case texted to DUTY_1 and DUTY_2, acknowledged by DUTY_1 unless told otherwise."""
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    if acknowledged:
        assert "ACK recorded" in said(reply(twilio, DUTY_1, f"ACK {the_case(db).ack_code}", "SM" + "0" * 32))
    return the_case(db)


def moved_to_bangkok(db, case: Case) -> Case:
    """The case reassigned to a new Bangkok centre, its ladder begun again there."""
    bangkok = Centre(code="10", province_code="10", name_th="ศปคม.กทม.", name_en="Bangkok centre")
    db.add(bangkok)
    db.flush()
    case = db.get(Case, case.id)
    case.reassign("10", bangkok, "user:1", "wrong province")
    ladder.restart(db, case)
    db.commit()
    return case


def text(body: str, case: Case) -> str:
    return body.format(code=case.ack_code, thai=case.ack_code.translate(THAI), reference=case.reference)


# (reply, kind, status after, outcome, rescued, body)
FORMS = [
    ("ARRIVED {code}", "arrived", "in_progress", None, None, None),
    ("arrive{code}", "arrived", "in_progress", None, None, None),
    ("  Arrived : #{code} ", "arrived", "in_progress", None, None, None),
    ("ถึง {thai}", "arrived", "in_progress", None, None, None),
    ("ถึงแล้ว{thai} ตำรวจมาด้วย", "arrived", "in_progress", None, None, "ตำรวจมาด้วย"),
    ("DONE {code} RESCUED 3", "done", "closed", "rescued_assisted", 3, None),
    ("done {code} rescued", "done", "closed", "rescued_assisted", None, None),
    ("เสร็จ {thai} ช่วยเหลือ ๒ คน", "done", "closed", "rescued_assisted", 2, "คน"),
    ("ปิด {code} ส่งต่อ", "done", "closed", "referred_agency", None, None),
    ("Done {code} referred to the shelter", "done", "closed", "referred_agency", None, "to the shelter"),
    ("DONE {code} NOTRAFFICKING", "done", "closed", "no_trafficking", None, None),
    ("done {code} no  trafficking", "done", "closed", "no_trafficking", None, None),
    ("เสร็จแล้ว {code} ไม่พบการค้ามนุษย์", "done", "closed", "no_trafficking", None, None),
    ("DONE {code} NOT FOUND", "done", "closed", "not_found", None, None),
    ("ปิดเคส{thai}ไม่พบ", "done", "closed", "not_found", None, None),
    ("DONE {reference} REFERRED", "done", "closed", "referred_agency", None, None),
    ("NOTE {code} two men at the gate", "note", "acknowledged", None, None, "two men at the gate"),
    ("บันทึก {thai} มีเด็ก ๒ คน", "note", "acknowledged", None, None, "มีเด็ก ๒ คน"),
    ("police on the way {code}", "note", "acknowledged", None, None, "police on the way {code}"),
    ("ยังไม่ถึง {thai}", "note", "acknowledged", None, None, "ยังไม่ถึง {thai}"),  # not there yet: no arrival
]


@pytest.mark.parametrize("body, kind, status, outcome, rescued, note", FORMS)
def test_every_progress_form_is_recorded_and_confirmed_with_the_reference(ladder_env, db, body, kind, status,
                                                                         outcome, rescued, note):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    answer = said(reply(twilio, DUTY_2, text(body, case), "SM" + "1" * 32))
    assert case.reference in answer and "/" in answer  # Thai, then English
    assert [(r.kind, r.outcome, r.rescued_count, r.body, r.contact_id, r.message_sid) for r in reports(db)] == [
        (kind, outcome, rescued, note and text(note, case), contact_id(db, DUTY_2), "SM" + "1" * 32)]
    case = the_case(db)
    assert (case.status, case.outcome) == (status, outcome)


def test_arrived_then_done_moves_the_case_in_the_teams_name(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    assert "Arrival recorded" in said(reply(twilio, DUTY_1, text("ถึงแล้ว {thai}", case), "SM" + "1" * 32))
    assert "closed" in said(reply(twilio, DUTY_1, text("DONE {code} RESCUED 4", case), "SM" + "2" * 32))
    case = the_case(db)
    actor = f"contact:{contact_id(db, DUTY_1)}"
    assert [(t.to_status, t.actor, t.note) for t in case.transitions][-3:] == [
        ("acknowledged", actor, "ACK by SMS from level 1"), ("in_progress", actor, "reported by SMS: arrived"),
        ("closed", actor, "reported by SMS: done")]
    assert case.outcome == "rescued_assisted" and case.closed_at is not None
    assert [(r.kind, r.rescued_count) for r in reports(db)] == [("arrived", None), ("done", 4)]


def test_a_second_arrival_is_recorded_without_moving_the_case_again(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    reply(twilio, DUTY_1, f"ARRIVED {case.ack_code}", "SM" + "1" * 32)
    assert "Arrival recorded" in said(reply(twilio, DUTY_2, f"ARRIVED {case.ack_code}", "SM" + "2" * 32))
    assert [t.to_status for t in the_case(db).transitions].count("in_progress") == 1
    assert [r.kind for r in reports(db)] == ["arrived", "arrived"]


def test_an_arrival_before_the_ack_acknowledges_first(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db, acknowledged=False)
    assert case.status == "escalating"
    reply(twilio, DUTY_2, text("ถึงแล้ว {thai}", case), "SM" + "1" * 32)
    case = the_case(db)
    actor = f"contact:{contact_id(db, DUTY_2)}"
    assert [(t.to_status, t.actor) for t in case.transitions][-2:] == [("acknowledged", actor), ("in_progress", actor)]
    assert case.acknowledged_by == contact_id(db, DUTY_2) and case.acknowledged_at is not None
    assert case.sla_due_at is None  # the ladder stopped
    assert {e.contact.phone: e.status for e in case.escalations}[DUTY_2] == "acknowledged"


@pytest.mark.parametrize("body", ["hello", "ARRIVED", "DONE", "ถึงแล้ว", "NOTE two men at the gate", "ARRIVED 99999"])
def test_an_unrecognised_reply_gets_the_help_listing_the_words_and_changes_nothing(ladder_env, db, body):
    app, twilio, redis = ladder_env
    opened(ladder_env, db)
    answer = said(reply(twilio, DUTY_1, body, "SM" + "1" * 32))
    assert answer == HELP_SMS and all(word in answer for word in ("ACK", "ARRIVED", "DONE", "NOTE", "ถึงแล้ว"))
    assert reports(db) == [] and the_case(db).status == "acknowledged"


@pytest.mark.parametrize("body", ["DONE {code}", "done {code} maybe later", "เสร็จ {thai}", "DONE {code} 3"])
def test_done_without_an_outcome_gets_the_outcomes_and_changes_nothing(ladder_env, db, body):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    answer = said(reply(twilio, DUTY_1, text(body, case), "SM" + "1" * 32))
    assert all(word in answer for word in (f"DONE {case.ack_code}", "RESCUED", "REFERRED", "NOTRAFFICKING",
                                           "NOTFOUND", "ช่วยเหลือ", "ส่งต่อ", "ไม่พบการค้ามนุษย์"))
    assert reports(db) == [] and the_case(db).status == "acknowledged"


def test_done_without_an_outcome_does_not_acknowledge_a_waiting_case_either(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db, acknowledged=False)
    assert "RESCUED" in said(reply(twilio, DUTY_1, f"DONE {case.ack_code}", "SM" + "1" * 32))
    assert the_case(db).status == "escalating" and reports(db) == []


@pytest.mark.parametrize("sender", ["+66899999999", TRIAGE, OFF_DUTY])  # unknown; a contact not sent it; off duty
@pytest.mark.parametrize("body", ["ARRIVED {code}", "DONE {code} RESCUED 2", "NOTE {code} we are here",
                                  "police on the way {code}"])
def test_a_number_that_was_not_texted_gets_the_unknown_code_answer_and_writes_nothing(ladder_env, db, sender, body):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    unknown_code = said(reply(twilio, DUTY_1, "ARRIVED 9999" if case.ack_code != "9999" else "ARRIVED 9998",
                              "SM" + "9" * 32))
    answer = said(reply(twilio, sender, text(body, case), "SM" + "1" * 32))
    assert answer == unknown_code == HELP_SMS and case.reference not in answer
    assert reports(db) == [] and the_case(db).status == "acknowledged"


def test_a_retried_report_webhook_adds_one_report_and_one_move(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    first = reply(twilio, DUTY_1, f"DONE {case.ack_code} RESCUED 2", "SM" + "1" * 32)
    again = reply(twilio, DUTY_1, f"DONE {case.ack_code} RESCUED 2", "SM" + "1" * 32)
    assert case.reference in said(first) and ElementTree.fromstring(again.data).find("Message") is None
    assert len(reports(db)) == 1 and [t.to_status for t in the_case(db).transitions].count("closed") == 1
    assert db.scalar(select(func.count()).select_from(Message).where(Message.sid == "SM" + "1" * 32)) == 1


def test_a_closed_case_takes_no_more_reports(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    reply(twilio, DUTY_1, f"DONE {case.ack_code} NOT FOUND", "SM" + "1" * 32)
    for n, body in enumerate(["ARRIVED {code}", "DONE {code} RESCUED 1", "NOTE {code} left a card", "gone {code}"]):
        answer = said(reply(twilio, DUTY_2, text(body, case), "SM" + f"{n + 2}" * 32))
        assert "already closed" in answer and case.reference in answer, body
    assert [r.kind for r in reports(db)] == ["done"] and the_case(db).outcome == "not_found"


def test_ack_words_after_the_ack_are_answered_as_before_and_are_no_note(ladder_env, db):
    app, twilio, redis = ladder_env
    case = opened(ladder_env, db)
    for n, body in enumerate(["ACK {code}", "รับทราบครับ {thai}", "{code}", "ok {reference}", "NOTE {code}"]):
        assert "already acknowledged" in said(reply(twilio, DUTY_2, text(body, case), "SM" + f"{n + 1}" * 32)), body
    assert reports(db) == [] and the_case(db).status == "acknowledged"


def test_a_centre_the_case_has_left_can_no_longer_report_on_it(ladder_env, db):
    app, twilio, redis = ladder_env
    case = moved_to_bangkok(db, opened(ladder_env, db))  # DUTY_1 acknowledged for Chiang Mai
    for n, body in enumerate(["ARRIVED {code}", "NOTE {code} still here"]):
        assert said(reply(twilio, DUTY_1, text(body, case), "SM" + f"{n + 1}" * 32)) == HELP_SMS, body
    assert reports(db) == [] and the_case(db).status == "escalating"


@pytest.mark.parametrize("body", ["ACK {code}", "still here {code}", "{reference}"])
def test_the_old_centres_acknowledger_cannot_take_a_case_moved_away_again(ladder_env, db, body):
    app, twilio, redis = ladder_env
    case = moved_to_bangkok(db, opened(ladder_env, db))  # DUTY_1 acknowledged for Chiang Mai; its escalation stays "acknowledged"
    assert said(reply(twilio, DUTY_1, text(body, case), "SM" + "1" * 32)) == HELP_SMS
    case = the_case(db)
    assert case.status == "escalating" and case.acknowledged_by is None and reports(db) == []
