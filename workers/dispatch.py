"""The outbox's other half: enqueue committed items after commit, and sweep up what was left (Redis was away,
a process died). The rows themselves are `casework.work`'s."""
from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker
from rq.exceptions import DuplicateJobError
from rq.executions import Execution
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
POPPED_GRACE = 60  # seconds: RQ's own, for a job in its intermediate list that no worker started
POPPED_SEEN = "hotline:popped:"  # + job id: when a sweep first saw it taken off its queue and not started


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
        why = (status if status in STUCK
               else "abandoned by a dead worker" if status == JobStatus.STARTED and abandoned(job)
               else "taken off its queue by a worker that died before starting it"
               if status == JobStatus.QUEUED and taken_and_lost(job) else None)
        if why is None:
            return False
        log.warning("job %s was %s; enqueued again", job_id, why)
        job.delete()
        q.enqueue(function, *args, **options)
        return True


def abandoned(job: Job) -> bool:
    """A 'started' job whose worker is gone (SIGKILL, OOM, a lost machine).

    RQ itself moves such a job on only at a worker's maintenance pass (every 10 minutes) once its
    heartbeat has expired: too late for an escalation SMS. Gone means: the worker is (`_worker_gone`),
    or RQ's own heartbeat for the job expired. The re-run is safe: a send interrupted in 'sending'
    is looked up at Twilio first.
    """
    if not job.worker_name:
        return False
    return _worker_gone(job.connection, job.worker_name) or job.id in job.started_job_registry.get_expired_job_ids()


def taken_and_lost(job: Job) -> bool:
    """A 'queued' job on no queue: a worker took it off (serving several queues, as `python -m workers` does,
    RQ pops it with BLPOP; serving one, it moves it to RQ's intermediate list) and died before its work horse
    marked it 'started'. RQ never gives such a job back: its cleanup fails 'started' jobs only.

    Lost at once when the execution the worker wrote names a worker that is gone; when none names one (killed
    between the pop and writing it, or it expired), once two sweeps saw it so more than POPPED_GRACE apart: a
    live worker leaves that state within moments.
    """
    q = Queue(job.origin, connection=job.connection, serializer=job.serializer)
    if q.get_job_position(job.id) is not None:
        return False  # waiting its turn
    workers = _execution_workers(job)
    lost = all(_worker_gone(job.connection, name) for name in workers) if workers else _seen_popped_before(job)
    if lost:
        q.intermediate_queue.remove(job.id)
        job.connection.delete(f"{POPPED_SEEN}{job.id}")  # the new run starts with a clean slate
    return lost


def _execution_workers(job: Job) -> list[str]:
    """The workers named by the job's executions (a worker writes one before it forks the horse)."""
    names = []
    for execution_id in job.execution_registry.get_execution_ids():
        try:
            names.append(Execution.fetch(execution_id, job.id, job.connection).worker_name)
        except ValueError:  # expired since
            continue
    return [name for name in names if name]


def _seen_popped_before(job: Job) -> bool:
    """True when a sweep saw this job on no queue more than POPPED_GRACE ago (a sighting older than three graces
    is forgotten: it was of an earlier run that started after all)."""
    key, now = f"{POPPED_SEEN}{job.id}", time.time()
    if job.connection.set(key, now, nx=True, ex=3 * POPPED_GRACE):
        return False
    first = job.connection.get(key)
    return first is not None and now - float(first) > POPPED_GRACE


def _worker_gone(connection: Redis, name: str) -> bool:
    """Its registration expired, or it ran on this machine and its process is no more."""
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=connection)
    if worker is None:
        return True
    return bool(worker.pid and worker.hostname == socket.gethostname() and _process_gone(worker.pid))


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
