"""The LINE simulator: trainers chat with the real LINE menu as a person would, without a phone.

Each thing the person does (add the account, type, tap a quick reply, send a location) is a webhook body built
as LINE builds it, signed here with the channel secret (which never reaches the browser) and posted to this app's
own /line/webhook in-process; the job that takes the turn then runs at once, here, instead of waiting for a
worker (a worker that also picks it up finds it done). The person is a `Usimulator…` LINE user
(models.line.simulated): its report opens a training case, like the IVR simulator's call — a TRAIN- reference,
never a page to a field team — and nothing is ever sent to LINE for it (its messages are kept as dry-run). The
simulated user id lives in the Flask session; "New chat" starts another person.
"""
from __future__ import annotations

import json
import secrets
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from casework import line_chat, line_inbox, line_outbox
from hotline.db import enqueue_after_commit, transaction
from hotline.line.signature import HEADER, sign
from models import LineChat, LineEvent, LineMessage
from models.line import SIMULATED_LINE_USER, SIMULATED_PREFIX

from . import bp
from .access import STAFF, db, requires
from .i18n import province_label

SIMULATOR_ROLES = STAFF
BOT = "U" + "0" * 32  # the webhook's `destination`: the account's own id
MAX_TEXT = 5000  # LINE's limit for one text message
# Places to send as a location message (a trainer cannot pick a point on a map here): a pin in each of three provinces.
PLACES = {  # latitude, longitude, the pin's title, its province (named in the trainer's language)
    "chiang_mai": (18.7883, 98.9853, "Chiang Mai", "50"),
    "bangkok": (13.7563, 100.5018, "Bangkok", "10"),
    "mae_sot": (16.7130, 98.5747, "Mae Sot", "63"),
}


def new_user() -> str:
    user = SIMULATED_PREFIX + secrets.token_hex(11)
    assert SIMULATED_LINE_USER.fullmatch(user)  # nosec B101: a recognisable id is what makes its case a training case
    return user


def _user() -> str:
    user = session.get("line_simulator")
    if not isinstance(user, str) or not SIMULATED_LINE_USER.fullmatch(user):
        user = session["line_simulator"] = new_user()
    return user


def event(user: str, type_: str, **fields) -> dict:
    """One webhook event as LINE sends it (`../shared/line/webhook.yml`)."""
    return {"type": type_, "mode": "active", "timestamp": int(time.time() * 1000),
            "webhookEventId": "01" + secrets.token_hex(12).upper(), "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": user}, "replyToken": secrets.token_hex(16), **fields}


def text_event(user: str, words: str) -> dict:
    return event(user, "message", message={"type": "text", "id": str(secrets.randbelow(10**15)), "text": words,
                                           "quoteToken": secrets.token_hex(8)})


def location_event(user: str, place: str) -> dict:
    latitude, longitude, title, _province = PLACES[place]
    return event(user, "message", message={"type": "location", "id": str(secrets.randbelow(10**15)),
                                           "title": title, "latitude": latitude, "longitude": longitude})


def deliver(user: str, item: dict) -> int:
    """Sign and post one event to the webhook, then take its turn and keep its answers (dry-run); the status."""
    config = current_app.config["HOTLINE"]
    raw = json.dumps({"destination": BOT, "events": [item]}, ensure_ascii=False).encode()
    response = current_app.test_client().post("/line/webhook", data=raw, content_type="application/json",
                                              headers={HEADER: sign(config.LINE_CHANNEL_SECRET, raw)})
    if response.status_code != 200:
        return response.status_code
    with transaction() as txn:
        pending = txn.scalars(select(LineEvent.id).where(LineEvent.line_user_id == user,
                                                         LineEvent.handled_at.is_(None)).order_by(LineEvent.id)).all()
        job_ids = [job for event_id in pending for job in line_chat.handle(txn, config, event_id)]
    with transaction() as txn:
        chat = txn.scalar(select(LineChat).where(LineChat.line_user_id == user))
        unsent = txn.scalars(select(LineMessage.id).where(LineMessage.chat_id == chat.id,
                                                          LineMessage.status == "pending")).all() if chat else []
        for message_id in unsent:
            line_outbox.prepare(txn, config, message_id)  # a simulated person's: kept as dry-run, never sent
    enqueue_after_commit(job_ids)  # what else the turn opened (a training case writes no ladder)
    return 200


@bp.get("/simulator/line")
@requires(*SIMULATOR_ROLES)
def line_simulator():
    return render_line_simulator()


@bp.post("/simulator/line")
@requires(*SIMULATOR_ROLES)
def line_simulator_send():
    if not current_app.config["HOTLINE"].LINE_CHANNEL_SECRET:
        return render_line_simulator(_("The LINE chat is off: LINE_CHANNEL_SECRET is not set."), 503)
    action = request.form.get("do")
    if action == "new":
        session["line_simulator"] = new_user()
        return redirect(url_for("console.line_simulator"), 303)
    user = _user()
    if action == "follow":
        item = event(user, "follow", follow={"isUnblocked": False})
    elif action == "location" and request.form.get("place") in PLACES:
        item = location_event(user, request.form["place"])
    elif action == "text" and 0 < len((request.form.get("text") or "").strip()) <= MAX_TEXT:
        item = text_event(user, request.form["text"].strip())
    else:
        return render_line_simulator(_("Type a message, tap a button or choose a place."), 400)
    status = deliver(user, item)
    if status != 200:
        return render_line_simulator(_("The webhook answered %(status)s.", status=status), 502)
    return redirect(url_for("console.line_simulator", _anchor="chat"), 303)


def render_line_simulator(error: str | None = None, status: int = 200):
    user = session.get("line_simulator")
    chat = db().scalar(select(LineChat).where(LineChat.line_user_id == user)) if isinstance(user, str) else None
    said, cut = line_inbox.thread(db(), chat) if chat else ([], False)
    buttons, asks_location = _quick_replies(chat)
    if error:
        flash(error, "error")
    page = render_template("console/simulator_line.html", chat=chat, said=said, cut=cut, buttons=buttons,
                           asks_location=asks_location,
                           places={code: province_label(place[3]) for code, place in PLACES.items()},
                           case=line_inbox.case_of(db(), chat) if chat else None,
                           masked=line_inbox.masked(user) if isinstance(user, str) else None)
    return page, status


def _quick_replies(chat: LineChat | None) -> tuple[list[str], bool]:
    """The buttons under the hotline's last message: the words each sends, and whether one opens the location picker."""
    last = db().scalar(select(LineMessage).where(LineMessage.chat_id == chat.id).order_by(LineMessage.id.desc())
                       .limit(1)) if chat else None
    words, location = [], False
    for message in (last.messages if last else [])[-1:]:
        for item in ((message.get("quickReply") or {}).get("items") or []):
            action = item.get("action") or {}
            if action.get("type") == "location":
                location = True
            elif action.get("type") == "message" and isinstance(action.get("text"), str):
                words.append(action["text"])
    return words, location
