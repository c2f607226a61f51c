"""The LINE chat's first turns (issue 17), webhook -> job -> answer, on SQLite and PostgreSQL, with the jobs run by
RQ as in production (no access token: the answers are kept as dry-run): a follow or a first message gets the
greeting and the language choice (Thai first, each language in its own script); a language chosen is kept and
answered with the IVR's main menu in that language."""
from __future__ import annotations

from helpers import line
from helpers.ladder import run_jobs
from sqlalchemy import select

from casework import line_chat
from models import LineChat, LineEvent, LineMessage, OutboxItem
from models.vocabulary import LANGUAGES

OWN = [LANGUAGES[code].own for code in ("th", "en", "my", "km", "lo")]


def say(app, redis, *events):
    assert line.post(app.test_client(), line.body(*events)).status_code == 200
    run_jobs(redis)


def answers(app, user) -> list[dict]:
    with app.extensions["sessions"]() as session:
        chat = session.scalars(select(LineChat).where(LineChat.line_user_id == user)).one()
        rows = session.scalars(select(LineMessage).where(LineMessage.chat_id == chat.id).order_by(LineMessage.id)).all()
        assert {row.status for row in rows} <= {"dry-run"}
        return [row.messages[0] for row in rows]


def chat_of(app, user) -> LineChat:
    with app.extensions["sessions"]() as session:
        return session.scalars(select(LineChat).where(LineChat.line_user_id == user)).one()


def buttons(message: dict) -> list[str]:
    items = message["quickReply"]["items"]
    assert all(item["action"]["type"] == "message" and item["action"]["label"] == item["action"]["text"] for item in items)
    assert all(len(item["action"]["label"]) <= 20 for item in items)  # LINE's limit
    return [item["action"]["text"] for item in items]


def test_a_follow_is_greeted_with_the_language_choice_then_the_main_menu_in_thai(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user))
    greeting, = answers(app, user)
    assert greeting["text"].startswith("สายด่วน 1300") and "Please choose your language" in greeting["text"]
    assert greeting["text"].index("สวัสดี") < greeting["text"].index("Welcome")  # Thai first
    assert buttons(greeting) == OWN
    assert chat_of(app, user).step == "language"

    say(app, redis, line.text(user, "ไทย (Thai)"))
    chat = chat_of(app, user)
    assert (chat.language, chat.step) == ("th", "main")
    question = answers(app, user)[1]
    assert question["text"].startswith("ต้องการแจ้งเหตุการค้ามนุษย์") and buttons(question) == ["แจ้งการค้ามนุษย์", "ความช่วยเหลืออื่น"]

    say(app, redis, line.text(user, "แจ้งการค้ามนุษย์"))
    chat = chat_of(app, user)
    assert (chat.topic, chat.step) == ("trafficking", "kind")  # the kinds are the next step
    assert len(answers(app, user)) == 2
    with app.extensions["sessions"]() as session:
        assert set(session.scalars(select(OutboxItem.status))) == {"done"}
        assert all(event.handled_at for event in session.scalars(select(LineEvent)))


def test_a_first_message_is_greeted_and_burmese_is_chosen_by_its_own_script(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.text(user, "help"))
    assert buttons(answers(app, user)[0]) == OWN
    say(app, redis, line.text(user, "မြန်မာ (Burmese)"))
    chat = chat_of(app, user)
    assert (chat.language, chat.step) == ("my", "main")
    question = answers(app, user)[1]  # TODO(issue 17): Burmese words; English until then
    assert question["text"].startswith("Do you want to report human trafficking") and buttons(question) == ["Report trafficking", "Other help"]
    say(app, redis, line.text(user, "2"))  # the IVR's key works too
    assert (chat_of(app, user).topic, chat_of(app, user).step) == ("other_help", "operator")


def test_an_answer_that_is_no_choice_asks_again(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user))
    say(app, redis, line.sticker(user))
    say(app, redis, line.text(user, "English"))
    say(app, redis, line.text(user, "what?"))
    first, again, question, question_again = answers(app, user)
    assert buttons(first) == buttons(again) == OWN
    assert question == question_again and buttons(question) == ["Report trafficking", "Other help"]
    assert chat_of(app, user).step == "main"


def test_a_job_run_twice_answers_once(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user))
    with app.extensions["sessions"].begin() as session:
        event_id = session.scalars(select(LineEvent.id)).one()
        assert line_chat.handle(session, app.config["HOTLINE"], event_id) == []
    assert len(answers(app, user)) == 1


def test_group_events_and_unfollows_get_no_answer(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    group = line.text(user, "hello")
    group["source"] = {"type": "group", "groupId": "C" + "1" * 32, "userId": user}
    say(app, redis, group)
    say(app, redis, line.unfollow(user))
    with app.extensions["sessions"]() as session:
        assert session.scalars(select(LineMessage)).all() == []
        assert session.scalars(select(LineChat)).one().unfollowed_at is not None
