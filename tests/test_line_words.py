"""The LINE chat's words (issue 17): every text in the five languages of the IVR, each in its own script, every
button within LINE's 20 characters, and every option of the IVR's menu that the chat offers has its words."""
from __future__ import annotations

import re
import unicodedata

import pytest

from casework import line_menu, line_words
from casework.ivr.menu import MENU

LANGUAGES = ("th", "en", "my", "km", "lo")
SCRIPT = {"th": "THAI", "my": "MYANMAR", "km": "KHMER", "lo": "LAO"}
TABLES = {name: table for name, table in vars(line_words).items()
          if name.isupper() and isinstance(table, dict) and name != "CHOICE"}
TABLES.update({f"CHOICE[{name}]": table for name, table in line_words.CHOICE.items()})
BUTTONS = ["SEND_LOCATION", "DONT_KNOW", "SKIP"] + [f"CHOICE[{name}]" for name in line_words.CHOICE]


@pytest.mark.parametrize("name", TABLES)
def test_every_text_in_every_language_in_its_own_script(name):
    table = TABLES[name]
    assert set(table) == set(LANGUAGES), name
    for language, script in SCRIPT.items():
        letters = [c for c in re.sub(r"\{\w+\}", "", table[language]) if unicodedata.category(c)[0] in "LM"]
        own = [c for c in letters if unicodedata.name(c, "").startswith(script)]
        assert len(own) > len(letters) / 2, (name, language, table[language])


@pytest.mark.parametrize("name", BUTTONS)
def test_every_button_fits_lines_label(name):
    assert all(len(words) <= line_menu.LABEL for words in TABLES[name].values()), TABLES[name]


@pytest.mark.parametrize("node", ["main", "kind", "consent"])
def test_every_option_the_chat_offers_has_its_words_and_no_two_share_them(node):
    offered = line_menu.options(node)
    assert offered and all(line_menu.meaning(go) in line_words.CHOICE for go in offered.values())
    for language in LANGUAGES:
        labels = [line_words.CHOICE[line_menu.meaning(go)][language] for go in offered.values()]
        assert len(set(labels)) == len(labels)
    assert set(MENU[node].options) - set(offered) <= {"9", "*"}  # only the repeats are left out


def test_every_language_but_thai_and_english_is_marked_to_be_checked():
    """A language added to the vocabulary is a machine translation until a native speaker has read it."""
    from models.vocabulary import LANGUAGES as VOCABULARY

    assert set(line_words.MACHINE_TRANSLATED) == set(VOCABULARY) - {"th", "en"}
