"""`flask reports recount [--from DAY] [--to DAY]`: the reports page's summary counted again now."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from casework import summary

reports = AppGroup("reports", help="The reports page's summary (casework/summary.py).")


@reports.command("recount")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First Bangkok day (default: the first call's).")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last Bangkok day (default: today).")
def reports_recount(first, last):
    """Count the weeks and months touching these days again (the relay schedules this every few minutes for the
    recent ones, and nightly for all)."""
    counted, changed = summary.recount(current_app.extensions["sessions"], first and first.date(), last and last.date())
    click.echo(f"{counted} periods counted, {changed} changed")
