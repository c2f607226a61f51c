"""The menu's words in every language: each in its own script, each keeping the English keys, never read out by a
voice that cannot say them; and the voice artists' kit (`flask ivr prompts --kit`)."""
from __future__ import annotations

import csv
import re
import unicodedata
from xml.etree import ElementTree

import pytest

from casework.ivr import menu, prompts
from hotline.cli.ivr import KIT_COLUMNS
from hotline.simulator import Caller
from models.vocabulary import LANGUAGES

SCRIPTS = {  # the Unicode block each language's letters (and vowel signs, tone marks) must come from
    "th": (0x0E00, 0x0E7F),  # Thai
    "en": (0x0041, 0x007A),  # Basic Latin letters
    "my": (0x1000, 0x109F),  # Myanmar
    "km": (0x1780, 0x17FF),  # Khmer
    "lo": (0x0E80, 0x0EFF),  # Lao
}
LANGUAGE_KEYS = {go.sets["language"]: key for key, go in menu.MENU["language"].options.items()}
TTS_SCRIPT = {"en-US": "en", "th-TH": "th"}
BURMESE_CALL = ["3", "1", "2", "-", "2"]  # Burmese, report, sexual exploitation, no postcode, not safe to call back


def letters(words: str) -> list[str]:
    return [c for c in words if unicodedata.category(c)[0] in "LM"]


def in_script(words: str, language: str) -> bool:
    low, high = SCRIPTS[language]
    return bool(letters(words)) and all(low <= ord(c) <= high for c in letters(words))


def keys(words: str) -> list[str]:
    """The digits in the words, in order; [0-9] only, so Myanmar or Khmer digits would count as missing."""
    return re.findall("[0-9]", words)


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("key", prompts.recording_keys())
def test_every_prompt_has_words_in_every_language_in_its_own_script(key, language):
    assert in_script(prompts.words(key, language), language), (key, language, prompts.words(key, language))


def test_the_script_check_catches_a_prompt_left_in_english():
    assert not in_script("For Burmese, press 3.", "my") and not in_script("", "my")
    assert not in_script("ภาษาไทย กด 1", "lo")  # Thai and Lao are neighbours in Unicode, not one block
    assert in_script("မြန်မာဘာသာအတွက် 3 ကို နှိပ်ပါ။", "my")


@pytest.mark.parametrize("language", prompts.RECORDED)
@pytest.mark.parametrize("key", [key for key in prompts.TEXT if key != "choose_language"])
def test_the_translations_keep_the_english_keys_and_numbers(key, language):
    # Thai is left out: it spells some numbers as words ("หนึ่ง สาม ศูนย์ ศูนย์") for Twilio's Thai voice.
    assert keys(prompts.words(key, language)) == keys(prompts.words(key, "en")), (key, language)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_line_of_the_language_menu_is_in_its_own_language_and_names_its_own_key(language):
    line = prompts.words("choose_language", language)
    assert in_script(line, language) and keys(line) == [LANGUAGE_KEYS[language]]
    english = prompts.meaning("choose_language", language)
    assert LANGUAGES[language].words in english and keys(english) == [LANGUAGE_KEYS[language]]


def test_machine_translations_are_flagged_until_a_native_speaker_checks_them():
    assert set(prompts.CHECKED_BY_NATIVE_SPEAKER) == set(LANGUAGES)
    assert [language for language, checked in prompts.CHECKED_BY_NATIVE_SPEAKER.items() if not checked] == ["my", "km", "lo"]


def says(transcript) -> list[ElementTree.Element]:
    """Every <Say> of every TwiML document the call was answered with."""
    assert all(status == 200 for _, _, status, _ in transcript.requests), transcript.text()
    return [say for *_, body in transcript.requests if body for say in ElementTree.fromstring(body).iter("Say")]


@pytest.mark.parametrize("language", prompts.RECORDED)
def test_an_unrecorded_prompt_is_spoken_in_english_never_in_a_script_the_voice_cannot_read(phone, language):
    transcript = phone.call(Caller([LANGUAGE_KEYS[language], *BURMESE_CALL[1:]], message_seconds=5))
    for say in says(transcript):
        assert in_script(say.text, TTS_SCRIPT[say.get("language")]), say.text
    heard = transcript.heard
    assert prompts.meaning("choose_language", language) in heard  # "For Burmese, press 3.", not the English line
    assert prompts.text("choose_language", language) == prompts.meaning("choose_language", language)
    assert prompts.words("kind_menu", "en") in heard and transcript.ended == "hangup"


def test_recorded_language_menu_lines_are_played_and_an_empty_file_is_no_recording(phone, config):
    (config.PROMPTS_DIR / "my").mkdir(parents=True)
    (config.PROMPTS_DIR / "km").mkdir()
    (config.PROMPTS_DIR / "my" / "choose_language.mp3").write_bytes(b"ID3")
    (config.PROMPTS_DIR / "km" / "choose_language.mp3").write_bytes(b"")  # a copy that failed
    (config.PROMPTS_DIR / "my" / "kind_menu.wav").write_bytes(b"")
    transcript = phone.call(Caller(BURMESE_CALL, message_seconds=5))
    first = ElementTree.fromstring(transcript.requests[0][3])
    gather = first.find("Gather")
    assert [verb.tag for verb in gather] == ["Say", "Say", "Say", "Play", "Say", "Say"]
    assert gather[3].text == "https://hotline.example.go.th/voice/prompts/my/choose_language.mp3"
    assert [say.text for say in gather[4:]] == ["For Khmer, press 4.", "For Lao, press 5."]
    assert first.find("Redirect") is not None  # silence still leads on
    assert prompts.text("kind_menu", "my") in transcript.heard  # the empty .wav is skipped: English words
    assert transcript.ended == "hangup"


def test_flask_ivr_prompts_kit_writes_a_recording_script_per_recorded_language(app, config, tmp_path):
    (config.PROMPTS_DIR / "my").mkdir(parents=True)
    (config.PROMPTS_DIR / "my" / "welcome.mp3").write_bytes(b"ID3")
    result = app.test_cli_runner().invoke(args=["ivr", "prompts", "--kit", str(tmp_path / "kit")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "kit").iterdir()) == ["km.csv", "lo.csv", "my.csv"]  # Twilio speaks th, en
    for language in prompts.RECORDED:
        sheet = tmp_path / "kit" / f"{language}.csv"
        assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
        header, *rows = list(csv.reader(sheet.open(encoding="utf-8-sig", newline="")))
        assert header == KIT_COLUMNS
        assert [row[0] for row in rows] == [f"{language}/{key}.mp3" for key in prompts.recording_keys()]
        by_file = {row[0]: row for row in rows}
        kind_menu = by_file[f"{language}/kind_menu.mp3"]
        assert kind_menu[1] == prompts.words("kind_menu", language) and kind_menu[2] == prompts.words("kind_menu", "en")
        assert by_file[f"{language}/choose_language.mp3"][2] == prompts.meaning("choose_language", language)
        assert by_file[f"{language}/digit_7.mp3"][1:3] == [prompts.DIGITS[language][7], "seven"]
        assert all(row[3] == "no: machine translation, to be checked by a native speaker" for row in rows)
        assert [row[0] for row in rows if row[4] == "yes"] == (["my/welcome.mp3"] if language == "my" else [])
    assert "machine translation" in result.output


def test_flask_ivr_prompts_lists_words_recordings_and_checks_per_language(app, config):
    (config.PROMPTS_DIR / "my").mkdir(parents=True)
    (config.PROMPTS_DIR / "my" / "welcome.mp3").write_bytes(b"ID3")
    (config.PROMPTS_DIR / "my" / "goodbye.wav").write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["ivr", "prompts"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line and line[0] != " "}
    assert rows["key"] == list(LANGUAGES)
    assert rows["welcome"] == ["text", "text", "text", "rec", "text", "-", "text", "-"]
    assert rows["goodbye"] == ["text", "text", "text", "-", "text", "-", "text", "-"]
    assert all(key in rows for key in prompts.recording_keys())
    assert rows["checked"] == ["yes", "yes", "NO", "NO", "NO"]
    assert "my, km, lo: machine translation, to be checked by a native speaker" in result.output


def test_a_prompt_nobody_has_translated_shows_as_missing(app, monkeypatch):
    monkeypatch.setitem(prompts.TEXT, "hold", {"th": "กรุณารอสักครู่", "en": "Please hold."})
    result = app.test_cli_runner().invoke(args=["ivr", "prompts"])
    hold = next(line.split() for line in result.output.splitlines() if line.startswith("hold "))
    assert hold == ["hold", "text", "text", "-", "-", "-", "-", "-", "-"]
    assert prompts.text("hold", "my") == "Please hold."  # a caller still hears something
