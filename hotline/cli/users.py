"""`flask users create|list`: the people who log in to the console."""
from __future__ import annotations

import re

import click
import geothai
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hotline.db import transaction
from models import ROLES, User, utcnow

users = AppGroup("users", help="Console users: operators, supervisors, admins and field officers.")
MIN_PASSWORD = 10
USERNAME = r"^[a-z0-9][a-z0-9._-]{1,63}$"


def _username(_ctx, _param, value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(USERNAME, value):
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


@users.command("create")
@click.argument("username", callback=_username)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--province", "provinces", multiple=True, callback=_provinces,
              help="A field officer's province code (repeat, or comma-separated): what they may see.")
@click.option("--language", type=click.Choice(["th", "en"]), default="th", show_default=True)
@click.option("--password", default=None, help="Asked for (hidden, twice) when not given.")
def users_create(username: str, role: str, provinces: list[str], language: str, password: str | None):
    """Create a console user, e.g. the first admin: flask users create admin --role admin"""
    if role == "field_officer" and not provinces:
        raise click.UsageError("a field officer needs at least one --province")
    if role != "field_officer" and provinces:
        raise click.UsageError("--province scopes field officers only; other roles see every province")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.UsageError(f"the password needs at least {MIN_PASSWORD} characters")
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise click.ClickException(f"user {username!r} exists already")
        session.add(User(username=username, password_hash=generate_password_hash(password), role=role,
                         provinces=provinces, language=language, active=True, created_at=utcnow()))
    scope = f" for provinces {', '.join(provinces)}" if provinces else ""
    click.echo(f"created {role} {username!r}{scope}; log in at /console/login")


@users.command("list")
def users_list():
    """List console users."""
    with current_app.extensions["sessions"]() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            scope = ",".join(user.provinces or []) or "all"
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
            state = "" if user.active else "  (inactive)"
            click.echo(f"{user.username:<24} {user.role:<14} provinces={scope:<12} {user.language}  "
                       f"last login {last}{state}")
