"""The queues, for supervisors: jobs waiting per RQ queue, the workers, and failed jobs with a requeue
button (CSRF-protected and audited). Jobs are functions of ids and safe to run twice, so a requeue is too."""
from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from casework.logs import mask_text
from workers.queues import ALL, queue

from . import bp
from .access import current_user, db, requires
from .audit import record

QUEUE_ROLES = ("supervisor", "admin")
LATEST_FAILED = 50  # per queue, newest first
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


@bp.get("/queues")
@requires(*QUEUE_ROLES)
def queues():
    redis = current_app.extensions["redis"]
    if redis is None:
        return render_template("console/queues.html", configured=False)
    try:
        rows, failed = [], []
        for name in ALL:
            q = queue(name, redis)
            registry = q.failed_job_registry
            rows.append({"name": name, "waiting": q.count, "running": q.started_job_registry.count,
                         "scheduled": q.scheduled_job_registry.count, "failed": registry.count})
            ids = registry.get_job_ids(0, LATEST_FAILED - 1, desc=True)
            failed += [_failed(name, job) for job in Job.fetch_many(ids, connection=redis, serializer=JSONSerializer)
                       if job is not None]
        workers = Worker.all(connection=redis)
    except RedisError as error:
        return render_template("console/queues.html", configured=True, error=type(error).__name__), 503
    return render_template("console/queues.html", configured=True, queues=rows, failed=failed, workers=workers)


def _failed(queue_name: str, job: Job) -> dict:
    result = job.latest_result()
    lines = ((result.exc_string if result is not None else None) or "").strip().splitlines()
    return {"queue": queue_name, "id": job.id, "function": (job.func_name or "").rsplit(".", 1)[-1],
            "args": ", ".join(str(a) for a in job.args or []), "ended_at": job.ended_at,
            "error": mask_text(lines[-1])[:200] if lines else ""}  # ids only in args; the error line may quote data


@bp.post("/queues/requeue")
@requires(*QUEUE_ROLES)
def requeue_job():
    name, job_id = request.form.get("queue", ""), request.form.get("job", "")
    redis = current_app.extensions["redis"]
    if name not in ALL or not JOB_ID.fullmatch(job_id) or redis is None:
        flash(_("That job cannot be requeued."), "error")
        return redirect(url_for("console.queues"))
    try:
        queue(name, redis).failed_job_registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        flash(_("Job %(job)s is no longer among the failed jobs.", job=job_id), "info")
        return redirect(url_for("console.queues"))
    except RedisError:
        flash(_("Redis did not answer; nothing was requeued."), "error")
        return redirect(url_for("console.queues"))
    record(db(), "requeue_job", current_user(), target=f"{name}:{job_id}")
    db().commit()
    flash(_("Job %(job)s is back in the %(queue)s queue.", job=job_id, queue=name), "info")
    return redirect(url_for("console.queues"))
