"""What a person sends on LINE besides words (issue 17): images, voice notes, videos and files, kept like a call's
voice message. A call's recording stays at Twilio and is streamed; LINE deletes content after some days, so the
job (`work.line_content`, workers.line_api) copies it from LINE's data API into MEDIA_DIR, under a random name
chosen with the row, mode 0600, with its content type. It is never exposed by URL: the console serves it
(hotline.console.line_media), audited. Over LINE_MEDIA_MAX_BYTES it is not kept ("too-large"); content LINE does not
hold (`contentProvider.type` external: a URL the sender chose) is never fetched. Without an access token
(development) nothing is fetched and the row says "dry-run". Retention and erasure remove the file
(`forget`)."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LineMedia, utcnow
from models.upsert import insert_ignore

from . import work

KINDS = ("image", "audio", "video", "file")
MESSAGE_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # LINE's message ids are digits: a path segment, nothing else
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,50}")
MAX_ATTEMPTS = 8  # then failed: RQ's retries and the relay's sweeps have had their turn


@dataclass(frozen=True)
class Fetch:
    media_id: int
    message_id: str
    stored_as: str


def noted(session: Session, event_id: int, line_user_id: str | None, payload: dict) -> list[str]:
    """A kept event's content, if it has any and a person sent it in the chat (not a group or a room, which the
    chat does not serve either): its row (pending, with the job's outbox row) in the caller's transaction; the job
    ids to enqueue."""
    message = payload.get("message")
    if line_user_id is None or not isinstance(message, dict) or message.get("type") not in KINDS:
        return []
    provider = message.get("contentProvider")
    on_line = not isinstance(provider, dict) or provider.get("type", "line") == "line"  # a file has no provider
    message_id = message.get("id")
    usable = isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id) is not None
    name = message.get("fileName")
    status = "pending" if on_line and usable else "external" if usable else "failed"
    media_id = insert_ignore(session, LineMedia, ["event_id"], event_id=event_id,
                             message_id=message_id if usable else "", kind=message["type"],
                             file_name=name[:255] if isinstance(name, str) else None, status=status,
                             stored_as=secrets.token_hex(16), attempts=0, received_at=utcnow(),
                             last_error=None if usable else "no usable message id")
    if media_id is None or status != "pending":
        return []
    job = work.line_content(event_id)
    work.add(session, job)
    return [job.job_id]


def prepare(session: Session, config, event_id: int) -> Fetch | None:
    """Claim one attempt at fetching the event's content (committed before the fetch); None: nothing to fetch."""
    row = session.scalars(select(LineMedia).where(LineMedia.event_id == event_id).with_for_update()).first()
    if row is None or row.status != "pending":
        work.mark_done(session, work.line_content(event_id).job_id)
        return None
    if row.attempts >= MAX_ATTEMPTS:
        return _finish(session, row, "failed", row.last_error)
    row.attempts += 1
    if config.line_dry_run:
        return _finish(session, row, "dry-run", "no LINE access token: not fetched")
    return Fetch(row.id, row.message_id, row.stored_as)


def kept(session: Session, fetch: Fetch, size: int, content_type: str | None) -> None:
    row = session.get(LineMedia, fetch.media_id)
    row.size, row.content_type, row.kept_at = size, content_type_of(content_type), utcnow()
    _finish(session, row, "kept", None)


def too_large(session: Session, fetch: Fetch, size: int | None) -> None:
    _finish(session, session.get(LineMedia, fetch.media_id), "too-large",
            f"over {size} bytes" if size else "over the limit")


def refused(session: Session, fetch: Fetch, error: str) -> None:
    """LINE will not give it (a 4xx other than 429: expired, never there): not retried."""
    _finish(session, session.get(LineMedia, fetch.media_id), "gone", error[:500])


def not_yet(session: Session, fetch: Fetch, error: str) -> None:
    """LINE busy or away (429, 5xx, no answer): the row stays pending for the job's retry."""
    session.get(LineMedia, fetch.media_id).last_error = error[:500]


def _finish(session: Session, row: LineMedia, status: str, error: str | None) -> None:
    row.status, row.last_error = status, error
    if row.event_id is not None:
        work.mark_done(session, work.line_content(row.event_id).job_id)
    return None


def content_type_of(value: str | None) -> str:
    """LINE's Content-Type, kept only if it is a plain type/subtype (it is sent back to browsers)."""
    value = (value or "").split(";")[0].strip().lower()
    return value if CONTENT_TYPE.fullmatch(value) else "application/octet-stream"


# --- the files ------------------------------------------------------------------------------------

def path_of(config, stored_as: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_as):
        raise ValueError("not a stored media name")
    return Path(config.MEDIA_DIR) / stored_as


def write(config, stored_as: str, chunks) -> int | None:
    """The chunks into the row's file (mode 0600), replaced whole only once complete; its size, or None (nothing
    kept) when it runs over LINE_MEDIA_MAX_BYTES. A re-run writes the same file again: never a second copy."""
    final = path_of(config, stored_as)
    final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = final.with_suffix(".part")
    size = 0
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                size += len(chunk)
                if size > config.LINE_MEDIA_MAX_BYTES:
                    break
                file.write(chunk)
        if size > config.LINE_MEDIA_MAX_BYTES:
            part.unlink(missing_ok=True)
            return None
        os.replace(part, final)
        return size
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def forget(config, media: LineMedia) -> None:
    """Remove the file and what the row says of it (retention, erasure); the row stays as "deleted"."""
    path_of(config, media.stored_as).unlink(missing_ok=True)
    media.status, media.file_name, media.content_type, media.size = "deleted", None, None, None
    media.deleted_at, media.last_error = utcnow(), None
