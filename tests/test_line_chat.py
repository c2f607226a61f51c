"""The LINE chat's menu (issue 17), webhook -> job -> answer, on SQLite and PostgreSQL, with the jobs run by RQ as
in production (no access token: the answers are kept as dry-run): the greeting and the language choice, then the
IVR's menu as quick replies in the chosen language, every step in Thai and in Burmese; anything that is no answer
gets the question again."""
from __future__ import annotations

import pytest
from helpers import line
from helpers.line import answers, buttons, chat_of, last, say
from sqlalchemy import select

from casework import line_chat, line_words
from models import LineChat, LineEvent, LineMessage, LineReport, OutboxItem
from models.vocabulary import LANGUAGES

OWN = [LANGUAGES[code].own for code in ("th", "en", "my", "km", "lo")]
KINDS = ["danger_now", "sexual_exploitation", "forced_labour", "forced_begging", "slavery", "organ_removal",
         "forced_criminality", "child_exploitation", "other", "person"]


def choice(name: str, language: str) -> str:
    return line_words.CHOICE[name][language]


def words(table: dict, language: str, **values) -> str:
    return line_words.words(table, language, **values)


def test_a_follow_is_greeted_with_the_language_choice_then_the_main_menu_in_thai(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user))
    greeting, = last(app, user)
    assert greeting["text"].startswith("สายด่วน 1300") and "Please choose your language" in greeting["text"]
    assert greeting["text"].index("สวัสดี") < greeting["text"].index("Welcome")  # Thai first
    assert "ဘာသာစကား ရွေးချယ်ပါ" in greeting["text"]  # and a line in each other language's script
    assert buttons(greeting) == OWN
    assert chat_of(app, user).step == "language"

    say(app, redis, line.text(user, "ไทย (Thai)"))
    chat = chat_of(app, user)
    assert (chat.language, chat.step) == ("th", "main")
    question, = last(app, user)
    assert question["text"].startswith("ต้องการแจ้งเหตุการค้ามนุษย์") and buttons(question) == ["แจ้งการค้ามนุษย์", "ความช่วยเหลืออื่น"]
    with app.extensions["sessions"]() as session:
        assert set(session.scalars(select(OutboxItem.status))) == {"done"}
        assert all(event.handled_at for event in session.scalars(select(LineEvent)))


@pytest.mark.parametrize("language, own", [("th", "ไทย (Thai)"), ("my", "မြန်မာ (Burmese)")])
def test_every_question_of_a_report_in_thai_and_in_burmese(ladder_env, language, own):
    """The words of each step in the chosen language, its buttons the IVR's options in the menu's order."""
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.text(user, "hello"), line.text(user, own))
    assert buttons(last(app, user)[0]) == [choice("trafficking", language), choice("other_help", language)]
    assert last(app, user)[0]["text"] == words(line_words.MAIN_QUESTION, language)

    say(app, redis, line.text(user, choice("trafficking", language)))
    kind, = last(app, user)
    assert buttons(kind) == [choice(name, language) for name in KINDS]  # danger now first
    assert kind["text"].startswith(words(line_words.KIND_QUESTION, language))
    assert f"\n1 {choice('danger_now', language)}\n2 " in kind["text"] and f"\n0 {choice('person', language)}" in kind["text"]
    assert chat_of(app, user).step == "kind"

    say(app, redis, line.text(user, choice("forced_criminality", language)))
    where, = last(app, user)
    assert where["text"] == words(line_words.WHERE_QUESTION, language)
    assert buttons(where) == ["<location>", words(line_words.DONT_KNOW, language)]
    assert where["quickReply"]["items"][0]["action"]["label"] == words(line_words.SEND_LOCATION, language)

    say(app, redis, line.text(user, "50200"))
    noted, consent = last(app, user)
    place = "เมืองเชียงใหม่, เชียงใหม่" if language == "th" else "Mueang Chiang Mai, Chiang Mai"
    assert noted["text"] == words(line_words.PLACE_NOTED, language, place=place)
    assert consent["text"] == words(line_words.CONSENT_QUESTION, language)
    assert buttons(consent) == [choice("yes", language), choice("no", language)]

    say(app, redis, line.text(user, choice("no", language)))
    account, = last(app, user)
    assert account["text"] == words(line_words.ACCOUNT_QUESTION, language)
    assert buttons(account) == [words(line_words.SKIP, language)]
    assert chat_of(app, user).step == "account"
    with app.extensions["sessions"]() as session:
        report = session.scalars(select(LineReport)).one()
        assert (report.language, report.kind, report.urgency, report.province_code, report.district_code,
                report.callback_consent, report.case_id) == (language, "forced_criminality", "normal", "50", "5001",
                                                             False, None)


@pytest.mark.parametrize("language, own", [("th", "ไทย (Thai)"), ("my", "မြန်မာ (Burmese)")])
def test_other_help_waits_for_a_person_who_is_told_one_will_answer(ladder_env, language, own):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), line.text(user, own), line.text(user, choice("other_help", language)))
    told, = last(app, user)
    assert told == {"type": "text", "text": words(line_words.PERSON_WAIT, language)}
    chat = chat_of(app, user)
    assert (chat.topic, chat.step) == ("other_help", "person") and chat.person_asked_at is not None
    say(app, redis, line.text(user, "ฉันต้องการความช่วยเหลือ"), line.sticker(user))
    assert len(answers(app, user)) == 3  # kept for the operator, not answered by the menu


def test_talk_to_a_person_from_the_kinds_and_the_ivr_keys_work_too(ladder_env):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), line.text(user, "2"), line.text(user, "1"), line.text(user, "0"))
    chat = chat_of(app, user)
    assert (chat.language, chat.topic, chat.step) == ("en", "trafficking", "person")
    assert last(app, user)[0]["text"] == line_words.PERSON_WAIT["en"]


ODD = {"sticker": line.sticker, "image": line.image, "empty text": lambda user: line.text(user, " "),
       "very long text": lambda user: line.text(user, "ก" * 5000), "unknown words": lambda user: line.text(user, "what?")}
STEPS = {"language": [], "main": ["မြန်မာ (Burmese)"], "kind": ["မြန်မာ (Burmese)", "1"],
         "where": ["မြန်မာ (Burmese)", "1", "3"], "consent": ["မြန်မာ (Burmese)", "1", "3", "50200"]}


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize("step", STEPS)
def test_anything_that_is_no_answer_gets_the_question_again(ladder_env, step, odd):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), *[line.text(user, said) for said in STEPS[step]])
    asked = last(app, user)[-1]
    assert chat_of(app, user).step == step
    say(app, redis, ODD[odd](user))
    assert last(app, user) == [asked] and chat_of(app, user).step == step


@pytest.mark.parametrize("place", ["somewhere", "12345", "เมือง", "99999"])
def test_a_place_the_hotline_cannot_find_is_asked_again_and_dont_know_goes_on(ladder_env, place):
    app, _, redis = ladder_env
    user = line.user_id()
    say(app, redis, line.follow(user), line.text(user, "ไทย (Thai)"), line.text(user, "1"), line.text(user, "2"))
    say(app, redis, line.text(user, place))
    assert chat_of(app, user).step == "where" and last(app, user)[0]["text"] == line_words.WHERE_QUESTION["th"]
    say(app, redis, line.text(user, "ไม่ทราบ"))
    assert chat_of(app, user).step == "consent" and last(app, user)[0]["text"] == line_words.CONSENT_QUESTION["th"]


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
