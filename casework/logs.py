"""Logs: one JSON object per line, with the request id, CallSid, job id and case reference where known,
and never a caller's number, an SMS body or a note (masked in every record, whichever handler prints it).

`setup()` is called once per process (web, worker, relay); `bind()` adds fields for the rest of a request
or job (the web binds the request id, the worker the job id).
"""
from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

from models.phones import mask

_context: ContextVar[dict] = ContextVar("hotline_log_context", default={})  # noqa: B039 - never changed in place: bind() sets a new dict
FIELDS = ("request_id", "call_sid", "job_id", "case")  # also taken from `extra={...}` on a log call

# A number as E.164, with 00 or URL-encoded +, as 66..., or in Thai local form (081-234-5678, 02 123 4567).
PHONE = re.compile(r"(?<![\w+.%/])(?:(?:\+|%2[Bb]|00)\d(?:[ -]?\d){7,14}|66\d{8,9}|0\d(?:[ -]?\d){7,8})(?![\w])")
# What a person wrote: SMS bodies and notes, as form fields, dict entries or JSON.
WRITTEN = re.compile(r"""(?i)\b(body|note|notes|reason|transcriptiontext|text)(['"]?\s*[:=]\s*)(?:(['"])(?:\\.|(?!\3).)*\3|[^&,\s}]+)""",
                     re.S)
# A LINE user id (issue 17): personal data like a number; the last four characters stay, to tell two apart.
LINE_USER = re.compile(r"(?<![0-9A-Za-z])U[0-9a-f]{28}([0-9a-f]{4})(?![0-9A-Za-z])")
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.S)


def mask_text(text: str) -> str:
    text = PHONE.sub(lambda m: mask(_e164(m.group())), text)
    text = LINE_USER.sub(lambda m: f"U…{m.group(1)}", text)
    text = WRITTEN.sub(lambda m: f"{m.group(1)}{m.group(2)}[hidden]", text)
    return SQL_PARAMETERS.sub("[parameters hidden]", text)


def _e164(found: str) -> str:
    digits = re.sub(r"[^\d]", "", found.replace("%2B", "+").replace("%2b", "+"))
    if found.startswith(("+", "%2")):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+66" + digits[1:]
    return "+" + digits


class MaskPersonalData(logging.Filter):
    """Masks numbers, bodies and notes in the message, its arguments, the traceback and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the record, nor leak its arguments
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record.masked = True
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str):
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "process": self.process, "logger": record.name,
                 "message": record.getMessage()}
        entry.update({k: v for k, v in _context.get().items() if v})
        entry.update({k: getattr(record, k) for k in FIELDS if getattr(record, k, None)})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str)  # ASCII: safe on any terminal or collector; Thai as \u escapes



def bind(**fields):
    """Add fields to every record logged from here on in this request (or job); returns a token for `reset`."""
    return _context.set({**_context.get(), **{k: v for k, v in fields.items() if v}})


def reset(token) -> None:
    _context.reset(token)


def install_masking() -> None:
    """Mask every record as it is made, so every handler (pytest's, RQ's, gunicorn's) sees it masked."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masking", False):
        return
    masking = MaskPersonalData()

    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        masking.filter(record)
        return record

    make.masking = True
    logging.setLogRecordFactory(make)


def setup(process: str, level: str = "INFO", format: str = "json") -> None:
    """Masking always; a JSON (or text) handler on the root logger unless one is there already (pytest, a host)."""
    install_masking()
    root = logging.getLogger()
    formatter = JsonFormatter(process) if format == "json" else \
        logging.Formatter(f"%(asctime)s {process} %(name)s %(levelname)s %(message)s")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        handler.addFilter(MaskPersonalData())
        root.addHandler(handler)
        root.setLevel(level)
    for handler in logging.getLogger("gunicorn.error").handlers:  # gunicorn's own lines, in the same shape
        handler.setFormatter(formatter)
        handler.addFilter(MaskPersonalData())
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs request headers at INFO
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin, at import
