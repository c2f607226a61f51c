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
@click.option("--operator", default="completed", show_default=True,
              help="How the operator line ends (completed, busy, no-answer); or, at the desk, a username to answer as.")
@click.option("--no-answer", "no_answer", is_flag=True, help="At the desk, nobody answers the offers.")
@click.option("--desk-wait", default=10.0, show_default=True, help="Seconds to wait at the desk for each offer.")
@click.option("--url", default=None, help="A running service (e.g. http://127.0.0.1:5000); in-process if omitted.")
def calls_simulate(press, postcode, number, message_seconds, operator, no_answer, desk_wait, url):
    """Play a caller against the menu and print what they hear. With --operator USERNAME or --no-answer the call is
    a trainee's simulated call that walks the operator desk (a dry run only: no Twilio credentials)."""
    from hotline.simulator import DIAL_RESULTS, Caller, Desk, Phone, client_post, http_post, simulated_call_sid

    config = current_app.config["HOTLINE"]
    base = url or config.PUBLIC_BASE_URL or "http://localhost"
    post = http_post if url else client_post(current_app.test_client(), base)
    at_desk = no_answer or operator not in DIAL_RESULTS
    desk = Desk(current_app.extensions["sessions"], None if no_answer else operator,
                None if url else _route_here(config), desk_wait) if at_desk else None
    caller = Caller([p.strip() for p in press.split(",") if p.strip()], postcode, message_seconds,
                    "completed" if at_desk else operator, number, desk)
    transcript = Phone(post, base, config.TWILIO_AUTH_TOKEN).call(caller, simulated_call_sid() if at_desk else None)
    click.echo(transcript.text())
    click.echo(f"-- call {transcript.call_sid} ended: {transcript.ended}")


def _route_here(config):
    """A routing pass in this process: in-process, no worker may be running to take the desk's route jobs."""
    from workers import desk_twilio, runtime

    try:
        context = runtime.current()
    except RuntimeError:
        context = runtime.start(config)
    return lambda: desk_twilio.route_in(context, "simulator")


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
