"""Only Twilio gets in: X-Twilio-Signature is checked on every webhook, behind a proxy too."""
from __future__ import annotations

import pytest
from helpers.support import AUTH_TOKEN, Twilio, call_params
from sqlalchemy import func, select
from twilio.request_validator import HMAC_SHA256, RequestValidator

from casework.config import Config, ConfigError
from hotline import create_app
from models import Call, CallEvent

WEBHOOKS = ["/voice/incoming", "/voice/status", "/voice/fallback", "/voice/recording", "/voice/ivr/main?s=2&try=1"]


def nothing_written(db) -> bool:
    return db.scalar(select(func.count()).select_from(Call)) == 0 == db.scalar(select(func.count()).select_from(CallEvent))


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_correct_signature_is_accepted(twilio, path):
    assert twilio.post(path, call_params()).status_code == 200


@pytest.mark.parametrize("path", WEBHOOKS)
@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", "x" * 500])
def test_a_missing_or_wrong_signature_is_refused_and_writes_nothing(twilio, db, path, signature):
    assert twilio.post(path, call_params(), signature=signature).status_code == 403
    assert nothing_written(db)


def test_a_replay_with_changed_parameters_is_refused(twilio, db):
    good = Twilio(twilio.client).validator.compute_signature(twilio.base_url + "/voice/incoming", call_params())
    assert twilio.post("/voice/incoming", call_params(From="+66899999999"), signature=good).status_code == 403
    assert nothing_written(db)


def test_a_signature_for_another_url_is_refused(twilio, db):
    response = twilio.post("/voice/incoming", call_params(), signed_url="https://evil.example/voice/incoming")
    assert response.status_code == 403 and nothing_written(db)


def test_a_signature_made_with_another_token_is_refused(client, db):
    assert Twilio(client, token="someone-elses-token").post("/voice/incoming", call_params()).status_code == 403
    assert nothing_written(db)


def test_behind_a_reverse_proxy_the_public_url_is_what_twilio_signed(config):
    config.PROXY_FIX_X_FOR = 1
    client = create_app(config).test_client()
    params = call_params()
    public = "https://hotline.example.go.th/voice/incoming"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public, params)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.go.th", "X-Forwarded-For": "54.172.60.1",
               "X-Twilio-Signature": signature}
    assert client.post("/voice/incoming", data=params, base_url="http://10.0.0.5:8000", headers=proxied).status_code == 200
    # Without ProxyFix the app sees its internal URL and must refuse.
    config.PROXY_FIX_X_FOR = 0
    unproxied = create_app(config).test_client()
    assert unproxied.post("/voice/incoming", data=params, base_url="http://10.0.0.5:8000", headers=proxied).status_code == 403


def test_public_base_url_overrides_the_host_the_app_sees(config):
    config.PUBLIC_BASE_URL = "https://1300.m-society.go.th"
    client = create_app(config).test_client()
    params = call_params()
    signature = RequestValidator(AUTH_TOKEN).compute_signature("https://1300.m-society.go.th/voice/ivr/main?s=2&try=1", params)
    response = client.post("/voice/ivr/main?s=2&try=1", data=params, base_url="http://127.0.0.1:5000",
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200


def test_a_request_signed_for_another_host_of_the_account_is_refused(config, db):
    """Staging shares the Twilio account (and its auth token): its signed request, replayed here with its Host, must
    not pass for the hotline's."""
    config.PUBLIC_BASE_URL = "https://hotline.example"
    client = create_app(config).test_client()
    params = call_params()
    signature = RequestValidator(AUTH_TOKEN).compute_signature("https://staging.example/voice/incoming", params)
    response = client.post("/voice/incoming", data=params, base_url="https://staging.example",
                           headers={"X-Twilio-Signature": signature, "Host": "staging.example"})
    assert response.status_code == 403 and nothing_written(db)


def test_hmac_sha256_with_the_webhook_shared_key(config, db):
    config.TWILIO_WEBHOOK_SHARED_KEY = "shared-key-secret"
    client = create_app(config).test_client()
    params, url = call_params(), "https://hotline.example.go.th/voice/incoming"
    settings = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    good = RequestValidator("shared-key-secret").compute_signature(url, params, HMAC_SHA256)
    wrong = RequestValidator(AUTH_TOKEN).compute_signature(url, params, HMAC_SHA256)
    def post(signature):
        return client.post("/voice/incoming", data=params, base_url="https://hotline.example.go.th",
                           headers={**settings, "X-Twilio-Signature": signature})

    assert post(wrong).status_code == 403
    assert post(good).status_code == 200


def test_signature_checking_can_be_switched_off_only_in_development(database_url):
    with pytest.raises(ConfigError, match="only with HOTLINE_ENV=development"):
        Config.from_env({"TWILIO_SIGNATURE_CHECK": "off", "SECRET_KEY": "s", "TWILIO_AUTH_TOKEN": "t",
                         "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM_NUMBER": "+6620001300",
                         "OPERATOR_DIAL_TARGET": "+6621234567", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    dev = Config.from_env({"HOTLINE_ENV": "development", "TWILIO_SIGNATURE_CHECK": "off", "DATABASE_URL": database_url})
    assert create_app(dev).test_client().post("/voice/incoming", data=call_params()).status_code == 200
    assert Config.from_env({"HOTLINE_ENV": "development"}).TWILIO_SIGNATURE_CHECK is True  # on unless said otherwise
