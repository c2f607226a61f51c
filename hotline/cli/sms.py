"""`flask sms outbox` shows dry-run SMS; `flask sms simulate-reply` answers as a field team would."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from hotline.simulator import signed_reply
from models import Message
from models.phones import mask

sms = AppGroup("sms", help="SMS to and from field teams.")
BANGKOK = ZoneInfo("Asia/Bangkok")  # as the console shows every time


@sms.command("outbox")
@click.option("--limit", default=20, show_default=True)
def outbox(limit):
    """The latest SMS sent or (with no Twilio credentials) written instead of sent; times in Bangkok time (+07)."""
    with current_app.extensions["sessions"]() as session:
        for m in session.scalars(select(Message).order_by(Message.id.desc()).limit(limit)):
            who = mask(m.to_number) if m.direction == "out" else mask(m.from_number)
            flag = " dry-run" if m.dry_run else ""
            click.echo(f"{m.created_at.astimezone(BANGKOK):%Y-%m-%d %H:%M %Z} {m.direction:>3} {who} [{m.status}{flag}] {m.body}")


@sms.command("simulate-reply")
@click.option("--from", "sender", required=True, help="The field officer's number, E.164.")
@click.option("--body", required=True, help='E.g. "ACK 4821".')
@click.option("--url", default=None, help="A running service; in-process if omitted.")
def simulate_reply(sender, body, url):
    """Send a signed "a message comes in" webhook, as Twilio would, and print the answer (a dry run only)."""
    if not current_app.config["HOTLINE"].sms_dry_run:
        raise click.ClickException("simulate-reply is for a dry run (no Twilio credentials): "
                                   "with real SMS, only a field team's own phone answers for it")
    status, text = signed_reply(sender, body, url)
    click.echo(f"HTTP {status}\n{text}")
