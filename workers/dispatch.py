"""The outbox's other half: enqueue committed items after commit, and sweep up what was left (Redis was away,
a process died). The rows themselves are `casework.work`'s."""
from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry, Worker
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from casework import work
from models import OutboxItem, utcnow

from .queues import queue

log = logging.getLogger(__name__)
RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])
STUCK = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
JOBS_MODULE = "workers.jobs"


def dispatch(session: Session, redis: Redis | None, job_ids: list[str]) -> int:
    """Enqueue committed items by job id; whatever fails stays for the sweep."""
    if not job_ids:
        return 0
    return _enqueue_all(session, redis, work.unfinished(session, job_ids))


def after_commit(sessions: sessionmaker, redis: Redis | None, job_ids: list[str]) -> None:
    """What every writer does once its transaction is committed; if even that fails, the relay's sweep enqueues
    the items later (they are in the database)."""
    if not job_ids:
        return
    try:
        with sessions() as session:
            dispatch(session, redis, job_ids)
    except SQLAlchemyError:
        log.exception("could not mark outbox items %s as enqueued; the sweep will", job_ids)


def sweep(session: Session, redis: Redis | None, older_than: int) -> int:
    """Enqueue again what is not done after `older_than` seconds (Redis was down, a process died)."""
    return _enqueue_all(session, redis, work.left_over(session, older_than))


def _enqueue_all(session: Session, redis: Redis | None, items: list[OutboxItem]) -> int:
    sent = 0
    for item in items:
        try:
            if redis is None:
                raise RedisError("no Redis configured")
            enqueue_once(queue(item.queue, redis), job_function(item.function), item.args, item.job_id)
        except RedisError as exc:
            log.warning("outbox %s not enqueued (%s); the sweep will retry", item.job_id, exc)
            work.record_attempt(session, item, last_error=f"enqueue failed: {exc}"[:500])
            continue
        work.record_attempt(session, item, status="enqueued", enqueued_at=utcnow(), last_error=None)
        sent += 1
    session.commit()
    return sent


def job_function(job: str) -> str:
    """The function RQ runs for a job named in `casework.work` (rows written before names were short: their last part)."""
    return f"{JOBS_MODULE}.{job.rpartition('.')[2]}"


def enqueue_once(q, function, args: list, job_id: str) -> bool:
    """Enqueue under a deterministic id unless that job is already queued, scheduled or running.

    A job that failed, was stopped or cancelled is replaced, so a sweep can run it again; so is
    one left 'started' by a worker that is gone, and one a worker took off its queue but died
    before starting.
    """
    options = dict(job_id=job_id, unique=True, retry=RETRY, result_ttl=3600, failure_ttl=7 * 24 * 3600)
    try:
        q.enqueue(function, *args, **options)
        return True
    except DuplicateJobError:
        job = Job.fetch(job_id, connection=q.connection, serializer=q.serializer)
        status = job.get_status(refresh=True)
        lost = status == JobStatus.QUEUED and lost_in_handover(q, job_id)
        if status not in STUCK and not (status == JobStatus.STARTED and abandoned(job)) and not lost:
            return False
        log.warning("job %s was %s; enqueued again", job_id, "abandoned by a dead worker" if status == JobStatus.STARTED
                    else "taken off its queue by a worker that never started it" if lost else status)
        job.delete()
        q.enqueue(function, *args, **options)
        return True


def abandoned(job: Job) -> bool:
    """A 'started' job whose worker is gone (SIGKILL, OOM, a lost machine).

    RQ itself moves such a job on only at a worker's maintenance pass (every 10 minutes) once its
    heartbeat has expired: too late for an escalation SMS. Gone means: the worker's registration
    expired, or it ran on this machine and its process is no more, or RQ's own heartbeat for the
    job expired. The re-run is safe: a send interrupted in 'sending' is looked up at Twilio first.
    """
    if not job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name, connection=job.connection)
    if worker is None:
        return True
    if worker.pid and worker.hostname == socket.gethostname() and _process_gone(worker.pid):
        return True
    return job.id in job.started_job_registry.get_expired_job_ids()


def lost_in_handover(q, job_id: str) -> bool:
    """A 'queued' job that a worker moved off its queue (into RQ's intermediate list) and never started: killed in
    between. RQ fails such a job only at a worker's maintenance pass (every 10 minutes); here it counts as lost once
    seen there by two sweeps more than a minute apart (RQ's own grace: a live worker starts it within moments)."""
    handover = q.intermediate_queue
    if job_id not in handover.get_job_ids() or job_id in q.started_job_registry:
        return False
    if handover.set_first_seen(job_id) or not handover.should_be_cleaned_up(job_id):
        return False
    handover.remove(job_id)
    return True


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # killed, not yet reaped by its parent: a zombie is gone too
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False
