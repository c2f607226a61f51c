"""The IVR simulator's telephone line, one key at a time: what a TwiML answer says and waits for.

`hotline/simulator.py`'s Phone plays a whole scripted call; a trainer presses one key, sees
what the caller hears, then decides the next. The line's state is a plain dict (kept
server-side by the page), and every step is a signed webhook to the app itself.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree  # nosec B405: parses TwiML that this app itself just rendered

from flask_babel import lazy_gettext as _l

from hotline.simulator import simulated_call_sid

Post = Callable[[str, dict], tuple[int, str]]  # (path, form) -> (status, TwiML), signed by the caller of Line
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
OPERATOR_RESULTS = ("completed", "no-answer", "busy")
MESSAGE_SECONDS = 14  # how long the simulated caller "speaks" into a voice message
MAX_REDIRECTS = 10
# Fictional callers: the mobile has the demo roster's +66 80 0PP 00LN shape (is_demo_number), the landline is 02-000-0000.
PRESETS = {
    "mobile": (_l("Thai mobile (fictional) +66 80 099 0001"), "+66800990001"),
    "bangkok": (_l("Bangkok landline (fictional) 02 000 0000"), "+6620000000"),
    "withheld": (_l("Number withheld"), "anonymous"),
}


def new_call_sid() -> str:
    return simulated_call_sid()


def fresh(preset: str) -> dict:
    return {"sid": new_call_sid(), "preset": preset, "from": PRESETS[preset][1], "heard": [], "hold": [], "twiml": "",
            "wait": {"kind": "ended"}, "typed": "", "requests": 0, "http": []}


def read(body: str) -> tuple[list[str], dict, str | None]:
    """What one TwiML document says, what it then waits for, and a <Redirect> to follow at once (or None)."""
    heard: list[str] = []
    wait: dict | None = None
    for verb in ElementTree.fromstring(body):  # nosec B314: TwiML from this app (see import)
        if verb.tag in ("Say", "Play"):
            heard.append(_words(verb))
        elif verb.tag == "Gather":
            heard += [_words(inner) for inner in verb if inner.tag in ("Say", "Play")]
            wait = {"kind": "keys", "action": verb.get("action"), "digits": int(verb.get("numDigits") or 1),
                    "finish": verb.get("finishOnKey", "#")}
        elif verb.tag == "Record":
            wait = {"kind": "record", "action": verb.get("action"), "finish": verb.get("finishOnKey", "#")}
        elif verb.tag in ("Dial", "Enqueue"):
            target = (verb.text or " ".join(inner.text or "" for inner in verb)).strip()
            wait = {"kind": "operator", "action": verb.get("action"), "verb": verb.tag, "target": target}
            room = verb.find("Conference")
            if room is not None and room.get("waitUrl"):  # the desk's waiting room: its hold message
                wait["hold"] = room.get("waitUrl")
            return heard, wait, None
        elif verb.tag == "Redirect":
            if wait is None:
                return heard, {"kind": "ended"}, verb.text
            wait["silence"] = verb.text  # Twilio falls through to here when nothing comes
            return heard, wait, None
        elif verb.tag == "Hangup":
            break
    return heard, wait or {"kind": "ended"}, None


def node_of(url: str | None) -> str | None:
    """`/voice/ivr/kind?s=3&try=1` -> `kind`."""
    if not url:
        return None
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] if path.startswith("/voice/ivr/") else None


def attempt_of(url: str | None) -> int:
    return int((parse_qs(urlsplit(url or "").query).get("try") or ["1"])[0] or 1)


class Line:
    """One simulated call: `post` sends a signed webhook; `state` is the dict from `fresh`."""

    def __init__(self, post: Post, state: dict):
        self.post, self.state = post, state

    def common(self, status: str = "in-progress") -> dict:
        return {"CallSid": self.state["sid"], "AccountSid": "AC" + "0" * 32, "From": self.state["from"],
                "To": "+661300", "Direction": "inbound", "CallStatus": status}

    def start(self) -> None:
        self._request("/voice/incoming", self.common("ringing"))

    def press(self, key: str) -> None:
        wait, state = self.state["wait"], self.state
        if key not in KEYS:
            return
        if wait["kind"] == "keys":
            if key == wait.get("finish"):
                typed, state["typed"] = state["typed"], ""
                self._answer({"Digits": typed, "FinishedOnKey": key} if typed else None)
                return
            state["typed"] += key
            if len(state["typed"]) >= wait["digits"]:
                typed, state["typed"] = state["typed"], ""
                self._answer({"Digits": typed})
        elif wait["kind"] == "record" and key == wait.get("finish"):
            self.speak()

    def silence(self) -> None:
        """The caller says nothing: Twilio's timeout falls through to the <Redirect>, or the call ends."""
        if self.state["wait"]["kind"] in ("keys", "record"):
            self.state["typed"] = ""
            self._answer(None)

    def speak(self) -> None:
        """The caller leaves a voice message and presses # (a fictional recording: nothing to play)."""
        if self.state["wait"]["kind"] != "record":
            return
        sid = "RE" + secrets.token_hex(16)
        self._request(self.state["wait"]["action"], {**self.common(), "RecordingSid": sid,
                                                     "RecordingDuration": str(MESSAGE_SECONDS), "RecordingUrl": ""})

    def operator(self, result: str) -> None:
        """The operator leg ends: answered (completed), no answer, or busy."""
        wait = self.state["wait"]
        if wait["kind"] != "operator" or result not in OPERATOR_RESULTS:
            return
        if not wait.get("action"):
            self.hang_up()
            return
        if wait.get("verb") == "Enqueue":
            extra = {"QueueResult": "bridged" if result == "completed" else "hangup"}
        else:
            extra = {"DialCallStatus": result}
        self._request(wait["action"], {**self.common(), **extra})

    def operator_leg(self, callbacks: list[tuple[str, dict]], hung_up: bool = False) -> None:
        """The desk's operator side (casework.training.operator_leg): their leg's participant callbacks, in order.
        An operator who hangs up ends the conference, and with it the caller's <Dial>."""
        if self.state["wait"]["kind"] != "operator":
            return
        for url, form in callbacks:
            if self._send(url, form) is None:
                return
        if hung_up:
            self.operator("completed")

    def hang_up(self) -> None:
        if self.state["wait"]["kind"] == "ended" and self.state.get("hung_up"):
            return
        self.state.update(wait={"kind": "ended"}, typed="", hung_up=True)
        self._send("/voice/status", {**self.common("completed"), "CallDuration": "95", "SequenceNumber": "9"})

    def _answer(self, extra: dict | None) -> None:
        wait = self.state["wait"]
        if extra is not None:
            self._request(wait["action"], {**self.common(), **extra})
        elif wait.get("silence"):
            self._request(wait["silence"], self.common())
        else:
            self.hang_up()

    def _request(self, url: str, form: dict) -> None:
        for _ in range(MAX_REDIRECTS):
            body = self._send(url, form)
            if body is None:  # the webhook refused or failed: the page shows its HTTP status
                self.state.update(heard=[], wait={"kind": "ended"}, twiml="")
                self.hang_up()
                return
            heard, wait, redirect = read(body)
            self.state.update(heard=heard, wait=wait, twiml=body, typed="")
            if redirect is None:
                break
            url, form = redirect, self.common()
        if self.state["wait"]["kind"] == "ended":
            self.hang_up()  # the document hung up or ran out: Twilio ends the call and reports it
        elif self.state["wait"].get("hold"):
            self._hold(self.state["wait"]["hold"])

    def _hold(self, url: str) -> None:
        """What the waiting room plays: its first turn (a short pause) and the one after, which says the caller's
        place; not further, as its <Redirect> loops as long as the caller waits."""
        heard: list[str] = []
        for _ in range(2):
            body = self._send(url, self.common())
            if body is None:
                break
            words, _wait, url = read(body)
            heard += words
            if url is None:
                break
        self.state["hold"] = heard

    def _send(self, url: str, form: dict) -> str | None:
        status, body = self.post(url, form)
        self.state["requests"] += 1
        self.state["http"] = [*self.state["http"][-19:], [url, status]]
        return body if status == 200 and body.strip().startswith("<") else None


def _words(verb) -> str:
    if verb.tag == "Play":
        return f"[{verb.text}]"
    return verb.text or ""
