"""When the database is down, webhooks are appended to a local file and replayed later.

One JSON line per webhook, fsynced before the caller hears the answer. The files
hold caller numbers, so they are created readable by the service user only.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)


def keep(folder: Path, kind: str, args: dict, form: dict) -> bool:
    record = {"kind": kind, "args": args, "form": form, "received_at": datetime.now(timezone.utc).isoformat()}
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{datetime.now(timezone.utc):%Y%m%d}-{os.getpid()}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return True
    except OSError:
        log.critical("could not spool a %s webhook to %s: it is lost unless Twilio's logs are replayed", kind, folder)
        return False


def pending(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def replay(folder: Path, handle: Callable[[dict], None]) -> int:
    """Feed every spooled webhook to `handle` in the order they arrived, across all files: each web
    process appends to a file of its own, so one call's webhooks are spread over several, and a
    call's final status replayed before its last key press would miss the report.
    The files are retired only when all of them went in.

    `handle` must be idempotent: a replay interrupted half-way starts again from the beginning.
    """
    paths = pending(folder)
    records = []
    for path in paths:
        with path.open(encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    records.sort(key=lambda record: datetime.fromisoformat(record["received_at"]))  # stable: ties keep file order
    for record in records:
        handle(record)
    for path in paths:
        path.rename(path.with_suffix(".replayed"))
    return len(records)
