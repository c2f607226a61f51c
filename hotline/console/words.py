"""The hotline's words in Thai and English, for values the database keeps as codes: the vocabulary's
(`models.vocabulary`), the console's own (roles, call events, audit actions, queues), and the notes the hotline
itself writes in a case's history."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import CENTRAL
from models.vocabulary import (
    AGENCIES,
    CALL_STATUSES,
    CASE_STATUSES,
    DESK_STATES,
    ENDPOINTS,
    FIELD_REPORTS,
    INDICATORS,
    KINDS,
    LANGUAGES,
    OUTCOMES,
    REFERRAL_STATUSES,
    SMS_STATUSES,
    SOURCES,
    TOPICS,
    URGENCIES,
    WAIT_STATES,
)

from .i18n import province_label

# The vocabulary's words, translated per user (their msgids are the vocabulary's `N_` words).
KIND = {code: _l(kind.words) for code, kind in KINDS.items()}
CALL_STATUS = {code: _l(words) for code, words in CALL_STATUSES.items()}
CASE_STATUS = {code: _l(words) for code, words in CASE_STATUSES.items()}
OUTCOME = {code: _l(words) for code, words in OUTCOMES.items()}
LANGUAGE = {code: _l(language.words) for code, language in LANGUAGES.items()}
URGENCY = {code: _l(words) for code, words in URGENCIES.items()}
TOPIC = {code: _l(words) for code, words in TOPICS.items()}
SOURCE = {code: _l(words) for code, words in SOURCES.items()}
SMS_STATUS = {code: _l(words) for code, words in SMS_STATUSES.items()}
INDICATOR = {code: _l(words) for code, words in INDICATORS.items()}
AGENCY = {code: _l(words) for code, words in AGENCIES.items()}
REFERRAL_STATUS = {code: _l(words) for code, words in REFERRAL_STATUSES.items()}
FIELD_REPORT = {code: _l(words) for code, words in FIELD_REPORTS.items()}
DESK_STATE = {code: _l(words) for code, words in DESK_STATES.items()}
ENDPOINT = {code: _l(words) for code, words in ENDPOINTS.items()}
ROLE = {"operator": _l("operator"), "supervisor": _l("supervisor"), "admin": _l("administrator"),
        "field_officer": _l("field officer")}
EVENT = {"incoming": _l("call came in"), "status": _l("call status"), "ivr": _l("menu answer"),
         "recording": _l("voice message"), "dial": _l("operator line"), "fallback": _l("Twilio fallback"),
         "desk": _l("operator desk")}
# A desk event's key (casework.desk_calls, desk_controls): desk:<what>:...
DESK_EVENT = {"conference": _l("conference"), "offer": _l("operator rung"), "leave": _l("message offer"),
              "control": _l("call control"), "callback": _l("call back")}
ACTOR = {"system": _l("system")}  # the other actors are people: user:<id> and contact:<id>, shown by name
QUEUE = {"urgent": _l("urgent"), "default": _l("general"), "sms": _l("SMS")}  # workers.queues
AUDIT = {
    "login": _l("logged in"), "login_failed": _l("failed login"), "login_blocked": _l("login blocked (too many attempts)"),
    "logout": _l("logged out"), "reveal_number": _l("revealed a caller number"),
    "play_recording": _l("played a recording"), "view_line_media": _l("opened what a person sent on LINE"),
    "edit_call": _l("changed a call"), "open_case": _l("opened a case"),
    "export_csv": _l("exported CSV"), "api_call": _l("API call"),
    "export_case": _l("printed a case for handover"),
    "retention": _l("retention run"), "subject_find": _l("data-subject request: looked up"),
    "subject_export": _l("data-subject request: exported"), "subject_erase": _l("data-subject request: erased"),
    "add_contact": _l("added a contact"), "edit_contact": _l("changed a contact"),
    "contact_duty": _l("changed a contact's duty"), "deactivate_contact": _l("deactivated a contact"),
    "reassign_case": _l("moved a case to another province"),
    "requeue_job": _l("requeued a failed job"),
    "simulate_reply": _l("replied in a field team's place (dry run)"),
    "create_user": _l("created a console user"), "deactivate_user": _l("deactivated a console user"),
    "activate_user": _l("activated a console user"), "reset_password": _l("reset a user's password"),
    "change_password": _l("changed their own password"), "set_role": _l("changed a user's role or provinces"),
    "end_sessions": _l("ended a user's logins"),
    "save_intake": _l("saved a case's intake"), "reveal_account": _l("read a case's account hidden from their role"),
    "reveal_identity": _l("revealed who reported a case"),
    "refer_case": _l("referred a case to an agency"), "advance_referral": _l("changed a referral's status"),
    "link_call": _l("linked a call to a case"),
    "take_chat": _l("took a LINE chat"), "reply_chat": _l("replied in a LINE chat"),
    "end_chat": _l("ended a LINE chat"), "link_chat": _l("linked a LINE chat to a case"),
    "desk_state": _l("changed a desk state"), "desk_profile": _l("changed a desk profile"),
    "desk_control": _l("controlled a desk call"),
    "add_interpreter": _l("added an interpreter"), "edit_interpreter": _l("changed an interpreter"),
    "interpreter_duty": _l("changed an interpreter's duty"), "deactivate_interpreter": _l("deactivated an interpreter"),
}
AUDIT["call_back"] = _l("called a caller back")
TABLES = {"kind": KIND, "call_status": CALL_STATUS, "case_status": CASE_STATUS, "outcome": OUTCOME,
          "language": LANGUAGE, "urgency": URGENCY, "source": SOURCE, "role": ROLE, "topic": TOPIC, "event": EVENT,
          "audit": AUDIT, "sms_status": SMS_STATUS, "actor": ACTOR, "queue": QUEUE, "indicator": INDICATOR,
          "agency": AGENCY, "referral_status": REFERRAL_STATUS, "field_report": FIELD_REPORT,
          "desk_state": DESK_STATE, "endpoint": ENDPOINT}
TABLES["wait_state"] = {code: _l(words) for code, words in WAIT_STATES.items()}  # a caller in line for a person


def say(table: str, code: str | None) -> str:
    """The word for a code in the user's language; an unknown code is shown as it is."""
    if code is None:
        return "–"
    return str(TABLES[table].get(code, code))


def choices(table: str) -> list[tuple[str, str]]:
    return [(code, str(word)) for code, word in TABLES[table].items()]


def _routed(code: str) -> str:
    centre = _("central triage") if code == CENTRAL else _("the %(province)s centre", province=province_label(code))
    return _("routed to %(centre)s", centre=centre)


# The notes casework writes in a case's history (casework.intake, casework.ladder, casework.field_reports), in English, as the user's words.
NOTES = [
    (re.compile(r"routed to (\S+)"), lambda found: _routed(found[1])),
    (re.compile(r"no centre loaded: unrouted"), lambda found: _("no centre loaded: not routed")),
    (re.compile(r"level (\d+)"), lambda found: _("level %(n)s", n=found[1])),
    (re.compile(r"ACK by SMS from level (\d+)"), lambda found: _("ACK by SMS from level %(n)s", n=found[1])),
    (re.compile(r"simulated ACK \(dry run\) for level (\d+)"),
     lambda found: _("simulated ACK (dry run) for level %(n)s", n=found[1])),
    (re.compile(r"reported by SMS: (arrived|done)"),
     lambda found: _("reported by SMS: %(report)s", report=say("field_report", found[1]))),
    (re.compile(r"call (\d+) linked"), lambda found: _("call %(ref)s linked", ref=found[1])),  # casework.linking
]


def history_note(note: str | None) -> str:
    """A note of the hotline's own in the user's words; a person's note as they wrote it."""
    for pattern, words in NOTES:
        found = pattern.fullmatch(note or "")
        if found:
            return words(found)
    return note or ""
