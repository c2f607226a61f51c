"""The hotline's codes and their words: one table each for kinds, sources, urgencies, statuses, outcomes,
topics and languages, used by the menu, the console, the SMS, the API and the reports.

The database keeps the codes. The English words are marked with `N_` for the console's Thai catalogue
(`pybabel extract -k N_`, README); an SMS uses the kind's short Thai instead, to fit two segments.
"""
from __future__ import annotations

from dataclasses import dataclass


def N_(words: str) -> str:
    """Marks words for translation without translating them here (the console does, per user)."""
    return words


@dataclass(frozen=True)
class Kind:
    words: str
    sms_th: str  # short, for the field team's SMS


# Kinds of trafficking under the Anti-Trafficking in Persons Act B.E. 2551 and its amendments, in menu order.
KINDS = {
    "sexual_exploitation": Kind(N_("Sexual exploitation"), "แสวงประโยชน์ทางเพศ"),
    "forced_labour": Kind(N_("Forced labour or services (debt bondage, confiscated documents)"), "บังคับใช้แรงงาน"),
    "forced_begging": Kind(N_("Forced begging"), "บังคับขอทาน"),
    "slavery": Kind(N_("Slavery"), "เอาคนลงเป็นทาส"),
    "organ_removal": Kind(N_("Organ removal"), "ตัดอวัยวะ"),
    "forced_criminality": Kind(N_("Forced criminality in a scam compound"), "บังคับทำงานแก๊งหลอกลวง"),
    "child_exploitation": Kind(N_("Child exploitation"), "แสวงประโยชน์จากเด็ก"),
    "other": Kind(N_("Other"), "อื่นๆ"),
}
KIND_UNKNOWN_SMS_TH = "รอระบุประเภท"  # not known yet: the operator will set it

# Where a report came from. "training" is the IVR simulator's: opened so a trainer hears a reference, never escalated.
SOURCES = {
    "call": N_("phone call to 1300"),
    "app": N_("Protect-U app"),
    "volunteer": N_("volunteer (API)"),
    "agency": N_("agency (API)"),
    "line": N_("LINE chat"),
    "training": N_("training call (IVR simulator)"),
}
TRAINING = "training"

URGENCIES = {"normal": N_("normal"), "urgent": N_("urgent")}
TOPICS = {"trafficking": N_("human trafficking"), "other_help": N_("other help")}

CASE_STATUSES = {
    "new": N_("new"), "escalating": N_("escalating"), "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"), "closed": N_("closed"),
}
OPEN_STATUSES = ["new", "escalating", "acknowledged", "in_progress"]
WAITING_STATUSES = ("new", "escalating")  # nobody has taken the case yet: the SMS ladder runs
# Which status may follow which; an operator may close an open case at any point.
NEXT = {
    "new": {"escalating", "acknowledged", "in_progress", "closed"},
    "escalating": {"acknowledged", "in_progress", "closed"},
    "acknowledged": {"in_progress", "closed"},
    "in_progress": {"closed"},
    "closed": set(),
}
OUTCOMES = {
    "rescued_assisted": N_("rescued or assisted"), "referred_police": N_("referred to the police"),
    "referred_agency": N_("referred to another agency"), "no_action_needed": N_("no action needed"),
    "false_report": N_("false report"), "no_trafficking": N_("no trafficking found"),
    "not_found": N_("not found"),
}

# The case story (models/story.py). Signs of trafficking an operator ticks on the intake, in checklist order.
INDICATORS = {
    "documents_taken": N_("identity documents taken"),
    "debt_bondage": N_("debt owed to the employer or recruiter"),
    "not_free_to_leave": N_("not free to leave, or locked in"),
    "threats_violence": N_("threats or violence"),
    "pay_withheld": N_("pay withheld, or none"),
    "deceived_job": N_("deceived about the job"),
    "child_commercial_sex": N_("a child in commercial sex"),
    "forced_crime": N_("forced to commit crimes (scam compounds included)"),
    "moved_across_border": N_("moved across a border"),
}
# Other agencies a case can be referred to.
AGENCIES = {
    "police_191": N_("police (191)"),
    "atp_police": N_("anti-trafficking police (TICAC / AHTD)"),
    "dsi": N_("Department of Special Investigation (DSI)"),
    "shelter": N_("provincial shelter"),
    "embassy": N_("embassy or consulate"),
    "ngo": N_("NGO"),
}
REFERRAL_STATUSES = {"requested": N_("requested"), "accepted": N_("accepted by the agency"), "declined": N_("declined"),
                     "done": N_("done")}
REFERRAL_NEXT = {"requested": {"accepted", "declined"}, "accepted": {"done"}, "declined": set(), "done": set()}
# What a field team reports by SMS after acknowledging.
FIELD_REPORTS = {"arrived": N_("arrived"), "done": N_("done"), "note": N_("note")}

# Twilio's call statuses and the console's words for them (models.calls orders them).
CALL_STATUSES = {
    "queued": N_("queued"), "initiated": N_("starting"), "ringing": N_("ringing"), "in-progress": N_("in progress"),
    "completed": N_("completed"), "busy": N_("busy"), "no-answer": N_("no answer"), "failed": N_("failed"),
    "canceled": N_("cancelled"),
}

# An SMS's statuses: an escalation attempt's (models.cases.Escalation) and a message's (Twilio's, and "received",
# "twiml" for the answer to a reply, "dry-run" for one written instead of sent), as the console shows them.
SMS_STATUSES = {
    "pending": N_("waiting to be sent"), "sending": N_("sending"), "accepted": N_("accepted"), "queued": N_("queued"),
    "scheduled": N_("scheduled"), "sent": N_("sent"), "delivered": N_("delivered"), "read": N_("read"),
    "undelivered": N_("not delivered"), "failed": N_("failed"), "acknowledged": N_("acknowledged"),
    "cancelled": N_("cancelled"), "canceled": N_("cancelled"), "superseded": N_("superseded"),
    "skipped": N_("skipped"), "receiving": N_("arriving"), "received": N_("received"), "twiml": N_("answered"),
    "dry-run": N_("dry run"),
}


@dataclass(frozen=True)
class Language:
    words: str  # in English, for the console
    own: str  # in its own script, as the menu and the chat offer it


LANGUAGES = {
    "th": Language(N_("Thai"), "ไทย (Thai)"),
    "en": Language(N_("English"), "English"),
    "my": Language(N_("Burmese"), "မြန်မာ (Burmese)"),
    "km": Language(N_("Khmer"), "ខ្មែរ (Khmer)"),
    "lo": Language(N_("Lao"), "ລາວ (Lao)"),
}

# An operator's state at the desk (models.desk.DeskProfile; casework.desk changes it). "offered" and "on_call" are
# the router's: a person chooses only DESK_CHOSEN; wrap_up ends when they choose to be available (or away).
DESK_STATES = {
    "available": N_("available"), "offered": N_("call offered"), "on_call": N_("on a call"),
    "wrap_up": N_("wrapping up"), "away": N_("away"),
}
DESK_CHOSEN = ("available", "away")
# Which state may follow which (the router's moves included, for its later step).
DESK_NEXT = {
    "available": {"offered", "away"},
    "offered": {"on_call", "available", "away"},  # answered; declined or the caller left; missed
    "on_call": {"wrap_up"},
    "wrap_up": {"available", "away"},
    "away": {"available"},
}
# A caller in line for a person (models.DeskWait), and one ring of an operator (models.DeskOffer).
WAIT_STATES = {
    "waiting": N_("waiting"), "offered": N_("being offered"), "deciding": N_("choosing to leave a message"),
    "answered": N_("answered"),
    "message": N_("left a message"), "abandoned": N_("hung up waiting"), "ended": N_("ended"),
}
OFFER_STATES = {
    "ringing": N_("ringing"), "answered": N_("answered"), "missed": N_("not answered"), "declined": N_("declined"),
    "cancelled": N_("cancelled"), "failed": N_("failed"), "ended": N_("ended"),
}
# The endpoint an operator is rung at: a phone number, a SIP address, or the console in their browser.
ENDPOINTS = {"phone": N_("phone"), "sip": N_("SIP address"), "browser": N_("browser")}
