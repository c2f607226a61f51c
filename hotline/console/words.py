"""The hotline's words in Thai and English, for values the database keeps as codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND = {
    "sexual_exploitation": _l("Sexual exploitation"),
    "forced_labour": _l("Forced labour or services (debt bondage, confiscated documents)"),
    "forced_begging": _l("Forced begging"),
    "slavery": _l("Slavery"),
    "organ_removal": _l("Organ removal"),
    "forced_criminality": _l("Forced criminality in a scam compound"),
    "child_exploitation": _l("Child exploitation"),
    "other": _l("Other"),
}

CALL_STATUS = {
    "queued": _l("queued"), "initiated": _l("starting"), "ringing": _l("ringing"), "in-progress": _l("in progress"),
    "completed": _l("completed"), "busy": _l("busy"), "no-answer": _l("no answer"), "failed": _l("failed"),
    "canceled": _l("cancelled"),
}
CASE_STATUS = {
    "new": _l("new"), "escalating": _l("escalating"), "acknowledged": _l("acknowledged"),
    "in_progress": _l("in progress"), "closed": _l("closed"),
}
OUTCOME = {
    "rescued_assisted": _l("rescued or assisted"), "referred_police": _l("referred to the police"),
    "referred_agency": _l("referred to another agency"), "no_action_needed": _l("no action needed"),
    "false_report": _l("false report"),
}
LANGUAGE = {"th": _l("Thai"), "en": _l("English"), "my": _l("Burmese"), "km": _l("Khmer"), "lo": _l("Lao")}
URGENCY = {"normal": _l("normal"), "urgent": _l("urgent")}
ROLE = {"operator": _l("operator"), "supervisor": _l("supervisor"), "admin": _l("administrator"),
        "field_officer": _l("field officer")}
TOPIC = {"trafficking": _l("human trafficking"), "other_help": _l("other help")}
EVENT = {"incoming": _l("call came in"), "status": _l("call status"), "ivr": _l("menu answer"),
         "recording": _l("voice message"), "dial": _l("operator line"), "fallback": _l("Twilio fallback")}
AUDIT = {
    "login": _l("logged in"), "login_failed": _l("failed login"), "login_blocked": _l("login blocked (too many attempts)"),
    "logout": _l("logged out"), "reveal_number": _l("revealed a caller number"),
    "play_recording": _l("played a recording"), "edit_call": _l("changed a call"), "open_case": _l("opened a case"),
    "export_csv": _l("exported CSV"), "api_call": _l("API call"),
    "retention": _l("retention run"), "subject_find": _l("data-subject request: looked up"),
    "subject_export": _l("data-subject request: exported"), "subject_erase": _l("data-subject request: erased"),
    "add_contact": _l("added a contact"), "edit_contact": _l("changed a contact"),
    "contact_duty": _l("changed a contact's duty"), "deactivate_contact": _l("deactivated a contact"),
    "reassign_case": _l("moved a case to another province"),
    "requeue_job": _l("requeued a failed job"),
}
TABLES = {"kind": KIND, "call_status": CALL_STATUS, "case_status": CASE_STATUS, "outcome": OUTCOME,
          "language": LANGUAGE, "urgency": URGENCY, "role": ROLE, "topic": TOPIC, "event": EVENT, "audit": AUDIT}


def say(table: str, code: str | None) -> str:
    """The word for a code in the user's language; an unknown code is shown as it is."""
    if code is None:
        return "–"
    return str(TABLES[table].get(code, code))


def choices(table: str) -> list[tuple[str, str]]:
    return [(code, str(word)) for code, word in TABLES[table].items()]
