"""`flask retention run [--dry-run]` and `flask subject find|export|erase --number ... --by ADMIN`."""
from __future__ import annotations

import json
import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from casework import retention as periods
from casework import subjects
from models import AuditEntry, User, utcnow
from models.phones import mask
from workers.twilio_sms import rest_client

retention = AppGroup("retention", help="Keep personal data no longer than needed (PDPA).")
subject = AppGroup("subject", help="Data-subject requests: what is held for a phone number.")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted or blanked; change nothing.")
def retention_run(dry_run):
    """Apply the retention periods now (the relay also schedules this once a day)."""
    config = current_app.config["HOTLINE"]
    counts = periods.run(current_app.extensions["sessions"], config, dry_run=dry_run, client=rest_client(config))
    shown = {k: v for k, v in counts.items() if not (dry_run and k in periods.FAILED)}  # only a real run can fail
    click.echo(("would: " if dry_run else "done: ") + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items()))
    if config.sms_dry_run and (counts["recordings_deleted"] or counts["numbers_blanked"]):
        click.echo("no Twilio credentials: recordings and numbers are forgotten here, not deleted at Twilio")


def _admin(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role != "admin":
        raise click.ClickException(f"{username!r} is not an active admin: only admins answer data-subject requests")
    return user


def _number(raw: str) -> str:
    number = subjects.normalise(raw)
    if number is None:
        raise click.ClickException("not a phone number (give it as +66812345678 or 0812345678)")
    return number


def _audit(session, action: str, user: User, number: str, reason: str | None) -> None:
    session.add(AuditEntry(at=utcnow(), user_id=user.id, action=action, target=f"subject:{mask(number)}",
                           reason=reason))


number_option = click.option("--number", required=True, help="The data subject's phone number.")
by_option = click.option("--by", "username", required=True, help="The admin answering the request (audited).")


@subject.command("find")
@number_option
@by_option
@click.option("--reason", default=None, help="The request's reference, for the audit trail.")
def subject_find(number, username, reason):
    """List everything held for a phone number."""
    number = _number(number)
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = subjects.find(session, number)
        click.echo(f"{number}: " + ", ".join(f"{k} {v}" for k, v in held.counts().items()))
        for call in held.calls:
            case = held.case_of_call(call)
            click.echo(f"  call {call.id} {call.started_at:%Y-%m-%d %H:%M}Z {call.status}"
                       + (" voice message" if call.recording_url else "")
                       + (f" case {case.reference} {case.status}" if case else ""))
        for case in held.cases:
            click.echo(f"  case {case.reference} {case.status} ({case.source})")
        for message in held.messages:
            click.echo(f"  sms {message.id} {message.created_at:%Y-%m-%d %H:%M}Z {message.direction}")
        for contact in held.contacts:
            click.echo(f"  contact {contact.id} of centre {contact.centre.code}, level {contact.level}")
        _audit(session, "subject_find", user, number, reason)


@subject.command("export")
@number_option
@by_option
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON here (mode 600) instead of to standard output.")
@click.option("--reason", default=None, help="The request's reference, for the audit trail.")
def subject_export(number, username, output, reason):
    """Export everything held for a phone number as JSON."""
    number = _number(number)
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = subjects.find(session, number)
        text = json.dumps({**subjects.export(held), "exported_at": utcnow()}, default=str, ensure_ascii=False, indent=2)
        _audit(session, "subject_export", user, number, json.dumps({"reason": reason, **held.counts()}))
    if output is None:
        click.echo(text)
        return
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    click.echo(f"written to {output}")


@subject.command("erase")
@number_option
@by_option
@click.option("--reason", required=True, help="The request's reference, for the audit trail.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def subject_erase(number, username, reason, yes):
    """Erase what may be erased for a phone number; say what is kept and why."""
    number = _number(number)
    config = current_app.config["HOTLINE"]
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = subjects.find(session, number)
        if not yes:
            click.confirm(f"{number}: " + ", ".join(f"{k} {v}" for k, v in held.counts().items())
                          + ". Erase what may be erased?", abort=True)
        done = subjects.erase(session, held, config, rest_client(config))
        _audit(session, "subject_erase", user, number,
               json.dumps({"reason": reason, **done.erased, "kept": len(done.kept)}))
    click.echo("erased: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in done.erased.items()))
    for line in done.kept:
        click.echo(f"kept: {line}")
