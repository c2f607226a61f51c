"""What a person sends on LINE besides words (issue 17): copied from LINE's data API by a job into MEDIA_DIR (mode
0600, a random name), shown or played only through the console, audited; too large refused; 429 retried by RQ and
kept once; without an access token a dry run. Against a tiny fake of LINE's data API, and against Prism serving
LINE's own description (../shared/line/messaging-api.yml) for the content request."""
from __future__ import annotations

import json
import secrets
import stat
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import line
from helpers.console_support import Browser, add_user
from helpers.prism import free_port, prism_mock
from sqlalchemy import select

from casework import line_media
from models import AuditEntry, LineChat, LineEvent, LineMedia, OutboxItem, utcnow
from models.line_ids import mask_line_user
from workers import line_api
from workers.runtime import Context

MESSAGING_API = line.WEBHOOK_YML.with_name("messaging-api.yml")
JPEG = b"\xff\xd8\xff\xe0" + secrets.token_bytes(300_000)  # a few chunks


class FakeLineData:
    """LINE's data API: each content path answers the next status queued for it (200 with `body` when none); every
    request kept. POSTs (the chat's own answers) are accepted."""

    def __init__(self):
        self.statuses: list[int] = []
        self.body, self.content_type = JPEG, "image/jpeg"
        self.requests: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append((self.path, dict(self.headers)))
                status = fake.statuses.pop(0) if fake.statuses else 200
                payload = fake.body if status == 200 else json.dumps({"message": f"status {status}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", fake.content_type if status == 200 else "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake():
    server = FakeLineData()
    yield server
    server.server.shutdown()
    server.server.server_close()


def context_for(app, base_url: str, **settings) -> Context:
    config = replace(app.config["HOTLINE"], LINE_CHANNEL_ACCESS_TOKEN="test-access-token",
                     LINE_DATA_API_BASE_URL=base_url, LINE_API_BASE_URL=base_url, **settings)
    return Context(config, app.extensions["sessions"], None, None)


def file_message(user: str, name: str = "passport.pdf") -> dict:
    message = {"type": "file", "id": str(secrets.randbelow(10**15)), "fileName": name, "fileSize": 1200}
    return line._event("message", user, replyToken=secrets.token_hex(16), message=message)


def sent(app, client, event: dict) -> int:
    """The person sends it; the webhook keeps it: the event's id."""
    assert line.post(client, line.body(event)).status_code == 200
    with app.extensions["sessions"]() as session:
        return session.scalars(select(LineEvent.id).where(
            LineEvent.webhook_event_id == event["webhookEventId"])).one()


def media_of(app, event_id: int) -> LineMedia:
    with app.extensions["sessions"]() as session:
        return session.scalars(select(LineMedia).where(LineMedia.event_id == event_id)).one()


def test_an_image_is_kept_and_shown_through_the_console_audited(app, client, db, fake):
    event = line.image(line.user_id())
    event_id = sent(app, client, event)
    assert media_of(app, event_id).status == "pending"
    assert db.scalar(select(OutboxItem.status).where(OutboxItem.job_id == f"line-content-{event_id}")) == "pending"

    line_api.fetch_content_in(context_for(app, fake.url), event_id)

    media = media_of(app, event_id)
    assert (media.status, media.kind, media.size, media.content_type) == ("kept", "image", len(JPEG), "image/jpeg")
    path, message_id = line_media.path_of(app.config["HOTLINE"], media.stored_as), event["message"]["id"]
    assert path.read_bytes() == JPEG and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p for p, _ in fake.requests] == [f"/v2/bot/message/{message_id}/content"]
    assert fake.requests[0][1]["Authorization"] == "Bearer test-access-token"
    assert db.scalar(select(OutboxItem.status).where(OutboxItem.job_id == f"line-content-{event_id}")) == "done"

    add_user(db, "operator", "operator")
    browser = Browser(app.test_client())
    browser.login("operator")
    chat = LineChat(line_user_id=event["source"]["userId"], step="person", language="th", started_at=utcnow())
    db.add(chat)
    db.commit()
    thread = browser.get(f"/console/chats/{chat.id}").get_data(as_text=True)
    assert f'href="/console/line/media/{media.id}"' in thread  # the thread opens it
    shown = browser.get(f"/console/line/media/{media.id}")
    assert shown.status_code == 200 and shown.data == JPEG and shown.mimetype == "image/jpeg"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in shown.headers.get("Content-Disposition", "")
    assert browser.get(f"/console/line/media/{media.id}", headers={"Range": "bytes=100-"}).status_code == 206
    audited = db.scalars(select(AuditEntry.target).where(AuditEntry.action == "view_line_media")).all()
    assert audited == [f"line_media:{media.id}"]  # the start of viewing, not each range

    line_api.fetch_content_in(context_for(app, fake.url), event_id)  # a re-run: nothing fetched again
    assert len(fake.requests) == 1 and len(list(path.parent.iterdir())) == 1


def test_a_file_is_a_download_never_shown_as_what_it_claims(app, client, db, fake):
    """A file that says it is HTML is served as bytes to save, under its own name: nothing runs in the console."""
    fake.body, fake.content_type = b"<script>alert(1)</script>", "text/html; charset=utf-8"
    event_id = sent(app, client, file_message(line.user_id()))
    line_api.fetch_content_in(context_for(app, fake.url), event_id)
    media = media_of(app, event_id)
    assert (media.status, media.kind, media.content_type) == ("kept", "file", "text/html")
    add_user(db, "supervisor", "supervisor")
    browser = Browser(app.test_client())
    browser.login("supervisor")
    answer = browser.get(f"/console/line/media/{media.id}")
    assert answer.status_code == 200 and answer.mimetype == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment") and "passport.pdf" in answer.headers["Content-Disposition"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_only_roles_that_see_a_cases_account_open_it(app, client, db, fake):
    event_id = sent(app, client, line.image(line.user_id()))
    line_api.fetch_content_in(context_for(app, fake.url), event_id)
    media_id = media_of(app, event_id).id
    add_user(db, "field", "field_officer", ["50"])
    browser = Browser(app.test_client())
    assert browser.get(f"/console/line/media/{media_id}").status_code == 302  # a stranger logs in first
    browser.login("field")
    assert browser.get(f"/console/line/media/{media_id}").status_code == 403
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "view_line_media")) is None


def test_too_large_is_refused_and_kept_as_too_large(app, client, db, fake):
    event_id = sent(app, client, line.image(line.user_id()))
    line_api.fetch_content_in(context_for(app, fake.url, LINE_MEDIA_MAX_BYTES=1000), event_id)
    media = media_of(app, event_id)
    assert media.status == "too-large" and media.size is None
    assert not line_media.path_of(app.config["HOTLINE"], media.stored_as).exists()
    add_user(db, "admin", "admin")
    browser = Browser(app.test_client())
    browser.login("admin")
    answer = browser.get(f"/console/line/media/{media.id}")
    assert answer.status_code == 404 and b"too large" in answer.data


def test_too_large_without_a_length_is_cut_off_while_written(app, tmp_path):
    config = replace(app.config["HOTLINE"], LINE_MEDIA_MAX_BYTES=10, MEDIA_DIR=tmp_path / "m")
    fits, over = secrets.token_hex(16), secrets.token_hex(16)
    assert line_media.write(config, fits, [b"12345", b"67890"]) == 10
    assert line_media.write(config, over, [b"12345", b"67890", b"1"]) is None
    assert [path.name for path in (tmp_path / "m").iterdir()] == [fits]  # of the other, not even its part


def test_without_an_access_token_it_is_a_dry_run(app, client, fake):
    event_id = sent(app, client, line.image(line.user_id()))
    context = context_for(app, fake.url)
    line_api.fetch_content_in(replace(context, config=replace(context.config, LINE_CHANNEL_ACCESS_TOKEN=None)), event_id)
    media = media_of(app, event_id)
    assert media.status == "dry-run" and fake.requests == []


def test_content_line_does_not_hold_is_never_fetched(app, client, fake):
    event = line.image(line.user_id())
    event["message"]["contentProvider"] = {"type": "external", "originalContentUrl": "https://example.com/a.jpg",
                                           "previewImageUrl": "https://example.com/a.jpg"}
    event_id = sent(app, client, event)
    assert media_of(app, event_id).status == "external"
    line_api.fetch_content_in(context_for(app, fake.url), event_id)
    assert fake.requests == [] and media_of(app, event_id).status == "external"


def test_only_a_person_in_the_chat_has_their_content_kept_and_a_bad_message_id_is_never_asked_for(app, client, fake):
    group = line.image(line.user_id())
    group["source"] = {"type": "group", "groupId": "C" + "a" * 32, "userId": line.user_id()}
    odd = line.image(line.user_id())
    odd["message"]["id"] = "../../v2/bot/info"
    sent(app, client, group)
    odd_id = sent(app, client, odd)
    with app.extensions["sessions"]() as session:
        assert session.scalars(select(LineMedia.status)).all() == ["failed"]  # the group's: none at all
        assert session.scalar(select(OutboxItem.id).where(OutboxItem.job_id.like("line-content-%"))) is None
    line_api.fetch_content_in(context_for(app, fake.url), odd_id)
    assert fake.requests == [] and media_of(app, odd_id).last_error == "no usable message id"


def test_a_line_user_id_is_masked_like_a_phone_number():
    user = "U" + "4f" * 15 + "9c1c"
    assert mask_line_user(user) == "UXXXX…9c1c" and user[5:-4] not in mask_line_user(user)
    assert mask_line_user(None) == "no LINE id" and mask_line_user("U1") == "XXXX"


def test_content_line_no_longer_has_is_gone_not_retried(app, client, fake):
    event_id = sent(app, client, line.image(line.user_id()))
    fake.statuses = [404]
    line_api.fetch_content_in(context_for(app, fake.url), event_id)
    assert media_of(app, event_id).status == "gone" and len(fake.requests) == 1


def test_a_429_from_line_is_retried_by_rq_then_kept_once(ladder_env, fake):
    from helpers.ladder import run_jobs
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from workers import jobs, runtime

    app, _, redis = ladder_env
    running = runtime.current()
    runtime.start(replace(running.config, LINE_CHANNEL_ACCESS_TOKEN="test-access-token", LINE_API_BASE_URL=fake.url,
                          LINE_DATA_API_BASE_URL=fake.url), sender=running.sender)
    fake.statuses = [429]
    event_id = sent(app, app.test_client(), line.image(line.user_id()))
    run_jobs(redis)
    job = Job.fetch(f"line-content-{event_id}", connection=redis, serializer=JSONSerializer)
    assert job.get_status() == "scheduled" and job.retries_left == 4
    assert media_of(app, event_id).status == "pending" and media_of(app, event_id).last_error.startswith("429")
    jobs.line_content(event_id)  # the retry, as RQ runs it when it is due
    jobs.line_content(event_id)  # and once more, as a sweep might: nothing happens
    media = media_of(app, event_id)
    assert media.status == "kept" and media.attempts == 2 and len(fake.requests) == 2
    assert len(list(line_media.path_of(runtime.current().config, media.stored_as).parent.iterdir())) == 1


def test_nothing_about_the_person_or_what_they_sent_is_logged(app, client, fake, caplog):
    caplog.set_level("INFO")  # LOG_LEVEL's default; at DEBUG urllib3 logs each URL (a message id, no person)
    user = line.user_id()
    event = file_message(user, name="my-secret-name.pdf")
    event_id = sent(app, client, event)
    fake.statuses = [503]
    with pytest.raises(line_api.LineUnavailable):
        line_api.fetch_content_in(context_for(app, fake.url), event_id)
    line_api.fetch_content_in(context_for(app, fake.url), event_id)
    assert media_of(app, event_id).status == "kept"
    logged = caplog.text
    assert user not in logged and "my-secret-name" not in logged and event["message"]["id"] not in logged


@pytest.fixture(scope="module")
def prism_line(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prism-line-media")
    with prism_mock(MESSAGING_API, tmp / "prism.log") as url:
        yield url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_content_request_is_what_lines_description_allows(app, client, prism_line):
    """Prism answers the content request its description allows with 200; one without the access token it refuses."""
    event_id = sent(app, client, line.image(line.user_id()))
    line_api.fetch_content_in(context_for(app, prism_line), event_id)
    assert media_of(app, event_id).status == "kept"
    fetch = line_media.Fetch(0, "123", secrets.token_hex(16))
    with pytest.raises(line_api.LineRefused, match="^401"):
        line_api.fetch_content(replace(context_for(app, prism_line).config, LINE_CHANNEL_ACCESS_TOKEN=""), fetch)


def test_no_line_user_id_or_text_reaches_the_logs_in_a_whole_chat(ladder_env, caplog):
    """The webhook, the chat's turns, its answers (dry run) and an image copied: nothing of the person in the logs."""
    caplog.set_level("INFO")
    app, _, redis = ladder_env
    user = line.user_id()
    line.say(app, redis, line.follow(user))
    line.say(app, redis, line.text(user, "ไทย"))
    line.say(app, redis, line.text(user, "my cousin Somchai is locked in a factory"), line.image(user))
    assert len(line.answers(app, user)) == 4  # each message answered (dry run)
    with app.extensions["sessions"]() as session:
        assert session.scalars(select(LineMedia.status)).all() == ["dry-run"]  # the worker here has no token
    assert user not in caplog.text and "Somchai" not in caplog.text
