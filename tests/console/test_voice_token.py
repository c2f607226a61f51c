"""The browser endpoint's Voice SDK access token (issue 16): minted by the twilio package for the user's own
identity, short-lived, and only for someone whose desk profile rings the browser."""
from __future__ import annotations

import time

import jwt
import pytest

from models import DeskProfile

KEY_SID, KEY_SECRET = "SK" + "5" * 32, "api-key-secret-for-tests-32-bytes-long"


@pytest.fixture
def keyed(app):
    config = app.config["HOTLINE"]
    config.TWILIO_ACCOUNT_SID, config.TWILIO_API_KEY_SID, config.TWILIO_API_KEY_SECRET = "AC" + "0" * 32, KEY_SID, KEY_SECRET
    yield config
    config.TWILIO_ACCOUNT_SID = config.TWILIO_API_KEY_SID = config.TWILIO_API_KEY_SECRET = None


def profile(db, user, endpoint: str) -> None:
    db.add(DeskProfile(user_id=user.id, languages=["th"], endpoint=endpoint, state="away"))
    db.commit()


def test_an_operator_who_takes_calls_in_the_browser_gets_a_short_token_for_their_own_identity(db, users, as_role, keyed):
    profile(db, users["operator"], "browser")
    response = as_role("operator").get("/console/desk/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(response.json["token"], KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == KEY_SID and claims["sub"] == "AC" + "0" * 32
    assert claims["grants"]["identity"] == f"user-{users['operator'].id}" == response.json["identity"]
    assert claims["grants"]["voice"]["incoming"]["allow"] is True
    assert 0 < claims["exp"] - time.time() <= 600


def test_no_token_for_a_phone_endpoint_nor_without_a_profile_nor_without_an_api_key(db, users, as_role, app):
    operator = as_role("operator")
    assert operator.get("/console/desk/token").json["error"] == "not_browser"
    profile(db, users["operator"], "+66812345678")
    assert operator.get("/console/desk/token").status_code == 409
    db.get(DeskProfile, users["operator"].id).endpoint = "browser"
    db.commit()
    answer = operator.get("/console/desk/token")
    assert answer.status_code == 409 and answer.json["error"] == "browser_calls_off" and "token" not in answer.json


def test_an_admin_gets_no_token(users, as_role, keyed):
    assert as_role("admin").get("/console/desk/token").status_code == 403
