"""outbox jobs by name

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:30:00

Outbox items name their job as `casework.work` does (`start_escalation`), not by the workers' module path
(`workers.jobs.start_escalation`). Every channel's new case now starts its ladder with `start_escalation`
(`case-start-<case id>`): a call's case item still waiting as `open_case` (`case-open-<call id>`) is
rewritten to that, so nothing in flight at the upgrade is lost. No table changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PREFIX = "workers.jobs."
outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("job_id", sa.String), sa.column("function", sa.String),
                  sa.column("args", sa.JSON), sa.column("status", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(outbox.update().where(outbox.c.function.like(PREFIX + "%"))
                 .values(function=sa.func.substr(outbox.c.function, len(PREFIX) + 1)))
    waiting = bind.execute(sa.text(
        "SELECT o.id, c.id FROM outbox o JOIN cases c ON o.job_id = 'case-open-' || c.call_id"
        " WHERE o.function = 'open_case' AND o.status != 'done'")).all()
    for item_id, case_id in waiting:
        job_id = f"case-start-{case_id}"
        if bind.execute(sa.select(outbox.c.id).where(outbox.c.job_id == job_id)).first():
            bind.execute(outbox.update().where(outbox.c.id == item_id).values(status="done"))  # the same work, there
        else:
            bind.execute(outbox.update().where(outbox.c.id == item_id)
                         .values(function="start_escalation", job_id=job_id, args=[case_id]))
    # An open_case item whose call has no case (written before the webhook opened cases) has no job left to run
    # it: stop rather than drop a report.
    orphans = bind.execute(sa.select(sa.func.count()).select_from(outbox)
                           .where(outbox.c.function == "open_case", outbox.c.status != "done")).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} open_case outbox items have no case: let the previous release run them first")


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(outbox.update().where(outbox.c.function.not_like("%.%"))
                 .values(function=sa.literal(PREFIX) + outbox.c.function))
