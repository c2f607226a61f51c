"""A contact deactivated, taken off duty or given a new number (a lost phone, a former officer, the end of a shift)
can no longer acknowledge what it was texted, and a case left with nobody to answer at its level goes on at once."""
from __future__ import annotations

from helpers.console_support import Browser
from helpers.ladder import DUTY_1, DUTY_2, HEAD, reply, report, run_jobs
from sqlalchemy import select

from models import Case, Contact, Escalation

SID = "CA" + "8" * 32
NEW_NUMBER = "+66899990011"


def texted(db, level: int) -> list[tuple[str, str]]:
    db.expire_all()
    return [(e.contact.phone, e.status) for e in db.scalars(select(Escalation).where(Escalation.level == level)
                                                               .order_by(Escalation.id))]


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def contact(db, phone: str) -> Contact:
    return db.scalars(select(Contact).where(Contact.phone == phone, Contact.active.is_(True))).one()


def escalated_to_level_1(ladder_env, db) -> tuple[Browser, Case]:
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    assert texted(db, 1) == [(DUTY_1, "sent"), (DUTY_2, "sent")]
    browser = Browser(app.test_client())
    assert browser.login("supervisor").status_code == 302
    return browser, the_case(db)


def test_a_deactivated_contact_cannot_acknowledge_and_the_last_one_out_climbs_at_once(ladder_env, users, db):
    app, twilio, redis = ladder_env
    browser, case = escalated_to_level_1(ladder_env, db)
    assert browser.post(f"/console/contacts/{contact(db, DUTY_1).id}/deactivate").status_code == 302
    answer = reply(twilio, DUTY_1, f"ACK {case.ack_code}", "SM" + "1" * 32).get_data(as_text=True)
    assert case.reference not in answer and the_case(db).status == "escalating"  # the lost phone silences nothing
    run_jobs(redis)
    assert texted(db, 1) == [(DUTY_1, "superseded"), (DUTY_2, "sent")] and texted(db, 2) == []  # DUTY_2 still can

    assert browser.post(f"/console/contacts/{contact(db, DUTY_2).id}/deactivate").status_code == 302
    run_jobs(redis)  # no SLA window waited for: level 1 has nobody left (the third officer is off duty)
    assert texted(db, 2) == [(HEAD, "sent")] and the_case(db).level == 2
    answer = reply(twilio, HEAD, f"ACK {case.ack_code}", "SM" + "2" * 32).get_data(as_text=True)
    assert case.reference in answer and the_case(db).status == "acknowledged"


def test_off_duty_then_a_new_number_texts_the_officers_new_phone_at_the_same_level(ladder_env, users, db):
    app, twilio, redis = ladder_env
    browser, case = escalated_to_level_1(ladder_env, db)
    officer = contact(db, DUTY_2)
    assert browser.post(f"/console/contacts/{officer.id}/duty", {"on_duty": "no"}).status_code == 302
    answer = reply(twilio, DUTY_2, f"ACK {case.ack_code}", "SM" + "3" * 32).get_data(as_text=True)
    assert case.reference not in answer and the_case(db).status == "escalating"

    officer = contact(db, DUTY_1)
    assert browser.post(f"/console/contacts/{officer.id}", {"name": officer.name, "phone": NEW_NUMBER, "level": "1",
                                                            "on_duty": "yes"}).status_code == 302
    run_jobs(redis)
    assert texted(db, 1) == [(DUTY_1, "superseded"), (DUTY_2, "superseded"), (NEW_NUMBER, "sent")]
    assert texted(db, 2) == [] and the_case(db).level == 1
    assert reply(twilio, DUTY_1, f"ACK {case.ack_code}", "SM" + "4" * 32).status_code == 200
    assert the_case(db).status == "escalating"
    answer = reply(twilio, NEW_NUMBER, f"ACK {case.ack_code}", "SM" + "5" * 32).get_data(as_text=True)
    assert case.reference in answer and the_case(db).status == "acknowledged"


def test_an_edit_that_keeps_the_number_level_and_duty_withdraws_nothing(ladder_env, users, db):
    app, twilio, redis = ladder_env
    browser, case = escalated_to_level_1(ladder_env, db)
    officer = contact(db, DUTY_1)
    assert browser.post(f"/console/contacts/{officer.id}", {"name": "Somchai K.", "phone": DUTY_1, "level": "1",
                                                            "on_duty": "yes"}).status_code == 302
    assert texted(db, 1) == [(DUTY_1, "sent"), (DUTY_2, "sent")]
    answer = reply(twilio, DUTY_1, f"ACK {case.ack_code}", "SM" + "6" * 32).get_data(as_text=True)
    assert case.reference in answer and the_case(db).status == "acknowledged"


def test_a_roster_load_that_takes_the_texted_officers_off_duty_moves_their_case_on(ladder_env, users, db, tmp_path):
    app, twilio, redis = ladder_env
    browser, case = escalated_to_level_1(ladder_env, db)
    (tmp_path / "provinces.csv").write_text("code,name_th,name_en,region\n50,เชียงใหม่,Chiang Mai,north\n"
                                            "10,กรุงเทพมหานคร,Bangkok,central\n", encoding="utf-8")
    (tmp_path / "centres.csv").write_text("code,name_th,name_en\n50,ศปคม.จ.เชียงใหม่,Chiang Mai centre\n"
                                          "central,กองต่อต้านการค้ามนุษย์,ATP Division\n", encoding="utf-8")
    roster = ["centre,name,role,phone,level,on_duty"] + [
        f"{centre},{name},duty,{phone},{level},{duty}" for centre, name, phone, level, duty in [
            ("50", "officer 011", DUTY_1, 1, "no"), ("50", "officer 012", DUTY_2, 1, "no"),
            ("50", "officer 021", HEAD, 2, "yes"), ("central", "officer 101", "+66810000101", 1, "yes"),
            ("central", "officer 301", "+66810000301", 3, "yes")]]
    (tmp_path / "contacts.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    loaded = app.test_cli_runner().invoke(args=["centres", "load", "--data-dir", str(tmp_path)])
    assert loaded.exit_code == 0, loaded.output
    run_jobs(redis)
    assert texted(db, 1) == [(DUTY_1, "superseded"), (DUTY_2, "superseded")]
    assert texted(db, 2) == [(HEAD, "sent")] and the_case(db).level == 2
