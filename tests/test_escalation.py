"""A report becomes one case, its province's duty team gets an SMS, and the ladder climbs on its own."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from helpers.ladder import CENTRAL_OFFICER, DUTY_1, DUTY_2, HEAD, TRIAGE, reply, report, run_jobs
from sqlalchemy import func, select, text, update

from casework import ladder
from models import Case, Centre, Contact, Escalation, Message, OutboxItem, utcnow
from models.cases import Lateness
from workers import runtime

SID = "CA" + "c" * 32


def sent_to(db, level: int | None = None) -> list[str]:
    db.expire_all()
    query = select(Escalation).order_by(Escalation.id)
    return [e.contact.phone for e in db.scalars(query) if level is None or e.level == level]


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def test_a_completed_report_opens_one_case_and_texts_the_provincial_duty_team(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    year = (utcnow() + timedelta(hours=7)).year + 543
    assert case.reference == f"1300-{year % 100:02d}-{case.id:06d}"
    assert (case.source, case.category, case.urgency, case.province_code, case.district_code) == (
        "call", "forced_labour", "normal", "50", "5001")
    assert case.centre.code == "50" and case.status == "escalating" and case.level == 1
    assert sent_to(db) == [DUTY_1, DUTY_2]  # on-duty level 1 only
    messages = db.scalars(select(Message).order_by(Message.id)).all()
    assert [m.dry_run for m in messages] == [True, True] and all(m.status == "dry-run" for m in messages)
    body = messages[0].body
    assert case.reference in body and f"ACK {case.ack_code}" in body and "จ.เชียงใหม่" in body
    assert "+66812345678" not in body and "08" not in body  # nothing about the caller
    assert [t.to_status for t in case.transitions] == ["new", "escalating"]
    assert db.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status != "done")) == 0


def test_no_acknowledgement_climbs_to_the_head_then_central_then_flags_the_case(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "2"], postcode="50200")
    run_jobs(redis)
    with time_machine.travel(utcnow() + timedelta(seconds=3601), tick=True):
        run_jobs(redis)
        assert sent_to(db, 2) == [HEAD] and the_case(db).level == 2
    with time_machine.travel(utcnow() + timedelta(seconds=7300), tick=True):
        run_jobs(redis)
        assert sent_to(db, 3) == [CENTRAL_OFFICER]
    with time_machine.travel(utcnow() + timedelta(seconds=11000), tick=True):
        run_jobs(redis)
    case = the_case(db)
    assert case.unacknowledged is True and case.status == "escalating" and case.sla_due_at is None
    assert sent_to(db) == [DUTY_1, DUTY_2, HEAD, CENTRAL_OFFICER]  # each exactly once


def test_an_urgent_call_opens_its_case_during_the_call_with_the_short_window(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "1"], complete=False)
    run_jobs(redis)
    case = the_case(db)
    assert case.urgency == "urgent" and case.province_code is None and case.centre.code == "central"
    assert sent_to(db) == [TRIAGE]  # unknown province: central triage
    assert timedelta(seconds=590) < case.sla_due_at - utcnow() <= timedelta(seconds=600)
    twilio.post("/voice/status", {"CallSid": SID, "CallStatus": "completed", "From": "+66812345678"})
    run_jobs(redis)
    assert db.scalar(select(func.count()).select_from(Case)) == 1 and sent_to(db) == [TRIAGE]


def test_an_acknowledgement_stops_the_ladder_and_confirms_to_the_responder(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "4"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    response = reply(twilio, DUTY_2, f"ack {case.ack_code}", "SM" + "1" * 32)
    answer = ElementTree.fromstring(response.data).find("Message").text
    assert case.reference in answer
    case = the_case(db)
    assert case.status == "acknowledged" and case.acknowledged_by is not None and case.sla_due_at is None
    assert [t.to_status for t in case.transitions][-1] == "acknowledged"
    with time_machine.travel(utcnow() + timedelta(seconds=4000), tick=True):
        run_jobs(redis)
    assert sent_to(db) == [DUTY_1, DUTY_2]  # the level-2 check found it acknowledged
    statuses = {e.contact.phone: e.status for e in the_case(db).escalations}
    assert statuses[DUTY_2] == "acknowledged"


@pytest.mark.parametrize("body", ["ACK {code}", "ack{code}", "Ack   {code}", "รับ {thai}", "รับทราบ{thai}",
                                  "{reference}", "ack {reference_spaced}", "  ACK  ", "{code}"])
def test_every_ack_spelling_is_understood(ladder_env, db, body):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "5"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    thai = case.ack_code.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    text = body.format(code=case.ack_code, thai=thai, reference=case.reference,
                       reference_spaced=case.reference.replace("-", " "))
    reply(twilio, DUTY_1, text, "SM" + "2" * 32)
    assert the_case(db).status == "acknowledged", text


@pytest.mark.parametrize("sender, body", [("+66899999999", "ACK {code}"),  # not a contact
                                          (DUTY_1, "ACK 9999"),  # no such code for this sender
                                          (TRIAGE, "ACK {code}"),  # a contact, but not sent this case
                                          (DUTY_1, "hello"), ("anonymous", ""), ("", "ACK {code}")])
def test_an_unknown_sender_or_code_gets_a_polite_help_reply(ladder_env, db, sender, body):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "5"], postcode="50200")
    run_jobs(redis)
    response = reply(twilio, sender, body.format(code=the_case(db).ack_code), "SM" + "3" * 32)
    assert response.status_code == 200
    assert "ACK" in ElementTree.fromstring(response.data).find("Message").text
    assert the_case(db).status == "escalating"


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # moves PostgreSQL's id sequence
def test_an_ack_code_shared_with_an_older_settled_case_acknowledges_the_waiting_one(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "5"], postcode="50200")
    run_jobs(redis)
    older = the_case(db)
    reply(twilio, DUTY_1, f"ACK {older.ack_code}", "SM" + "6" * 32)
    db.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :last)"), {"last": older.id + 9999})
    db.commit()
    report(twilio, "CA" + "d" * 32, ["1", "5"], postcode="50200")
    run_jobs(redis)
    db.expire_all()
    newer = db.scalars(select(Case).where(Case.id != older.id)).one()
    assert newer.ack_code == older.ack_code and newer.status == "escalating"
    response = reply(twilio, DUTY_2, f"ACK {newer.ack_code}", "SM" + "7" * 32)
    assert newer.reference in ElementTree.fromstring(response.data).find("Message").text
    db.expire_all()
    assert db.get(Case, newer.id).status == "acknowledged" and db.get(Case, newer.id).acknowledged_at is not None


def test_a_bare_ack_with_two_cases_waiting_asks_which_one_by_reference(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "5"], postcode="50200")
    report(twilio, "CA" + "e" * 32, ["1", "2"], postcode="50200")
    run_jobs(redis)
    first, second = db.scalars(select(Case).order_by(Case.id)).all()
    answer = ElementTree.fromstring(reply(twilio, DUTY_1, "ACK", "SM" + "8" * 32).data).find("Message").text
    assert first.reference in answer and second.reference in answer
    db.expire_all()
    assert [c.status for c in db.scalars(select(Case).order_by(Case.id))] == ["escalating", "escalating"]
    reply(twilio, DUTY_1, f"ACK {second.reference}", "SM" + "9" * 32)
    db.expire_all()
    assert [c.status for c in db.scalars(select(Case).order_by(Case.id))] == ["escalating", "acknowledged"]


def test_a_retried_reply_acknowledges_and_answers_once(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "5"], postcode="50200")
    run_jobs(redis)
    code = the_case(db).ack_code
    first = reply(twilio, DUTY_1, f"ACK {code}", "SM" + "4" * 32)
    second = reply(twilio, DUTY_1, f"ACK {code}", "SM" + "4" * 32)
    assert ElementTree.fromstring(first.data).find("Message") is not None
    assert ElementTree.fromstring(second.data).find("Message") is None
    late = reply(twilio, DUTY_2, f"ACK {code}", "SM" + "5" * 32)
    assert "already" in ElementTree.fromstring(late.data).find("Message").text
    assert len([t for t in the_case(db).transitions if t.to_status == "acknowledged"]) == 1


def test_running_every_job_twice_opens_one_case_and_sends_one_sms_per_contact(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "6"], postcode="50200")
    case_id = db.scalars(select(OutboxItem)).one().args[0]
    from workers import jobs

    jobs.start_escalation(case_id)
    jobs.start_escalation(case_id)
    run_jobs(redis)
    for escalation_id in db.scalars(select(Escalation.id)):
        jobs.send_escalation(escalation_id)
    with app.extensions["sessions"]() as session:
        from workers.dispatch import sweep

        sweep(session, redis, older_than=-1)
    run_jobs(redis)
    assert db.scalar(select(func.count()).select_from(Case)) == 1
    assert sent_to(db) == [DUTY_1, DUTY_2]
    assert db.scalar(select(func.count()).select_from(Message)) == 2


def test_a_failed_sms_at_a_level_with_nobody_left_climbs_at_once(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "7"], postcode="50200")
    run_jobs(redis)
    sids = [e.message_sid for e in the_case(db).escalations]
    twilio.post("/sms/status", {"MessageSid": sids[0], "MessageStatus": "undelivered", "ErrorCode": "30003"})
    run_jobs(redis)
    assert sent_to(db, 2) == []  # the other duty officer may still answer
    twilio.post("/sms/status", {"MessageSid": sids[1], "MessageStatus": "failed", "ErrorCode": "21610"})
    run_jobs(redis)
    assert sent_to(db, 2) == [HEAD]
    case = the_case(db)
    assert case.level == 2
    by_phone = {e.contact.phone: e for e in case.escalations}
    assert by_phone[DUTY_2].contact.unreachable_reason == "Twilio 21610"  # unsubscribed: never again
    assert by_phone[DUTY_1].contact.unreachable_reason is None  # 30003 may pass


def test_delivery_statuses_are_recorded_in_order(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "8"], postcode="50200")
    run_jobs(redis)
    sid = the_case(db).escalations[0].message_sid
    for state in ["sent", "delivered", "sent"]:
        twilio.post("/sms/status", {"MessageSid": sid, "MessageStatus": state})
    db.expire_all()
    message = db.scalars(select(Message).where(Message.sid == sid)).one()
    assert message.status == "delivered"
    assert the_case(db).escalations[0].status == "delivered"


@pytest.fixture
def real_twilio(ladder_env, monkeypatch):
    """The ladder with real (not dry-run) sending, against a fake Messages API on 127.0.0.1."""
    from helpers.fake_twilio import FakeTwilio

    fake = FakeTwilio()
    runtime.start(replace(runtime.current().config, TWILIO_ACCOUNT_SID="AC" + "1" * 32,
                          TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=fake.url))
    yield ladder_env, fake
    fake.close()


def test_a_worker_killed_after_twilio_accepted_the_sms_does_not_send_it_twice(real_twilio, db):
    (app, twilio, redis), fake = real_twilio
    report(twilio, SID, ["1", "2"], postcode="50200")
    from workers import jobs
    from workers.twilio_sms import TwilioSender

    class SendThenDie(TwilioSender):
        def send(self, *args, **kwargs):
            super().send(*args, **kwargs)  # Twilio has it...
            raise SystemExit("worker killed")  # ...but the worker dies before writing the MessageSid

    case_id = db.scalars(select(OutboxItem)).first().args[0]
    config = runtime.current().config
    runtime.start(config, sender=SendThenDie(config))
    try:
        with pytest.raises(SystemExit):
            jobs.start_escalation(case_id)  # the job sends its level-1 SMS itself, and dies in the first
    finally:
        runtime.start(config)
    first = db.scalars(select(Escalation).order_by(Escalation.id)).first()
    db.expire_all()
    assert db.get(Escalation, first.id).status == "sending" and len(fake.created) == 1
    with app.extensions["sessions"]() as session:  # the relay's sweep, once the items are overdue
        from workers.dispatch import sweep

        assert sweep(session, redis, older_than=-1) == 2
    run_jobs(redis)  # the queued job finds the message Twilio already has, and sends the other
    assert len(fake.created) == 2  # one per duty officer, no more
    db.expire_all()
    assert db.get(Escalation, first.id).message_sid == fake.created[0]["sid"]


def test_a_transient_twilio_error_is_retried_and_a_permanent_one_fails_over(real_twilio, db):
    (app, twilio, redis), fake = real_twilio
    busy = (503, {"code": 20500, "message": "Service Unavailable", "status": 503})
    # The case job sends to DUTY_1 (503), then DUTY_2 (21610); DUTY_1's queued job meets a 503 again.
    fake.fail_next = [busy, (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "status": 400}), busy]
    report(twilio, SID, ["1", "2"], postcode="50200")
    run_jobs(redis)
    by_phone = {e.contact.phone: e for e in the_case(db).escalations}
    assert not fake.fail_next and not fake.created
    assert by_phone[DUTY_1].status == "sending"  # 503 twice: RQ retries it later (scheduled by Retry)
    assert by_phone[DUTY_2].status == "failed" and by_phone[DUTY_2].contact.unreachable_reason.startswith("Twilio 21610")
    with time_machine.travel(utcnow() + timedelta(seconds=10), tick=True):
        run_jobs(redis)
    by_phone = {e.contact.phone: e for e in the_case(db).escalations}
    assert by_phone[DUTY_1].status == "sent" and by_phone[DUTY_1].message_sid.startswith("SM")
    assert [m["to"] for m in fake.created] == [DUTY_1]


def test_the_relay_re_arms_an_sla_check_that_redis_lost(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "2"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    from rq.registry import ScheduledJobRegistry

    from workers import relay
    from workers.queues import queue

    scheduled = ScheduledJobRegistry(queue=queue("default", redis))
    assert scheduled.get_job_ids() == [f"esc-{case.id}-1"]
    scheduled.remove(f"esc-{case.id}-1", delete_job=True)  # as if Redis restarted without AOF
    with time_machine.travel(utcnow() + timedelta(seconds=3700), tick=True):
        relay.run_once(runtime.current().config)
        run_jobs(redis)
    assert sent_to(db, 2) == [HEAD]


def test_the_sms_commands_show_the_outbox_and_reply_as_a_field_team(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "2"], postcode="50200")
    run_jobs(redis)
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["sms", "outbox"]).output
    assert "dry-run" in shown and DUTY_1 not in shown and "+668XXXX0011" in shown  # masked
    code = the_case(db).ack_code
    answered = runner.invoke(args=["sms", "simulate-reply", "--from", DUTY_1, "--body", f"ACK {code}"]).output
    assert "HTTP 200" in answered and the_case(db).status == "acknowledged"


def test_the_full_chain_call_case_level_one_no_ack_level_two_ack_and_nothing_more(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "8"], postcode="50200")
    run_jobs(redis)
    assert sent_to(db, 1) == [DUTY_1, DUTY_2]
    with time_machine.travel(utcnow() + timedelta(seconds=3601), tick=True):
        run_jobs(redis)
        assert sent_to(db, 2) == [HEAD]
        code = the_case(db).ack_code
        answer = ElementTree.fromstring(reply(twilio, HEAD, f"รับ {code}", "SM" + "6" * 32).data)
        assert "ACK" in answer.find("Message").text
    with time_machine.travel(utcnow() + timedelta(seconds=12000), tick=True):
        run_jobs(redis)
    case = the_case(db)
    assert case.status == "acknowledged" and case.level == 2 and not case.unacknowledged
    assert sent_to(db, 3) == []  # the level-2 check found it acknowledged: central never texted
    assert {e.contact.phone: e.status for e in case.escalations}[HEAD] == "acknowledged"
    assert [t.to_status for t in case.transitions] == ["new", "escalating", "acknowledged"]


def test_the_relay_moves_due_scheduled_jobs_when_no_worker_holds_the_scheduler(ladder_env, db):
    """A worker killed while holding RQ's scheduler lock must not hold back Retry back-offs and SLA checks."""
    from rq.scheduler import RQScheduler

    from workers import relay
    from workers.queues import queue

    app, twilio, redis = ladder_env
    q = queue("default", redis)
    q.enqueue_in(timedelta(seconds=0), "workers.jobs.check_acknowledged", 1, 1, job_id="esc-1-1")
    redis.set(RQScheduler.get_locking_key("default"), "a-dead-worker", ex=60)
    relay.move_due_jobs(redis)
    assert q.job_ids == []  # the lock is someone's: leave it to them
    redis.delete(RQScheduler.get_locking_key("default"))  # it lapsed
    assert relay.move_due_jobs(redis) and q.job_ids == ["esc-1-1"]
    assert not redis.exists(RQScheduler.get_locking_key("default"))  # released for the next worker


def _from_the_api(app, case: Case) -> tuple:
    from hotline.api.tokens import issue

    with app.extensions["sessions"].begin() as session:
        headers = {"Authorization": f"Bearer {issue(session, 'app', [])[1]}"}
    shown = app.test_client().get(f"/api/v1/cases/{case.reference}", headers=headers).json
    return shown["acknowledged_late"], shown["missed_level"], shown["acknowledged_at"]


def test_a_late_ack_keeps_the_first_missed_window_and_a_move_or_a_rerun_check_changes_nothing(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    deadline = the_case(db).sla_due_at
    assert (the_case(db).sla_missed_level, the_case(db).sla_missed_at) == (None, None)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        run_jobs(redis)  # level 1's check: nobody answered, level 2 is texted
        assert sent_to(db, 2) == [HEAD]
    with time_machine.travel(deadline + timedelta(minutes=25), tick=False):
        reply(twilio, HEAD, f"ACK {the_case(db).ack_code}", "SM" + "a" * 32)
        now = utcnow()
    case = the_case(db)
    assert case.status == "acknowledged" and (case.sla_missed_level, case.sla_missed_at) == (1, deadline)
    assert case.missed(now) and not case.late(now)
    lateness = case.lateness(now)
    assert (lateness.level, lateness.by, lateness.acknowledged) == (1, timedelta(minutes=25), True)
    assert db.scalar(select(func.count()).select_from(Case).where(Case.missed(now))) == 1
    assert _from_the_api(app, case)[:2] == (True, 1)
    with app.extensions["sessions"]() as session, session.begin():
        ladder.check(session, runtime.current().config, case.id, 1)  # the same check again, and the next level's
        ladder.check(session, runtime.current().config, case.id, 2)
    assert (the_case(db).sla_missed_level, the_case(db).sla_missed_at) == (1, deadline)
    case = the_case(db)
    case.reassign("10", db.scalars(select(Centre).where(Centre.code == "central")).one(), "user:1")
    db.commit()
    assert (the_case(db).sla_missed_level, the_case(db).sla_missed_at) == (1, deadline)


def test_an_ack_within_the_window_marks_nothing(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    reply(twilio, DUTY_1, f"ACK {the_case(db).ack_code}", "SM" + "b" * 32)
    with time_machine.travel(utcnow() + timedelta(seconds=3700), tick=False):
        run_jobs(redis)
        now = utcnow()
    case = the_case(db)
    assert (case.sla_missed_level, case.sla_missed_at) == (None, None)
    assert not case.missed(now) and case.lateness(now) is None
    assert db.scalar(select(func.count()).select_from(Case).where(Case.missed(now))) == 0
    assert _from_the_api(app, case) == (False, None, case.acknowledged_at.isoformat())


def test_a_ladder_that_runs_out_with_nobody_to_text_is_late_from_that_moment(ladder_env, db):
    app, twilio, redis = ladder_env
    db.execute(update(Contact).values(on_duty=False))
    db.commit()
    with time_machine.travel(utcnow(), tick=False):
        report(twilio, SID, ["1", "3"], postcode="50200")
        run_jobs(redis)
        now = utcnow()
    case = the_case(db)
    assert case.unacknowledged and (case.sla_missed_level, case.sla_missed_at) == (1, now)
    assert case.lateness(now) == Lateness(1, timedelta(0), False)


def test_an_ack_after_the_deadline_but_before_its_check_ran_is_late(ladder_env, db):
    """The SLA check job runs a moment after the deadline (or later, with workers busy): an ACK in between was
    still given after the window and must be marked late, by SMS or by a person in the console."""
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    deadline = the_case(db).sla_due_at
    with time_machine.travel(deadline + timedelta(minutes=3), tick=False):
        reply(twilio, DUTY_1, f"ACK {the_case(db).ack_code}", "SM" + "c" * 32)  # before any worker ran the check
        now = utcnow()
    case = the_case(db)
    assert case.status == "acknowledged" and (case.sla_missed_level, case.sla_missed_at) == (1, deadline)
    assert case.lateness(now) == Lateness(1, timedelta(minutes=3), True)
    report(twilio, "CA" + "d" * 32, ["1", "3"], postcode="10200")
    run_jobs(redis)
    second = db.scalars(select(Case).order_by(Case.id.desc())).first()
    with app.extensions["sessions"]() as session, session.begin():
        taken = session.get(Case, second.id)
        with time_machine.travel(taken.sla_due_at + timedelta(seconds=30), tick=False):
            ladder.move(taken, "acknowledged", "user:1")
    db.expire_all()
    assert db.get(Case, second.id).sla_missed_level == 1
