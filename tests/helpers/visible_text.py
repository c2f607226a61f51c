"""What a reader sees of a console page: its text, without scripts, styles, the head, code, and what is marked as
another language (`lang="en"`: the "English" button, the TwiML a trainer reads) or as not to be translated
(`translate="no"`: an SMS as it was sent); and the English words left in it."""
from __future__ import annotations

import re
from html.parser import HTMLParser

# Names and codes that stay in Latin letters on a Thai page.
CODES = {"SMS", "IVR", "ACK", "API", "CSV", "LINE", "PDPA", "Twilio", "TwiML", "HTTP", "SLA", "Redis", "RQ", "IP",
         "DSI", "NGO"}  # the agencies (models.vocabulary.AGENCIES) go by these in Thai too
HIDDEN = {"script", "style", "head", "template", "code"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CHUNK = re.compile(r"\S*[A-Za-z]\S*")
MASKED = re.compile(r"X+")  # the masked digits of a number: +66 8X XXX 5678
TYPED = re.compile(r"[a-z_]+:\S+")  # what an audit entry is about: user:somsri


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # each open element and whether its text is hidden
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attrs = dict(attrs)
        hidden = (tag in HIDDEN or attrs.get("lang", "th") != "th" or attrs.get("translate") == "no"
                  or bool(self.open and self.open[-1][1]))
        self.open.append((tag, hidden))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):  # an unclosed <p> or <li> is closed by its parent's end
            if self.open[i][0] == tag:
                del self.open[i:]
                return

    def handle_data(self, data):
        if not (self.open and self.open[-1][1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


def english_words(text: str, names: set[str]) -> list[str]:
    """The runs of Latin letters that are neither a code (a digit in them, a known acronym, a mask) nor a name."""
    found = []
    for chunk in CHUNK.findall(text):
        if any(c.isdigit() for c in chunk) or TYPED.fullmatch(chunk):
            continue  # a reference, a SID, a number, a typed id: a code
        word = chunk.strip("()[]{}.,;:!?'\"·–-")
        if word in CODES or word in names or MASKED.fullmatch(word):
            continue
        found.append(chunk)
    return found
