"""`flask retention run [--dry-run]` and `flask subject find|export|erase --number ...|--line-user ... --by ADMIN`."""
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
from models.line_ids import mask_line_user
from models.phones import mask
from workers.twilio_sms import rest_client

retention = AppGroup("retention", help="Keep personal data no longer than needed (PDPA).")
subject = AppGroup("subject", help="Data-subject requests: what is held for a phone number or a LINE user id.")


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


def _number(raw: str | None, line_user: str | None = None) -> str:
    """The subject: an E.164 number, or `line:<LINE user id>`; exactly one of the two is given."""
    if (raw is None) == (line_user is None):
        raise click.ClickException("give the data subject's --number or their --line-user, one of the two")
    if line_user is not None:
        found = subjects.line_user_id(line_user)
        if found is None:
            raise click.ClickException("not a LINE user id (U and 32 hexadecimal digits, as LINE's webhook sends it)")
        return f"line:{found}"
    number = subjects.normalise(raw)
    if number is None:
        raise click.ClickException("not a phone number (give it as +66812345678 or 0812345678)")
    return number


def _find(session, subject: str) -> subjects.Holdings:
    if subject.startswith("line:"):
        return subjects.find_line_user(session, subject.removeprefix("line:"))
    return subjects.find(session, subject)


def _masked(subject: str) -> str:
    return f"line:{mask_line_user(subject.removeprefix('line:'))}" if subject.startswith("line:") else mask(subject)


def _audit(session, action: str, user: User, number: str, reason: str | None) -> None:
    session.add(AuditEntry(at=utcnow(), user_id=user.id, action=action, target=f"subject:{_masked(number)}",
                           reason=reason))


number_option = click.option("--number", default=None, help="The data subject's phone number.")
line_user_option = click.option("--line-user", default=None, help="The data subject's LINE user id (instead of a number).")
by_option = click.option("--by", "username", required=True, help="The admin answering the request (audited).")


@subject.command("find")
@number_option
@line_user_option
@by_option
@click.option("--reason", default=None, help="The request's reference, for the audit trail.")
def subject_find(number, line_user, username, reason):
    """List everything held for a phone number or a LINE user id."""
    number = _number(number, line_user)
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = _find(session, number)
        click.echo(f"{_masked(number) if held.line_user else number}: "
                   + ", ".join(f"{k} {v}" for k, v in held.counts().items()))
        for media in held.line_media:
            click.echo(f"  line {media.kind} {media.id} {media.received_at:%Y-%m-%d %H:%M}Z {media.status}")
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
@line_user_option
@by_option
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the JSON here (mode 600) instead of to standard output.")
@click.option("--reason", default=None, help="The request's reference, for the audit trail.")
def subject_export(number, line_user, username, output, reason):
    """Export everything held for a phone number or a LINE user id as JSON."""
    number = _number(number, line_user)
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = _find(session, number)
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
@line_user_option
@by_option
@click.option("--reason", required=True, help="The request's reference, for the audit trail.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def subject_erase(number, line_user, username, reason, yes):
    """Erase what may be erased for a phone number or a LINE user id; say what is kept and why."""
    number = _number(number, line_user)
    config = current_app.config["HOTLINE"]
    with current_app.extensions["sessions"].begin() as session:
        user = _admin(session, username)
        held = _find(session, number)
        if not yes:
            click.confirm(f"{_masked(number) if held.line_user else number}: " + ", ".join(f"{k} {v}" for k, v in held.counts().items())
                          + ". Erase what may be erased?", abort=True)
        done = (subjects.erase_line_user(session, held, config) if held.line_user
                else subjects.erase(session, held, config, rest_client(config)))
        _audit(session, "subject_erase", user, number,
               json.dumps({"reason": reason, **done.erased, "kept": len(done.kept)}))
    shown = {k: v for k, v in done.erased.items() if k.startswith("line_") == bool(held.line_user)}
    click.echo("erased: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items()))
    for line in done.kept:
        click.echo(f"kept: {line}")
