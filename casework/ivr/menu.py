"""The voice menu as one tree of data: a supervisor can read it, a test can walk it."""
from __future__ import annotations

from dataclasses import dataclass, field

from models.vocabulary import KINDS


@dataclass(frozen=True)
class Go:
    """Where an answer leads, and what it tells us about the call."""

    to: str
    sets: dict = field(default_factory=dict)
    open_case: bool = False


@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # choice | postcode | record | operator | goodbye | end
    prompts: tuple[str, ...]
    options: dict[str, Go] = field(default_factory=dict)
    otherwise: Go | None = None  # after a repeat with no valid answer; or where the node goes next
    skip_when: tuple[str, str] | None = None  # (province_known | no_caller_number, node to go to instead)
    about: str = ""


def _kind(category: str) -> Go:
    if category not in KINDS:
        raise ValueError(f"{category!r} is no kind of models.vocabulary.KINDS")
    return Go("where", {"category": category, "urgency": "normal"})


NODES = [
    Node(
        "language", "choice", ("welcome", "choose_language"),
        {"1": Go("main", {"language": "th"}), "2": Go("main", {"language": "en"}),
         "3": Go("main", {"language": "my"}), "4": Go("main", {"language": "km"}),
         "5": Go("main", {"language": "lo"})},
        otherwise=Go("main", {"language": "th"}),
        about="Thai first; each language is offered in its own voice. No answer: Thai.",
    ),
    Node(
        "main", "choice", ("main_menu",),
        {"1": Go("kind", {"topic": "trafficking"}), "2": Go("operator", {"topic": "other_help"}),
         "9": Go("main")},
        otherwise=Go("operator"),
    ),
    Node(
        "kind", "choice", ("kind_menu",),
        {"1": Go("urgent", {"topic": "trafficking", "urgency": "urgent"}, open_case=True),
         "2": _kind("sexual_exploitation"), "3": _kind("forced_labour"), "4": _kind("forced_begging"),
         "5": _kind("slavery"), "6": _kind("organ_removal"), "7": _kind("forced_criminality"),
         "8": _kind("child_exploitation"), "9": _kind("other"), "0": Go("operator"), "*": Go("kind")},
        otherwise=Go("operator"),
        about="1 = someone is in danger right now: urgent, case queued, straight to an operator.",
    ),
    Node(
        "where", "postcode", ("postcode",), otherwise=Go("consent"), skip_when=("province_known", "consent"),
        about="5-digit postcode -> province and district; asked again once, then left to the operator.",
    ),
    Node(
        "consent", "choice", ("consent",),
        {"1": Go("message", {"callback_consent": True}), "2": Go("message", {"callback_consent": False})},
        otherwise=Go("operator"), skip_when=("no_caller_number", "message"),
    ),
    Node("message", "record", ("record",), otherwise=Go("goodbye"), about="Optional voice message."),
    Node(
        "goodbye", "goodbye", ("reference", "reference_again", "operator_offer"),
        {"0": Go("operator")}, otherwise=Go("end"),
        about="Reads the reference back digit by digit, twice; 0 still reaches an operator.",
    ),
    Node("end", "end", ("goodbye",)),
    Node("urgent", "operator", ("urgent_connect",), otherwise=Go("busy")),
    Node("operator", "operator", ("operator_connect",), otherwise=Go("busy")),
    Node("busy", "record", ("operator_busy", "record"), otherwise=Go("goodbye"),
         about="No operator answered: take a message rather than hang up."),
    Node("done", "end", ()),
]
MENU = {node.name: node for node in NODES}
FIRST = "language"


def describe() -> str:
    """The tree in words, for `flask ivr show`."""
    lines = []
    for node in NODES:
        lines.append(f"{node.name} [{node.kind}] says {', '.join(node.prompts) or '-'}")
        if node.about:
            lines.append(f"    {node.about}")
        if node.skip_when:
            condition, to = node.skip_when
            lines.append(f"    skipped when {condition.replace('_', ' ')} -> {to}")
        for digit, go in node.options.items():
            sets = ", ".join(f"{k}={v}" for k, v in go.sets.items())
            lines.append(f"    {digit} -> {go.to}" + (f"  ({sets})" if sets else "") + ("  [case queued]" if go.open_case else ""))
        if node.otherwise:
            label = "no valid answer twice" if node.kind == "choice" else "then"
            lines.append(f"    {label} -> {node.otherwise.to}")
    return "\n".join(lines)
