"""`flask users`: the people who log in to the console, their rights, and ending their logins.

A change of someone's rights (deactivation, a new password, role or provinces) ends their open
logins at once (`casework.accounts`) and is audited with no user: the reason names the command.
"""
from __future__ import annotations

import re

import click
import geothai
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from casework import accounts, desk, passwords
from hotline.db import transaction
from models import ROLES, AuditEntry, User, utcnow

users = AppGroup("users", help="Console users: operators, supervisors, admins and field officers.")
PASSWORD_PROBLEMS = {
    "short": f"the password needs at least {passwords.MIN_LENGTH} characters",
    "username": "the password may not contain the username",
    "common": "the password is one of the most common passwords (data/common-passwords.txt): choose another",
}
DESK_PROBLEMS = {
    "no_desk_role": "--speaks, --phone and --sip make a desk profile: for operators and supervisors only",
    "unknown_language": "--speaks takes language codes: th, en, my, km, lo (comma-separated)",
    "no_language": "--speaks needs at least one language (th, en, my, km, lo)",
    "bad_phone": "--phone is not a valid number (write +66812345678 or 0812345678)",
    "bad_sip": "--sip is not a SIP address like sip:op1@pbx.example.org",
}
SCOPE_PROBLEMS = {
    "needs_province": "a field officer needs at least one --province",
    "no_province": "--province scopes field officers only; other roles see every province",
}


def _username(_ctx, _param, value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(accounts.USERNAME, value):
        raise click.BadParameter("2-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def _provinces(_ctx, _param, values: tuple[str, ...]) -> list[str]:
    codes = []
    for value in values:
        for code in value.replace(",", " ").split():
            if geothai.province(code.zfill(2)) is None:
                raise click.BadParameter(f"{code!r} is not a province code (ISO 3166-2:TH number, e.g. 50 Chiang Mai)")
            codes.append(code.zfill(2))
    return sorted(set(codes))


def _password_hash(username: str, password: str | None) -> str:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = passwords.problem(password, username)
    if problem:
        raise click.ClickException(PASSWORD_PROBLEMS[problem])
    return generate_password_hash(password)


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r} (flask users list)")
    return user


def _audit(session, action: str, user: User, command: str) -> None:
    session.add(AuditEntry(at=utcnow(), user_id=None, action=action, target=f"user:{user.username}"[:64],
                           reason=f"flask users {command}"))


def _scope(role: str, provinces: list[str]) -> None:
    problem = accounts.scope_problem(role, provinces)
    if problem:
        raise click.ClickException(SCOPE_PROBLEMS[problem])


username_argument = click.argument("username", callback=_username)
province_option = click.option("--province", "provinces", multiple=True, callback=_provinces,
                               help="A field officer's province code (repeat, or comma-separated): what they may see.")
password_option = click.option("--password", default=None, help="Asked for (hidden, twice) when not given.")


@users.command("create")
@username_argument
@click.option("--role", type=click.Choice(ROLES), required=True)
@province_option
@click.option("--language", type=click.Choice(["th", "en"]), default="th", show_default=True)
@password_option
@click.option("--speaks", default=None, help="Languages the operator takes calls in, e.g. th,my (makes their desk "
              "profile; --language stays the console's language).")
@click.option("--phone", default=None, help="The desk rings this number (with --speaks).")
@click.option("--sip", default=None, help="The desk rings this SIP address, sip:user@host (with --speaks).")
def users_create(username: str, role: str, provinces: list[str], language: str, password: str | None,
                 speaks: str | None, phone: str | None, sip: str | None):
    """Create a console user, e.g. the first admin: flask users create admin --role admin"""
    _scope(role, provinces)
    if (phone or sip) and not speaks:
        raise click.ClickException("--phone and --sip need --speaks: the languages the operator takes calls in")
    if phone and sip:
        raise click.ClickException("give --phone or --sip, not both")
    if phone is not None and desk.endpoint_kind(phone.strip().lower()) != "phone":
        raise click.ClickException(DESK_PROBLEMS["bad_phone"])
    sip = None if sip is None else "sip:" + sip.strip().removeprefix("sip:")
    password_hash = _password_hash(username, password)
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise click.ClickException(f"user {username!r} exists already")
        user = User(username=username, password_hash=password_hash, role=role, provinces=provinces,
                    language=language, active=True, created_at=utcnow())
        session.add(user)
        _audit(session, "create_user", user, f"create --role {role}")
        if speaks is not None:
            session.flush()
            try:
                desk.save_profile(session, user, speaks.split(","), phone or sip or desk.BROWSER, "flask users create")
            except desk.Refused as refused:
                raise click.ClickException(DESK_PROBLEMS[refused.problem]) from None
    scope = f" for provinces {', '.join(provinces)}" if provinces else ""
    click.echo(f"created {role} {username!r}{scope}; log in at /console/login")


@users.command("list")
def users_list():
    """List console users."""
    with current_app.extensions["sessions"]() as session:
        logins = accounts.open_sessions(session)
        for user in session.scalars(select(User).order_by(User.username)):
            scope = ",".join(user.provinces or []) or "all"
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
            state = "" if user.active else "  (inactive)"
            click.echo(f"{user.username:<24} {user.role:<14} provinces={scope:<12} {user.language}  "
                       f"last login {last}  open logins {logins.get(user.id, 0)}{state}")


@users.command("deactivate")
@username_argument
def users_deactivate(username: str):
    """Stop a user logging in, and end their open logins."""
    _set_active(username, False)
    click.echo(f"deactivated {username!r}; their logins have ended")


@users.command("activate")
@username_argument
def users_activate(username: str):
    """Let a deactivated user log in again."""
    _set_active(username, True)
    click.echo(f"activated {username!r}")


def _set_active(username: str, active: bool) -> None:
    command = "activate" if active else "deactivate"
    with transaction() as session:
        user = _user(session, username)
        accounts.set_active(session, user, active)
        _audit(session, f"{command}_user", user, command)


@users.command("reset-password")
@username_argument
@password_option
def users_reset_password(username: str, password: str | None):
    """Give a user a new password, and end their open logins."""
    with transaction() as session:
        user = _user(session, username)
        accounts.set_password(session, user, _password_hash(username, password))
        _audit(session, "reset_password", user, "reset-password")
    click.echo(f"new password for {username!r}; their logins have ended")


@users.command("set-role")
@username_argument
@click.argument("role", type=click.Choice(ROLES))
@province_option
def users_set_role(username: str, role: str, provinces: list[str]):
    """Change a user's role (a field officer's with --province), and end their open logins."""
    _scope(role, provinces)
    with transaction() as session:
        user = _user(session, username)
        accounts.set_role(session, user, role, provinces)
        _audit(session, "set_role", user, f"set-role {role} {','.join(provinces)}".strip())
    click.echo(f"{username!r} is now {role}" + (f" for provinces {', '.join(provinces)}" if provinces else ""))


@users.command("set-provinces")
@username_argument
@province_option
def users_set_provinces(username: str, provinces: list[str]):
    """Change a field officer's provinces, and end their open logins."""
    with transaction() as session:
        user = _user(session, username)
        _scope(user.role, provinces)
        accounts.set_role(session, user, user.role, provinces)
        _audit(session, "set_role", user, f"set-provinces {','.join(provinces)}")
    click.echo(f"{username!r} now sees provinces {', '.join(provinces)}")
