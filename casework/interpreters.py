"""Interpreters (issue 16): the roster per language that the desk dials into a call when no operator speaks the
caller's language. Supervisors change it in the console (each change audited, and marked as the console's so that
`flask interpreters load` leaves it alone); the CSV is models.reference.load_interpreters."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Interpreter, utcnow
from models.phones import voice_number
from models.vocabulary import LANGUAGES

NAME_MAX = 120  # the column's width


class Refused(ValueError):
    """`problem`: no_name, long_name, unknown_language, bad_phone, taken (another active row has this number for
    this language)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def phone(text: str) -> str:
    """A number the desk can call (a landline will do), as E.164; Thai numbers may be written locally."""
    number = voice_number(text)
    if number is None:
        raise Refused("bad_phone")
    return number


def save(session: Session, interpreter: Interpreter | None, name: str, number: str, language: str,
         on_duty: bool) -> Interpreter:
    """Add an interpreter (`interpreter` None) or change one; an inactive row with the same language and number is
    taken up again rather than duplicated."""
    name = (name or "").strip()
    if not name:
        raise Refused("no_name")
    if len(name) > NAME_MAX:
        raise Refused("long_name")
    if language not in LANGUAGES:
        raise Refused("unknown_language")
    number = phone(number)
    clash = session.scalar(select(Interpreter).where(Interpreter.language == language, Interpreter.phone == number))
    if clash is not None and clash is not interpreter:
        if clash.active:
            raise Refused("taken")
        if interpreter is not None:
            interpreter.active = False  # its number and language are now the old row's
        interpreter = clash
    interpreter = interpreter or Interpreter()
    interpreter.name, interpreter.phone, interpreter.language = name, number, language
    interpreter.on_duty, interpreter.active, interpreter.console_edited_at = on_duty, True, utcnow()
    session.add(interpreter)
    session.flush()
    return interpreter


def set_duty(interpreter: Interpreter, on_duty: bool) -> bool:
    """The wanted state, not a flip: whether it changed."""
    if interpreter.on_duty == on_duty:
        return False
    interpreter.on_duty, interpreter.console_edited_at = on_duty, utcnow()
    return True


def deactivate(interpreter: Interpreter) -> bool:
    if not interpreter.active:
        return False
    interpreter.active, interpreter.console_edited_at = False, utcnow()
    return True


def describe(interpreter: Interpreter) -> str:
    """For the audit trail."""
    duty = "on duty" if interpreter.on_duty else "off duty"
    return f"{interpreter.name} / {interpreter.language} / {interpreter.phone} / {duty}"


def on_duty(session: Session, language: str) -> list[Interpreter]:
    """Who can be dialled for the language now, longest on the roster first."""
    return list(session.scalars(select(Interpreter).where(
        Interpreter.language == language, Interpreter.active.is_(True), Interpreter.on_duty.is_(True))
        .order_by(Interpreter.id)))
