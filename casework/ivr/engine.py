"""One small engine: an answer to a node gives a Transition; a node renders to TwiML.

Both are pure functions of the call's state and the request, so a retried
webhook renders the same TwiML without changing anything twice.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from models.places import place_for_postcode

from . import prompts
from .menu import FIRST, MENU, Go, Node

MAX_STEPS = 60  # a caller looping "repeat" this long is put through to a person
CONNECTED = {"completed", "answered", "bridged", "bridging-in-process"}


@dataclass(frozen=True)
class Voice:
    """What rendering needs from the configuration."""

    th: str
    en: str
    prompts_dir: Path
    base_url: str  # where Twilio fetches our recorded prompts
    operator_target: str | None
    operator_timeout: int = 30
    desk_training: bool = False  # casework.training.desk_rehearsal: simulated calls enter the desk's line too


@dataclass
class Transition:
    to: str
    attempt: int = 1
    sets: dict = field(default_factory=dict)
    open_case: bool = False
    notice: str | None = None  # a prompt said before the node, e.g. "invalid"
    step: str | None = None  # what goes into the call's IVR path


def action_url(node: str, step: int, attempt: int = 1) -> str:
    return f"/voice/ivr/{node}?" + urlencode({"s": step, "try": attempt})


def resolve(name: str, call) -> str:
    """Skip questions the call has already answered."""
    node = MENU[name]
    while node.skip_when and _skips(node.skip_when[0], call):
        node = MENU[node.skip_when[1]]
    return node.name


def _skips(condition: str, call) -> bool:
    if condition == "province_known":
        return call.province_code is not None
    if condition == "no_caller_number":
        return call.from_e164 is None
    raise ValueError(f"unknown skip condition {condition!r}")


def answer(name: str, form: dict, attempt: int, step: int) -> Transition:
    """What the caller's answer to node `name` means."""
    node = MENU[name]
    digits = (form.get("Digits") or "").strip()[:16]
    if step >= MAX_STEPS:
        return Transition("operator", step=f"{name}:too-long")
    if node.kind in ("choice", "goodbye"):
        go = node.options.get(digits)
        if go is not None:
            return _go(go, f"{name}:{digits}")
        if node.kind == "choice" and attempt < 2:
            return Transition(name, attempt=2, notice="invalid" if digits else "no_input", step=f"{name}:{digits or '-'}")
        return _go(node.otherwise, f"{name}:{digits or '-'}")
    if node.kind == "postcode":
        return _postcode(node, digits, attempt)
    if node.kind == "record":
        return _go(node.otherwise, f"{name}:recorded" if _recorded(form) else f"{name}:-", _recording(form))
    if node.kind == "operator":
        result = (form.get("DialCallStatus") or form.get("QueueResult") or "").lower()
        if result in CONNECTED:
            return Transition("done", step=f"{name}:connected")
        return _go(node.otherwise, f"{name}:{result[:24] or 'no-answer'}")
    return Transition("done", step=name)


def _go(go: Go, step: str, extra: dict | None = None) -> Transition:
    return Transition(go.to, sets={**go.sets, **(extra or {})}, open_case=go.open_case, step=step)


def _postcode(node: Node, digits: str, attempt: int) -> Transition:
    if not digits:  # "#" alone or silence: the caller does not know; the operator will ask
        return _go(node.otherwise, f"{node.name}:-")
    place = place_for_postcode(digits)
    if place:
        sets = {"postcode": digits, "province_code": place.province_code,
                "district_code": place.district_code, "province_source": "postcode"}
        return Transition(node.otherwise.to, sets=sets, notice="postcode_thanks", step=f"{node.name}:{digits}")
    if attempt < 2:
        return Transition(node.name, attempt=2, notice="postcode_retry", step=f"{node.name}:invalid")
    return _go(node.otherwise, f"{node.name}:invalid")


def _recorded(form: dict) -> bool:
    return bool(form.get("RecordingSid")) and _int(form.get("RecordingDuration")) > 0


def _recording(form: dict) -> dict:
    if not _recorded(form):
        return {}
    return {"recording_sid": form["RecordingSid"][:64], "recording_url": (form.get("RecordingUrl") or "")[:512] or None,
            "recording_duration": _int(form.get("RecordingDuration"))}


def _int(value) -> int:
    try:
        return max(int(str(value).strip()), 0)
    except (TypeError, ValueError):
        return 0


# --- rendering -------------------------------------------------------------


def welcome(voice: Voice) -> str:
    """The first menu, the same for every caller: rendered once per RECORDINGS_TTL, not per call (P1)."""
    now = time.monotonic()
    rendered = _welcomes.get(voice)
    if rendered is None or rendered[0] < now:
        if len(_welcomes) > 16:  # one Voice per PUBLIC_BASE_URL (or signed Host) in practice
            _welcomes.clear()
        rendered = _welcomes[voice] = (now + RECORDINGS_TTL, str(render(FIRST, None, 1, voice)))
    return rendered[1]


_welcomes: dict[Voice, tuple[float, str]] = {}


def render(name: str, call, step: int, voice: Voice, attempt: int = 1, notice: str | None = None,
           reference: str | None = None) -> VoiceResponse:
    """The node's TwiML for this call (`call` None: a caller the menu knows nothing of yet)."""
    node = MENU[name]
    language = (call.language if call is not None else None) or "th"
    response = VoiceResponse()
    if notice:
        _speak(response, notice, language, voice)
    url = action_url(name, step, attempt)
    if node.kind in ("choice", "postcode", "goodbye"):
        digits = {"postcode": 5}.get(node.kind, 1)
        gather = Gather(action=url, method="POST", input="dtmf", num_digits=digits,
                        timeout=8 if node.kind == "postcode" else 6, finish_on_key="#" if node.kind == "postcode" else None)
        if node.name == "language":
            _speak(gather, "welcome", "th", voice)
            for code in prompts.LANGUAGES:
                _speak(gather, "choose_language", code, voice)
        elif node.kind == "goodbye":
            for key in node.prompts:
                _speak(gather, key if reference else prompts.WITHOUT_A_CASE.get(key, key), language, voice)
                if key.startswith("reference"):
                    _read_digits(gather, reference or call.reference, language, voice)
        else:
            for key in node.prompts:
                _speak(gather, key, language, voice)
        response.append(gather)
        response.redirect(url, method="POST")  # no key pressed: Twilio falls through to here
    elif node.kind == "record":
        for key in node.prompts:
            _speak(response, key, language, voice)
        response.record(action=url, method="POST", max_length=180, timeout=6, finish_on_key="#", play_beep=True,
                        recording_status_callback="/voice/recording", recording_status_callback_event="completed")
        response.redirect(url, method="POST")  # nothing was recorded: Twilio falls through to here
    elif node.kind == "operator":
        for key in node.prompts:
            _speak(response, key, language, voice)
        response.append(operator_dial(voice, action=url, call_sid=call.call_sid if call is not None else None))
    elif node.kind == "end":
        for key in node.prompts:
            _speak(response, key, language, voice)
        response.hangup()
    return response


def desk(voice: Voice) -> bool:
    """The operator desk (casework.desk_line) takes callers who ask for a person, unless a site dials one line."""
    return (voice.operator_target or DESK) == DESK


def operator_dial(voice: Voice, action: str | None = None, call_sid: str | None = None):
    """The desk's waiting room (the call's own conference), or `<Dial>` to a number or SIP URI, or `<Enqueue>`
    for `queue:<name>`."""
    if desk(voice):
        return waiting_room(call_sid, action)
    target = voice.operator_target
    if target.startswith("queue:"):
        from twilio.twiml.voice_response import Enqueue

        return Enqueue(target.removeprefix("queue:"), action=action, method="POST")
    dial = Dial(action=action, method="POST", timeout=voice.operator_timeout) if action else Dial(timeout=voice.operator_timeout)
    if target.startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target)
    return dial


def waiting_room(call_sid: str, action: str | None = None) -> Dial:
    """The caller waits in their call's conference hearing the hold message (`/voice/desk/hold`) until an operator
    dialled in starts it; the conference ends when the caller leaves. Its callbacks tell the desk what happened."""
    name = conference_name(call_sid)
    dial = Dial(action=action, method="POST") if action else Dial()
    dial.conference(name, start_conference_on_enter=False, end_conference_on_exit=True, beep=False,
                    wait_url="/voice/desk/hold?" + urlencode({"conf": name, "n": 1}), wait_method="POST",
                    status_callback="/voice/desk/conference", status_callback_method="POST",
                    status_callback_event="start end join leave")
    return dial


DESK = "desk"
CONFERENCE_PREFIX = "desk-"


def conference_name(call_sid: str) -> str:
    """The desk's conference of a call, known before Twilio has it: the caller's TwiML and the operator's dial
    both name it (desk-CA…)."""
    return f"{CONFERENCE_PREFIX}{call_sid}"


def _speak(target, key: str, language: str, voice: Voice) -> None:
    if language in prompts.SPOKEN:
        target.say(prompts.text(key, language), language=prompts.SPOKEN[language],
                   voice=voice.th if language == "th" else voice.en)
        return
    recording = _recording_file(voice.prompts_dir, language, key)
    if recording:
        target.play(f"{voice.base_url.rstrip('/')}/voice/prompts/{language}/{quote(recording)}")
    else:
        target.say(prompts.text(key, language), language="en-US", voice=voice.en)


def _read_digits(target, reference: str, language: str, voice: Voice) -> None:
    digits = [c for c in reference if c.isdigit()]
    if language in prompts.SPOKEN:
        words = prompts.DIGITS[language]
        target.say(" ".join(words[int(d)] for d in digits), language=prompts.SPOKEN[language],
                   voice=voice.th if language == "th" else voice.en)
        return
    for d in digits:
        recording = _recording_file(voice.prompts_dir, language, f"digit_{d}")
        if recording:
            target.play(f"{voice.base_url.rstrip('/')}/voice/prompts/{language}/{recording}")
        else:
            target.say(prompts.DIGITS["en"][int(d)], language="en-US", voice=voice.en)


def _recording_file(folder: Path, language: str, key: str) -> str | None:
    names = _recordings(folder, language)
    for suffix in prompts.AUDIO_SUFFIXES:
        if f"{key}{suffix}" in names:
            return f"{key}{suffix}"
    return None


RECORDINGS_TTL = 30.0  # seconds: a recording dropped into PROMPTS_DIR is played within a minute (listing, then welcome)
_listed: dict[tuple[Path, str], tuple[float, frozenset[str]]] = {}


def _recordings(folder: Path, language: str) -> frozenset[str]:
    """The language's recorded prompts, listed once per RECORDINGS_TTL, not stat()ed per prompt of every call."""
    now = time.monotonic()
    listed = _listed.get((folder, language))
    if listed is None or listed[0] < now:
        try:
            names = frozenset(p.name for p in (folder / language).iterdir() if prompts.is_recording(p))
        except OSError:
            names = frozenset()
        listed = _listed[(folder, language)] = (now + RECORDINGS_TTL, names)
    return listed[1]


speak, read_digits = _speak, _read_digits  # the desk's hold message speaks like the menu
