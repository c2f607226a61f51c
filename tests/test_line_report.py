"""A report made in the LINE chat becomes a case (issue 17), on SQLite and PostgreSQL with the jobs run by RQ: opened
through the casework's one entry point (source `line`), escalated by SMS like a call's and acknowledged by an SMS
reply; the person gets the reference in their language. Someone in danger now: the case opens at once (urgent)
and a person is asked for, and the answers after that still reach the same case."""
from __future__ import annotations

from xml.etree import ElementTree

import pytest
from helpers import line
from helpers.ladder import DUTY_1, DUTY_2, TRIAGE, reply
from helpers.line import chat_of, last, say
from sqlalchemy import func, select

from casework import line_words
from models import Case, Escalation, LineReport, Message

CHIANG_MAI = (18.7883, 98.9853, "Chang Khlan, Mueang Chiang Mai District, Chiang Mai 50100, Thailand")
MYAWADDY = (16.6900, 98.5050)  # across the Moei from Mae Sot: Myanmar


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def the_report(db) -> LineReport:
    db.expire_all()
    return db.scalars(select(LineReport)).one()


def sent_to(db) -> list[str]:
    db.expire_all()
    return [e.contact.phone for e in db.scalars(select(Escalation).order_by(Escalation.id))]


def test_a_thai_report_opens_its_case_texts_the_province_and_is_acknowledged_by_sms(ladder_env, db):
    app, twilio, redis = ladder_env
    user, account = line.user_id(), "นายจ้างยึดหนังสือเดินทางของพี่สาวฉัน ไม่ให้ออกจากโรงงาน"
    say(app, redis, line.follow(user), line.text(user, "ไทย (Thai)"), line.text(user, "แจ้งการค้ามนุษย์"),
        line.text(user, "บังคับใช้แรงงาน"), line.text(user, "๕๐๒๐๐"), line.text(user, "ปลอดภัย ติดต่อได้"))
    assert db.scalar(select(func.count()).select_from(Case)) == 0  # not before the last answer
    say(app, redis, line.text(user, account))
    case = the_case(db)
    assert (case.source, case.category, case.urgency, case.province_code, case.district_code, case.centre.code) == (
        "line", "forced_labour", "normal", "50", "5001", "50")
    assert case.status == "escalating" and sent_to(db) == [DUTY_1, DUTY_2]
    sms = db.scalars(select(Message.body)).first()
    assert case.reference in sms and account not in sms and user not in sms  # nothing about the person
    report = the_report(db)
    assert (report.case_id, report.account, report.callback_consent, report.completed_at is not None) == (
        case.id, account, True, True)
    told, = last(app, user)
    assert told == {"type": "text", "text": line_words.words(line_words.REPORTED, "th", reference=case.reference)}
    assert chat_of(app, user).step == "main"  # a new report may follow

    response = reply(twilio, DUTY_1, f"ACK {case.ack_code}", "SM" + "7" * 32)
    assert case.reference in ElementTree.fromstring(response.data).find("Message").text
    assert the_case(db).status == "acknowledged"


def test_a_burmese_report_with_a_location_and_no_account(ladder_env, db):
    app, _, redis = ladder_env
    user = line.user_id()
    latitude, longitude, address = CHIANG_MAI
    say(app, redis, line.follow(user), line.text(user, "မြန်မာ (Burmese)"), line.text(user, "လူကုန်ကူးမှုတိုင်ရန်"),
        line.text(user, "လိမ်လည်ရေးဂိုဏ်း"), line.location(user, latitude, longitude, address),
        line.text(user, "မလုံခြုံပါ"), line.text(user, "ကျော်ရန်"))
    case = the_case(db)
    assert (case.source, case.category, case.province_code, case.district_code) == (
        "line", "forced_criminality", "50", "5001")
    report = the_report(db)
    assert (report.latitude, report.longitude, report.callback_consent, report.account) == (latitude, longitude,
                                                                                            False, None)
    assert last(app, user)[0]["text"] == line_words.words(line_words.REPORTED, "my", reference=case.reference)
    assert "ကျေးဇူးတင်ပါသည်" in last(app, user)[0]["text"]


@pytest.mark.parametrize("where, province, district", [
    ("with its address", "50", "5001"),  # the point's province, the district LINE's address names
    ("no address", "50", None),
    ("across the border", None, None),  # a scam compound in Myanmar: central triage, the point kept
])
def test_a_location_message_gives_the_province_and_district(ladder_env, db, where, province, district):
    app, _, redis = ladder_env
    user = line.user_id()
    latitude, longitude, address = CHIANG_MAI
    if where == "no address":
        address = None
    elif where == "across the border":
        (latitude, longitude), address = MYAWADDY, "Myawaddy, Kayin State, Myanmar"
    say(app, redis, line.follow(user), line.text(user, "English"), line.text(user, "1"), line.text(user, "7"),
        line.location(user, latitude, longitude, address))
    report = the_report(db)
    assert (report.province_code, report.district_code, report.latitude, report.longitude) == (
        province, district, latitude, longitude)
    assert chat_of(app, user).step == "consent"
    say(app, redis, line.text(user, "No"), line.text(user, "Skip"))
    case = the_case(db)
    assert (case.province_code, case.centre.code) == (province, province or "central")


@pytest.mark.parametrize("language, own", [("th", "ไทย (Thai)"), ("my", "မြန်မာ (Burmese)")])
def test_danger_now_opens_the_urgent_case_at_once_and_asks_for_a_person(ladder_env, db, language, own):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), line.text(user, own), line.text(user, line_words.CHOICE["trafficking"][language]),
        line.text(user, line_words.CHOICE["danger_now"][language]))
    case = the_case(db)
    assert (case.source, case.urgency, case.category, case.province_code, case.centre.code) == (
        "line", "urgent", None, None, "central")
    assert sent_to(db) == [TRIAGE]  # the ladder started at once: unknown place, central triage
    opened, where = last(app, user)
    assert opened["text"] == line_words.words(line_words.URGENT_OPENED, language, reference=case.reference)
    assert where["text"] == line_words.words(line_words.WHERE_QUESTION, language)
    chat = chat_of(app, user)
    assert chat.step == "where" and chat.person_asked_at is not None

    latitude, longitude, address = CHIANG_MAI
    say(app, redis, line.location(user, latitude, longitude, address),
        line.text(user, line_words.CHOICE["yes"][language]), line.text(user, "โรงงานริมแม่น้ำ มีเด็กสามคน"))
    case = the_case(db)  # still one case, moved to the province the person named while nobody had acted
    assert (case.province_code, case.district_code, case.centre.code, case.urgency) == ("50", "5001", "50", "urgent")
    assert the_report(db).account == "โรงงานริมแม่น้ำ มีเด็กสามคน"
    added, wait = last(app, user)
    assert added["text"] == line_words.words(line_words.ADDED, language, reference=case.reference)
    assert wait["text"] == line_words.words(line_words.PERSON_WAIT, language)
    assert chat_of(app, user).step == "person"


def test_a_long_account_is_kept_to_lines_own_limit(ladder_env, db):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), line.text(user, "English"), line.text(user, "1"), line.text(user, "3"),
        line.text(user, "Don't know"), line.text(user, "Yes, it is safe"), line.text(user, "ข" * 6000))
    assert the_report(db).account == "ข" * 5000
    assert the_case(db).province_code is None


def test_two_reports_in_one_chat_are_two_cases(ladder_env, db):
    app, _, redis = ladder_env
    user = line.user_id()
    for _ in range(2):
        say(app, redis, line.text(user, "hi"), line.text(user, "English"), line.text(user, "1"), line.text(user, "2"),
            line.text(user, "Chiang Mai"), line.text(user, "No"), line.text(user, "Skip"))
    db.expire_all()
    cases = db.scalars(select(Case).order_by(Case.id)).all()
    assert [(c.source, c.category, c.province_code) for c in cases] == [("line", "sexual_exploitation", "50")] * 2
    assert sorted(db.scalars(select(LineReport.case_id))) == [c.id for c in cases]
