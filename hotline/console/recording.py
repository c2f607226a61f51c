"""A call's voice message, played through the app: the browser never sees Twilio's URL or credentials."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests
from flask import Response, abort, current_app, request, stream_with_context

from . import bp
from .access import EVERYONE, current_user, db, requires, visible_call
from .audit import record

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
PASSED_ON = ("Content-Length", "Content-Range", "Accept-Ranges")


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


def _first_request() -> bool:
    """A player asks again for every seek: audit the start of listening, not each range."""
    wanted = request.headers.get("Range", "")
    return not wanted or wanted.replace(" ", "").startswith("bytes=0-")


@bp.get("/calls/<int:call_id>/recording")
@requires(*EVERYONE)
def recording(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user())
    config = current_app.config["HOTLINE"]
    if not call.recording_url or not twilio_url(call.recording_url):
        abort(404)
    if config.sms_dry_run:  # no real Twilio credentials (development): nothing can fetch it
        abort(503)
    if _first_request():
        record(db(), "play_recording", user, target=f"call:{call.id}")
        db().commit()
    headers = {"Range": request.headers["Range"]} if "Range" in request.headers else {}
    try:
        upstream = requests.get(media_url(call.recording_url, config.TWILIO_API_BASE_URL),
                                auth=(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN), headers=headers,
                                stream=True, timeout=(3.05, config.RECORDING_FETCH_TIMEOUT))
    except requests.RequestException as error:
        log.warning("recording of call %s not fetched: %s", call.id, type(error).__name__)
        abort(502)
    if upstream.status_code not in (200, 206):
        log.warning("Twilio answered %s for the recording of call %s", upstream.status_code, call.id)
        upstream.close()
        abort(404 if upstream.status_code == 404 else 502)
    kind = upstream.headers.get("Content-Type", "")
    passed = {name: upstream.headers[name] for name in PASSED_ON if name in upstream.headers}
    return Response(stream_with_context(_chunks(upstream)), status=upstream.status_code, headers=passed,
                    mimetype=kind if kind.startswith("audio/") else "audio/mpeg")


def _chunks(upstream):
    try:
        yield from upstream.iter_content(CHUNK)
    finally:
        upstream.close()
