"""When the database is down, webhooks are appended to a local file and replayed later.

One JSON line per webhook, fsynced before the caller hears the answer. The files
hold caller numbers, so they are created readable by the service user only.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import call_log, replies, training
from .ivr.engine import Voice

log = logging.getLogger(__name__)


def keep(folder: Path, kind: str, args: dict, form: dict) -> bool:
    record = {"kind": kind, "args": args, "form": form, "received_at": datetime.now(UTC).isoformat()}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for _ in range(3):
            path = folder / f"{datetime.now(UTC):%Y%m%d}-{os.getpid()}.jsonl"
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)  # a replay takes the file only between two whole lines
                if _still_named(fd, path):
                    os.write(fd, line)
                    os.fsync(fd)
                    return True
            finally:
                os.close(fd)  # a replay took the file between open and lock: write to a new one
    except OSError:
        pass
    log.critical("could not spool a %s webhook to %s: it is lost unless Twilio's logs are replayed", kind, folder)
    return False


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def pending(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.jsonl"), *folder.glob("*.replaying")]) if folder.is_dir() else []


def replay(folder: Path, handle: Callable[[dict], None]) -> int:
    """Feed every spooled webhook to `handle` in the order they arrived, across all files: each web
    process appends to a file of its own, so one call's webhooks are spread over several, and a
    call's final status replayed before its last key press would miss the report.
    The files are retired only when all of them went in.

    Each file is first renamed (web processes still writing start a new one), then locked, so a
    line being written when it was renamed is read whole. A torn line (a process died mid-write)
    is logged and skipped. `handle` must be idempotent: an interrupted replay starts again.
    """
    paths = [path if path.suffix == ".replaying" else _take(path) for path in pending(folder)]
    records = []
    for path in paths:
        with path.open("rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            records += [record for record in map(_record, f) if record is not None]
    records.sort(key=lambda record: datetime.fromisoformat(record["received_at"]))  # stable: ties keep file order
    for record in records:
        handle(record)
    for path in paths:
        path.rename(path.with_suffix(".replayed"))
    return len(records)


def _take(path: Path) -> Path:
    """Rename to a name of its own: the web process may start a file of the same name meanwhile."""
    return path.rename(path.with_name(f"{path.stem}.{time.time_ns()}.replaying"))


def _record(line: bytes) -> dict | None:
    if not line.strip():
        return None
    try:
        record = json.loads(line)
        datetime.fromisoformat(record["received_at"])
        return record
    except (ValueError, KeyError, TypeError):
        log.error("skipped a torn or unreadable spooled line (%d bytes)", len(line))
        return None


def write(session_factory, record: dict, config) -> list[str]:
    """Write one spooled webhook (voice or SMS) as if it had just arrived at its original time; the outbox
    job ids to enqueue once written. Safe to run twice, as every webhook's write is."""
    kind, form, args = record["kind"], record["form"], record.get("args", {})
    received_at = datetime.fromisoformat(record["received_at"]).astimezone(UTC)
    # Nobody hears this TwiML; the operator line is the site's, so a replayed ask for a person reaches the desk.
    voice = Voice(th="", en="", prompts_dir=Path("."), base_url="", operator_target=config.OPERATOR_DIAL_TARGET,
                  desk_training=training.desk_rehearsal(config))
    with session_factory.begin() as session:
        try:
            if kind == "ivr":
                return call_log.ivr_step(session, args.get("node", "main"), args, form, voice, received_at).job_ids
            if kind == "incoming":
                return call_log.incoming(session.connection(), form, voice, received_at).job_ids
            if kind == "fallback":
                return call_log.fallback(session, form, voice, received_at).job_ids
            if kind == "status":
                return call_log.status(session, form, received_at).job_ids
            if kind == "recording":
                return call_log.recording(session, form, received_at).job_ids
            if kind == "sms-incoming":
                replies.receive(session, form)  # the sender was told "received"; the ACK lands now
                return []
            if kind == "sms-status":
                return replies.delivery(session, config, form)
            log.error("dropped a spooled webhook of an unknown kind %r", kind[:32])
            return []
        except call_log.MissingCallSid:
            log.warning("dropped a spooled %s webhook without a CallSid", kind)
            return []
