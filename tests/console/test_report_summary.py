"""The reports page from the summary the workers keep equals the page counted live, for random calls and cases."""
from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from helpers.console_support import Browser, add_user, table_rows
from sqlalchemy import delete, select, update

from casework import figures, summary
from hotline.console import report_queries, reports
from models import Call, Case, Centre, Contact, Escalation, SummaryAcks, SummaryCount, SummaryPeriod, utcnow

PROVINCES = ["50", "50", "50", "10", "10", "57", "96", None]
LANGUAGES = ["th", "th", "th", "my", "km", "lo", "en"]
KINDS = [None, "forced_labour", "forced_labour", "sexual_exploitation", "slavery", "child_exploitation"]
TABLES = ("cases-per-province", "cases-per-kind", "calls-per-language", "ack-per-province", "ack-per-level")


def _bangkok_midnight(days_ago: int, now: datetime) -> datetime:
    return figures.utc(summary.local_day(now) - timedelta(days=days_ago))


def _random_data(db, rng: random.Random, now: datetime) -> None:
    """~30 weeks of calls and cases, some of them trainers', some at a Bangkok midnight (a week's or month's
    edge) or a microsecond before one, some from the last minutes (today); cases acknowledged by an SMS at
    level 1-3 (the lowest counts), in the console, or not at all; some of them late."""
    centre = Centre(code="c", province_code=None, name_th="c", name_en="c")
    db.add(centre)
    db.flush()
    contacts = [Contact(centre_id=centre.id, name=f"l{level}", phone=f"+6681000000{level}", level=level)
                for level in (1, 2, 3)]
    db.add_all(contacts)
    db.flush()

    def moment() -> datetime:
        draw = rng.random()
        if draw < 0.1:
            return _bangkok_midnight(rng.randrange(0, 210), now) - timedelta(microseconds=rng.choice([0, 1]))
        if draw < 0.2:
            return now - timedelta(minutes=rng.uniform(1, 60))
        return now - timedelta(seconds=rng.uniform(0, 210 * 86400))

    calls = []
    for i in range(300):
        training = rng.random() < 0.1
        calls.append(Call(call_sid=("CAsimulator" + f"{i:024x}") if training else f"CA{i:032d}", status="completed",
                          language=rng.choice(LANGUAGES), province_code=rng.choice(PROVINCES), ivr_path=[],
                          started_at=min(moment(), now)))
    db.add_all(calls)
    for i in range(160):
        created = min(moment(), now)
        case = Case(reference=f"1300-T-{i:06d}", source="training" if rng.random() < 0.1 else "call",
                    category=rng.choice(KINDS), province_code=rng.choice(PROVINCES), status="escalating",
                    created_at=created)
        db.add(case)
        db.flush()
        if rng.random() < 0.4:  # a window passed with nobody acknowledging: late, acknowledged later or not
            case.sla_missed_level, case.sla_missed_at = rng.choice([1, 2, 3]), created + timedelta(minutes=10)
        if rng.random() < 0.7:
            case.status = "acknowledged"
            case.acknowledged_at = min(now, created + timedelta(seconds=rng.uniform(0, 3 * 86400)))
            for level in sorted(rng.sample([1, 2, 3], rng.randrange(0, 4))):
                acked = rng.random() < 0.6
                db.add(Escalation(case_id=case.id, level=level, contact_id=contacts[level - 1].id,
                                  status="acknowledged" if acked else "delivered", created_at=created,
                                  acknowledged_at=case.acknowledged_at if acked else None))
    db.commit()


@pytest.fixture
def browsers(app, db, users):
    """A supervisor, a field officer of Chiang Mai (the fixtures'), one of Chiang Mai and Bangkok, one of none."""
    add_user(db, "fo-two", "field_officer", ["50", "10"])
    add_user(db, "fo-none", "field_officer", [])
    out = {}
    for name in ("supervisor", "field_officer", "fo-two", "fo-none"):
        browser = Browser(app.test_client())
        assert browser.login(name).status_code == 302
        out[name] = browser
    return out


def _paths(now: datetime) -> list[str]:
    day = summary.local_day(now)
    ago = lambda **kw: (day - timedelta(**kw)).isoformat()  # noqa: E731
    return ["/console/reports",  # the last 12 weeks
            f"/console/reports?period=week&date_from={ago(weeks=29)}&date_to={day.isoformat()}",
            f"/console/reports?period=month&date_from={ago(days=200)}&date_to={day.isoformat()}",
            f"/console/reports?period=week&date_from={ago(weeks=20)}&date_to={ago(weeks=6)}",  # all in the past
            f"/console/reports?period=month&date_from={ago(days=120)}&date_to={ago(days=40)}"]


def _figures(report) -> tuple:
    """Everything the page and its CSVs show, durations to the last bit."""
    rows = lambda rs: [(r.key, r.label, r.counts) for r in rs]  # noqa: E731
    return (rows(report.provinces), rows(report.kinds), rows(report.languages), report.ack_provinces,
            report.ack_levels, report.ack_all, report.map_counts)


def _look(browsers, paths, monkeypatch) -> dict:
    """Per user and path: the page's tables and map, and the report it was made of; plus whether it said the
    summary's figures were counted earlier."""
    built = []
    original = reports.build
    monkeypatch.setattr(reports, "build", lambda *args: built.append(original(*args)) or built[-1])
    seen = {}
    for name, browser in browsers.items():
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200
            page = response.get_data(as_text=True)
            tiles = re.findall(r'<g class="tile ([^"]+)" data-province="(\d\d)" role="img" aria-label="([^"]+)">', page)
            assert len(tiles) == 77, (name, path)  # the map is there: the comparison of tiles is not of nothing
            seen[name, path] = ({t: table_rows(page, t) for t in TABLES}, tiles, _figures(built[-1]),
                                'id="counted"' in page)
    monkeypatch.setattr(reports, "build", original)
    return seen


def _forget(db) -> None:
    """No summary at all: the page counts everything live, as before the summary existed."""
    for model in (SummaryAcks, SummaryCount, SummaryPeriod):
        db.execute(delete(model))
    db.commit()


def _same(live: dict, summed: dict) -> None:
    for key, (tables, tiles, report, _note) in live.items():
        assert summed[key][0] == tables, key
        assert summed[key][1] == tiles, key
        assert summed[key][2] == report, key


@pytest.mark.parametrize("seed", [1300, 4821])
def test_the_page_from_the_summary_equals_the_page_counted_live(app, db, browsers, monkeypatch, seed):
    now = utcnow()
    _random_data(db, random.Random(seed), now)
    paths = _paths(now)
    live = _look(browsers, paths, monkeypatch)
    assert not any(note for *_rest, note in live.values())  # nothing counted yet: no note
    assert sum(live["supervisor", paths[1]][2][0][0][2]) > 0  # the random cases are on the page
    assert sum(row[3] for row in live["supervisor", paths[1]][2][3]) > 0  # and some were acknowledged late

    counted, _changed = summary.recount(app.extensions["sessions"], now=now)
    assert counted > 0
    spans_asked = []
    for name in ("case_counts", "call_counts", "ack_durations"):
        original = getattr(report_queries, name)
        monkeypatch.setattr(report_queries, name,
                            lambda session, scoped, spans, original=original: spans_asked.extend(spans) or
                            original(session, scoped, spans))
    summed = _look(browsers, paths, monkeypatch)
    monkeypatch.undo()
    _same(live, summed)
    today = summary.local_day(now)
    assert spans_asked and all(span.start >= today for span in spans_asked)  # only today was counted live
    assert all(summed[name, path][3] for name in browsers for path in paths)  # the page says when it was counted

    assert summary.recount(app.extensions["sessions"], now=now)[1] == 0  # a recount of the same data writes nothing
    assert _look(browsers, paths, monkeypatch) == summed


def test_a_change_to_an_older_row_shows_after_the_recount_and_a_new_call_at_once(app, db, browsers, monkeypatch):
    now = utcnow()
    _random_data(db, random.Random(18), now)
    sessions = app.extensions["sessions"]
    summary.recount(sessions, now=now)
    paths = _paths(now)[:3]
    before = _look(browsers, paths, monkeypatch)

    # Today's new call and case are counted live: on the page at once.
    db.add(Call(call_sid="CA" + "9" * 32, status="completed", language="lo", province_code="50", ivr_path=[],
                started_at=now))
    db.add(Case(reference="1300-T-999999", source="call", category="slavery", province_code="50", status="new",
                created_at=now))
    db.commit()
    fresh = _look(browsers, paths, monkeypatch)
    _forget(db)
    live = _look(browsers, paths, monkeypatch)
    _same(live, fresh)
    assert fresh != before

    # A case reassigned, another acknowledged late, a call's province corrected: all weeks old.
    summary.recount(sessions, now=now)
    old = now - timedelta(days=60)
    moved = db.scalar(select(Case.id).where(Case.created_at < old, Case.source != "training").order_by(Case.id).limit(1))
    late = db.scalar(select(Case.id).where(Case.created_at < old, Case.acknowledged_at.is_(None),
                                           Case.source != "training").order_by(Case.id).limit(1))
    db.execute(update(Case).where(Case.id == moved).values(province_code="96", acknowledged_at=None))
    db.execute(update(Case).where(Case.id == late).values(acknowledged_at=now, status="acknowledged"))
    db.execute(update(Call).where(Call.started_at < old).values(province_code="57"))
    db.commit()
    stale = _look(browsers, paths, monkeypatch)
    assert summary.recount(sessions, now=now)[1] > 0
    recounted = _look(browsers, paths, monkeypatch)
    _forget(db)
    live = _look(browsers, paths, monkeypatch)
    _same(live, recounted)
    assert stale != recounted  # until the recount, the page showed the summary's older figures


def test_a_period_not_counted_yet_is_counted_live(app, db, browsers, monkeypatch):
    now = utcnow()
    _random_data(db, random.Random(5), now)
    paths = _paths(now)[1:3]
    live = _look(browsers, paths, monkeypatch)
    summary.recount(app.extensions["sessions"], now=now)
    for unit in ("week", "month"):  # a gap in the middle (as if the workers had stopped), and the latest period
        starts = sorted(db.scalars(select(SummaryPeriod.start).where(SummaryPeriod.unit == unit)))
        for start in (starts[len(starts) // 2], starts[-1]):
            for model in (SummaryAcks, SummaryCount, SummaryPeriod):
                db.execute(delete(model).where(model.unit == unit, model.start == start))
    db.commit()
    _same(live, _look(browsers, paths, monkeypatch))


def test_the_page_says_when_the_summary_was_counted(app, db, browsers, monkeypatch):
    now = utcnow()
    _random_data(db, random.Random(9), now)
    summary.recount(app.extensions["sessions"], now=now)
    page = browsers["supervisor"].get("/console/reports").get_data(as_text=True)
    note = re.search(r'<p class="muted" id="counted">(.*?)</p>', page, re.S)[1]
    assert f"before {summary.local_day(now).isoformat()} were counted at " in note and " or later (" in note
    assert "those of the last 31 days again every 5 minutes, all of them each night" in note


def test_a_recount_needs_no_data_and_counts_only_up_to_today(app, db):
    sessions = app.extensions["sessions"]
    assert summary.recount(sessions) == (0, 0)  # nothing yet
    now = datetime(2026, 11, 25, 5, tzinfo=UTC)  # a Wednesday in Bangkok
    db.add(Call(call_sid="CA" + "1" * 32, status="completed", language="th", province_code="10", ivr_path=[],
                started_at=now - timedelta(days=1)))
    db.add(Call(call_sid="CA" + "2" * 32, status="completed", language="th", province_code="10", ivr_path=[],
                started_at=now))
    db.commit()
    assert summary.recount(sessions, now=now) == (2, 2)  # the week of 23 Nov and November
    periods = {(p.unit, p.start.isoformat(), p.counted_until.isoformat()) for p in db.scalars(select(SummaryPeriod))}
    assert periods == {("week", "2026-11-23", "2026-11-25"), ("month", "2026-11-01", "2026-11-25")}
    assert {(c.unit, c.figure, c.province_code, c.key, c.count) for c in db.scalars(select(SummaryCount))} == {
        (unit, figure, province, "th", 1) for unit in ("week", "month")
        for figure, province in (("calls", "10"), ("calls/language", None))}  # yesterday's call; today's is the page's


def test_the_relay_enqueues_the_whole_recount_first_then_the_recent_one_and_every_night(ladder_env, db):
    from helpers.ladder import run_jobs

    from workers.jobs import recount_reports
    from workers.relay import schedule_report_counts

    app, _twilio, redis = ladder_env
    config = app.config["HOTLINE"]
    now = utcnow()
    _random_data(db, random.Random(3), now)
    day = summary.local_day(now)
    assert schedule_report_counts(config, now) == f"reports-all-{day}"  # nothing counted yet: every period
    assert schedule_report_counts(config, now) is None  # queued already
    run_jobs(redis)

    def rows() -> list:
        db.expire_all()
        return sorted((p.unit, p.start, p.counted_until) for p in db.scalars(select(SummaryPeriod))) + \
            sorted((c.unit, c.start, c.figure, c.province_code or "", c.key or "", c.count)
                   for c in db.scalars(select(SummaryCount))) + \
            sorted((a.unit, a.start, a.province_code or "", a.level or 0, a.seconds) for a in db.scalars(select(SummaryAcks)))

    kept = rows()
    assert len(kept) > 10
    every = config.REPORTS_RECOUNT_EVERY
    slot = datetime.fromtimestamp(int(now.timestamp()) // every * every, UTC)
    assert schedule_report_counts(config, now) == f"reports-recent-{slot:%Y%m%d-%H%M%S}"
    assert schedule_report_counts(config, now) is None
    run_jobs(redis)
    recount_reports(None, day.isoformat())  # a job run twice: the same rows
    assert rows() == kept
    tomorrow = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=figures.BANGKOK)
    assert schedule_report_counts(config, tomorrow + timedelta(hours=1)).startswith("reports-recent-")  # before 02:00
    nightly = tomorrow + timedelta(hours=config.REPORTS_RECOUNT_HOUR, minutes=5)
    assert schedule_report_counts(config, nightly) == f"reports-all-{day + timedelta(days=1)}"


def test_flask_reports_recount_counts_on_demand(app, db):
    now = utcnow()
    _random_data(db, random.Random(2), now)
    runner = app.test_cli_runner()
    first = (summary.local_day(now) - timedelta(days=20)).isoformat()
    done = runner.invoke(args=["reports", "recount", "--from", first])
    assert done.exit_code == 0, done.output
    counted = int(done.output.split()[0])
    assert 4 <= counted <= 6 and done.output.endswith(f"{counted} changed\n")  # 3-4 weeks, 1-2 months
    done = runner.invoke(args=["reports", "recount"])
    assert done.exit_code == 0 and not done.output.endswith(" 0 changed\n")  # the older periods are new
    assert runner.invoke(args=["reports", "recount"]).output.endswith(" 0 changed\n")
