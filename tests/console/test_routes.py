"""Every console route, walked as a stranger and as every role: one table, so a new route without a rule fails."""
from __future__ import annotations

import pytest
from helpers.console_support import Browser, add_call, add_case, add_centre

from casework.referrals import refer
from models import ROLES, DeskProfile, Interpreter, LineChat, utcnow

STAFF = {"operator", "supervisor", "admin"}
CHATS = {"operator", "supervisor"}
EVERYONE = STAFF | {"field_officer"}
SUPERVISORS = {"supervisor", "admin"}
PUBLIC = "public"

# endpoint: (method, path, roles allowed, form data). {call} is a call in the field officer's province, {case} its case,
# {user} the field officer, {referral} a referral of the case.
ROUTES = {
    "console.login": ("GET", "/console/login", PUBLIC, None),
    "console.logout": ("POST", "/console/logout", EVERYONE, {}),
    "console.dashboard": ("GET", "/console/", EVERYONE, None),
    "console.live": ("GET", "/console/live.json", EVERYONE, None),
    "console.calls": ("GET", "/console/calls", EVERYONE, None),
    "console.call": ("GET", "/console/calls/{call}", EVERYONE, None),
    "console.reveal": ("POST", "/console/calls/{call}/reveal", STAFF, {"reason": "caller asked to be called back"}),
    "console.recording": ("GET", "/console/calls/{call}/recording", EVERYONE, None),
    "console.line_media_file": ("GET", "/console/line/media/1", STAFF, None),  # what a LINE user sent: their account
    "console.add_note": ("POST", "/console/calls/{call}/notes", EVERYONE, {"body": "spoke to the caller"}),
    "console.set_details": ("POST", "/console/calls/{call}/details", STAFF,
                            {"category": "forced_labour", "province": "50", "urgency": "normal"}),
    "console.open_case": ("POST", "/console/calls/{call}/case", STAFF, {}),
    "console.save_call_intake": ("POST", "/console/calls/{call}/intake", STAFF, {"people_count": "2"}),
    "console.save_case_intake": ("POST", "/console/cases/{case}/intake", STAFF, {"people_count": "3"}),
    "console.reveal_case_facts": ("POST", "/console/cases/{case}/reveal", EVERYONE,
                                  {"facts": "account", "reason": "briefing the team"}),
    "console.link_call": ("POST", "/console/calls/{call}/link", STAFF, {"reference": "1300-69-000001"}),
    "console.preferences": ("POST", "/console/preferences", EVERYONE, {"calendar": "be"}),
    "console.audit": ("GET", "/console/audit", {"admin"}, None),
    "console.cases": ("GET", "/console/cases", EVERYONE, None),
    "console.case": ("GET", "/console/cases/{case}", EVERYONE, None),
    "console.move_case": ("POST", "/console/cases/{case}/status", EVERYONE, {"status": "in_progress"}),
    "console.add_case_note": ("POST", "/console/cases/{case}/notes", EVERYONE, {"body": "team on the way"}),
    "console.refer_case": ("POST", "/console/cases/{case}/referrals", EVERYONE,
                           {"agency": "police_191", "detail": "Mueang station"}),
    "console.advance_referral": ("POST", "/console/cases/{case}/referrals/{referral}/status", EVERYONE,
                                 {"status": "accepted", "note": "taken"}),
    "console.cases_csv": ("GET", "/console/cases.csv", SUPERVISORS, None),
    "console.print_case": ("GET", "/console/cases/{case}/print", EVERYONE, None),
    "console.cases_deidentified_csv": ("GET", "/console/export/cases-deidentified.csv", SUPERVISORS, None),
    "console.sms": ("GET", "/console/sms", SUPERVISORS, None),
    "console.reports": ("GET", "/console/reports", SUPERVISORS | {"field_officer"}, None),
    "console.reports_csv": ("GET", "/console/reports/provinces.csv", SUPERVISORS, None),
    "console.sms_reply": ("POST", "/console/sms/reply", SUPERVISORS, {"contact": "", "body": "ACK 0001"}),
    "console.centres": ("GET", "/console/centres", EVERYONE, None),
    "console.centre": ("GET", "/console/centres/50", EVERYONE, None),
    "console.add_contact": ("POST", "/console/centres/50/contacts", SUPERVISORS,
                            {"name": "Duty officer", "phone": "081 234 5670", "level": "1", "on_duty": "yes"}),
    "console.edit_contact": ("GET", "/console/contacts/{contact}", SUPERVISORS, None),
    "console.save_contact_changes": ("POST", "/console/contacts/{contact}", SUPERVISORS,
                                     {"name": "Head", "phone": "0812345671", "level": "2", "on_duty": "yes"}),
    "console.set_duty": ("POST", "/console/contacts/{contact}/duty", SUPERVISORS, {"on_duty": "no"}),
    "console.deactivate_contact": ("POST", "/console/contacts/{contact}/deactivate", SUPERVISORS, {}),
    "console.reassign_case": ("POST", "/console/cases/{case}/province", STAFF, {"province": "10"}),
    "console.simulator": ("GET", "/console/simulator", STAFF, None),
    "console.simulator_call": ("POST", "/console/simulator/call", STAFF, {"caller": "mobile"}),
    "console.simulator_press": ("POST", "/console/simulator/press", STAFF, {"key": "1"}),
    "console.simulator_operator": ("POST", "/console/simulator/operator", STAFF, {"do": "answer", "offer": "1"}),
    "console.queues": ("GET", "/console/queues", SUPERVISORS, None),
    "console.requeue_job": ("POST", "/console/queues/requeue", SUPERVISORS, {"queue": "sms", "job": "sms-1"}),
    "console.password": ("GET", "/console/password", EVERYONE, None),
    "console.change_password": ("POST", "/console/password", EVERYONE, {"current": "not the password"}),
    "console.users": ("GET", "/console/users", {"admin"}, None),
    "console.create_user": ("POST", "/console/users", {"admin"},
                            {"username": "walker", "role": "operator", "language": "en",
                             "password": "walk the long road 9", "confirm": "walk the long road 9"}),
    "console.user": ("GET", "/console/users/{user}", {"admin"}, None),
    "console.set_user_role": ("POST", "/console/users/{user}/role", {"admin"},
                              {"role": "field_officer", "provinces": "50"}),
    "console.reset_user_password": ("POST", "/console/users/{user}/password", {"admin"},
                                    {"password": "walk the long road 9", "confirm": "walk the long road 9"}),
    "console.set_user_active": ("POST", "/console/users/{user}/active", {"admin"}, {"active": "yes"}),
    "console.end_user_sessions": ("POST", "/console/users/{user}/logins", {"admin"}, {}),
    "console.desk_page": ("GET", "/console/desk", {"operator", "supervisor"}, None),
    "console.set_desk_state": ("POST", "/console/desk/state", {"operator", "supervisor"}, {"state": "available"}),
    "console.save_desk_profile": ("POST", "/console/desk/profile", {"operator", "supervisor"},
                                  {"languages": ["th", "my"], "kind": "browser"}),
    "console.desk_team": ("GET", "/console/desk/team", SUPERVISORS, None),
    "console.voice_token": ("GET", "/console/desk/token", {"operator", "supervisor"}, None),
    "console.desk_now": ("GET", "/console/desk/now.json", {"operator", "supervisor"}, None),
    "console.decline_offer": ("POST", "/console/desk/decline", {"operator", "supervisor"}, {"offer": "1"}),
    "console.wallboard": ("GET", "/console/wallboard", SUPERVISORS, None),
    "console.wallboard_live": ("GET", "/console/wallboard/live.json", SUPERVISORS, None),
    "console.control_call": ("POST", "/console/calls/{call}/control/hold", {"operator", "supervisor"}, {}),
    "console.calls_csv": ("GET", "/console/calls.csv", SUPERVISORS, None),
    "console.callbacks": ("GET", "/console/callbacks", STAFF, None),
    "console.call_back": ("POST", "/console/callbacks/1/call", STAFF, {}),
    "console.interpreters_roster": ("GET", "/console/interpreters", STAFF, None),
    "console.add_interpreter": ("POST", "/console/interpreters", SUPERVISORS,
                                {"name": "Ko Aung", "language": "my", "phone": "02 000 0109", "on_duty": "yes"}),
    "console.edit_interpreter": ("GET", "/console/interpreters/{interpreter}", SUPERVISORS, None),
    "console.save_interpreter": ("POST", "/console/interpreters/{interpreter}", SUPERVISORS,
                                 {"name": "Ma Hla", "language": "my", "phone": "02 000 0108", "on_duty": "no"}),
    "console.set_interpreter_duty": ("POST", "/console/interpreters/{interpreter}/duty", SUPERVISORS, {"on_duty": "no"}),
    "console.deactivate_interpreter": ("POST", "/console/interpreters/{interpreter}/deactivate", SUPERVISORS, {}),
    "console.chats": ("GET", "/console/chats", CHATS, None),
    "console.chat": ("GET", "/console/chats/{chat}", CHATS, None),
    "console.take_chat": ("POST", "/console/chats/{chat}/take", CHATS, {}),
    "console.reply_chat": ("POST", "/console/chats/{chat}/reply", CHATS, {"text": "hello"}),
    "console.end_chat": ("POST", "/console/chats/{chat}/end", CHATS, {}),
    "console.open_chat_case": ("POST", "/console/chats/{chat}/case", CHATS, {}),
    "console.link_chat": ("POST", "/console/chats/{chat}/link", CHATS, {"reference": "1300-69-000001"}),
    "console.line_simulator": ("GET", "/console/simulator/line", STAFF, None),
    "console.line_simulator_send": ("POST", "/console/simulator/line", STAFF, {"do": "text", "text": "hello"}),
}
JSON = {"console.live", "console.voice_token", "console.desk_now", "console.wallboard_live"}


def test_every_console_route_has_a_rule(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("console.")}
    missing = sorted(set(rules) - set(ROUTES))
    assert not missing, f"console routes without a row in ROUTES: {missing}"
    assert not sorted(set(ROUTES) - set(rules)), "ROUTES names a route that no longer exists"
    for endpoint, (method, *_rest) in ROUTES.items():
        assert method in rules[endpoint].methods, endpoint


def test_every_console_view_is_guarded(app):
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("console."):
            assert getattr(view, "roles", None) or getattr(view, "public", False), endpoint
            expected = ROUTES[endpoint][2]
            if expected != PUBLIC:
                assert set(view.roles) == expected, endpoint


def _request(browser: Browser, endpoint: str, call_id: int, case_id: int = 0, contact_id: int = 0, user_id: int = 0,
             referral_id: int = 0, interpreter_id: int = 0, chat_id: int = 0):
    method, path, _roles, data = ROUTES[endpoint]
    path = path.format(call=call_id, case=case_id, contact=contact_id, user=user_id, referral=referral_id,
                       interpreter=interpreter_id, chat=chat_id)
    return browser.get(path) if method == "GET" else browser.post(path, data)


def test_a_stranger_is_sent_to_log_in(app, db):
    call = add_call(db)
    case = add_case(db, call)
    contact = add_centre(db)
    for endpoint, (_method, _path, roles, _data) in ROUTES.items():
        response = _request(Browser(app.test_client()), endpoint, call.id, case.id, contact.id)
        if roles == PUBLIC:
            assert response.status_code == 200, endpoint
        elif endpoint in JSON:
            assert response.status_code == 401 and response.json == {"error": "login required"}, endpoint
        else:
            assert response.status_code == 302 and response.location.startswith("/console/login"), endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(app, db, users, as_role, role):
    call = add_call(db, province_code="50", recording_sid="RE" + "1" * 32,
                    recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
    case = add_case(db, call)
    contact = add_centre(db)
    referral = refer(db, case, "ngo", None, "user:1")
    interpreter = Interpreter(name="Ko Min", language="my", phone="+6620000101")
    db.add(interpreter)
    chat = LineChat(line_user_id="U" + "c" * 32, step="person", language="th", heard_at=utcnow(),
                    person_asked_at=utcnow())
    db.add(chat)
    db.add_all(DeskProfile(user_id=users[r].id, languages=["th"], state="away") for r in ("operator", "supervisor"))
    db.commit()
    for endpoint in sorted(ROUTES, key=lambda e: e == "console.logout"):  # log out last
        roles = ROUTES[endpoint][2]
        response = _request(as_role(role), endpoint, call.id, case.id, contact.id, users["field_officer"].id,
                            referral.id, interpreter.id, chat.id)
        if roles == PUBLIC:
            assert response.status_code in (200, 302), endpoint
        elif role in roles:
            assert response.status_code not in (401, 403), (endpoint, response.status_code)
            if endpoint != "console.logout":
                assert "/console/login" not in (response.location or ""), endpoint
        else:
            assert response.status_code == 403, (endpoint, role, response.status_code)
            if endpoint in JSON:
                assert response.json == {"error": "forbidden"}
