"""A call's voice message, played through the app: the browser never sees Twilio's URL or credentials.

A stream holds a thread of the console's pool while Twilio sends the media, so each process lets at most
RECORDING_STREAMS of them run at once; one more is a 503 with Retry-After, never a wait behind the slow ones.
When it cannot be played, the answer says why (a page, or JSON to a client that asks for it): a run without
Twilio credentials can never fetch it (404); Twilio down is a 503 to retry; Twilio refusing us is a 502.
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import requests
from flask import Flask, Response, abort, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l

from . import bp
from .access import EVERYONE, audible_call, current_user, db, requires
from .audit import record

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
PASSED_ON = ("Content-Length", "Content-Range", "Accept-Ranges")
CONNECT_TIMEOUT = 3.05  # seconds; RECORDING_FETCH_TIMEOUT is the wait for each read
BUSY = "Too many voice messages are playing right now; try again in a moment.\n"
WHY_NOT = {
    "no_twilio_credentials": (404, _l("Recordings are kept by Twilio; this run has no Twilio credentials, so it "
                                      "cannot play them.")),
    "twilio_unavailable": (503, _l("Twilio, which keeps the recordings, did not answer. Try again in a minute.")),
    "twilio_refused": (502, _l("Twilio refused to give this recording: check the service's Twilio credentials.")),
}


def init_app(app: Flask) -> None:
    """The process's recording slots (per app: a test makes several apps in one process)."""
    app.extensions["recording_slots"] = threading.BoundedSemaphore(app.config["HOTLINE"].RECORDING_STREAMS)


def twilio_url(url: str) -> bool:
    """Only Twilio's own API gets our credentials (a stored URL is data, and data can lie)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "api.twilio.com" or host.endswith(".twilio.com"))


def media_url(url: str, base_url: str | None = None) -> str:
    """Twilio's RecordingUrl has no extension; `.mp3` asks for the small format (the default is WAV).
    With TWILIO_API_BASE_URL (a mock), the same path under that base instead of Twilio's host."""
    url = url if url.endswith((".mp3", ".wav")) else url + ".mp3"
    if not base_url:
        return url
    parts = urlsplit(url)
    return base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def why_not_here() -> str | None:
    """Why this run can never play a voice message, in the console's words (None: it can try)."""
    return str(WHY_NOT["no_twilio_credentials"][1]) if current_app.config["HOTLINE"].sms_dry_run else None


def unavailable(reason: str) -> Response:
    status, message = WHY_NOT[reason]
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = make_response(jsonify(error=reason, message=str(message)), status)
    else:
        response = make_response(render_template("console/error.html", code=status, message=message), status)
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response


def _first_request() -> bool:
    """A player asks again for every seek: audit the start of listening, not each range."""
    wanted = request.headers.get("Range", "")
    return not wanted or wanted.replace(" ", "").startswith("bytes=0-")


@bp.get("/calls/<int:call_id>/recording")
@requires(*EVERYONE)
def recording(call_id: int):
    user, call = current_user(), audible_call(call_id, current_user())
    config = current_app.config["HOTLINE"]
    if not call.recording_url or not twilio_url(call.recording_url):
        abort(404)
    if config.sms_dry_run:  # no real Twilio credentials (development): nothing can fetch it
        return unavailable("no_twilio_credentials")
    slot = _Slot.take(current_app.extensions["recording_slots"])
    if slot is None:
        log.info("recording of call %s refused: %s streams already running", call.id, config.RECORDING_STREAMS)
        return Response(BUSY, status=503, headers={"Retry-After": "2"}, mimetype="text/plain")
    try:
        return _stream(call, user, config, slot)
    except BaseException:
        slot.release()  # nothing streams: an abort, Twilio unreachable, the audit's database down
        raise


def _stream(call, user, config, slot: _Slot) -> Response:
    if _first_request():
        record(db(), "play_recording", user, target=f"call:{call.id}")
        db().commit()
    db().close()  # a stream holds no database connection (the objects stay readable: no expiry on commit)
    headers = {"Range": request.headers["Range"]} if "Range" in request.headers else {}
    try:
        upstream = requests.get(media_url(call.recording_url, config.TWILIO_API_BASE_URL),
                                auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN), headers=headers,
                                stream=True, timeout=(CONNECT_TIMEOUT, config.RECORDING_FETCH_TIMEOUT))
    except requests.RequestException as error:
        log.warning("recording of call %s not fetched: %s", call.id, type(error).__name__)
        abort(unavailable("twilio_unavailable"))
    if upstream.status_code not in (200, 206):
        log.warning("Twilio answered %s for the recording of call %s", upstream.status_code, call.id)
        upstream.close()
        if upstream.status_code == 404:
            abort(404)
        abort(unavailable("twilio_unavailable" if upstream.status_code >= 500 else "twilio_refused"))
    kind = upstream.headers.get("Content-Type", "")
    passed = {name: upstream.headers[name] for name in PASSED_ON if name in upstream.headers}
    body = _Body(upstream, slot)
    try:
        # The body itself, not stream_with_context: that one never closes what it wraps when it is closed
        # before its first chunk (a HEAD, a player gone at once), and the chunks need no request context.
        return Response(body, status=upstream.status_code, headers=passed,
                        mimetype=kind if kind.startswith("audio/") else "audio/mpeg")
    except BaseException:
        body.close()
        raise


class _Slot:
    """One of the process's recording fetches, taken without waiting and given back exactly once."""

    def __init__(self, slots: threading.BoundedSemaphore):
        self._slots: threading.BoundedSemaphore | None = slots

    @classmethod
    def take(cls, slots: threading.BoundedSemaphore) -> _Slot | None:
        return cls(slots) if slots.acquire(blocking=False) else None

    def release(self) -> None:
        slots, self._slots = self._slots, None
        if slots is not None:
            slots.release()


class _Body:
    """Twilio's media chunk by chunk. Closing it frees the slot however the stream ends: all sent, Twilio
    failing midway, or the browser gone (the server closes the response), even before the first chunk (a
    generator closed before it starts would never reach its `finally`)."""

    def __init__(self, upstream, slot: _Slot):
        self._upstream, self._slot = upstream, slot
        self._chunks = upstream.iter_content(CHUNK)

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        try:
            self._upstream.close()
        finally:
            self._slot.release()
