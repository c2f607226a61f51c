"""The IVR simulator: trainers walk the real voice menu from a dial pad, without a phone.

Every key press is a signed webhook to this app's own /voice routes, sent in-process
(no network), signed here with the app's auth token, which never reaches the browser. In a
rehearsal (casework.training.desk_rehearsal) a caller who asks for a person waits at the desk, and the trainer
plays the operator's side: the offer's participant callbacks, signed the same way.
The line's state lives server-side (Redis, or this process when there is none), under a
random key kept in the Flask session. A simulated call has a `CAsimulator…` CallSid:
its case is a training case and never pages a field team (models/calls.py, workers/escalation.py).
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
from xml.etree import ElementTree  # nosec B405: re-indents TwiML that this app itself rendered

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from casework import training
from models import Call, Case

from . import bp
from .access import STAFF, db, requires
from .ivr_words import NODE, describe_path
from .simulator_line import KEYS, OPERATOR_RESULTS, PRESETS, Line, attempt_of, fresh, node_of

log = logging.getLogger(__name__)
SIMULATOR_ROLES = STAFF  # field officers do not work the menu; a training call is outside their provinces
ACTIONS = {"silence", "speak", "hang-up", *OPERATOR_RESULTS}
_local: dict[str, str] = {}  # the store when the app has no Redis (tests, a bare `flask run`)
_local_lock = threading.Lock()


class StoreDown(Exception):
    pass


def _key() -> str:
    if "simulator" not in session:
        session["simulator"] = secrets.token_urlsafe(16)
    return f"hotline:simulator:{session['simulator']}"


def load() -> dict | None:
    redis = current_app.extensions.get("redis")
    try:
        raw = redis.get(_key()) if redis is not None else _local.get(_key())
    except RedisError as error:
        raise StoreDown() from error
    return json.loads(raw) if raw else None


def save(state: dict) -> None:
    raw, ttl = json.dumps(state), current_app.config["HOTLINE"].CONSOLE_SESSION_IDLE
    redis = current_app.extensions.get("redis")
    try:
        if redis is not None:
            redis.set(_key(), raw, ex=ttl)
            return
    except RedisError as error:
        raise StoreDown() from error
    with _local_lock:
        if len(_local) > 500:  # a bounded keepsake for a dev server, not a cache to grow forever
            _local.pop(next(iter(_local)))
        _local[_key()] = raw


def signed_post():
    """POST to this app's own webhooks, signed as Twilio signs (never over the network)."""
    config = current_app.config["HOTLINE"]
    base = (config.PUBLIC_BASE_URL or request.host_url).rstrip("/")
    validator, client = RequestValidator(config.TWILIO_AUTH_TOKEN), current_app.test_client()

    def post(url: str, form: dict) -> tuple[int, str]:
        path = url.removeprefix(base)
        if not path.startswith("/voice/"):
            return 400, ""  # the simulator follows this app's voice routes only
        headers = {"X-Twilio-Signature": validator.compute_signature(base + path, form)}
        response = client.post(path, data=form, headers=headers, base_url=base)
        return response.status_code, response.get_data(as_text=True)

    return post


@bp.get("/simulator")
@requires(*SIMULATOR_ROLES)
def simulator():
    return render_simulator()


@bp.post("/simulator/call")
@requires(*SIMULATOR_ROLES)
def simulator_call():
    preset = request.form.get("caller", "")
    if preset not in PRESETS:
        return render_simulator(_("Choose one of the callers."), 400)
    try:
        state = load()
        if state and state["wait"]["kind"] != "ended":
            Line(signed_post(), state).hang_up()  # one simulated call per session: the old one ends
        state = fresh(preset)
        Line(signed_post(), state).start()
        save(state)
    except StoreDown:
        return render_simulator(_("The simulator cannot keep its state: Redis is not answering."), 503)
    return redirect(url_for("console.simulator", _anchor="line"), 303)


@bp.post("/simulator/press")
@requires(*SIMULATOR_ROLES)
def simulator_press():
    key, action = request.form.get("key"), request.form.get("do")
    if key not in KEYS and action not in ACTIONS:
        return render_simulator(_("That is not a key on the pad."), 400)
    try:
        state = load()
        if state is None:
            flash(_("Start a call first."), "info")
            return redirect(url_for("console.simulator"), 303)
        line = Line(signed_post(), state)
        if key in KEYS:
            line.press(key)
        elif action == "silence":
            line.silence()
        elif action == "speak":
            line.speak()
        elif action == "hang-up":
            line.hang_up()
        else:
            line.operator(action)
        save(state)
    except StoreDown:
        return render_simulator(_("The simulator cannot keep its state: Redis is not answering."), 503)
    return redirect(url_for("console.simulator", _anchor="line"), 303)


@bp.post("/simulator/operator")
@requires(*SIMULATOR_ROLES)
def simulator_operator():
    """The desk's operator side in a rehearsal: the simulated call's own offer is answered, not answered, or hung
    up, by the participant callbacks Twilio would send; only an offer of this session's call."""
    action, offer = request.form.get("do", ""), request.form.get("offer", "")
    if action not in training.OPERATOR_LEG or not offer.isdigit():
        return render_simulator(_("That is not something the operator can do."), 400)
    try:
        state = load()
        if state is None:
            flash(_("Start a call first."), "info")
            return redirect(url_for("console.simulator"), 303)
        seat = training.desk_seat(db(), state["sid"])
        current = (seat or {}).get("talking" if action == "hang-up" else "offer")
        if current is None or current != int(offer):
            flash(_("The line has moved on: look at it again."), "info")
            return redirect(url_for("console.simulator", _anchor="line"), 303)
        callbacks = training.operator_leg(db(), current, action)
        db().rollback()  # done reading: an open read (SQLite) would hold up the webhooks' writes
        Line(signed_post(), state).operator_leg(callbacks, hung_up=action == "hang-up")
        save(state)
    except StoreDown:
        return render_simulator(_("The simulator cannot keep its state: Redis is not answering."), 503)
    return redirect(url_for("console.simulator", _anchor="line"), 303)


def render_simulator(error: str | None = None, status: int = 200):
    try:
        state = load()
    except StoreDown:
        state, error, status = None, _("The simulator cannot keep its state: Redis is not answering."), 503
    call = case = None
    if state:
        call = db().scalar(select(Call).where(Call.call_sid == state["sid"]))
        case = db().scalar(select(Case).where(Case.call_id == call.id)) if call else None
    wait = (state or {}).get("wait", {"kind": "ended"})
    seat = training.desk_seat(db(), state["sid"]) if state and wait["kind"] == "operator" else None
    node = node_of(wait.get("action") or wait.get("silence"))
    step = {"title": NODE.get(node, node), "retry": attempt_of(wait.get("action")) > 1}
    page = render_template("console/simulator.html", state=state, call=call, case=case, wait=wait, step=step,
                           path=describe_path(call.ivr_path) if call else [], twiml=pretty(state["twiml"]) if state else "",
                           presets=PRESETS, keys=KEYS, error=error, seat=seat)
    return make_response(page, status)


def pretty(body: str) -> str:
    if not body:
        return ""
    try:
        root = ElementTree.fromstring(body)  # nosec B314: TwiML from this app (see import)
    except ElementTree.ParseError:
        return body
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode")
