"""`flask desk status|set` (operators' states at the desk) and `flask interpreters load|show` (issue 16)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from casework import desk as desk_rules
from casework import desk_line
from casework.config import ROOT
from hotline.db import enqueue_after_commit, transaction
from models import Interpreter, User
from models.phones import mask
from models.reference import ReferenceDataError, load_interpreters
from models.vocabulary import DESK_CHOSEN, DESK_STATES

from .centres import _counts

desk = AppGroup("desk", help="The operator desk: who takes calls, in which languages, and their state.")
interpreters = AppGroup("interpreters", help="The interpreters the desk can add to a call, per language.")
PROBLEMS = {
    "no_profile": "{user!r} has no desk profile (flask users create --speaks, or the console's desk page)",
    "not_chosen": f"only {' or '.join(DESK_CHOSEN)} can be set; the other states are the router's",
    "not_from": "{user!r} is {state}: not from there",
}


@desk.command("status")
def desk_status():
    """List everyone at the desk: state, since when, languages and endpoint (masked)."""
    with current_app.extensions["sessions"]() as session:
        rows = desk_rules.team(session)
        for user, profile in rows:
            missed = f"  missed {profile.missed_at.isoformat(timespec='minutes')}" if profile.missed_at else ""
            click.echo(f"{user.username:<24} {profile.state:<10} since {profile.state_since.isoformat(timespec='seconds')}"
                       f"  {','.join(profile.languages):<14} {desk_rules.masked_endpoint(profile.endpoint)}{missed}")
        if not rows:
            click.echo("nobody has a desk profile (flask users create USERNAME --role operator --speaks th)")


@desk.command("set")
@click.argument("username")
@click.argument("state", type=click.Choice(list(DESK_STATES)))
def desk_set(username: str, state: str):
    """Set someone's state (available or away), as they could in the console; audited."""
    with transaction() as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {username!r} (flask users list)")
        profile = desk_rules.profile_of(session, user)
        try:
            desk_rules.set_state(session, user, state, "flask desk set")
        except desk_rules.Refused as refused:
            raise click.ClickException(PROBLEMS[refused.problem].format(
                user=user.username, state=profile.state if profile else "")) from None
        jobs = desk_line.came_free(session, user) if state == "available" else []
    enqueue_after_commit(jobs)
    click.echo(f"{user.username} is {state}")


@interpreters.command("load")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=ROOT / "data" / "interpreters.csv")
@click.option("--overwrite-console-edits", is_flag=True,
              help="Make the file authoritative again: interpreters edited in the console are overwritten, and those "
                   "added there but not in the file are deactivated.")
def interpreters_load(path: Path, overwrite_console_edits: bool):
    """Load or update the interpreters from a CSV (name,language,phone,on_duty), in one transaction.

    Interpreters changed in the console are kept as they are unless --overwrite-console-edits is given.
    """
    try:
        with transaction() as session:  # rolled back if any row is bad
            counts = load_interpreters(session, path, overwrite_console_edits)
    except (ReferenceDataError, OSError) as error:
        raise click.ClickException(f"{error}\nnothing was loaded") from error
    click.echo(f"interpreters: {_counts(counts)}")


@interpreters.command("show")
def interpreters_show():
    """List the interpreters by language (numbers masked)."""
    with current_app.extensions["sessions"]() as session:
        for row in session.scalars(select(Interpreter).order_by(Interpreter.language, Interpreter.name)):
            flags = (["off duty"] if not row.on_duty else []) + (["inactive"] if not row.active else [])
            click.echo(f"{row.language}  {mask(row.phone):<14} {row.name}" + (f"  [{', '.join(flags)}]" if flags else ""))
