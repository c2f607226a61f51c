"""The LINE chat inbox (issue 17), on SQLite and PostgreSQL: the chats waiting for a person in the order an operator
should answer them, the LINE user id masked; a reply pushed through the outbox once; take, end, open and link a
case; the thread on the case page for the roles that see the account; the LINE simulator's chat opening a training
case, its webhook bodies valid as LINE's."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

from helpers import line
from helpers.console_support import add_case, table_rows
from sqlalchemy import select
from test_line_outbox import PUSH, FakeLine, context_for

from casework import line_chat, line_words
from hotline.console import simulator_line_chat
from models import AuditEntry, Case, DeskProfile, LineChat, LineEvent, LineMessage, LineReport
from workers import line_api


def chat_with(app, *said: str, user: str | None = None) -> str:
    """A person says each thing in turn (each event's turn taken in-process, as the job would); their user id."""
    user = user or line.user_id()
    client = app.test_client()
    for words in said:
        assert line.post(client, line.body(line.text(user, words))).status_code == 200
        with app.extensions["sessions"].begin() as session:
            for event_id in session.scalars(select(LineEvent.id).where(LineEvent.line_user_id == user,
                                                                       LineEvent.handled_at.is_(None))):
                line_chat.handle(session, app.config["HOTLINE"], event_id)
    return user


def wants_a_person(app, language: str = "ไทย (Thai)", other: str = "ความช่วยเหลืออื่น") -> str:
    return chat_with(app, "hello", language, other)


def chat_row(db, user: str) -> LineChat:
    db.expire_all()
    return db.scalars(select(LineChat).where(LineChat.line_user_id == user)).one()


def age(db, user: str, minutes: int) -> None:
    chat = chat_row(db, user)
    chat.person_asked_at -= timedelta(minutes=minutes)
    db.commit()


def test_the_inbox_puts_danger_now_first_then_my_languages_oldest_first_with_ids_masked(app, db, users, as_role):
    thai = wants_a_person(app)
    burmese = wants_a_person(app, "မြန်မာ (Burmese)", line_words.CHOICE["other_help"]["my"])
    danger = chat_with(app, "hi", "English", "Report trafficking", "Danger right now")
    not_waiting = chat_with(app, "hi", "English")
    age(db, thai, 30)
    age(db, burmese, 20)
    db.add(DeskProfile(user_id=users["operator"].id, languages=["my"], state="away"))
    db.commit()

    page = as_role("operator").get("/console/chats").get_data(as_text=True)
    rows = table_rows(page, "chat-inbox")[1:]
    assert [row[0].split()[0] for row in rows] == [f"U…{danger[-4:]}", f"U…{burmese[-4:]}", f"U…{thai[-4:]}"]
    assert "danger now" in rows[0][0] and rows[0][4].startswith("1300-")  # danger now opened its case at once
    for user in (thai, burmese, danger, not_waiting):
        assert user not in page and user[1:-4] not in page  # never the whole id
    # A supervisor without languages: danger now, then oldest first.
    rows = table_rows(as_role("supervisor").get("/console/chats").get_data(as_text=True), "chat-inbox")[1:]
    assert [row[0].split()[0] for row in rows] == [f"U…{danger[-4:]}", f"U…{thai[-4:]}", f"U…{burmese[-4:]}"]


def test_a_message_sent_while_waiting_is_kept_in_the_thread_and_the_bot_stays_silent(app, db, as_role):
    user = wants_a_person(app)
    before = db.scalar(select(LineMessage.id).order_by(LineMessage.id.desc()).limit(1))
    chat_with(app, "ช่วยด้วย ฉันอยู่ที่โรงงาน", user=user)
    assert db.scalar(select(LineMessage.id).order_by(LineMessage.id.desc()).limit(1)) == before
    page = as_role("operator").get(f"/console/chats/{chat_row(db, user).id}").get_data(as_text=True)
    assert "ช่วยด้วย ฉันอยู่ที่โรงงาน" in page
    assert page.index("ช่วยด้วย") > page.index(line_words.PERSON_WAIT["th"])  # in time order


def test_a_reply_is_pushed_through_the_outbox_once_and_its_words_are_never_logged(app, db, users, as_role, caplog):
    user = wants_a_person(app)
    chat = chat_row(db, user)
    caplog.set_level(logging.DEBUG)
    response = as_role("operator").post(f"/console/chats/{chat.id}/reply", {"text": "สวัสดีค่ะ เจ้าหน้าที่ 1300"})
    assert response.status_code == 303
    message = db.scalars(select(LineMessage).where(LineMessage.sent_by_id == users["operator"].id)).one()
    assert message.reply_token is None and message.messages == [{"type": "text", "text": "สวัสดีค่ะ เจ้าหน้าที่ 1300"}]
    assert chat_row(db, user).taken_by_id == users["operator"].id  # replying takes a chat nobody had
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "reply_chat")).one()
    assert audit.target == f"line_chat:{chat.id}" and "สวัสดี" not in (audit.reason or "")

    fake = FakeLine()
    try:
        context = context_for(app, fake.url)
        line_api.send_in(context, message.id)
        line_api.send_in(context, message.id)  # a worker that runs it again sends nothing
        assert fake.paths() == [PUSH]
        _path, headers, sent = fake.requests[0]
        assert sent == {"to": user, "messages": [{"type": "text", "text": "สวัสดีค่ะ เจ้าหน้าที่ 1300"}]}
        assert headers["X-Line-Retry-Key"] == message.retry_key
    finally:
        fake.server.shutdown()
        fake.server.server_close()
    assert not any("สวัสดีค่ะ" in record.getMessage() for record in caplog.records)


def test_an_empty_or_long_reply_is_a_form_error_and_writes_nothing(app, db, as_role):
    chat = chat_row(db, wants_a_person(app))
    operator = as_role("operator")
    for text in ("", "   ", "ก" * 5001):
        response = operator.post(f"/console/chats/{chat.id}/reply", {"text": text})
        assert response.status_code == 400 and 'class="errors"' in response.get_data(as_text=True)
    assert db.scalar(select(LineMessage).where(LineMessage.sent_by_id.is_not(None))) is None
    assert operator.get("/console/chats/999999").status_code == 404


def test_take_then_another_operator_cannot_reply_and_the_end_gives_the_menu_back_in_burmese(app, db, users, as_role):
    user = chat_with(app, "hello", "မြန်မာ (Burmese)", line_words.CHOICE["trafficking"]["my"], line_words.CHOICE["person"]["my"])
    chat = chat_row(db, user)
    operator, supervisor = as_role("operator"), as_role("supervisor")
    assert operator.post(f"/console/chats/{chat.id}/take").status_code == 303
    assert chat_row(db, user).taken_by_id == users["operator"].id
    refused = supervisor.post(f"/console/chats/{chat.id}/reply", {"text": "hello"})
    assert refused.status_code == 409 and "Another operator has this chat" in refused.get_data(as_text=True)

    assert operator.post(f"/console/chats/{chat.id}/end").status_code == 303
    chat = chat_row(db, user)
    assert (chat.step, chat.person_asked_at, chat.taken_by_id) == ("main", None, None)
    ended = db.scalars(select(LineMessage).order_by(LineMessage.id.desc()).limit(1)).one()
    assert ended.messages[0]["text"] == line_words.CHAT_ENDED["my"]
    assert ended.messages[1]["text"] == line_words.MAIN_QUESTION["my"] and ended.reply_token is None
    assert {e.action for e in db.scalars(select(AuditEntry))} >= {"take_chat", "end_chat"}
    assert "No chat is waiting" in operator.get("/console/chats").get_data(as_text=True)
    # The bot has the chat again: the menu answers.
    chat_with(app, line_words.CHOICE["trafficking"]["my"], user=user)
    assert chat_row(db, user).step == "kind"
    assert operator.post(f"/console/chats/{chat.id}/end").status_code == 303  # nothing to end: told, not a 500


def test_open_a_case_from_the_chat_and_its_thread_is_in_the_case_story(app, db, users, as_role):
    user = chat_with(app, "hello", "ไทย (Thai)", "ความช่วยเหลืออื่น", "มีคนถูกขังที่ร้านอาหาร")
    chat = chat_row(db, user)
    operator = as_role("operator")
    assert operator.post(f"/console/chats/{chat.id}/case").status_code == 303
    case = db.scalars(select(Case)).one()
    assert case.source == "line" and case.reference.startswith("1300-")
    assert db.scalars(select(LineReport.case_id).where(LineReport.chat_id == chat.id)).one() == case.id
    assert operator.post(f"/console/chats/{chat.id}/case").status_code == 303  # again: refused, one case
    assert db.scalars(select(Case)).all() == [case]

    page = operator.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert 'id="line-thread"' in page and "มีคนถูกขังที่ร้านอาหาร" in page and user not in page


def test_link_the_chat_to_a_case_and_the_field_officer_sees_the_thread_hidden(app, db, users, as_role):
    user = chat_with(app, "hello", "English", "Other help", "they took my passport")
    chat = chat_row(db, user)
    case = add_case(db)  # Chiang Mai, the field officer's province
    db.commit()
    operator = as_role("operator")
    wrong = operator.post(f"/console/chats/{chat.id}/link", {"reference": "1300-69-999999"})
    assert wrong.status_code == 400 and "No case has this reference." in wrong.get_data(as_text=True)
    assert operator.post(f"/console/chats/{chat.id}/link", {"reference": case.reference}).status_code == 303
    assert db.scalars(select(LineReport.case_id).where(LineReport.chat_id == chat.id)).one() == case.id
    assert operator.post(f"/console/chats/{chat.id}/link", {"reference": case.reference}).status_code == 303  # no-op
    other = chat_row(db, wants_a_person(app))
    taken = operator.post(f"/console/chats/{other.id}/link", {"reference": case.reference})
    assert taken.status_code == 400 and "has another LINE chat already" in taken.get_data(as_text=True)

    assert "they took my passport" in as_role("supervisor").get(f"/console/cases/{case.id}").get_data(as_text=True)
    field = as_role("field_officer").get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert 'id="line-thread"' in field and "they took my passport" not in field and "Hidden from your role" in field
    assert {e.action for e in db.scalars(select(AuditEntry))} >= {"link_chat"}
    officer = as_role("field_officer")  # a case with no intake: the thread's own reveal, with a reason, audited
    shown = officer.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "visiting the shelter"})
    assert shown.status_code == 200 and "they took my passport" in shown.get_data(as_text=True)
    assert db.scalars(select(AuditEntry.reason).where(AuditEntry.action == "reveal_account")).all() == ["visiting the shelter"]


def test_admins_and_field_officers_have_no_inbox(app, as_role):
    assert as_role("admin").get("/console/chats").status_code == 403
    assert as_role("field_officer").get("/console/chats").status_code == 403


def test_the_line_simulator_walks_a_burmese_report_to_a_training_case(app, db, as_role):
    trainer = as_role("operator")
    assert trainer.post("/console/simulator/line", {"do": "follow"}).status_code == 303
    page = trainer.get("/console/simulator/line").get_data(as_text=True)
    assert "မြန်မာ (Burmese)" in page  # the greeting's buttons
    for words in ("မြန်မာ (Burmese)", line_words.CHOICE["trafficking"]["my"], line_words.CHOICE["forced_labour"]["my"]):
        assert trainer.post("/console/simulator/line", {"do": "text", "text": words}).status_code == 303
    assert trainer.post("/console/simulator/line", {"do": "location", "place": "chiang_mai"}).status_code == 303
    for words in (line_words.CHOICE["no"]["my"], line_words.SKIP["my"]):
        assert trainer.post("/console/simulator/line", {"do": "text", "text": words}).status_code == 303

    case = db.scalars(select(Case)).one()
    assert case.source == "training" and case.reference.startswith("TRAIN-") and case.province_code == "50"
    chat = db.scalars(select(LineChat)).one()
    assert chat.line_user_id.startswith("Usimulator")
    assert set(db.scalars(select(LineMessage.status))) == {"dry-run"}  # never sent to LINE
    page = trainer.get("/console/simulator/line").get_data(as_text=True)
    assert case.reference in page and line_words.REPORTED["my"].split("{")[0] in page
    assert trainer.post("/console/simulator/line", {"do": "text", "text": ""}).status_code == 400
    assert trainer.post("/console/simulator/line", {"do": "location", "place": "mars"}).status_code == 400

    # Someone in danger now, in the simulator: the trainer's colleague ends the chat, and the training case closes.
    for words in (line_words.CHOICE["trafficking"]["my"], line_words.CHOICE["danger_now"]["my"]):
        trainer.post("/console/simulator/line", {"do": "text", "text": words})
    db.expire_all()
    urgent = db.scalars(select(Case).where(Case.urgency == "urgent")).one()
    assert urgent.source == "training" and urgent.status == "new"
    assert trainer.post(f"/console/chats/{chat.id}/end").status_code == 303
    db.expire_all()
    assert db.get(Case, urgent.id).status == "closed" and db.get(Case, case.id).status != "closed"


def test_the_simulators_webhook_bodies_are_what_line_sends():
    user = simulator_line_chat.new_user()
    for event in (simulator_line_chat.event(user, "follow", follow={"isUnblocked": False}),
                  simulator_line_chat.text_event(user, "hello"),
                  simulator_line_chat.location_event(user, "bangkok")):
        data = json.loads(json.dumps({"destination": simulator_line_chat.BOT, "events": [event]}))
        assert not list(line.validator().iter_errors(data))
