"""Helpers for the case and escalation tests: a small, explicit set of centres and contacts,
RQ workers run in burst mode, and the scheduler driven by time travel."""
from __future__ import annotations

from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from helpers.support import call_params
from models import CENTRAL, Centre, Contact, Province
from workers import queues
from workers.worker import InProcessWorker

# Chiang Mai (50): two on-duty duty officers, one off duty, one provincial head. Central: triage and duty officer.
DUTY_1, DUTY_2, OFF_DUTY, HEAD = "+66810000011", "+66810000012", "+66810000013", "+66810000021"
TRIAGE, CENTRAL_OFFICER = "+66810000101", "+66810000301"


def seed_centres(session) -> None:
    session.add_all([Province(code="50", name_th="เชียงใหม่", name_en="Chiang Mai", region="north"),
                     Province(code="10", name_th="กรุงเทพมหานคร", name_en="Bangkok", region="central")])
    session.flush()
    chiang_mai = Centre(code="50", province_code="50", name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
    central = Centre(code=CENTRAL, province_code=None, name_th="กองต่อต้านการค้ามนุษย์", name_en="ATP Division")
    session.add_all([chiang_mai, central])
    session.flush()
    for centre, phone, level, on_duty in [(chiang_mai, DUTY_1, 1, True), (chiang_mai, DUTY_2, 1, True),
                                          (chiang_mai, OFF_DUTY, 1, False), (chiang_mai, HEAD, 2, True),
                                          (central, TRIAGE, 1, True), (central, CENTRAL_OFFICER, 3, True)]:
        session.add(Contact(centre_id=centre.id, name=f"officer {phone[-3:]}", role="duty", phone=phone,
                            level=level, on_duty=on_duty))
    session.commit()


def run_jobs(redis) -> None:
    """Move due scheduled jobs to their queues, then work every queue until empty."""
    all_queues = [queues.queue(name, redis) for name in queues.ALL]
    scheduler = RQScheduler(all_queues, connection=redis, serializer=JSONSerializer)
    scheduler.prepare_registries([q.name for q in all_queues])
    scheduler.enqueue_scheduled_jobs()
    InProcessWorker(all_queues, connection=redis, serializer=JSONSerializer).work(burst=True)


def report(twilio, sid: str, keys: list[str], postcode: str | None = None, complete: bool = True) -> None:
    """A caller's answers, webhook by webhook (Thai menu): main 1, then the kind key, then postcode."""
    twilio.post("/voice/incoming", call_params(sid))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(sid, Digits="1"))
    step = 2
    for node, digits in zip(["main", "kind", "where"], keys + ([postcode] if postcode else [])):
        twilio.post(f"/voice/ivr/{node}?s={step}&try=1", call_params(sid, Digits=digits))
        step += 1
    if complete:
        twilio.post("/voice/status", call_params(sid, CallStatus="completed", CallDuration="80", SequenceNumber="5"))


def reply(twilio, sender: str, body: str, sid: str):
    return twilio.post("/sms/incoming", {"MessageSid": sid, "From": sender, "To": "+6620001300", "Body": body,
                                         "AccountSid": "AC" + "0" * 32})
