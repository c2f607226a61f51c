"""A case with its whole story written directly with the models (issue 19): a call, an API report with its
reporter and coordinates, an intake in two versions, field reports, a referral with its steps, an escalation and
notes. Every name, number, note, place and coordinate in it is distinctive, so a test can look for each of them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers.console_support import add_call, add_case, add_centre
from models import (
    Annotation,
    ApiToken,
    Case,
    CaseTransition,
    Contact,
    Escalation,
    FieldReport,
    Intake,
    Referral,
    ReferralStep,
    Report,
    User,
)

CALLER = "+66891234567"
API_CONTACT = "+66898765432"
REPORTER_ID = "reporter-ZX81Q"
DESCRIPTION = "Seven workers locked in a shed behind the Golden Lotus karaoke"
PLACE = "Soi Wat Umong 12, house of Mr Prasert Kaewmanee"
LANDMARK = "behind the blue water tower near Kad Suan Kaew"
HELD_RESPONSIBLE = "Boss Somsak Thongdee and his driver Jirawat"
FIELD_NOTE = "Team met Malee Srisuk at the gate of the shed"
REFERRAL_DETAIL = "Chang Phueak police station, Lt. Anan Boonmee"
STEP_NOTE = "Handed over to Sgt. Wichai Pongsak"
CASE_NOTE = "The caller's sister Nong Fon Rattanakorn works there"
TRANSITION_NOTE = "Duty officer Kittipong on the way"
INTAKE_POINT = (18.80123, 98.95111)
REPORT_POINT = (18.79041, 98.98437)
OPENED = datetime(2026, 11, 25, 3, 5, tzinfo=UTC)

# What must never leave in a de-identified export (the print view keeps the notes and places, never the caller).
SECRETS = (CALLER, CALLER[3:], "0" + CALLER[3:], API_CONTACT, API_CONTACT[3:], REPORTER_ID, DESCRIPTION, PLACE,
           LANDMARK, HELD_RESPONSIBLE, FIELD_NOTE, REFERRAL_DETAIL, STEP_NOTE, CASE_NOTE, TRANSITION_NOTE,
           "Somchai", "+6681005", "810050011", "Prasert", "Malee", "Anan", "Nong Fon", "Kittipong",
           "18.80", "98.95", "18.79", "98.98", "SMfield", "CAstory")
IDENTITY = (CALLER, CALLER[3:], "0" + CALLER[3:], API_CONTACT, API_CONTACT[3:], REPORTER_ID, "+6681005", "810050011")


def add_story(db, author: User, reference: str = "1300-69-004821", intake_point: bool = True,
              source: str = "call") -> Case:
    """The case (Chiang Mai, acknowledged, then closed with people rescued) and its story."""
    contact = db.query(Contact).first() or add_centre(db)
    call = add_call(db, call_sid=f"CAstory{reference[-6:]}", from_raw=CALLER, from_e164=CALLER, callback_consent=True)
    case = add_case(db, call, reference=reference, urgency="urgent", district_code="5001", status="closed",
                    outcome="rescued_assisted", created_at=OPENED, acknowledged_at=OPENED + timedelta(minutes=12),
                    closed_at=OPENED + timedelta(hours=5), source=source)
    token = db.query(ApiToken).first() or ApiToken(name="Protect-U", token_hash=f"{case.id:064d}", prefix="hl_test",
                                                   scope="all", provinces=[])
    db.add(token)
    db.flush()
    db.add(Report(token_id=token.id, idempotency_key=f"key-{reference}", case_id=case.id, reporter_type="app_user",
                  reporter_id=REPORTER_ID, contact_number=API_CONTACT, callback_consent=True, description=DESCRIPTION,
                  latitude=REPORT_POINT[0], longitude=REPORT_POINT[1]))
    first = dict(case_id=case.id, author_id=author.id, call_id=call.id, people_count=3, nationalities=["MM"],
                 province_code="50", indicators=[], created_at=OPENED + timedelta(minutes=2))
    db.add(Intake(version=1, **first))
    db.add(Intake(**{**first, "version": 2, "people_count": 7, "minors_count": 2, "female_count": 3, "male_count": 4,
                     "nationalities": ["MM", "KH"], "district_code": "5001", "subdistrict_code": "500101",
                     "place": PLACE, "landmark": LANDMARK, "indicators": ["documents_taken", "not_free_to_leave"],
                     "immediate_danger": True, "held_responsible": HELD_RESPONSIBLE,
                     "latitude": INTAKE_POINT[0] if intake_point else None,
                     "longitude": INTAKE_POINT[1] if intake_point else None,
                     "created_at": OPENED + timedelta(minutes=8)}))
    escalation = Escalation(case_id=case.id, level=1, contact_id=contact.id, status="acknowledged",
                            sent_at=OPENED + timedelta(minutes=1), delivered_at=OPENED + timedelta(minutes=2),
                            acknowledged_at=OPENED + timedelta(minutes=12))
    db.add(escalation)
    db.add_all([
        CaseTransition(case_id=case.id, from_status=None, to_status="new", actor="system", note="routed to 50", at=OPENED),
        CaseTransition(case_id=case.id, from_status="new", to_status="acknowledged", actor=f"contact:{contact.id}",
                       note=TRANSITION_NOTE, at=OPENED + timedelta(minutes=12)),
        FieldReport(case_id=case.id, contact_id=contact.id, message_sid=f"SMfield{reference[-6:]}1", kind="arrived",
                    at=OPENED + timedelta(minutes=12, hours=2)),
        FieldReport(case_id=case.id, contact_id=contact.id, message_sid=f"SMfield{reference[-6:]}2", kind="note",
                    body=FIELD_NOTE, at=OPENED + timedelta(hours=3)),
        FieldReport(case_id=case.id, contact_id=contact.id, message_sid=f"SMfield{reference[-6:]}3", kind="done",
                    outcome="rescued_assisted", rescued_count=5, at=OPENED + timedelta(hours=5)),
        Annotation(case_id=case.id, author_id=author.id, body=CASE_NOTE, created_at=OPENED + timedelta(minutes=20)),
    ])
    referral = Referral(case_id=case.id, agency="police_191", detail=REFERRAL_DETAIL, status="done",
                        created_at=OPENED + timedelta(minutes=30))
    referral.steps = [ReferralStep(status="requested", actor=f"user:{author.id}", at=OPENED + timedelta(minutes=30)),
                      ReferralStep(status="accepted", actor=f"user:{author.id}", note=STEP_NOTE,
                                   at=OPENED + timedelta(minutes=40)),
                      ReferralStep(status="done", actor=f"user:{author.id}", at=OPENED + timedelta(hours=4))]
    db.add_all([referral, Referral(case_id=case.id, agency="ngo", status="declined",
                                   created_at=OPENED + timedelta(minutes=31))])
    db.commit()
    return case
