"""The hotline's words in Thai and English, for values the database keeps as codes: the vocabulary's
(`models.vocabulary`), and the console's own (roles, call events, audit actions)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.vocabulary import CALL_STATUSES, CASE_STATUSES, KINDS, LANGUAGES, OUTCOMES, SOURCES, TOPICS, URGENCIES

# The vocabulary's words, translated per user (their msgids are the vocabulary's `N_` words).
KIND = {code: _l(kind.words) for code, kind in KINDS.items()}
CALL_STATUS = {code: _l(words) for code, words in CALL_STATUSES.items()}
CASE_STATUS = {code: _l(words) for code, words in CASE_STATUSES.items()}
OUTCOME = {code: _l(words) for code, words in OUTCOMES.items()}
LANGUAGE = {code: _l(language.words) for code, language in LANGUAGES.items()}
URGENCY = {code: _l(words) for code, words in URGENCIES.items()}
TOPIC = {code: _l(words) for code, words in TOPICS.items()}
SOURCE = {code: _l(words) for code, words in SOURCES.items()}
ROLE = {"operator": _l("operator"), "supervisor": _l("supervisor"), "admin": _l("administrator"),
        "field_officer": _l("field officer")}
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
    "simulate_reply": _l("replied in a field team's place (dry run)"),
    "create_user": _l("created a console user"), "deactivate_user": _l("deactivated a console user"),
    "activate_user": _l("activated a console user"), "reset_password": _l("reset a user's password"),
    "change_password": _l("changed their own password"), "set_role": _l("changed a user's role or provinces"),
    "end_sessions": _l("ended a user's logins"),
}
TABLES = {"kind": KIND, "call_status": CALL_STATUS, "case_status": CASE_STATUS, "outcome": OUTCOME,
          "language": LANGUAGE, "urgency": URGENCY, "source": SOURCE, "role": ROLE, "topic": TOPIC, "event": EVENT,
          "audit": AUDIT}


def say(table: str, code: str | None) -> str:
    """The word for a code in the user's language; an unknown code is shown as it is."""
    if code is None:
        return "–"
    return str(TABLES[table].get(code, code))


def choices(table: str) -> list[tuple[str, str]]:
    return [(code, str(word)) for code, word in TABLES[table].items()]
