"""Simulated trafficking calls (webhooks signed exactly as Twilio signs them), the reference
data they are routed by, and the counts every fault scenario ends with."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree

import requests
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from helpers.fault_stack import AUTH_TOKEN, OPERATOR
from models import CENTRAL, Call, Case, Centre, Contact, Escalation, OutboxItem, Province

# Chiang Mai (50): two on-duty duty officers, one off duty, a head. Bangkok (10): one duty officer, a head.
# Central: a triage officer (level 1, unknown province) and the division's duty officer (level 3).
CM_DUTY_1, CM_DUTY_2, CM_OFF_DUTY, CM_HEAD = "+66810000511", "+66810000512", "+66810000513", "+66810000521"
BKK_DUTY, BKK_HEAD = "+66810000111", "+66810000121"
TRIAGE, CENTRAL_OFFICER = "+66810000901", "+66810000931"
POSTCODES = {"50": "50200", "10": "10200"}


def seed(session) -> None:
    session.add_all([Province(code="50", name_th="เชียงใหม่", name_en="Chiang Mai", region="north"),
                     Province(code="10", name_th="กรุงเทพมหานคร", name_en="Bangkok", region="central")])
    session.flush()
    chiang_mai = Centre(code="50", province_code="50", name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
    bangkok = Centre(code="10", province_code="10", name_th="ศปคม.กรุงเทพมหานคร", name_en="Bangkok centre")
    central = Centre(code=CENTRAL, province_code=None, name_th="กองต่อต้านการค้ามนุษย์", name_en="ATP Division")
    session.add_all([chiang_mai, bangkok, central])
    session.flush()
    for centre, phone, level, on_duty in [
        (chiang_mai, CM_DUTY_1, 1, True), (chiang_mai, CM_DUTY_2, 1, True), (chiang_mai, CM_OFF_DUTY, 1, False),
        (chiang_mai, CM_HEAD, 2, True), (bangkok, BKK_DUTY, 1, True), (bangkok, BKK_HEAD, 2, True),
        (central, TRIAGE, 1, True), (central, CENTRAL_OFFICER, 3, True),
    ]:
        session.add(Contact(centre_id=centre.id, name=f"officer {phone[-3:]}", role="duty", phone=phone,
                            level=level, on_duty=on_duty))
    session.commit()


def truncate(session) -> None:
    tables = session.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
    )).scalars().all()
    session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    session.commit()


# --- calls -------------------------------------------------------------------------


@dataclass
class Webhook:
    path: str
    params: dict

    @property
    def kind(self) -> str:
        return self.path.split("?")[0].rsplit("/", 1)[-1]


@dataclass
class SimCall:
    sid: str
    kind: str  # the key pressed at the kind menu: 1 urgent, 2-9 a kind
    province: str | None
    steps: list[Webhook] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return self.kind == "1"


def make_calls(count: int, seed_: int, prefix: str) -> list[SimCall]:
    """`count` trafficking reports: every 8th urgent (no postcode asked), the others half Chiang Mai
    (two duty officers), half Bangkok (one); callers on mobiles, so the postcode is asked."""
    rng = random.Random(seed_)
    calls = []
    for n in range(count):
        sid = f"CA{prefix}{n:04d}".ljust(34, "0")
        kind = "1" if n % 8 == 7 else rng.choice("23456789")
        province = None if kind == "1" else ("10" if n % 2 == 1 else "50")
        caller = f"+668{rng.randrange(10**7, 10**8)}"
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": "+661300",
                "Direction": "inbound", "ApiVersion": "2010-04-01"}
        steps = [Webhook("/voice/incoming", {**base, "CallStatus": "ringing"}),
                 Webhook("/voice/ivr/language?s=1&try=1", {**base, "CallStatus": "in-progress", "Digits": "1"}),
                 Webhook("/voice/ivr/main?s=2&try=1", {**base, "CallStatus": "in-progress", "Digits": "1"}),
                 Webhook("/voice/ivr/kind?s=3&try=1", {**base, "CallStatus": "in-progress", "Digits": kind})]
        if province:
            steps.append(Webhook("/voice/ivr/where?s=4&try=1",
                                 {**base, "CallStatus": "in-progress", "Digits": POSTCODES[province]}))
        steps.append(Webhook("/voice/status", {**base, "CallStatus": "completed", "CallDuration": "83",
                                               "SequenceNumber": "3", "Timestamp": "Mon, 01 Jan 2026 00:00:00 +0000"}))
        calls.append(SimCall(sid, kind, province, steps))
    return calls


@dataclass
class Answer:
    sid: str
    path: str
    status: int
    body: str
    base: str

    def twiml(self) -> ElementTree.Element:
        assert self.status == 200, f"{self.path} for {self.sid} answered HTTP {self.status}: {self.body[:300]}"
        root = ElementTree.fromstring(self.body)
        assert root.tag == "Response", self.body[:300]
        return root

    def dials_operator(self) -> bool:
        root = self.twiml()
        return root.find("Dial/Number") is not None and root.find("Dial/Number").text == OPERATOR


class Twilio:
    """Posts webhooks signed as Twilio signs them (RequestValidator over the public URL and the form)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.validator = RequestValidator(AUTH_TOKEN)
        self.local = threading.local()
        self.answers: list[Answer] = []
        self.lock = threading.Lock()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, hook: Webhook, base_url: str | None = None) -> Answer:
        base = base_url or self.base_url
        url = base + hook.path
        signature = self.validator.compute_signature(url, hook.params)
        for attempt in range(3):
            try:
                response = self._session().post(url, data=hook.params, headers={"X-Twilio-Signature": signature},
                                                timeout=30)
                break
            except requests.ConnectionError:  # gunicorn busy accepting: Twilio would retry too
                if attempt == 2:
                    raise
                time.sleep(0.5)
        answer = Answer(hook.params["CallSid"], hook.path, response.status_code, response.text, base)
        with self.lock:
            self.answers.append(answer)
        return answer

    def twice_at_once(self, hook: Webhook) -> tuple[Answer, Answer]:
        """The same webhook from two connections at the same moment (a retry racing the original)."""
        first, second = self.at_once(hook, hook)
        return first, second

    def at_once(self, *hooks: Webhook) -> list[Answer]:
        """Webhooks from connections of their own at the same moment (a key press racing the final status)."""
        start = threading.Barrier(len(hooks))
        results: list[Answer] = []

        def send(hook):
            start.wait(5)
            results.append(self.post(hook))

        threads = [threading.Thread(target=send, args=(hook,)) for hook in hooks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == len(hooks), f"a concurrent {hooks[0].path} for {hooks[0].params['CallSid']} got no answer"
        return results

    def bad_answers(self) -> list[str]:
        problems = []
        for a in self.answers:
            try:
                a.twiml()
            except (AssertionError, ElementTree.ParseError) as error:
                problems.append(f"{a.sid} {a.path}: {error}")
        return problems


def run_all(calls: list, script, threads: int = 6) -> None:
    """Play `script(call)` for every call, `threads` calls at a time; re-raise the first failure."""
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(script, call) for call in calls]:
            future.result(timeout=300)


# --- the counts ------------------------------------------------------------------------


def audit(sessions, fake, expect_cases: list[str], expect_calls: list[str] = ()) -> list[str]:
    """Everything that is not (yet) as it must end; [] when the invariants hold.

    - every call in `expect_cases` is completed, a trafficking call, and has exactly one case;
    - every case's level-1 contacts (on duty, at its centre, not refused for good by Twilio) got
      exactly one SMS for it at the fake Twilio, counted per (case reference in the body, number);
    - nobody got the same case's SMS twice; every escalation marked sent matches a message Twilio has;
    - no outbox item is left not 'done'; no escalation is stuck 'pending' or 'sending'.
    """
    problems: list[str] = []
    accepted = fake.accepted()
    sids_at_twilio = {m["sid"] for m in list(fake.messages)}
    refused = set(fake.permanent)
    with sessions() as session:
        calls = {c.call_sid: c for c in session.scalars(select(Call))}
        cases_by_call = {}
        for case in session.scalars(select(Case)):
            cases_by_call.setdefault(case.call_id, []).append(case)
        contacts = list(session.scalars(select(Contact)))
        phone_of = {c.id: c.phone for c in contacts}
        for sid in [*expect_cases, *expect_calls]:
            if sid not in calls:
                problems.append(f"call {sid}: not in the database")
        for sid in expect_cases:
            call = calls.get(sid)
            if call is None:
                continue
            if call.status != "completed" or call.topic != "trafficking":
                problems.append(f"call {sid}: status {call.status}, topic {call.topic} (want completed, trafficking)")
            found = cases_by_call.get(call.id, [])
            if len(found) != 1:
                problems.append(f"call {sid}: {len(found)} cases (want exactly 1)")
        references = set()
        for found in cases_by_call.values():
            for case in found:
                references.add(case.reference)
                if case.level < 1:
                    problems.append(f"case {case.reference}: not on the ladder (level {case.level}, {case.status})")
                level_1 = [c.phone for c in contacts if c.centre_id == case.centre_id and c.level == 1 and c.on_duty
                           and c.active and c.phone not in refused]
                for phone in level_1:
                    if accepted[(case.reference, phone)] != 1:
                        problems.append(f"case {case.reference}: {accepted[(case.reference, phone)]} level-1 SMS "
                                        f"to {phone} at Twilio (want exactly 1)")
        for (reference, phone), n in sorted(accepted.items(), key=str):
            if n > 1:
                problems.append(f"DUPLICATE: {n} SMS to {phone} for {reference}")
            if reference not in references:
                problems.append(f"an SMS to {phone} names {reference}, which is no case")
        for e in session.scalars(select(Escalation).order_by(Escalation.id)):
            if e.status in ("pending", "sending"):
                problems.append(f"escalation {e.id} (case {e.case_id}, level {e.level}, {phone_of[e.contact_id]}) "
                                f"stuck '{e.status}'")
            elif e.status in ("sent", "delivered") and e.message_sid not in sids_at_twilio:
                problems.append(f"escalation {e.id} marked {e.status} with {e.message_sid}, which Twilio does not have")
            elif e.status == "failed" and phone_of[e.contact_id] not in refused:
                problems.append(f"escalation {e.id} to {phone_of[e.contact_id]} failed ({e.error_code})")
        for item in session.scalars(select(OutboxItem).where(OutboxItem.status != "done").order_by(OutboxItem.id)):
            problems.append(f"outbox {item.job_id}: '{item.status}' after {item.attempts} attempts "
                            f"({item.last_error or 'no error'})")
    return problems


def settle(check, stack, seconds: float, quiet: float = 3.0, fake=None) -> float:
    """Poll `check()` until it finds nothing wrong, then stay quiet a while and look again
    (a late duplicate must show up too). Returns how long it took; fails listing what is missing."""
    started = time.monotonic()
    deadline = started + seconds
    problems: list[str] = ["not checked yet"]
    while time.monotonic() < deadline:
        problems = check()
        if not problems:
            break
        time.sleep(1.0)
    took = time.monotonic() - started
    if not problems:
        time.sleep(quiet)
        problems = check()
    if problems or stack.dead():
        shown = "\n  ".join(problems[:40]) + (f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else "")
        outcomes = f"\nfake Twilio POST outcomes: {dict(fake.outcomes())}" if fake is not None else ""
        raise AssertionError(
            f"not settled after {seconds:.0f}s ({len(problems)} problems):\n  {shown}"
            f"\nprocesses that exited: {stack.dead() or 'none'}{outcomes}\n{stack.logs()}")
    return took

