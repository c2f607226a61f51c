"""`flask sms outbox` shows each SMS at Bangkok time, saying so, as the console does."""
from __future__ import annotations

from datetime import UTC, datetime

from models import Message


def test_the_outbox_shows_bangkok_time_labelled(app, db):
    db.add(Message(direction="out", to_number="+66800500011", body="1300 test", status="sent", dry_run=True,
                   created_at=datetime(2026, 12, 4, 20, 30, tzinfo=UTC)))
    db.commit()
    shown = app.test_cli_runner().invoke(args=["sms", "outbox"]).output
    assert shown.startswith("2026-12-05 03:30 +07 out ") and "20:30" not in shown
