"""The phone in the browser (issue 16): Twilio's Voice SDK is served by the app itself, byte for byte the npm
tarball's build, and the desk page carries the phone (same-origin scripts only) just for a browser endpoint."""
from __future__ import annotations

import hashlib
import json
import re

from helpers.visible_text import english_words, visible_text

from casework.config import ROOT
from models import DeskProfile

VENDOR = ROOT / "hotline" / "static" / "console" / "vendor"
SCRIPT = re.compile(r'<script\b[^>]*\bsrc="([^"]*)"')


def pinned() -> str:
    return json.loads((VENDOR / "package.json").read_text())["dependencies"]["@twilio/voice-sdk"]


def recorded() -> tuple[str, str]:
    """What bin/vendor-voice-sdk wrote: the sha256 of the tarball's dist/twilio.min.js and the file's name."""
    digest, name = (VENDOR / "twilio-voice.sha256").read_text().split()
    return digest, name


def profile(db, user, endpoint: str) -> None:
    db.add(DeskProfile(user_id=user.id, languages=["th"], endpoint=endpoint, state="away"))
    db.commit()


def test_the_served_sdk_is_the_pinned_npm_build_and_nothing_else(client):
    digest, name = recorded()
    version = pinned()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin an exact version, not a range"
    assert name == f"twilio-voice-{version}.min.js"
    lock = json.loads((VENDOR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@twilio/voice-sdk"]["version"] == version
    assert sorted(p.name for p in VENDOR.glob("twilio-voice-*.min.js")) == [name], "one version, the pinned one"
    response = client.get(f"/static/console/vendor/{name}")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert hashlib.sha256(response.get_data()).hexdigest() == digest, "the vendor file differs from npm's: run bin/vendor-voice-sdk"
    assert "Apache License, Version 2.0" in (VENDOR / "twilio-voice-LICENSE.md").read_text()


def test_the_desk_page_carries_the_phone_with_same_origin_scripts_for_a_browser_endpoint(db, users, as_role):
    profile(db, users["operator"], "browser")
    response = as_role("operator").get("/console/desk")
    page, policy = response.get_data(as_text=True), response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "connect-src 'self' https://*.twilio.com wss://*.twilio.com;" in policy
    assert 'data-browser-phone' in page and 'data-token-url="/console/desk/token"' in page
    scripts = SCRIPT.findall(page)
    assert f"/static/console/vendor/{recorded()[1]}" in scripts and "/static/console/browser_phone.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", page), "no inline script under the console's policy"
    for state in ("off", "connecting", "ready", "ringing", "on_call", "error"):
        assert f'data-when="{state}"' in page
    for reason in ("browser_calls_off", "no_token", "unreachable", "microphone", "unsupported"):
        assert f'data-reason="{reason}"' in page


def test_no_phone_for_a_phone_or_sip_endpoint_nor_without_a_profile(db, users, as_role):
    operator = as_role("operator")
    page = operator.get("/console/desk").get_data(as_text=True)
    assert "data-browser-phone" not in page and "twilio-voice" not in page and "browser_phone.js" not in page
    for endpoint in ("+66812345678", "sip:op1@pbx.example.org"):
        db.merge(DeskProfile(user_id=users["operator"].id, languages=["th"], endpoint=endpoint, state="away"))
        db.commit()
        page = operator.get("/console/desk").get_data(as_text=True)
        assert "data-browser-phone" not in page and "twilio-voice" not in page, endpoint


def test_the_phone_speaks_thai_to_a_thai_operator(db, users, as_role):
    users["operator"].language = "th"
    profile(db, users["operator"], "browser")
    page = as_role("operator").get("/console/desk").get_data(as_text=True)
    assert '<html lang="th">' in page and "รับสาย" in page
    section = page[page.index('<section class="panel" id="browser-phone"'):]
    section = section[:section.index("</section>") + len("</section>")]
    assert english_words(visible_text(section), set()) == []


def test_the_screen_pop_never_leaves_a_desk_page_that_holds_a_browser_call(db, users, as_role):
    """Navigating away would end the call taken in this page: the call's page opens in a new tab instead."""
    profile(db, users["operator"], "browser")
    page = as_role("operator").get("/console/desk").get_data(as_text=True)
    assert "data-follow" not in page
    db.get(DeskProfile, users["operator"].id).endpoint = "+66812345678"
    db.commit()
    assert 'data-follow="call_url"' in as_role("operator").get("/console/desk").get_data(as_text=True)
