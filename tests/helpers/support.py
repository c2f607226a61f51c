"""Helpers the tests share: Twilio-signed requests, TwiML parsing, migrations."""
from __future__ import annotations

from xml.etree import ElementTree

from alembic import command
from alembic.config import Config as AlembicConfig
from twilio.request_validator import RequestValidator

from casework.config import ROOT
from models import make_engine

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
BASE_URL = "https://hotline.example.go.th"
OPERATOR = "+6621234567"


class Twilio:
    """Sends requests signed exactly as Twilio signs them."""

    def __init__(self, client, token: str = AUTH_TOKEN, base_url: str = BASE_URL):
        self.client, self.base_url = client, base_url
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict, signature: str | None = None, headers: dict | None = None,
             signed_url: str | None = None):
        url = signed_url or self.base_url + path
        signature = signature if signature is not None else self.validator.compute_signature(url, params)
        return self.client.post(path, data=params, base_url=self.base_url,
                                headers={"X-Twilio-Signature": signature, **(headers or {})})


def call_params(sid: str = "CA" + "1" * 32, **extra) -> dict:
    return {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+66812345678", "To": "+661300",
            "CallStatus": "ringing", "Direction": "inbound", **extra}


def parse_twiml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "Response"
    return root


def migrate(url: str) -> None:
    """Build the schema with the real migrations, as `release` does."""
    engine = make_engine(url)
    with engine.begin() as connection:
        cfg = AlembicConfig(str(ROOT / "alembic.ini"))
        cfg.attributes["connection"] = connection
        cfg.attributes["configure_logger"] = False
        command.upgrade(cfg, "head")
    engine.dispose()


def outbox_row(item) -> tuple:
    return item.job_id, item.function, item.args, item.queue


def start_row(case) -> tuple:
    """The outbox row `casework.intake.report_arrived` writes for a new case, whichever channel it came by."""
    from casework import work

    start = work.start_escalation(case)
    return start.job_id, start.job, list(start.args), start.queue
