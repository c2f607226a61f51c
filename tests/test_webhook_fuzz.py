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
