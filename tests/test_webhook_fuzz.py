"""Hostile but correctly signed webhooks: never a 500, never an unhandled exception, always TwiML.

Hypothesis sends 10,000+ requests across every Twilio webhook: missing keys, huge values,
control characters, any unicode, numbers that are not numbers, menu steps that do not exist.
"""
from __future__ import annotations

import logging
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
from helpers.support import AUTH_TOKEN, Twilio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.config import Config
from casework.ivr.menu import MENU
from hotline import create_app

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]
EXAMPLES = 1500  # per webhook: 7 webhooks -> 10,500 requests

TWILIO_KEYS = ["CallSid", "From", "To", "CallStatus", "Digits", "SequenceNumber", "CallDuration", "RecordingSid",
               "RecordingUrl", "RecordingDuration", "RecordingStatus", "DialCallStatus", "QueueResult", "ErrorCode",
               "ErrorUrl", "MessageSid", "MessageStatus", "Body", "AccountSid", "Direction"]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.text(alphabet="\x00\x01\x07\x1b\x7f\r\n\t<>&\"'", max_size=50),
    st.sampled_from(["", "anonymous", "+266696687", "+66812345678", "0053123456", "completed", "ringing", "1", "0",
                     "*", "#", "50200", "99999", "ACK 0001", "รับ ๐๐๐๑", "CA" + "a" * 32, "-1", "1e309", "NaN"]),
    st.integers(min_value=1000, max_value=4500).map(lambda n: "x" * n),  # 12 of them stay under MAX_CONTENT_LENGTH
)
forms = st.dictionaries(st.one_of(st.sampled_from(TWILIO_KEYS), st.text(min_size=1, max_size=20)), hostile_text,
                        max_size=12).map(lambda form: {k: v for k, v in form.items() if "\x00" not in k})
ivr_paths = st.builds(lambda node, s, t: f"/voice/ivr/{node}?" + urlencode({"s": s, "try": t}, quote_via=quote),
                      st.one_of(st.sampled_from(sorted(MENU)), st.text(alphabet="abcxyz_-.", min_size=1, max_size=20)),
                      st.one_of(st.integers(-5, 100).map(str), st.text(max_size=5)),
                      st.one_of(st.integers(-5, 5).map(str), st.text(max_size=5)))


@pytest.fixture(scope="module")
def fuzz(sqlite_url, tmp_path_factory):
    config = Config(ENV="test", DATABASE_URL=sqlite_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, SECRET_KEY="t",
                    OPERATOR_DIAL_TARGET="+6621234567", SPOOL_DIR=tmp_path_factory.mktemp("spool"), TESTING=True)
    config.check()
    return Twilio(create_app(config).test_client())


class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:  # an unhandled exception the app caught as a last resort
            self.records.append(record)


@pytest.fixture
def errors():
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def answers_twiml(response) -> None:
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "text/xml"
    assert ElementTree.fromstring(response.get_data()).tag == "Response"


@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/status", "/voice/fallback", "/voice/recording",
                                  "/sms/incoming", "/sms/status"])
def test_hostile_webhooks_always_get_twiml(fuzz, errors, path):
    @given(form=forms)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def hostile(form):
        answers_twiml(fuzz.post(path, form))

    hostile()
    assert errors == [], [r.getMessage() for r in errors[:5]]


def test_hostile_menu_steps_always_get_twiml(fuzz, errors):
    @given(path=ivr_paths, form=forms)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def hostile(path, form):
        answers_twiml(fuzz.post(path, form))

    hostile()
    assert errors == [], [r.getMessage() for r in errors[:5]]


def test_hostile_menu_steps_after_the_case_opened_get_twiml_and_leave_one_case(fuzz, errors):
    """Late input (a key press after the final status opened the case) goes through casework.late_input: hostile
    steps for that call must never fail it, nor open a second case."""
    from helpers.ladder import report
    from helpers.support import call_params
    from sqlalchemy import func, select

    from models import Call, Case

    sid = "CA" + "f" * 32
    report(fuzz, sid, ["1", "3"])  # the status callback arrives before any postcode: the case opened unrouted
    late_steps = st.builds(lambda node, s: (f"/voice/ivr/{node}?s={s}&try=1", node),
                           st.sampled_from(sorted(MENU)), st.integers(2, 40))

    @given(step=late_steps, digits=hostile_text)
    @settings(max_examples=EXAMPLES // 3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def hostile(step, digits):
        answers_twiml(fuzz.post(step[0], call_params(sid, Digits=digits)))

    hostile()
    assert errors == [], [r.getMessage() for r in errors[:5]]
    sessions = fuzz.client.application.extensions["sessions"]
    with sessions() as session:
        call_id = session.scalar(select(Call.id).where(Call.call_sid == sid))
        assert session.scalar(select(func.count()).select_from(Case).where(Case.call_id == call_id)) == 1
