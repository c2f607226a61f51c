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
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)


def keep(folder: Path, kind: str, args: dict, form: dict) -> bool:
    record = {"kind": kind, "args": args, "form": form, "received_at": datetime.now(timezone.utc).isoformat()}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for _ in range(3):
            path = folder / f"{datetime.now(timezone.utc):%Y%m%d}-{os.getpid()}.jsonl"
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
