"""LINE's Messaging API, for the messages of `casework.line_outbox` (issue 17): plain `requests`, LINE_API_BASE_URL
so tests can point it at a mock. line-bot-sdk's MessagingApi could send these too (`Configuration(host=...)`,
`push_message(..., x_line_retry_key=...)`), but it would add no behaviour: the messages are kept as LINE's JSON,
built with the SDK's models (casework.line_chat), and two posts with a status rule each (a 409 is accepted, a
429 or 5xx is retried) are shorter here than the SDK's exceptions mapped back onto them. A 429, a 5xx or no answer raises
`LineUnavailable` for RQ's retries; another 4xx is `LineRefused`, for good. The content people send (images, voice
notes, files) is fetched here too, from LINE_DATA_API_BASE_URL, by the same status rule (casework.line_media)."""
from __future__ import annotations

import logging

import requests

from casework import line_media, line_outbox
from casework.line_outbox import Outgoing

from .runtime import Context

log = logging.getLogger(__name__)
TIMEOUT = 10  # seconds


class LineUnavailable(RuntimeError):
    """Try again later (RQ's Retry, with backoff)."""


class LineRefused(RuntimeError):
    """LINE will not take this message."""


def send_in(context: Context, message_id: int) -> None:
    """Send one message of the outbox and record how; raises LineUnavailable for a retry."""
    with context.sessions.begin() as session:
        out = line_outbox.prepare(session, context.config, message_id)
    if out is None:
        return
    try:
        via = send(context.config, out)
    except LineRefused as error:
        with context.sessions.begin() as session:
            line_outbox.refused(session, out, str(error))
        log.warning("line message %s refused for good (%s)", message_id, error)
        return
    except LineUnavailable as error:
        with context.sessions.begin() as session:
            line_outbox.not_yet(session, out, str(error))
        log.warning("line message %s not sent yet (%s); retried", message_id, error)
        raise
    with context.sessions.begin() as session:
        line_outbox.sent(session, out, via)
    log.info("line message %s sent by %s", message_id, via)


def send(config, out: Outgoing) -> str:
    """By the reply token when it is given and LINE takes it, else pushed; how it went ("reply" or "push")."""
    if out.reply_token:
        answer = _post(config, "/v2/bot/message/reply", {"replyToken": out.reply_token, "messages": out.messages})
        if answer.status_code == 200:
            return "reply"
        _raise_if_busy(answer)  # a retry pushes: the token is tried once
        log.info("line message %s: reply token refused (%s); pushed instead", out.message_id, answer.status_code)
    answer = _post(config, "/v2/bot/message/push", {"to": out.to, "messages": out.messages},
                   {"X-Line-Retry-Key": out.retry_key})
    if answer.status_code in (200, 409):  # 409: LINE accepted a push with this retry key before
        return "push"
    _raise_if_busy(answer)
    raise LineRefused(f"{answer.status_code} {_message(answer)}")


def _post(config, path: str, body: dict, headers: dict | None = None) -> requests.Response:
    try:
        return requests.post(config.LINE_API_BASE_URL.rstrip("/") + path, json=body, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {config.LINE_CHANNEL_ACCESS_TOKEN}", **(headers or {})})
    except requests.RequestException as error:
        raise LineUnavailable(type(error).__name__) from None


def _raise_if_busy(answer: requests.Response) -> None:
    if answer.status_code == 429 or answer.status_code >= 500:
        raise LineUnavailable(f"{answer.status_code} {_message(answer)}")


def _message(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return ""


# --- what people send: images, voice notes, videos, files (casework.line_media) -------------------

CHUNK = 64 * 1024


def fetch_content_in(context: Context, event_id: int) -> None:
    """Copy one message's content from LINE's data API into MEDIA_DIR; raises LineUnavailable for a retry."""
    with context.sessions.begin() as session:
        fetch = line_media.prepare(session, context.config, event_id)
    if fetch is None:
        return
    try:
        size, kind = fetch_content(context.config, fetch)
    except LineRefused as error:
        with context.sessions.begin() as session:
            line_media.refused(session, fetch, str(error))
        log.warning("line media %s not given by LINE (%s)", fetch.media_id, error)
        return
    except LineUnavailable as error:
        with context.sessions.begin() as session:
            line_media.not_yet(session, fetch, str(error))
        log.warning("line media %s not fetched yet (%s); retried", fetch.media_id, error)
        raise
    with context.sessions.begin() as session:
        if size is None:
            line_media.too_large(session, fetch, context.config.LINE_MEDIA_MAX_BYTES)
        else:
            line_media.kept(session, fetch, size, kind)
    log.info("line media %s %s", fetch.media_id, "too large: not kept" if size is None else f"kept ({size} bytes)")


def fetch_content(config, fetch: line_media.Fetch) -> tuple[int | None, str | None]:
    """The content written to the row's file: (its size, or None when too large; LINE's content type)."""
    url = f"{config.LINE_DATA_API_BASE_URL.rstrip('/')}/v2/bot/message/{fetch.message_id}/content"
    try:
        answer = requests.get(url, stream=True, timeout=TIMEOUT,
                              headers={"Authorization": f"Bearer {config.LINE_CHANNEL_ACCESS_TOKEN}"})
    except requests.RequestException as error:
        raise LineUnavailable(type(error).__name__) from None
    with answer:
        _raise_if_busy(answer)
        if answer.status_code != 200:
            raise LineRefused(f"{answer.status_code} {_message(answer)}")
        length = answer.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > config.LINE_MEDIA_MAX_BYTES:
            return None, None  # not even read
        try:
            size = line_media.write(config, fetch.stored_as, answer.iter_content(CHUNK))
        except requests.RequestException as error:
            raise LineUnavailable(type(error).__name__) from None
        return size, answer.headers.get("Content-Type")
