"""LINE messages out (issue 17): the reply token first, tried once while it lasts; a push after, with the row's
retry key as X-Line-Retry-Key so a retried push is accepted once; 429 and 5xx left to RQ's retries; nothing sent to
a person who did not write first. Against a tiny fake of LINE that answers what each test asks, and against Prism
serving LINE's own description (../shared/line/messaging-api.yml), which checks every request the hotline sends."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import line
from helpers.prism import free_port, prism_mock
from sqlalchemy import select

from casework import line_chat
from models import LineChat, LineEvent, LineMessage, OutboxItem, utcnow
from workers import line_api
from workers.runtime import Context

MESSAGING_API = line.WEBHOOK_YML.with_name("messaging-api.yml")
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


class FakeLine:
    """Answers each path with the next status queued for it (200 when none), and keeps every request."""

    def __init__(self):
        self.answers: dict[str, list[int]] = {REPLY: [], PUSH: []}
        self.requests: list[tuple[str, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fake.requests.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
                queued = fake.answers.get(self.path) or []
                status = queued.pop(0) if queued else 200
                payload = json.dumps({"sentMessages": [{"id": "1", "quoteToken": "q"}]} if status == 200
                                     else {"message": f"status {status}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]


@pytest.fixture
def fake():
    server = FakeLine()
    yield server
    server.server.shutdown()
    server.server.server_close()


def context_for(app, base_url: str) -> Context:
    config = replace(app.config["HOTLINE"], LINE_CHANNEL_ACCESS_TOKEN="test-access-token", LINE_API_BASE_URL=base_url)
    return Context(config, app.extensions["sessions"], None, None)


def greeted(app, client) -> tuple[int, str]:
    """A person follows the account; the job writes the greeting (not sent yet): its message id and their user id."""
    user = line.user_id()
    assert line.post(client, line.body(line.follow(user))).status_code == 200
    with app.extensions["sessions"].begin() as session:
        event_id = session.scalars(select(LineEvent.id).where(LineEvent.line_user_id == user)).one()
        line_chat.handle(session, app.config["HOTLINE"], event_id)
        return session.scalars(select(LineMessage.id)).one(), user


def row(app, message_id: int) -> LineMessage:
    with app.extensions["sessions"]() as session:
        return session.get(LineMessage, message_id)


def outbox_status(app, message_id: int) -> str:
    with app.extensions["sessions"]() as session:
        return session.scalars(select(OutboxItem.status).where(OutboxItem.job_id == f"line-msg-{message_id}")).one()


def reply_window_passed(app, message_id: int) -> None:
    with app.extensions["sessions"].begin() as session:
        session.get(LineMessage, message_id).reply_by = utcnow() - timedelta(seconds=1)


def test_a_fresh_reply_token_is_used_once(app, client, fake):
    message_id, _ = greeted(app, client)
    context = context_for(app, fake.url)
    line_api.send_in(context, message_id)
    line_api.send_in(context, message_id)  # a second run finds it sent
    assert fake.paths() == [REPLY]
    _, headers, body = fake.requests[0]
    assert headers["Authorization"] == "Bearer test-access-token"
    sent = row(app, message_id)
    assert body == {"replyToken": sent.reply_token, "messages": sent.messages}
    assert (sent.status, sent.via, sent.attempts) == ("sent", "reply", 1) and outbox_status(app, message_id) == "done"


def test_after_the_reply_window_it_is_pushed_with_its_retry_key(app, client, fake):
    message_id, user = greeted(app, client)
    reply_window_passed(app, message_id)
    line_api.send_in(context_for(app, fake.url), message_id)
    assert fake.paths() == [PUSH]
    _, headers, body = fake.requests[0]
    sent = row(app, message_id)
    assert headers["X-Line-Retry-Key"] == sent.retry_key and body == {"to": user, "messages": sent.messages}
    assert (sent.status, sent.via) == ("sent", "push")


def test_a_reply_token_refused_is_pushed_at_once(app, client, fake):
    message_id, _ = greeted(app, client)
    fake.answers[REPLY] = [400]  # "Invalid reply token": used or expired
    line_api.send_in(context_for(app, fake.url), message_id)
    assert fake.paths() == [REPLY, PUSH] and row(app, message_id).via == "push"


def test_a_429_is_retried_with_the_same_retry_key_and_delivered_once(app, client, fake):
    message_id, _ = greeted(app, client)
    reply_window_passed(app, message_id)
    fake.answers[PUSH] = [429]
    context = context_for(app, fake.url)
    with pytest.raises(line_api.LineUnavailable):
        line_api.send_in(context, message_id)  # RQ's Retry runs the job again with backoff
    waiting = row(app, message_id)
    assert (waiting.status, waiting.last_error) == ("pending", "429 status 429") and outbox_status(app, message_id) != "done"
    line_api.send_in(context, message_id)
    line_api.send_in(context, message_id)
    keys = [headers["X-Line-Retry-Key"] for path, headers, _ in fake.requests]
    assert fake.paths() == [PUSH, PUSH] and keys == [waiting.retry_key] * 2
    assert row(app, message_id).status == "sent" and outbox_status(app, message_id) == "done"


def test_a_push_line_accepted_before_is_not_sent_again(app, client, fake):
    """A 500 after LINE took the push (or a worker killed before it wrote 'sent'): the retry's 409 says it is there."""
    message_id, _ = greeted(app, client)
    reply_window_passed(app, message_id)
    fake.answers[PUSH] = [500, 409]
    context = context_for(app, fake.url)
    with pytest.raises(line_api.LineUnavailable):
        line_api.send_in(context, message_id)
    line_api.send_in(context, message_id)
    assert fake.paths() == [PUSH, PUSH] and row(app, message_id).status == "sent"


def test_a_reply_that_failed_is_not_tried_again_the_retry_pushes(app, client, fake):
    message_id, _ = greeted(app, client)
    fake.answers[REPLY] = [500]
    context = context_for(app, fake.url)
    with pytest.raises(line_api.LineUnavailable):
        line_api.send_in(context, message_id)
    line_api.send_in(context, message_id)
    assert fake.paths() == [REPLY, PUSH] and row(app, message_id).via == "push"


def test_a_refusal_is_for_good(app, client, fake):
    message_id, _ = greeted(app, client)
    reply_window_passed(app, message_id)
    fake.answers[PUSH] = [400]
    context = context_for(app, fake.url)
    line_api.send_in(context, message_id)
    line_api.send_in(context, message_id)
    failed = row(app, message_id)
    assert fake.paths() == [PUSH] and (failed.status, failed.last_error) == ("failed", "400 status 400")
    assert outbox_status(app, message_id) == "done"


def test_line_unreachable_is_retried(app, client):
    message_id, _ = greeted(app, client)
    with pytest.raises(line_api.LineUnavailable):
        line_api.send_in(context_for(app, f"http://127.0.0.1:{free_port()}"), message_id)
    assert row(app, message_id).status == "pending"


def test_nothing_is_sent_to_a_person_who_did_not_write_first_or_blocked_us(app, client, fake):
    message_id, user = greeted(app, client)
    with app.extensions["sessions"].begin() as session:
        session.scalars(select(LineChat).where(LineChat.line_user_id == user)).one().unfollowed_at = utcnow()
        stranger = LineChat(line_user_id=line.user_id(), step="new", started_at=utcnow())  # never wrote
        session.add(stranger)
        session.flush()
        session.add(LineMessage(chat_id=stranger.id, messages=[{"type": "text", "text": "hi"}], retry_key="k-1"))
    context = context_for(app, fake.url)
    for message in (message_id, message_id + 1):
        line_api.send_in(context, message)
    assert fake.requests == []
    assert [row(app, m).status for m in (message_id, message_id + 1)] == ["refused", "refused"]


def test_without_an_access_token_messages_are_kept_as_dry_run(app, client, fake):
    message_id, _ = greeted(app, client)
    context = context_for(app, fake.url)
    line_api.send_in(replace(context, config=replace(context.config, LINE_CHANNEL_ACCESS_TOKEN=None)), message_id)
    assert fake.requests == [] and row(app, message_id).status == "dry-run"


@pytest.fixture(scope="module")
def prism_line(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prism-line")
    with prism_mock(MESSAGING_API, tmp / "prism.log") as url:
        yield url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_the_hotline_sends_is_what_lines_description_allows(app, client, prism_line):
    """Prism answers a request its description allows with 200 and any other with 400: the greeting and the main
    menu, by reply and by push, pass."""
    context = context_for(app, prism_line)
    message_id, user = greeted(app, client)
    line_api.send_in(context, message_id)
    assert row(app, message_id).via == "reply"
    assert line.post(client, line.body(line.text(user, "English"))).status_code == 200
    with app.extensions["sessions"].begin() as session:
        line_chat.handle(session, context.config, session.scalars(select(LineEvent.id).order_by(LineEvent.id.desc())).first())
    reply_window_passed(app, message_id + 1)
    line_api.send_in(context, message_id + 1)
    assert row(app, message_id + 1).via == "push" and row(app, message_id + 1).status == "sent"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prism_refuses_what_lines_description_does_not_allow(app, client, prism_line):
    """The check above can fail: a retry key that is no UUID, a reply without messages, are refused."""
    context = context_for(app, prism_line)
    message_id, _ = greeted(app, client)
    with app.extensions["sessions"].begin() as session:
        session.get(LineMessage, message_id).retry_key = "not-a-uuid"
    reply_window_passed(app, message_id)
    line_api.send_in(context, message_id)
    assert row(app, message_id).status == "failed" and row(app, message_id).last_error.startswith("400")
    with pytest.raises(line_api.LineRefused, match="^400"):
        line_api.send(context.config, line_api.Outgoing(0, "U1", [], "reply-token", "k"))


def test_a_429_from_line_is_retried_by_rq_with_backoff(ladder_env, fake):
    """The job raises; RQ's Retry (workers.dispatch.RETRY) schedules it again; the retry pushes, delivered once."""
    from helpers.ladder import run_jobs
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from workers import jobs, runtime

    app, _, redis = ladder_env
    running = runtime.current()
    runtime.start(replace(running.config, LINE_CHANNEL_ACCESS_TOKEN="test-access-token", LINE_API_BASE_URL=fake.url),
                  sender=running.sender)
    fake.answers[REPLY] = [429]
    assert line.post(app.test_client(), line.body(line.follow(line.user_id()))).status_code == 200
    run_jobs(redis)
    with app.extensions["sessions"]() as session:
        message_id = session.scalars(select(LineMessage.id)).one()
    job = Job.fetch(f"line-msg-{message_id}", connection=redis, serializer=JSONSerializer)
    assert job.get_status() == "scheduled" and job.retries_left == 4  # due again in 5 s, then 15, 60, ...
    assert row(app, message_id).status == "pending"
    jobs.send_line_message(message_id)  # the retry, as RQ runs it when it is due
    assert fake.paths() == [REPLY, PUSH] and row(app, message_id).status == "sent"
