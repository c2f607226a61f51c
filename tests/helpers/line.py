"""LINE for the tests (issue 17): webhook bodies as LINE sends them, signed with the channel secret, each checked
against LINE's own description of them (`../shared/line/webhook.yml`) before it is sent.

The description is OpenAPI 3.0; jsonschema_rs (schemathesis's validator) checks it once turned into JSON Schema:
`#/components/schemas/X` refs become `#/$defs/X`, and a `discriminator` (which JSON Schema lacks) becomes an
if/then per mapped type, so a follow event is held to FollowEvent and a text message to TextMessageContent.
"""
from __future__ import annotations

import json
import secrets
import time
from functools import lru_cache

import jsonschema_rs
import yaml

from casework.config import DEVELOPMENT_LINE_SECRET, ROOT
from hotline.line.signature import HEADER, sign

WEBHOOK_YML = ROOT.parent / "shared" / "line" / "webhook.yml"  # never edited, like Twilio's description
BOT = "U" + "b" * 32


def user_id() -> str:
    return "U" + secrets.token_hex(16)


def event_id() -> str:
    """A ULID-like id, as LINE's webhookEventId."""
    return "01" + secrets.token_hex(12).upper()


def _event(type_: str, user: str, redelivery: bool = False, **fields) -> dict:
    return {"type": type_, "mode": "active", "timestamp": int(time.time() * 1000), "webhookEventId": event_id(),
            "deliveryContext": {"isRedelivery": redelivery}, "source": {"type": "user", "userId": user}, **fields}


def follow(user: str, **extra) -> dict:
    return _event("follow", user, replyToken=secrets.token_hex(16), follow={"isUnblocked": False}, **extra)


def unfollow(user: str) -> dict:
    return _event("unfollow", user)


def text(user: str, words: str, **extra) -> dict:
    message = {"type": "text", "id": str(secrets.randbelow(10**15)), "text": words, "quoteToken": secrets.token_hex(8)}
    return _event("message", user, replyToken=secrets.token_hex(16), message=message, **extra)


def sticker(user: str) -> dict:
    message = {"type": "sticker", "id": "1", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC",
               "quoteToken": secrets.token_hex(8)}
    return _event("message", user, replyToken=secrets.token_hex(16), message=message)


def location(user: str, latitude: float, longitude: float, address: str | None = None) -> dict:
    message = {"type": "location", "id": str(secrets.randbelow(10**15)), "latitude": latitude, "longitude": longitude,
               **({"address": address} if address is not None else {})}
    return _event("message", user, replyToken=secrets.token_hex(16), message=message)


def image(user: str) -> dict:
    message = {"type": "image", "id": str(secrets.randbelow(10**15)), "contentProvider": {"type": "line"},
               "quoteToken": secrets.token_hex(8)}
    return _event("message", user, replyToken=secrets.token_hex(16), message=message)


def body(*events: dict) -> bytes:
    data = {"destination": BOT, "events": list(events)}
    errors = [error.message for error in validator().iter_errors(data)]
    assert not errors, f"not a body LINE sends (webhook.yml): {errors[:3]}"
    return json.dumps(data, ensure_ascii=False).encode()


def post(client, raw: bytes, secret: str = DEVELOPMENT_LINE_SECRET, signature: str | None = None):
    """POST the raw bytes to the webhook, signed with `secret` unless a signature is given ("" sends none)."""
    signature = sign(secret, raw) if signature is None else signature
    headers = {HEADER: signature} if signature else {}
    return client.post("/line/webhook", data=raw, headers=headers, content_type="application/json")


@lru_cache(maxsize=1)
def validator():
    spec = yaml.safe_load(WEBHOOK_YML.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    defs = {}
    for name, schema in schemas.items():
        defs[name] = _json_schema(schema)
        if "discriminator" in schema:
            defs[f"{name}__base"] = _json_schema({k: v for k, v in schema.items() if k != "discriminator"})
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs, "$ref": "#/$defs/CallbackRequest"}
    return jsonschema_rs.validator_for(root)


def _json_schema(node, in_all_of: bool = False):
    """One OpenAPI 3.0 schema as JSON Schema (see the module's docstring)."""
    if isinstance(node, list):
        return [_json_schema(item, in_all_of) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            name = value.rsplit("/", 1)[1]
            base = in_all_of and "discriminator" in _schemas().get(name, {})
            out["$ref"] = f"#/$defs/{name}" + ("__base" if base else "")
        elif key == "discriminator":
            continue
        elif key == "allOf":
            out["allOf"] = [_json_schema(item, in_all_of=True) for item in value]
        elif key in ("externalDocs", "description", "nullable", "example"):
            continue
        elif key in ("properties",):
            out["properties"] = {name: _json_schema(prop) for name, prop in value.items()}
        else:
            out[key] = _json_schema(value)
    mapping = node.get("discriminator", {}).get("mapping")
    if mapping:
        prop = node["discriminator"]["propertyName"]
        out.setdefault("allOf", []).extend(
            {"if": {"properties": {prop: {"const": value}}, "required": [prop]},
             "then": {"$ref": "#/$defs/" + target.rsplit("/", 1)[1]}} for value, target in mapping.items())
    return out


@lru_cache(maxsize=1)
def _schemas() -> dict:
    return yaml.safe_load(WEBHOOK_YML.read_text(encoding="utf-8"))["components"]["schemas"]


# The chat as the person sees it: what they send through the webhook, what the hotline answers (dry-run, no token).

def say(app, redis, *events: dict) -> None:
    """Send the events in one signed body and run every job they lead to (RQ in process)."""
    from helpers.ladder import run_jobs

    assert post(app.test_client(), body(*events)).status_code == 200
    run_jobs(redis)


def chat_of(app, user: str):
    from sqlalchemy import select

    from models import LineChat

    with app.extensions["sessions"]() as session:
        return session.scalars(select(LineChat).where(LineChat.line_user_id == user)).one()


def answers(app, user: str) -> list[list[dict]]:
    """Each answer's LINE messages, oldest first; every one kept as dry-run."""
    from sqlalchemy import select

    from models import LineMessage

    chat = chat_of(app, user)
    with app.extensions["sessions"]() as session:
        rows = session.scalars(select(LineMessage).where(LineMessage.chat_id == chat.id).order_by(LineMessage.id)).all()
        assert {row.status for row in rows} <= {"dry-run"}
        return [row.messages for row in rows]


def last(app, user: str) -> list[dict]:
    return answers(app, user)[-1]


def buttons(message: dict) -> list[str]:
    """The words of a message's quick-reply buttons (a location button as "<location>")."""
    items = message["quickReply"]["items"]
    assert len(items) <= 13 and all(len(item["action"]["label"]) <= 20 for item in items)  # LINE's limits
    words = []
    for item in items:
        action = item["action"]
        if action["type"] == "location":
            words.append("<location>")
        else:
            assert action["type"] == "message" and action["label"] == action["text"]
            words.append(action["text"])
    return words
