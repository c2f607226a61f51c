"""Fast regression tests for what the fault scenarios found, one piece at a time (no service
processes, so they also run with `-m "not slow"`):

- an interrupted send is found at Twilio even when the contact got many SMS since (find_sent paged);
- spooled webhooks replay in arrival order across the web processes' files;
- a job left 'started' by a dead worker is enqueued again by the sweep, one of a live worker is not;
- a job a worker popped off the queues and died before its horse started it (issue 15: a report off the ladder
  while the relay counted 16 enqueues) is enqueued again: at once when its execution names a dead worker, after a
  grace when nothing names the worker.
"""
from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from helpers.fault_stack import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, Stack
from helpers.fault_twilio import FaultyTwilio
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from casework import spool
from casework.config import Config
from casework.escalation_sms import SmsUnavailable
from workers import dispatch as outbox
from workers.queues import ALL, queue
from workers.twilio_sms import TwilioSender

pytestmark = pytest.mark.faults


def test_an_interrupted_send_is_found_behind_many_newer_messages_to_the_same_number():
    fake = FaultyTwilio()
    try:
        config = Config(ENV="production", TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                        TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_API_BASE_URL=fake.url)
        sender = TwilioSender(config)
        since = datetime.now(UTC) - timedelta(seconds=30)
        to, body = "+66810000511", "1300 ค้ามนุษย์ 1300-69-000001 ตอบ ACK 0001"
        fake.plan = ["timeout-accepted"]
        fake.stall = 0.0  # Twilio took it; the sender's answer is lost (here: a 500 after the fact)
        with pytest.raises(SmsUnavailable):
            sender.send(to, body, None)
        for n in range(2, 152):  # the duty officer's next 150 cases, all newer
            sender.send(to, f"1300 ค้ามนุษย์ 1300-69-{n:06d} ตอบ ACK {n:04d}", None)
        found = sender.find_sent(to, body, since)
        assert found is not None and found.sid == fake.posts[0].sid
        assert sender.find_sent(to, body + " (another)", since) is None
    finally:
        fake.close()


def test_spooled_webhooks_replay_in_the_order_they_arrived_across_files(tmp_path):
    at = datetime(2026, 1, 1, tzinfo=UTC)

    def record(kind: str, seconds: float) -> str:
        received = (at + timedelta(seconds=seconds)).isoformat()
        return json.dumps({"kind": kind, "args": {}, "form": {"CallSid": "CA1"}, "received_at": received}) + "\n"

    # Two gunicorn workers' files: the key press is in the later-named file, the status in the other.
    (tmp_path / "20260101-100.jsonl").write_text(record("incoming", 0) + record("status", 9.5))
    (tmp_path / "20260101-200.jsonl").write_text(record("ivr-main", 4) + record("ivr-kind", 9.25))
    handled = []
    assert spool.replay(tmp_path, lambda r: handled.append(r["kind"])) == 4
    assert handled == ["incoming", "ivr-main", "ivr-kind", "status"]
    assert not spool.pending(tmp_path) and len(list(tmp_path.glob("*.replayed"))) == 2


@pytest.fixture
def private_redis(tmp_path):
    stack = Stack(tmp_path, "postgresql://unused", "http://127.0.0.1:9")
    try:
        stack.start_redis()
        yield stack.redis()
    finally:
        stack.stop()


@pytest.mark.parametrize("worker_alive", [False, True])
def test_a_job_left_started_by_a_dead_worker_is_enqueued_again(private_redis, worker_alive):
    q = queue("sms", private_redis)
    q.enqueue("time.time", job_id="sms-1", unique=True)
    job = q.dequeue_any([q], None, connection=private_redis, serializer=JSONSerializer)[0]
    worker = Worker([q], connection=private_redis, serializer=JSONSerializer, name="ghost")
    if not worker_alive:
        gone = subprocess.Popen(["true"])
        gone.wait()
        worker.pid = gone.pid  # a SIGKILLed worker on this machine: its registration is still there
    worker.register_birth()
    with private_redis.pipeline() as pipeline:
        job.prepare_for_execution(worker.name, pipeline)
        pipeline.execute()
    assert job.get_status(refresh=True) == "started"
    assert outbox.enqueue_once(q, "time.time", [], "sms-1") is (not worker_alive)
    assert job.get_status(refresh=True) == ("started" if worker_alive else "queued")
    assert q.job_ids == ([] if worker_alive else ["sms-1"])
    assert worker.pid == (os.getpid() if worker_alive else gone.pid)


def _ghost(redis, queues: list, alive: bool) -> Worker:
    """A registered worker on this machine: this process (alive), or one SIGKILLed a moment ago."""
    worker = Worker(queues, connection=redis, serializer=JSONSerializer, name=f"ghost-{alive}")
    if not alive:
        gone = subprocess.Popen(["true"])
        gone.wait()
        worker.pid = gone.pid  # its registration outlives it by the worker TTL
    worker.register_birth()
    return worker


def _popped(redis, job_id: str):
    """Enqueue `job_id` on 'default' and take it off as `python -m workers` does: serving three queues,
    RQ pops with BLPOP, so the id is on no list at all (no intermediate list, as with one queue)."""
    queues = [queue(name, redis) for name in ALL]
    assert outbox.enqueue_once(queue("default", redis), "time.time", [], job_id)
    job, _ = Queue.dequeue_any(queues, 1, connection=redis, serializer=JSONSerializer)
    assert job.id == job_id and job.get_status(refresh=True) == "queued"
    assert all(q.job_ids == [] and q.intermediate_queue.get_job_ids() == [] for q in queues)
    return queues, job


@pytest.mark.parametrize("worker_alive", [False, True])
def test_a_job_a_worker_popped_and_died_before_its_horse_started_it_is_enqueued_again(private_redis, worker_alive):
    """The worker wrote the job's execution (its name in it), then died while forking the horse, which would
    have marked the job 'started': the job stays 'queued', on no queue, for ever (RQ's cleanup looks at
    'started' jobs only)."""
    queues, job = _popped(private_redis, "case-start-4")
    _ghost(private_redis, queues, worker_alive).prepare_execution(job)
    default = queue("default", private_redis)
    assert outbox.enqueue_once(default, "time.time", [], "case-start-4") is (not worker_alive)
    assert default.job_ids == ([] if worker_alive else ["case-start-4"])
    if not worker_alive:  # nothing of the dead execution is left to be taken for the new run's
        assert job.get_executions() == [] and default.started_job_registry.get_job_ids(cleanup=False) == []


def test_a_job_popped_by_a_worker_that_died_at_once_is_enqueued_again_after_a_grace(private_redis):
    """Killed between the pop and writing its execution: nothing names the worker, and a live one is in that
    state for a few Redis round trips only; so the job counts as lost once two sweeps saw it so, a grace apart."""
    _popped(private_redis, "case-start-5")
    default = queue("default", private_redis)
    assert outbox.enqueue_once(default, "time.time", [], "case-start-5") is False
    assert default.job_ids == []
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=outbox.POPPED_GRACE + 1), tick=True):
        assert outbox.enqueue_once(default, "time.time", [], "case-start-5") is True
        assert default.job_ids == ["case-start-5"]
        Queue.dequeue_any([default], 1, connection=private_redis, serializer=JSONSerializer)  # a live worker's pop
        assert outbox.enqueue_once(default, "time.time", [], "case-start-5") is False  # the old sighting is forgotten


def test_a_job_waiting_on_its_own_queue_is_not_lost_when_asked_for_through_another(private_redis):
    """The relay re-arms overdue SLA checks through 'urgent'; a level-1 check waits on 'default'."""
    default, urgent = queue("default", private_redis), queue("urgent", private_redis)
    assert outbox.enqueue_once(default, "time.time", [], "esc-7-1")
    for later in (0, outbox.POPPED_GRACE + 1):
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=later), tick=True):
            assert outbox.enqueue_once(urgent, "time.time", [], "esc-7-1") is False
    assert default.job_ids == ["esc-7-1"] and urgent.job_ids == []


def test_a_torn_spooled_line_is_skipped(tmp_path):
    at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    whole = json.dumps({"kind": "status", "args": {}, "form": {"CallSid": "CA1"}, "received_at": at}) + "\n"
    (tmp_path / "20260101-100.jsonl").write_text(whole + whole[:25])  # its writer died mid-line
    handled = []
    assert spool.replay(tmp_path, lambda r: handled.append(r["kind"])) == 1 and handled == ["status"]


def test_a_line_spooled_while_a_replay_takes_the_file_goes_to_a_new_file(tmp_path, monkeypatch):
    """The web process opened its file, then a replay renamed it before the line was written."""
    assert spool.keep(tmp_path, "incoming", {}, {"CallSid": "CA2"})
    [current] = spool.pending(tmp_path)
    real_flock, taken = spool.fcntl.flock, []

    def replay_takes_it_first(fd, operation):
        if not taken:
            taken.append(current.rename(current.with_suffix(".replaying")))
        return real_flock(fd, operation)

    monkeypatch.setattr(spool.fcntl, "flock", replay_takes_it_first)
    assert spool.keep(tmp_path, "status", {}, {"CallSid": "CA2"})
    assert len(taken[0].read_text().splitlines()) == 1  # nothing appended to the file being replayed
    handled = []
    assert spool.replay(tmp_path, lambda r: handled.append(r["kind"])) == 2 and handled == ["incoming", "status"]
    assert not spool.pending(tmp_path)
