"""The supervisors' wallboard (issue 16): callers waiting per language and the longest wait, the team by state, and
the Bangkok day's service level, abandoned calls and callbacks due, computed on seeded rows; SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from helpers.console_support import table_rows

from models import Call, DeskProfile, DeskWait, LineChat
from models.calls import SIMULATED_PREFIX
from models.line import SIMULATED_PREFIX as SIMULATED_LINE

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok; the day began at 17:00 UTC the day before
SIDS = iter(range(1, 100))


def wait(db, seconds_ago: int, state: str, language: str = "th", answered_after: int | None = None,
         callback_due: bool = False, called_back: bool = False, sid: str | None = None) -> DeskWait:
    asked = NOW - timedelta(seconds=seconds_ago)
    call = Call(call_sid=sid or f"CA{next(SIDS):032d}", status="in-progress", from_e164="+66812345678",
                language=language, ivr_path=[], started_at=asked,
                callback_consent=True if callback_due else None)  # only a "yes" puts a caller on the list
    db.add(call)
    db.flush()
    row = DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language=language, state=state,
                   asked_at=asked, urgent=False, callback_due=callback_due,
                   answered_at=asked + timedelta(seconds=answered_after) if answered_after is not None else None,
                   callback_at=NOW if called_back else None)
    db.add(row)
    return row


def seed(db, users) -> None:
    wait(db, 90, "waiting")  # in line past 30 s: already late
    wait(db, 20, "waiting")  # in line, not yet late: not counted either way
    wait(db, 200, "offered", language="my")  # the longest wait
    wait(db, 3600, "answered", answered_after=10)  # in time
    wait(db, 3000, "answered", answered_after=45)  # late
    wait(db, 1800, "abandoned", callback_due=True)
    wait(db, 1500, "message", callback_due=True, called_back=True)  # called back already
    wait(db, 10 * 3600, "answered", answered_after=5)  # 23:00 yesterday in Bangkok
    wait(db, 11 * 3600, "abandoned", callback_due=True)  # yesterday's, still due
    wait(db, 600, "waiting", language="lo", sid=SIMULATED_PREFIX + "1")  # a trainer's call
    db.add_all([DeskProfile(user_id=users["operator"].id, languages=["th"], state="available"),
                DeskProfile(user_id=users["supervisor"].id, languages=["th", "my"], state="on_call")])
    db.commit()


def test_the_wallboard_counts_the_line_the_team_and_the_day(db, users, as_role):
    with time_machine.travel(NOW, tick=False):
        seed(db, users)
        page = as_role("supervisor").get("/console/wallboard").get_data(as_text=True)
    line = table_rows(page, "waiting")
    assert [row[:2] for row in line[1:]] == [["Burmese", "1"], ["Thai", "2"]]  # the longest wait first; no Lao
    longest = re.search(r'id="longest-wait".*?data-since="([^"]+)"', page, re.S)[1]
    assert datetime.fromisoformat(longest) == NOW - timedelta(seconds=200)
    service = " ".join(re.sub(r"<[^>]+>", "", re.search(r'id="service-level">(.*?)</dd>', page, re.S)[1]).split())
    assert service == "17% (1 of 6)"  # 10 s in time; 45 s, the abandoned, the message, the 90 and 200 s waits late
    assert re.search(r'id="abandoned">(\d+)<', page)[1] == "1"
    assert re.search(r'id="callbacks-due">(\d+)<', page)[1] == "2"
    team = {row[0]: row[1:] for row in table_rows(page, "team")[1:]}
    assert team["available"] == ["1", "operator"] and team["on a call"] == ["1", "supervisor"]
    assert team["away"] == ["0", ""]
    assert "5678" not in page


def test_the_wallboard_updates_itself_like_the_dashboard(db, users, as_role):
    with time_machine.travel(NOW, tick=False):
        supervisor = as_role("supervisor")
        page = supervisor.get("/console/wallboard").get_data(as_text=True)
        assert 'data-live-url="/console/wallboard/live.json"' in page and "Nobody is waiting." in page
        assert "–" in re.search(r'id="service-level">(.*?)</dd>', page, re.S)[1]
        first = supervisor.get("/console/wallboard/live.json")
        assert first.status_code == 200 and first.json["waiting"] == 0
        assert supervisor.get("/console/wallboard/live.json",
                              headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        seed(db, users)
        news = supervisor.get("/console/wallboard/live.json", headers={"If-None-Match": first.headers["ETag"]})
    assert news.status_code == 200 and news.json["waiting"] == 3
    assert set(news.json["sections"]) == {"line", "chats", "team", "today"}
    assert "Burmese" in news.json["sections"]["line"] and 'id="callbacks-due">2<' in news.json["sections"]["today"]


def test_the_wallboard_is_in_the_menu_of_supervisors_and_admins_only(db, users, as_role):
    for role in ("supervisor", "admin"):
        assert 'href="/console/wallboard"' in as_role(role).get("/console/").get_data(as_text=True)
    for role in ("operator", "field_officer"):
        browser = as_role(role)
        assert 'href="/console/wallboard"' not in browser.get("/console/").get_data(as_text=True)
        assert browser.get("/console/wallboard").status_code == 403


def test_the_wallboard_shows_the_line_chats_waiting_for_a_person_nobody_has_taken(db, users, as_role):
    """The LINE chat's hand-over joins the desk's view: chats waiting per language, the longest wait first."""
    with time_machine.travel(NOW, tick=False):
        def chat(user: str, language: str, seconds_ago: int, taken: bool = False) -> None:
            db.add(LineChat(line_user_id=user, step="person", language=language, started_at=NOW,
                            person_asked_at=NOW - timedelta(seconds=seconds_ago),
                            taken_by_id=users["operator"].id if taken else None))
        chat("U" + "1" * 32, "my", 300)
        chat("U" + "2" * 32, "my", 60)
        chat("U" + "3" * 32, "th", 120)
        chat("U" + "4" * 32, "th", 900, taken=True)  # someone has it
        chat(SIMULATED_LINE + "0" * 22, "lo", 999)  # a trainer's
        db.commit()
        page = as_role("supervisor").get("/console/wallboard").get_data(as_text=True)
    assert [row[:2] for row in table_rows(page, "chats-waiting")[1:]] == [["Burmese", "2"], ["Thai", "1"]]
    assert 'href="/console/chats"' in page
    assert 'href="/console/chats"' not in as_role("admin").get("/console/wallboard").get_data(as_text=True)
