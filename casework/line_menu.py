"""The IVR's menu (casework.ivr.menu) rendered a second way, as LINE text messages with quick-reply buttons
(line-bot-sdk's message models, kept as LINE's JSON), and the person's answer read back as the menu's option.

Each option is named by what it means (`meaning`): a button carries that meaning's words in the chat's language
(casework.line_words.CHOICE); the words of any language, or the option's IVR key, choose it."""
from __future__ import annotations

from linebot.v3.messaging import LocationAction, MessageAction, QuickReply, QuickReplyItem, TextMessage

from models.vocabulary import LANGUAGES

from . import line_words
from .ivr.menu import MENU, Go

LABEL = 20  # characters of a quick-reply button's label (LINE)


def meaning(go: Go) -> str | None:
    """What choosing this option says, in line_words.CHOICE's names; None for a repeat (the chat asks anyway)."""
    sets = go.sets
    if sets.get("urgency") == "urgent":
        return "danger_now"
    if "topic" in sets:
        return sets["topic"]
    if "category" in sets:
        return sets["category"]
    if "callback_consent" in sets:
        return "yes" if sets["callback_consent"] else "no"
    return "person" if go.to == "operator" else None


def options(node: str) -> dict[str, Go]:
    """The node's options the chat offers, by IVR key, in the menu's order (danger now first)."""
    return {key: go for key, go in MENU[node].options.items() if meaning(go)}


def question(node: str, language: str | None, text: dict[str, str]) -> dict:
    """The node's question with a button per option; the kind's question also numbers them with the IVR's keys."""
    labels = [line_words.words(line_words.CHOICE[meaning(go)], language) for go in options(node).values()]
    words = line_words.words(text, language)
    if node == "kind":
        words += "\n" + "\n".join(f"{key} {label}" for key, label in zip(options(node), labels))
    return quick_reply(words, labels)


def chosen(node: str, text: str) -> Go | None:
    """The option a button's words (in any of the languages) or its IVR key stand for."""
    said = text.casefold()
    for key, go in options(node).items():
        if said == key or said in {label.casefold() for label in line_words.CHOICE[meaning(go)].values()}:
            return go
    return None


def language_choice() -> dict:
    """The greeting, with one button per language of the IVR, each in its own script, Thai first."""
    return quick_reply(line_words.greeting(), [LANGUAGES[code].own for code in languages().values()])


def chosen_language(text: str) -> str | None:
    """A button's words, a language's code, or the IVR's key for it."""
    for key, code in languages().items():
        if text.casefold() in (LANGUAGES[code].own.casefold(), code, key):
            return code
    return None


def languages() -> dict[str, str]:
    """The IVR's language keys and codes: {"1": "th", "2": "en", ...}."""
    return {key: go.sets["language"] for key, go in MENU["language"].options.items() if "language" in go.sets}


def where_question(language: str | None) -> dict:
    """Where: a button that opens LINE's location picker, and one for not knowing."""
    return quick_reply(line_words.words(line_words.WHERE_QUESTION, language),
                       [line_words.words(line_words.DONT_KNOW, language)],
                       location=line_words.words(line_words.SEND_LOCATION, language))


def account_question(language: str | None) -> dict:
    return quick_reply(line_words.words(line_words.ACCOUNT_QUESTION, language),
                       [line_words.words(line_words.SKIP, language)])


def is_one_of(text: str, table: dict[str, str]) -> bool:
    """The words of a button (DONT_KNOW, SKIP) in any language."""
    return text.casefold() in {words.casefold() for words in table.values()}


def plain(words: str) -> dict:
    """A text message without buttons."""
    return TextMessage(text=words).to_dict()


def quick_reply(words: str, labels: list[str], location: str | None = None) -> dict:
    """A LINE text message with quick-reply buttons that send their own words back (message actions); `location`
    adds a first button that sends a location message instead."""
    items = [QuickReplyItem(action=LocationAction(label=location[:LABEL]))] if location else []
    items += [QuickReplyItem(action=MessageAction(label=label[:LABEL], text=label)) for label in labels]
    return TextMessage(text=words, quick_reply=QuickReply(items=items)).to_dict()
