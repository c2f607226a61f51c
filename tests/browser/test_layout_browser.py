"""The console on any screen (issue 15): each role's pages at a desk (1366x768) and on a phone (390x844), in Thai,
with a call, an escalated case, its SMS and the contacts: the page never scrolls sideways, every menu item can be
reached (at once, or behind the menu button), and the simulator's keypad reads at WCAG AA contrast.

A full-page screenshot of each page and width is kept in test-artifacts/screenshots/.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.browser_support import SCREENSHOTS
from helpers.console_support import PASSWORD, ROLES, add_call, add_case, add_centre, add_user

from casework.linking import link
from casework.referrals import advance, refer
from models import Annotation, CaseTransition, Contact, Escalation, Message, utcnow

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WIDTHS = {"desk": (1366, 768), "phone": (390, 844)}
SMS = ("1300: เคส 1300-69-000001 บังคับใช้แรงงาน จ.เชียงใหม่ ด่วน ตอบ ACK 4821 เพื่อรับเรื่อง "
       "https://hotline.example.go.th/console/cases/1")


@pytest.fixture
def shift(db):
    """Every role's user (reading Thai), a Chiang Mai centre with three contacts, and an urgent call whose case
    climbed to level 2: one SMS delivered, one failed, one waiting, each with its message."""
    for role, provinces in ROLES.items():
        add_user(db, role, role, provinces, language="th")
    duty = add_centre(db, "50", "ศูนย์ปฏิบัติการป้องกันและปราบปรามการค้ามนุษย์จังหวัดเชียงใหม่")
    head = Contact(centre_id=duty.centre_id, name="หัวหน้าศูนย์ สมชาย ใจดี", role="หัวหน้าระดับจังหวัด",
                   phone="+66810050021", level=2)
    off = Contact(centre_id=duty.centre_id, name="เวร 2", role="ทีมเวร 2", phone="+66810050012", level=1, on_duty=False)
    db.add_all([head, off])
    call = add_call(db, category="forced_labour", urgency="urgent", postcode="50200", duration_seconds=94,
                    ivr_path=["language:1", "main:1", "kind:2"], callback_consent=True)
    case = add_case(db, call, urgency="urgent", status="escalating", level=2, created_at=utcnow() - timedelta(hours=1))
    case.transitions.extend([CaseTransition(from_status=None, to_status="new", actor="system", note="routed to 50"),
                             CaseTransition(from_status="new", to_status="escalating", actor="system", note="level 1")])
    db.flush()
    for contact, status, level in ((duty, "delivered", 1), (off, "failed", 1), (head, "pending", 2)):
        escalation = Escalation(case_id=case.id, level=level, contact_id=contact.id, status=status,
                                sent_at=utcnow() if status != "pending" else None,
                                error_code="30006" if status == "failed" else None)
        db.add(escalation)
        db.flush()
        db.add(Message(direction="out", to_number=contact.phone, body=SMS, status=status, dry_run=True,
                       escalation_id=escalation.id, case_id=case.id))
    # The case story's links (issue 19): a referral with its steps, a second call linked with a note.
    referral = refer(db, case, "atp_police", "กองบังคับการปราบปรามการกระทำความผิดเกี่ยวกับการค้ามนุษย์ " * 2, "user:1")
    advance(db, referral, "accepted", "user:1", "รับเรื่องแล้ว ส่งชุดปฏิบัติการไปตรวจสอบที่โรงงานริมแม่น้ำปิง " * 3)
    second = add_call(db, recording_sid="RE" + "5" * 32, recording_url="https://api.twilio.com/x/RE" + "5" * 32)
    link(db, case, second, "user:1")
    db.add(Annotation(call_id=second.id, author_id=1, body="ผู้แจ้งคนที่สอง: เห็นรถตู้ขนคนงานออกจากโรงงานตอนตีสาม " * 4,
                      created_at=utcnow()))
    db.commit()
    return call, case, duty


def log_in(page, role: str) -> None:
    page.goto("/console/login")
    page.fill("#username", role)
    page.fill("#password", PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/console/$"))


def no_sideways_scroll(page, where: str) -> None:
    """The page never scrolls sideways, nor does a table inside it, but a report's table of counts (read across)."""
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    cut = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(w => !w.querySelector('table.report') && w.scrollWidth > w.clientWidth + 1)
        .map(w => (w.querySelector('caption, th') || w).textContent.trim().slice(0, 40))""")
    assert not cut, f"{where}: tables scroll sideways in their frame: {cut}"
    if scroll > inner:
        wide = page.evaluate("""() => [...document.querySelectorAll('main *, header *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))""")
        pytest.fail(f"{where} scrolls sideways: {scroll} px wide in a {inner} px window; too wide: {wide}")


def menu_reachable(page, where: str) -> None:
    """Each menu item is on screen, at once or once the menu button is pressed."""
    links = page.locator("header nav a")
    assert links.count() >= 4, where
    button = page.locator("header .menu-toggle")
    if not links.first.is_visible():
        assert button.is_visible(), f"{where}: the menu is hidden and there is no menu button"
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
    width = page.evaluate("window.innerWidth")
    for i in range(links.count()):
        link = links.nth(i)
        box = link.bounding_box()
        assert link.is_visible() and box and box["x"] >= 0 and box["x"] + box["width"] <= width, \
            f"{where}: menu item {link.inner_text()!r} cannot be reached ({box})"
    if button.is_visible():
        button.click()  # folded again, for the screenshot


def keypad_contrast(page) -> float:
    """The lowest contrast of an enabled dial-pad key's text on its background (WCAG 2 relative luminance)."""
    colours = page.evaluate("""() => [...document.querySelectorAll('.dialpad button:not([disabled])')].map(b => {
        const style = getComputedStyle(b); return [style.color, style.backgroundColor]; })""")
    assert colours, "no enabled key on the dial pad"

    def luminance(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
        r, g, b = ((c / 12.92) if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def ratio(fore: str, back: str) -> float:
        light, dark = sorted((luminance(fore), luminance(back)), reverse=True)
        return (light + 0.05) / (dark + 0.05)

    return min(ratio(fore, back) for fore, back in colours)


def pages(page, call, case) -> dict[str, str]:
    """The role's menu, and one call, one case, a centre, the SMS page, the simulator, reports and the audit trail:
    each path with its screenshot's name."""
    menu = page.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))")
    extra = [f"/console/calls/{call.id}", f"/console/cases/{case.id}", "/console/centres/50", "/console/sms",
             "/console/simulator", "/console/reports", "/console/centres", "/console/audit"]
    return {path: re.sub(r"\W+", "-", path.removeprefix("/console").strip("/")) or "dashboard"
            for path in [*menu, *extra]}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_console_page_fits_a_desk_and_a_phone(page, shift, role):
    call, case, _duty = shift
    log_in(page, role)
    visits = pages(page, call, case)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = 0
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for path, name in visits.items():
            response = page.goto(path)
            if response.status in (403, 404):
                continue  # not this role's page
            assert response.status == 200, (path, response.status)
            where = f"{role} {path} at {width} px"
            no_sideways_scroll(page, where)
            menu_reachable(page, where)
            page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}-{width_name}.png"), full_page=True)
            seen += 1
    assert seen >= 2 * 6, f"only {seen} pages seen"


def test_the_keypad_reads_at_aa_contrast_on_a_phone(page, shift):
    log_in(page, "operator")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/console/simulator")
    page.locator("form.sim-start button").click()
    page.locator(".dialpad button:not([disabled])").first.wait_for()
    no_sideways_scroll(page, "the simulator mid-call at 390 px")
    assert keypad_contrast(page) >= 4.5
    page.screenshot(path=str(SCREENSHOTS / "operator-simulator-call-phone.png"), full_page=True)
