"""A caller walks every branch of the menu, in every language, through the real signed webhooks."""
from __future__ import annotations

import pytest
from helpers.support import OPERATOR, outbox_row, start_row
from sqlalchemy import select

from casework.ivr import menu, prompts
from hotline.simulator import Caller
from models import Call, Case, OutboxItem

LANGUAGE_KEYS = {"th": "1", "en": "2", "my": "3", "km": "4", "lo": "5"}
KIND_KEYS = {"2": "sexual_exploitation", "3": "forced_labour", "4": "forced_begging", "5": "slavery",
             "6": "organ_removal", "7": "forced_criminality", "8": "child_exploitation", "9": "other"}


def the_call(db, transcript) -> Call:
    db.expire_all()
    return db.scalars(select(Call).where(Call.call_sid == transcript.call_sid)).one()


def spoken(transcript) -> list:
    """Every request answered 200 with TwiML."""
    assert all(status == 200 for _, _, status, _ in transcript.requests), transcript.text()
    return transcript.heard


@pytest.mark.parametrize("language", list(LANGUAGE_KEYS))
@pytest.mark.parametrize("kind_key", list(KIND_KEYS))
def test_every_kind_of_report_in_every_language(phone, db, language, kind_key):
    transcript = phone.call(Caller([LANGUAGE_KEYS[language], "1", kind_key, "1"], postcode="50200", message_seconds=12))
    spoken(transcript)
    call = the_call(db, transcript)
    assert call.language == language and call.topic == "trafficking"
    assert call.category == KIND_KEYS[kind_key] and call.urgency == "normal"
    assert (call.province_code, call.district_code, call.province_source) == ("50", "5001", "postcode")
    assert call.callback_consent is True and call.recording_duration == 12
    assert call.ivr_path == [f"language:{LANGUAGE_KEYS[language]}", "main:1", f"kind:{kind_key}", "where:50200",
                             "consent:1", "message:recorded", "goodbye:-"]
    assert transcript.ended == "hangup" and call.status == "completed"
    case = db.scalars(select(Case)).one()
    assert case.call_id == call.id and outbox_row(db.scalars(select(OutboxItem)).one()) == start_row(case)


@pytest.mark.parametrize("language", list(LANGUAGE_KEYS))
def test_someone_in_danger_is_put_through_at_once_and_the_case_is_queued(phone, db, language):
    transcript = phone.call(Caller([LANGUAGE_KEYS[language], "1", "1"]))
    spoken(transcript)
    assert f"[connected to the operator line {OPERATOR}: completed]" in transcript.heard
    call = the_call(db, transcript)
    assert call.urgency == "urgent" and call.operator_requested_at is not None
    item, case = db.scalars(select(OutboxItem)).one(), db.scalars(select(Case)).one()
    assert outbox_row(item) == start_row(case) == (f"case-start-{case.id}", "start_escalation", [case.id], "urgent")
    assert call.ivr_path[-1] == "urgent:connected"


def test_the_urgent_answer_dials_before_anything_else_is_asked(twilio):
    from helpers.support import call_params, parse_twiml

    sid = "CA" + "d" * 32
    twilio.post("/voice/incoming", call_params(sid))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(sid, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(sid, Digits="1"))
    root = parse_twiml(twilio.post("/voice/ivr/kind?s=3&try=1", call_params(sid, Digits="1")))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").get("action") == "/voice/ivr/urgent?s=4&try=1"


@pytest.mark.parametrize("language", list(LANGUAGE_KEYS))
def test_other_help_goes_to_an_operator(phone, db, language):
    transcript = phone.call(Caller([LANGUAGE_KEYS[language], "2"]))
    assert f"[connected to the operator line {OPERATOR}: completed]" in spoken(transcript)
    assert the_call(db, transcript).topic == "other_help"
    assert db.scalars(select(OutboxItem)).first() is None


def test_thai_is_the_default_when_the_caller_presses_nothing(phone, db):
    transcript = phone.call(Caller(["-", "-", "1", "9", "1", "2"], postcode="10110"))
    call = the_call(db, transcript)
    assert call.language == "th"
    assert call.ivr_path[:5] == ["language:-", "language:-", "main:1", "kind:9", "where:10110"]
    assert call.province_code == "10" and call.district_code is None  # 10110 spans several Bangkok districts


@pytest.mark.parametrize("presses", [["1", "-", "-"], ["1", "7", "8"], ["1", "-", "6"]])
def test_no_answer_or_a_wrong_key_twice_reaches_an_operator_never_a_hangup(phone, db, presses):
    transcript = phone.call(Caller(presses))
    heard = spoken(transcript)
    repeats = [line for line in heard if line in (prompts.text("invalid", "th"), prompts.text("no_input", "th"))]
    assert len(repeats) == 1  # said once, before the one repeat
    assert heard.count(prompts.text("main_menu", "th")) == 2
    assert f"[connected to the operator line {OPERATOR}: completed]" in heard


def test_repeat_keys_replay_the_menu(phone, db):
    transcript = phone.call(Caller(["2", "9", "1", "*", "0"]))
    heard = spoken(transcript)
    assert heard.count(prompts.text("main_menu", "en")) == 2
    assert heard.count(prompts.text("kind_menu", "en")) == 2
    assert the_call(db, transcript).ivr_path == ["language:2", "main:9", "main:1", "kind:*", "kind:0", "operator:connected"]


def test_a_wrong_postcode_is_asked_again_once_then_left_to_the_operator(phone, db):
    transcript = phone.call(Caller(["2", "1", "3", "99999", "00000", "2"]))
    heard = spoken(transcript)
    assert heard.count(prompts.text("postcode_retry", "en")) == 1
    call = the_call(db, transcript)
    assert call.province_code is None and call.postcode is None
    assert call.ivr_path[3:6] == ["where:invalid", "where:invalid", "consent:2"]
    assert call.callback_consent is False


def test_hash_alone_at_the_postcode_means_the_caller_does_not_know(phone, db):
    transcript = phone.call(Caller(["2", "1", "3", "-", "1"]))
    call = the_call(db, transcript)
    assert call.ivr_path[3:5] == ["where:-", "consent:1"] and call.province_code is None


def test_an_unambiguous_landline_skips_the_postcode_question(phone, db, monkeypatch):
    from models import phones

    monkeypatch.setitem(phones.LANDLINE_AREAS, "6653", "Chiang Mai")  # as if 053 were Chiang Mai's alone
    transcript = phone.call(Caller(["2", "1", "2", "1"], number="+6653123456"))
    heard = spoken(transcript)
    assert prompts.text("postcode", "en") not in heard
    call = the_call(db, transcript)
    assert (call.province_code, call.province_source) == ("50", "landline")
    assert call.ivr_path[3] == "consent:1"


@pytest.mark.parametrize("number", ["anonymous", "+266696687", "Restricted", ""])
def test_a_withheld_number_is_not_asked_about_call_backs(client, db, number):
    from helpers.support import AUTH_TOKEN, BASE_URL

    from hotline.simulator import Phone, client_post

    transcript = Phone(client_post(client, BASE_URL), BASE_URL, AUTH_TOKEN).call(
        Caller(["2", "1", "5", "-"], number=number))
    heard = spoken(transcript)
    assert prompts.text("consent", "en") not in heard
    call = the_call(db, transcript)
    assert call.from_e164 is None and call.caller_withheld is True and call.callback_consent is None
    assert call.ivr_path[3:5] == ["where:-", "message:-"]


def read_back(reference: str, language: str = "th") -> str:
    return " ".join(prompts.DIGITS[language][int(d)] for d in reference if d.isdigit())


def test_no_message_is_fine_and_the_case_reference_is_read_back_digit_by_digit(phone, db):
    transcript = phone.call(Caller(["1", "1", "2", "-", "2"]))
    heard = spoken(transcript)
    call = the_call(db, transcript)
    case = db.scalars(select(Case).where(Case.call_id == call.id)).one()
    assert case.reference.startswith("1300-")
    assert heard.count(read_back(case.reference.removeprefix("1300-"))) == 2
    assert call.recording_sid is None and "message:-" in call.ivr_path
    assert heard[-1] == prompts.text("goodbye", "th") and transcript.ended == "hangup"


def test_zero_at_the_goodbye_still_reaches_an_operator(phone, db):
    transcript = phone.call(Caller(["2", "1", "2", "-", "1", "0"]))
    assert f"[connected to the operator line {OPERATOR}: completed]" in spoken(transcript)
    assert the_call(db, transcript).ivr_path[-2:] == ["goodbye:0", "operator:connected"]


@pytest.mark.parametrize("result", ["busy", "no-answer"])
def test_when_no_operator_answers_the_caller_leaves_a_message(phone, db, result):
    transcript = phone.call(Caller(["2", "2"], message_seconds=30, operator=result))
    heard = spoken(transcript)
    assert prompts.text("operator_busy", "en") in heard
    call = the_call(db, transcript)
    assert call.ivr_path == ["language:2", "main:2", f"operator:{result}", "busy:recorded", "goodbye:-"]
    assert call.recording_duration == 30
    assert heard.count(read_back(call.reference, "en")) == 2  # no case for other help: the call's own number


@pytest.mark.parametrize("language", list(LANGUAGE_KEYS))
def test_other_help_reads_back_a_call_number_never_a_case_reference(phone, db, language):
    other = spoken(phone.call(Caller([LANGUAGE_KEYS[language], "2"], message_seconds=5, operator="busy")))
    report = spoken(phone.call(Caller([LANGUAGE_KEYS[language], "1", "2", "1"], postcode="50200")))
    for key in ("call_number", "call_number_again"):
        assert prompts.text(key, language) in other and prompts.text(key, language) not in report
    for key in ("reference", "reference_again"):
        assert prompts.text(key, language) in report and prompts.text(key, language) not in other
    for spoken_language in prompts.SPOKEN:  # each language the IVR speaks names the two numbers apart
        words = {key: prompts.text(key, spoken_language) for key in
                 ("call_number", "call_number_again", "reference", "reference_again")}
        assert len(set(words.values())) == 4


def test_an_operator_queue_target_uses_enqueue(app, phone, db):
    app.config["HOTLINE"].OPERATOR_DIAL_TARGET = "queue:trafficking"
    transcript = phone.call(Caller(["1", "2"]))
    assert "[connected to the operator line trafficking: completed]" in spoken(transcript)
    assert the_call(db, transcript).ivr_path[-1] == "operator:connected"


def test_a_sip_operator_target_dials_sip(app, twilio):
    from helpers.support import call_params, parse_twiml

    app.config["HOTLINE"].OPERATOR_DIAL_TARGET = "sip:operators@pbx.1300.go.th"
    root = parse_twiml(twilio.post("/voice/fallback", call_params()))
    assert root.find("Dial/Sip").text == "sip:operators@pbx.1300.go.th"


@pytest.mark.parametrize("language", prompts.RECORDED)
def test_recorded_languages_play_recordings_and_fall_back_to_english(phone, config, language):
    folder = config.PROMPTS_DIR / language
    folder.mkdir(parents=True)
    (folder / "main_menu.mp3").write_bytes(b"ID3")
    (folder / "digit_0.wav").write_bytes(b"RIFF")
    transcript = phone.call(Caller([LANGUAGE_KEYS[language], "1", "2", "-", "2"]))
    heard = spoken(transcript)
    assert f"[plays https://hotline.example.go.th/voice/prompts/{language}/main_menu.mp3]" in heard
    assert f"[plays https://hotline.example.go.th/voice/prompts/{language}/digit_0.wav]" in heard
    assert prompts.text("kind_menu", "en") in heard  # no recording yet: English words
    assert "zero" not in heard


def test_the_language_menu_offers_each_language_in_its_own_words(phone):
    heard = phone.call(Caller(["1", "2"])).heard
    for language in prompts.LANGUAGES:
        assert prompts.text("choose_language", language) in heard


def test_the_menu_tree_is_whole():
    for node in menu.NODES:
        targets = [go.to for go in node.options.values()] + ([node.otherwise.to] if node.otherwise else [])
        targets += [node.skip_when[1]] if node.skip_when else []
        assert all(t in menu.MENU for t in targets), node.name
        assert all(key in prompts.TEXT for key in node.prompts), node.name
        for key in node.prompts:
            assert {"th", "en"} <= set(prompts.TEXT[key]), key
    assert set(KIND_KEYS.values()) == set(menu.KINDS)


def test_flask_ivr_show_prints_the_tree(app):
    result = app.test_cli_runner().invoke(args=["ivr", "show"])
    assert result.exit_code == 0
    assert "1 -> urgent  (topic=trafficking, urgency=urgent)  [case queued]" in result.output


def test_flask_calls_simulate_plays_a_call_in_process(app):
    result = app.test_cli_runner().invoke(args=["calls", "simulate", "--press", "2,1,3", "--postcode", "50200"])
    assert result.exit_code == 0, result.output
    assert prompts.text("postcode", "en") in result.output and "[presses 50200]" in result.output
    assert "ended: hangup" in result.output
