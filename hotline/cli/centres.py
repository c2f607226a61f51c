"""`flask centres load|show`: the provinces, centres and contacts that cases are routed to."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from casework import ladder
from casework.config import ROOT
from hotline.db import enqueue_after_commit, transaction
from models import CENTRAL, Centre, Contact
from models.centres import LEVELS
from models.phones import mask
from models.reference import ReferenceDataError, is_demo_number, load_centres, load_contacts, load_provinces

centres = AppGroup("centres", help="Provinces, provincial centres and the contacts that get case SMS.")
DATA_DIR = ROOT / "data"
FILES = (("provinces", "provinces.csv", load_provinces), ("centres", "centres.csv", load_centres),
         ("contacts", "contacts.csv", load_contacts))


def _counts(counts) -> str:
    total = counts["new"] + counts["changed"] + counts["unchanged"]
    text = f"{total} ({counts['new']} new, {counts['changed']} changed"
    text += f", {counts['deactivated']} deactivated" if counts["deactivated"] else ""
    return text + (f", {counts['kept']} kept as edited in the console)" if counts["kept"] else ")")


@centres.command("load")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=DATA_DIR, show_default=True,
              help="Folder holding provinces.csv, centres.csv and contacts.csv.")
@click.option("--overwrite-console-edits", is_flag=True,
              help="Make contacts.csv authoritative again: contacts edited in the console are overwritten, "
                   "and those added there but not in the file are deactivated.")
def centres_load(data_dir: Path, overwrite_console_edits: bool):
    """Load or update provinces, centres and contacts (one transaction).

    Contacts changed in the operator console are kept as they are (the console's edits win)
    unless --overwrite-console-edits is given.
    """
    results = []
    try:
        with transaction() as session:  # rolled back if any row is bad
            for label, name, load in FILES:
                extra = {"overwrite_console_edits": True} if load is load_contacts and overwrite_console_edits else {}
                results.append((label, load(session, data_dir / name, **extra)))
            demo = sum(is_demo_number(p) for p in session.scalars(select(Contact.phone).where(Contact.active)))
            job_ids = ladder.withdraw_absent(session, current_app.config["HOTLINE"])  # deactivated or off duty now
    except (ReferenceDataError, OSError) as error:
        raise click.ClickException(f"{error}\nnothing was loaded") from error
    enqueue_after_commit(job_ids)
    for label, counts in results:
        click.echo(f"{label}: {_counts(counts)}")
    if demo:
        click.echo(f"warning: {demo} active contacts have fictional demo numbers (+66 80 0PP 00LN); "
                   "replace them before sending real SMS", err=True)


@centres.command("show")
@click.argument("code", required=False)
def centres_show(code: str | None):
    """List the centres, or show one centre (a province code, or 'central') and its contacts."""
    with current_app.extensions["sessions"]() as session:
        if code is None:
            rows = session.execute(select(Centre, func.count(Contact.id)).outerjoin(
                Contact, (Contact.centre_id == Centre.id) & Contact.active).group_by(Centre.id).order_by(Centre.code))
            for centre, active in rows:
                click.echo(f"{centre.code:>7}  {centre.name_en}  [{active} active contacts]")
            return
        centre = session.scalar(select(Centre).where(Centre.code == code.strip().lower()))
        if centre is None:
            raise click.ClickException(f"no centre {code!r}: give a 2-digit province code or {CENTRAL!r}")
        click.echo(f"{centre.code}  {centre.name_th}\n{' ' * len(centre.code)}  {centre.name_en}")
        for contact in centre.contacts:
            flags = ["off duty"] if not contact.on_duty else []
            flags += ["inactive"] if not contact.active else []
            flags += [f"unreachable: {contact.unreachable_reason}"] if contact.unreachable_reason else []
            flags += ["edited in the console"] if contact.console_edited_at else []
            role = f" / {contact.role}" if contact.role else ""
            click.echo(f"  {contact.level} {LEVELS[contact.level]:<16} {mask(contact.phone):<14} {contact.name}{role}"
                       + (f"  [{', '.join(flags)}]" if flags else ""))
        if not centre.contacts:
            click.echo("  (no contacts)")
