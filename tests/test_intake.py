"""A report arrived: `casework.intake.report_arrived` opens every channel's case and writes the outbox row that
starts its ladder, without Flask or RQ. The channels' own tests (test_ivr, test_api, console/test_call_page)
check that their case and row are the ones it makes."""
from __future__ import annotations

import pytest
from helpers.ladder import seed_centres
from helpers.support import outbox_row, start_row
from sqlalchemy import select

from casework import work
from casework.intake import app_report_arrived, case_for_call, report_arrived
from models import Call, Case, OutboxItem, Report, make_engine, make_sessionmaker, utcnow
from models.calls import SIMULATED_PREFIX
from models.vocabulary import SOURCES


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        seed_centres(session)
        yield session
    engine.dispose()


def new_call(session, call_sid: str = "CA" + "1" * 32, **values) -> Call:
    call = Call(call_sid=call_sid, status="in-progress", topic="trafficking", language="th", ivr_path=[],
                started_at=utcnow(), **values)
    session.add(call)
    session.flush()
    return call


@pytest.mark.parametrize("source", sorted(set(SOURCES) - {"training"}))
def test_a_report_from_any_source_opens_a_routed_case_and_its_outbox_row(session, source):
    opened = report_arrived(session, source=source, kind="forced_labour", urgency="urgent", province_code="50",
                            district_code="5001", actor="test")
    session.commit()
    case = opened.case
    assert (case.source, case.category, case.urgency, case.centre.code, case.status, case.level) == (
        source, "forced_labour", "urgent", "50", "new", 0)
    assert case.reference.startswith("1300-") and case.reference.endswith(f"{case.id:06d}")
    assert [(t.to_status, t.actor, t.note) for t in case.transitions] == [("new", "test", "routed to 50")]
    item = session.scalars(select(OutboxItem)).one()
    assert opened.job_ids == [item.job_id] and outbox_row(item) == start_row(case) == (
        f"case-start-{case.id}", "start_escalation", [case.id], "urgent")


def test_no_province_goes_to_central_triage_and_a_normal_case_to_the_default_queue(session):
    case = report_arrived(session, source="app", kind=None, urgency=None, province_code=None).case
    assert case.centre.code == "central" and case.urgency == "normal"
    assert outbox_row(session.scalars(select(OutboxItem)).one())[3] == work.DEFAULT


def test_a_training_report_opens_a_case_with_no_outbox_row(session):
    opened = report_arrived(session, source="training", kind="slavery", urgency="urgent", province_code="50")
    assert opened.case.source == "training" and opened.job_ids == []
    assert session.scalars(select(OutboxItem)).all() == []


def test_an_unknown_source_is_refused_before_anything_is_written(session):
    with pytest.raises(ValueError, match="unknown source"):
        report_arrived(session, source="fax", kind=None, urgency=None, province_code=None)
    assert session.scalars(select(Case)).all() == []


def test_a_call_has_one_case_however_often_it_reports(session):
    call = new_call(session, category="slavery", urgency="normal", province_code="50")
    first = case_for_call(session, call)
    again = case_for_call(session, call)
    assert first.new and not again.new and again.case is first.case and again.job_ids == []
    assert (first.case.source, first.case.call_id) == ("call", call.id)
    assert outbox_row(session.scalars(select(OutboxItem)).one()) == start_row(first.case)


def test_a_simulated_call_is_a_training_case(session):
    call = new_call(session, call_sid=SIMULATED_PREFIX + "0" * 24)
    opened = case_for_call(session, call)
    assert opened.case.source == "training" and opened.job_ids == []


def test_an_api_report_repeated_with_its_key_is_the_same_case_and_no_new_row(session):
    from models import ApiToken

    token = ApiToken(name="app", token_hash="0" * 64, prefix="test", scope="all", provinces=[], created_at=utcnow())
    session.add(token)
    session.flush()
    row = dict(token_id=token.id, idempotency_key="app-0001", reporter_type="app_user", received_at=utcnow())
    body = {"idempotency_key": "app-0001", "kind": "slavery"}
    first = app_report_arrived(session, row, body, source="app", kind="slavery", urgency="normal", province_code="50",
                               district_code=None, actor=f"token:{token.id}")
    again = app_report_arrived(session, row, body, source="app", kind="slavery", urgency="normal", province_code="50",
                               district_code=None, actor=f"token:{token.id}")
    assert first.new and not again.new and again.case.id == first.case.id and again.job_ids == []
    assert session.scalars(select(Report)).one().case_id == first.case.id
    assert outbox_row(session.scalars(select(OutboxItem)).one()) == start_row(first.case)
