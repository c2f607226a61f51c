"""Every `flask` command: `calls simulate`, `spool replay`, `outbox sweep` here; `ivr`, `centres`, `sms`,
`tokens`, `desk`, `interpreters`, `users`, `retention`, `subject` and `reports` in their own modules, registered by `init_app`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

calls = AppGroup("calls", help="Calls and the simulated phone.")
spool_cli = AppGroup("spool", help="Webhooks kept on disk while the database was down.")
outbox_cli = AppGroup("outbox", help="Work waiting to be enqueued.")


@calls.command("simulate")
@click.option("--press", default="", help="Keys at each menu, comma-separated; '-' is silence. E.g. 1,3,1")
@click.option("--postcode", default=None, help="Typed when the menu asks for a postcode.")
@click.option("--from", "number", default="+66812345678", show_default=True, help="Caller number (or 'anonymous').")
@click.option("--message-seconds", default=0, help="Leave a voice message this long.")
@click.option("--operator", default="completed", type=click.Choice(["completed", "busy", "no-answer"]))
@click.option("--url", default=None, help="A running service (e.g. http://127.0.0.1:5000); in-process if omitted.")
def calls_simulate(press, postcode, number, message_seconds, operator, url):
    """Play a caller against the menu and print what they hear."""
    from hotline.simulator import Caller, Phone, client_post, http_post

    config = current_app.config["HOTLINE"]
    base = url or config.PUBLIC_BASE_URL or "http://localhost"
    post = http_post if url else client_post(current_app.test_client(), base)
    caller = Caller([p.strip() for p in press.split(",") if p.strip()], postcode, message_seconds, operator, number)
    transcript = Phone(post, base, config.TWILIO_AUTH_TOKEN).call(caller)
    click.echo(transcript.text())
    click.echo(f"-- call {transcript.call_sid} ended: {transcript.ended}")


@spool_cli.command("replay")
def spool_replay():
    """Write spooled webhooks to the database (safe to run twice)."""
    from casework import spool
    from hotline.db import enqueue_after_commit

    sessions = current_app.extensions["sessions"]
    job_ids: list[str] = []
    count = spool.replay(current_app.config["HOTLINE"].SPOOL_DIR,
                         lambda record: job_ids.extend(spool.write(sessions, record, current_app.config["HOTLINE"])))
    enqueue_after_commit(job_ids)
    click.echo(f"replayed {count} webhooks")


@outbox_cli.command("sweep")
@click.option("--older-than", default=0, help="Seconds an item must have waited.")
def outbox_sweep(older_than):
    """Enqueue outbox items that are not done."""
    from workers import dispatch

    with current_app.extensions["sessions"]() as session:
        count = dispatch.sweep(session, current_app.extensions["redis"], older_than)
    click.echo(f"enqueued {count} items")


def init_app(app: Flask) -> None:
    from .centres import centres
    from .desk import desk, interpreters
    from .ivr import ivr
    from .reports import reports
    from .retention import retention, subject
    from .sms import sms
    from .tokens import tokens
    from .users import users

    for group in (ivr, calls, spool_cli, outbox_cli, centres, sms, tokens, users, retention, subject, reports,
                  desk, interpreters):
        app.cli.add_command(group)
