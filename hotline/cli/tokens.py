"""`flask tokens create|list|revoke`: API tokens for the app, volunteers' tools and agencies."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from hotline.api import tokens as issued
from hotline.db import transaction
from models import ApiToken, utcnow
from models.places import province_name

tokens = AppGroup("tokens", help="API tokens (stored hashed; shown once).")


@tokens.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["all", "province"]), required=True)
@click.option("--province", "provinces", multiple=True, help="With --scope province: a province code; repeat for more.")
@click.option("--numbers/--no-numbers", default=False, help="May see callers' numbers unmasked.")
@click.option("--read-only", is_flag=True, help="May read cases and calls but not report.")
def create(name, scope, provinces, numbers, read_only):
    """Make a token and print it once."""
    if scope == "province" and not provinces:
        raise click.UsageError("--scope province needs at least one --province CODE")
    if scope == "all" and provinces:
        raise click.UsageError("--province goes with --scope province")
    unknown = [p for p in provinces if province_name(p) is None]
    if unknown:
        raise click.UsageError(f"unknown province code(s): {', '.join(unknown)}")
    with transaction() as session:
        token, secret = issued.issue(session, name, list(provinces), numbers, not read_only)
        token_id = token.id
    click.echo(f"token {token_id} ({name}): {secret}\nstore it now; it cannot be shown again")


@tokens.command("list")
def list_tokens():
    with current_app.extensions["sessions"]() as session:
        for t in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            scope = "all" if t.scope == "all" else ",".join(t.provinces)
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            click.echo(f"{t.id:>4} {t.prefix}… {t.name} scope={scope} numbers={t.can_see_numbers} "
                       f"report={t.can_report} {state} last used {used}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id):
    with transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.UsageError(f"no token {token_id}")
        token.revoked_at = token.revoked_at or utcnow()
    click.echo(f"token {token_id} revoked")
