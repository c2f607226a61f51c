"""The phone in the browser (issue 16) in a real Chromium: Twilio cannot be reached from here, so a fake
`Twilio.Device` is put in place before the page's scripts run (the vendor SDK keeps a Device that is already
there), and the test plays Twilio's events: registered, an incoming call, accept, hang up, a token about to expire.
The token itself is the console's real one."""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import shoot
from helpers.console_support import PASSWORD, add_user
from sqlalchemy import select

from models import DeskProfile

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Twilio's Device and Call as browser_phone.js uses them; window.__phone records what the page did.
FAKE_TWILIO = """
(() => {
  class Emitter {
    constructor() { this.handlers = {}; }
    on(event, handler) { (this.handlers[event] = this.handlers[event] || []).push(handler); return this; }
    emit(event, ...args) { (this.handlers[event] || []).forEach((handler) => handler(...args)); }
  }
  class Call extends Emitter {
    constructor() { super(); this.muted = false; this.did = []; }
    accept() { this.did.push("accept"); setTimeout(() => this.emit("accept", this), 10); }
    reject() { this.did.push("reject"); }
    disconnect() { this.did.push("disconnect"); setTimeout(() => this.emit("disconnect", this), 10); }
    mute(muted) { this.did.push(muted ? "mute" : "unmute"); this.muted = muted; this.emit("mute", muted, this); }
    isMuted() { return this.muted; }
  }
  class Device extends Emitter {
    static get isSupported() { return true; }
    constructor(token, options) {
      super(); this.state = "unregistered"; this.tokens = [token]; this.options = options;
      window.__phone.devices.push(this);
    }
    register() {
      return new Promise((resolve) => setTimeout(() => {
        this.state = "registered"; this.emit("registered"); resolve();
      }, 10));
    }
    updateToken(token) { this.tokens.push(token); document.body.dataset.tokens = this.tokens.length; }
    destroy() { this.state = "destroyed"; }
  }
  window.__phone = { devices: [], calls: [], Call };
  window.Twilio = { Device };
})();
"""
RING = "() => { const call = new window.__phone.Call(); window.__phone.calls.push(call); window.__phone.devices[0].emit('incoming', call); }"


@pytest.fixture
def keyed(app):
    config = app.config["HOTLINE"]
    config.TWILIO_ACCOUNT_SID, config.TWILIO_API_KEY_SID = "AC" + "0" * 32, "SK" + "5" * 32
    config.TWILIO_API_KEY_SECRET = "api-key-secret-for-the-browser-tests"
    return config


def at_the_desk(page, db, language: str = "en", fake: bool = True):
    """malee, whose desk profile rings the browser, on her desk page; the phone and the token requests it made."""
    user = add_user(db, "malee", "operator", language=language)
    db.add(DeskProfile(user_id=user.id, languages=["th"], endpoint="browser", state="away"))
    db.commit()
    if fake:
        page.add_init_script(FAKE_TWILIO)
    page.goto(f"/console/login?lang={language}")
    page.fill("#username", "malee")
    page.fill("#password", PASSWORD)
    page.locator("form button").last.click()
    page.wait_for_url(re.compile(r"/console/$"))
    tokens_asked: list[str] = []
    page.on("request", lambda request: tokens_asked.append(request.url) if request.url.endswith("/desk/token") else None)
    page.goto("/console/desk")
    return page.locator("#browser-phone"), tokens_asked


def test_an_operator_takes_a_call_in_the_browser_and_hangs_up(page, db, keyed):
    phone, tokens_asked = at_the_desk(page, db)
    page.locator('#browser-phone[data-state="ready"]').wait_for()
    assert phone.get_by_text("calls from the desk ring here").is_visible()
    assert page.evaluate("typeof window.Twilio.PreflightTest") == "function", "the vendor SDK did not load"
    device = page.evaluate("() => ({ token: window.__phone.devices[0].tokens[0], options: window.__phone.devices[0].options })")
    assert device["token"].count(".") == 2 and device["options"]["closeProtection"] is True
    assert not phone.get_by_role("button", name="Accept call").is_visible()

    page.evaluate(RING)
    phone.get_by_role("button", name="Accept call").wait_for()
    assert phone.get_by_text("A call from the desk is ringing").is_visible()
    assert phone.get_by_role("button", name="Reject call").is_visible()
    shoot(page, "browser-phone-ringing")
    phone.get_by_role("button", name="Accept call").click()

    hang_up = phone.get_by_role("button", name="Hang up")
    hang_up.wait_for()
    assert phone.get_by_text("On a call").is_visible() and not phone.get_by_role("button", name="Accept call").is_visible()
    mute = phone.get_by_role("button", name="Mute")
    mute.click()
    assert mute.get_attribute("aria-pressed") == "true" and phone.get_by_text("your microphone is muted").is_visible()
    shoot(page, "browser-phone-on-a-call")
    hang_up.click()

    page.locator('#browser-phone[data-state="ready"]').wait_for()
    assert not hang_up.is_visible() and phone.get_by_text("calls from the desk ring here").is_visible()
    assert page.evaluate("window.__phone.calls[0].did") == ["accept", "mute", "disconnect"]

    page.evaluate(RING)  # the next call is rejected
    phone.get_by_role("button", name="Reject call").click()
    page.locator('#browser-phone[data-state="ready"]').wait_for()
    assert page.evaluate("window.__phone.calls[1].did") == ["reject"]

    page.evaluate("() => window.__phone.devices[0].emit('tokenWillExpire')")
    page.locator('body[data-tokens="2"]').wait_for()  # not wait_for_function: its polling evals, which the CSP refuses
    assert page.evaluate("window.__phone.devices[0].tokens[1]").count(".") == 2  # a JWT, fetched again:
    assert len(tokens_asked) == 2, tokens_asked
    assert page.evaluate("window.__phone.devices.length") == 1, "a token refresh must not build a second phone"


def test_the_phone_says_why_it_cannot_work_when_browser_calls_are_off(page, db):
    phone, _ = at_the_desk(page, db)
    page.locator('#browser-phone[data-state="error"][data-error="browser_calls_off"]').wait_for()
    assert phone.get_by_role("alert").inner_text().startswith("The phone in this browser does not work: no token: browser calls are off")
    assert phone.get_by_text("TWILIO_API_KEY_SID").is_visible()
    assert not phone.get_by_text("calls from the desk ring here").is_visible()
    assert page.evaluate("window.__phone.devices.length") == 0
    shoot(page, "browser-phone-calls-off")


def test_a_thai_operator_reads_the_phone_in_thai(page, db, keyed):
    phone, _ = at_the_desk(page, db, language="th")
    page.locator('#browser-phone[data-state="ready"]').wait_for()
    assert phone.get_by_text("พร้อมรับสาย").is_visible()
    page.evaluate(RING)
    phone.get_by_role("button", name="รับสาย", exact=True).click()
    phone.get_by_role("button", name="วางสาย").wait_for()


def test_the_real_sdk_runs_under_the_consoles_policy_and_says_twilio_cannot_be_reached(page, db, keyed):
    """No fake: Twilio's own Device loads its sounds and opens its signalling socket, which the console's
    Content-Security-Policy must allow; from here the socket fails, so the phone says Twilio cannot be reached."""
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    at_the_desk(page, db, fake=False)
    page.locator('#browser-phone[data-state="error"][data-error="unreachable"]').wait_for()
    assert page.locator("#browser-phone").get_by_text("cannot reach Twilio").is_visible()
    assert blocked == []


def test_the_phone_turns_off_when_the_profile_stops_ringing_the_browser(page, db, keyed):
    phone, _ = at_the_desk(page, db)
    page.locator('#browser-phone[data-state="ready"]').wait_for()
    profile = db.scalars(select(DeskProfile)).one()
    profile.endpoint = "+66812345678"  # changed in another tab
    db.commit()
    page.evaluate("() => window.__phone.devices[0].emit('tokenWillExpire')")
    page.locator('#browser-phone[data-state="off"]').wait_for()
    assert phone.get_by_text("no longer rings this browser").is_visible()
    assert page.evaluate("window.__phone.devices[0].state") == "destroyed"
