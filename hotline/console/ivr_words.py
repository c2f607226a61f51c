"""A call's IVR path in words: `kind:3` becomes "Kind of trafficking — 3: Forced labour or services".

The meaning of each key comes from the menu itself (hotline/ivr/menu.py), so a changed
menu changes what the console says.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework.ivr.menu import MENU, Go, Node
from models.places import place_for_postcode

from .i18n import province_label
from .words import say

NODE = {
    "language": _l("Language"), "main": _l("Main menu"), "kind": _l("Kind of trafficking"),
    "where": _l("Postcode"), "consent": _l("Call back on this number"), "message": _l("Voice message"),
    "goodbye": _l("Goodbye"), "end": _l("Call ended"), "urgent": _l("Urgent: operator"),
    "operator": _l("Operator"), "busy": _l("No operator free"), "done": _l("Done"),
}


def describe_path(path: list[str]) -> list[str]:
    return [describe_step(step) for step in path or []]


def describe_step(step: str) -> str:
    name, _colon, answer = str(step).partition(":")
    node = MENU.get(name)
    if node is None:
        return str(step)
    title = str(NODE[name])
    if not answer:
        return title
    if answer == "too-long":
        return _("%(node)s: the call went on too long, put through to an operator", node=title)
    return f"{title} — {_meaning(node, answer)}"


def _meaning(node: Node, answer: str) -> str:
    if node.kind in ("choice", "goodbye"):
        if answer == "-":
            # the goodbye read a case reference, or an other-help call's number: the same words fit both
            return _("listened to the end") if node.kind == "goodbye" else _("no answer")
        go = node.options.get(answer)
        if go is None:
            return _("pressed %(key)s, which is not an option", key=answer)
        return f"{answer}: {_option(node, go)}"
    if node.kind == "postcode":
        if answer == "-":
            return _("none given")
        if answer == "invalid":
            return _("not recognised")
        place = place_for_postcode(answer)
        return f"{answer} ({province_label(place.province_code)})" if place else answer
    if node.kind == "record":
        return _("left a message") if answer == "recorded" else _("no message")
    if node.kind == "operator":
        return _("connected") if answer == "connected" else _("not reached (%(result)s)", result=answer)
    return answer


def _option(node: Node, go: Go) -> str:
    sets = go.sets
    if sets.get("urgency") == "urgent":
        return _("someone is in danger now (urgent)")
    if "language" in sets:
        return say("language", sets["language"])
    if "category" in sets:
        return say("kind", sets["category"])
    if "callback_consent" in sets:
        return _("yes") if sets["callback_consent"] else _("no")
    if sets.get("topic") == "trafficking":
        return _("report human trafficking")
    if go.to == node.name:
        return _("hear it again")
    if go.to == "operator":
        return _("talk to an operator")
    return str(NODE.get(go.to, go.to))
