"""The calls list: keyset pages without duplicates or gaps, filters, and a field officer's provinces."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from helpers.console_support import add_call
from sqlalchemy import event

from hotline.console.keyset import Cursor

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
CALL_LINK = re.compile(r'<td class="nowrap"><a href="/console/calls/(\d+)">')
PAGE_LINK = re.compile(r'href="(/console/calls\?[^"]*(?:older|newer)=[^"]+)" rel="(next|prev)"')


@pytest.fixture
def config(config):
    config.CONSOLE_PAGE_SIZE = 4
    return config


def ids(page: str) -> list[int]:
    return [int(n) for n in CALL_LINK.findall(page)]


def links(page: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&") for href, rel in PAGE_LINK.findall(page)}


def test_cursors_round_trip():
    cursor = Cursor(datetime(2026, 11, 25, 3, 0, 0, 123456, tzinfo=UTC), 42)
    assert Cursor.parse(str(cursor)) == cursor
    assert Cursor.parse("nonsense") is None and Cursor.parse("9" * 20 + "-1") is None and Cursor.parse(None) is None


def test_keyset_pages_walk_every_call_once_in_both_directions(as_role, db):
    # Ties on started_at across page boundaries are what a keyset must get right.
    times = [T0 - timedelta(minutes=n // 3) for n in range(15)]
    calls = [add_call(db, started_at=at) for at in times]
    expected = [c.id for c in sorted(calls, key=lambda c: (c.started_at, c.id), reverse=True)]
    browser = as_role("operator")
    pages, page = [], browser.get("/console/calls").get_data(as_text=True)
    pages.append(ids(page))
    while "next" in links(page):
        page = browser.get(links(page)["next"]).get_data(as_text=True)
        pages.append(ids(page))
    assert [n for p in pages for n in p] == expected
    assert [len(p) for p in pages] == [4, 4, 4, 3]
    back = []
    while "prev" in links(page):
        page = browser.get(links(page)["prev"]).get_data(as_text=True)
        back.append(ids(page))
    assert back == pages[-2::-1]


def test_the_list_uses_no_offset(app, as_role, db):
    add_call(db)
    statements = []
    engine = app.extensions["engine"]
    listener = lambda _conn, _cursor, statement, parameters, *_: statements.append((statement, parameters))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        as_role("operator").get("/console/calls?older=" + str(Cursor(T0, 10**6)))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    listing = [(s, p) for s, p in statements if "FROM calls" in s and "LIMIT" in s]
    assert listing
    for statement, parameters in listing:  # SQLite always writes "LIMIT ? OFFSET ?"; the offset must be 0
        assert "OFFSET" not in statement or list(parameters)[-1] == 0


def test_filters_narrow_the_list(as_role, db):
    wanted = add_call(db, status="completed", language="my", category="forced_labour", province_code="50")
    add_call(db, status="no-answer", language="my", category="forced_labour", province_code="50")
    add_call(db, status="completed", language="th", category="forced_labour", province_code="50")
    add_call(db, status="completed", language="my", category="slavery", province_code="50")
    add_call(db, status="completed", language="my", category="forced_labour", province_code="10")
    page = as_role("supervisor").get(
        "/console/calls?status=completed&language=my&category=forced_labour&province=50").get_data(as_text=True)
    assert ids(page) == [wanted.id]


def test_dates_are_bangkok_days(as_role, db):
    before = add_call(db, started_at=datetime(2026, 11, 24, 16, 59, tzinfo=UTC))  # 24 Nov 23:59 in Bangkok
    first = add_call(db, started_at=datetime(2026, 11, 24, 17, 0, tzinfo=UTC))  # 25 Nov 00:00 in Bangkok
    last = add_call(db, started_at=datetime(2026, 11, 25, 16, 59, tzinfo=UTC))  # 25 Nov 23:59
    after = add_call(db, started_at=datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    browser = as_role("operator")
    assert ids(browser.get("/console/calls?date_from=2026-11-25&date_to=2026-11-25").get_data(as_text=True)) == [last.id, first.id]
    assert ids(browser.get("/console/calls?date_to=2026-11-24").get_data(as_text=True)) == [before.id]
    assert ids(browser.get("/console/calls?date_from=2026-11-26").get_data(as_text=True)) == [after.id]


def test_filters_survive_paging(as_role, db):
    for n in range(6):
        add_call(db, started_at=T0 - timedelta(minutes=n), language="km")
    add_call(db, started_at=T0, language="th")
    browser = as_role("operator")
    page = browser.get("/console/calls?language=km").get_data(as_text=True)
    assert "language=km" in links(page)["next"]
    assert len(ids(browser.get(links(page)["next"]).get_data(as_text=True))) == 2


def test_a_bad_filter_is_shown_and_ignored(as_role, db):
    call = add_call(db)
    response = as_role("operator").get("/console/calls?status=exploded&date_from=yesterday")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ids(page) == [call.id]
    assert "Choose one of the options." in page and "Use a date like 2026-11-25." in page


def test_a_field_officer_sees_only_their_provinces(as_role, db):
    mine = add_call(db, province_code="50")
    theirs = add_call(db, province_code="10")
    nobodys = add_call(db, province_code=None)
    browser = as_role("field_officer")
    assert ids(browser.get("/console/calls").get_data(as_text=True)) == [mine.id]
    assert ids(browser.get("/console/calls?province=10").get_data(as_text=True)) == [mine.id]  # not a choice: ignored
    assert browser.get(f"/console/calls/{theirs.id}").status_code == 404
    assert browser.get(f"/console/calls/{nobodys.id}").status_code == 404
    assert browser.post(f"/console/calls/{theirs.id}/notes", {"body": "x"}).status_code == 404
    assert browser.get(f"/console/calls/{theirs.id}/recording").status_code == 404
    assert browser.get(f"/console/calls/{mine.id}").status_code == 200
    assert len(ids(as_role("operator").get("/console/calls").get_data(as_text=True))) == 3
