"""The JSON API: reports become cases on the same pipeline; reads are scoped, masked and audited."""
from __future__ import annotations

import pytest
from helpers.support import call_params, outbox_row, start_row
from sqlalchemy import func, select, update

from models import ApiToken, AuditEntry, Case, OutboxItem, Report

REPORT = {"idempotency_key": "app-2026-11-25-0001", "kind": "forced_labour", "urgency": "normal",
          "description": "Workers locked in a shrimp shed", "location": {"postcode": "74000"},
          "reporter": {"type": "app_user"}, "contact_number": "0812345678", "callback_consent": True}


@pytest.fixture
def token(app):
    from hotline.api.tokens import issue

    def make(provinces=(), numbers=False, report=True):
        with app.extensions["sessions"].begin() as session:
            _, secret = issue(session, "test", list(provinces), numbers, report)
        return {"Authorization": f"Bearer {secret}"}

    return make


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_report_opens_a_case_and_queues_its_escalation(client, db, token):
    response = client.post("/api/v1/reports", json=REPORT, headers=token())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["reference"].startswith("1300-") and body["status"] == "new" and body["source"] == "app"
    assert (body["kind"], body["province_code"], body["district_code"]) == ("forced_labour", "74", "7401")
    assert response.headers["Location"] == f"/api/v1/cases/{body['reference']}"
    case = db.scalars(select(Case)).one()
    assert db.scalars(select(Report)).one().case_id == case.id
    item = db.scalars(select(OutboxItem)).one()
    assert outbox_row(item) == start_row(case) == (f"case-start-{case.id}", "start_escalation", [case.id], "default")


def test_the_same_idempotency_key_returns_the_same_case(client, db, token):
    headers = token()
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    again = client.post("/api/v1/reports", json=REPORT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["reference"] == first.json["reference"]
    assert count(db, Case) == 1 and count(db, Report) == 1 and count(db, OutboxItem) == 1


def test_a_retry_with_its_keys_in_another_order_is_still_the_same_report(client, db, token):
    headers = token()
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    again = client.post("/api/v1/reports", json=dict(reversed(REPORT.items())), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == first.json["id"]


def test_a_key_reused_with_another_body_is_422_and_the_first_report_stands(client, db, token):
    headers = token()
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    urgent = client.post("/api/v1/reports", json={**REPORT, "urgency": "urgent", "description": "a child"},
                         headers=headers)
    assert first.status_code == 201 and urgent.status_code == 422
    assert urgent.json["error"] == {"code": "idempotency_key_reused", "message":
                                    f"idempotency key '{REPORT['idempotency_key']}' was already used with a different request body"}
    report, case = db.scalars(select(Report)).one(), db.scalars(select(Case)).one()
    assert (report.description, case.urgency, count(db, OutboxItem)) == (REPORT["description"], "normal", 1)


def test_keys_are_the_token_s_own(client, db, token):
    first = client.post("/api/v1/reports", json=REPORT, headers=token())
    other = client.post("/api/v1/reports", json={**REPORT, "urgency": "urgent"}, headers=token())
    assert (first.status_code, other.status_code) == (201, 201) and other.json["id"] != first.json["id"]


def test_a_report_stored_before_bodies_were_hashed_answers_a_retry_as_before(client, db, token):
    headers = token()
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    db.execute(update(Report).values(body_sha256=None))
    db.commit()
    again = client.post("/api/v1/reports", json={**REPORT, "urgency": "urgent"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == first.json["id"]


@pytest.mark.parametrize("location, province", [({"province_code": "50"}, "50"), ({"postcode": "50200"}, "50"),
                                                ({"latitude": 7.8804, "longitude": 98.3923}, "83"), (None, None)])
def test_every_way_of_saying_where(client, token, location, province):
    report = {**REPORT, "location": location} if location else {k: v for k, v in REPORT.items() if k != "location"}
    response = client.post("/api/v1/reports", json=report, headers=token())
    assert response.status_code == 201 and response.json["province_code"] == province


def test_a_volunteer_report_is_a_volunteer_case(client, token):
    report = {**REPORT, "reporter": {"type": "volunteer", "id": "OPM-50-0042"}, "urgency": "urgent"}
    body = client.post("/api/v1/reports", json=report, headers=token()).json
    assert (body["source"], body["urgency"]) == ("volunteer", "urgent")


@pytest.mark.parametrize("change, status, code, field", [
    ({"kind": "fishing"}, 422, "invalid_report", "kind"),
    ({"urgency": 1}, 422, "invalid_report", "urgency"),
    ({"surprise": True}, 422, "invalid_report", "surprise"),
    ({"idempotency_key": "x"}, 422, "invalid_report", "idempotency_key"),
    ({"contact_number": "12345"}, 422, "invalid_report", "contact_number"),
    ({"location": {"province_code": "99"}}, 422, "unknown_province", "location.province_code"),
    ({"location": {"postcode": "99999"}}, 422, "unknown_postcode", "location.postcode"),
    ({"location": {"latitude": 16.8, "longitude": 96.15}}, 422, "outside_thailand", "location"),
    ({"location": {"latitude": 200, "longitude": 0}}, 422, "invalid_report", "location.latitude"),
    ({"location": {"latitude": 13.7}}, 422, "invalid_report", "location"),
    ({"location": {"postcode": "50200", "province_code": "50"}}, 422, "invalid_report", "location"),
    ({"reporter": {"type": "volunteer"}}, 422, "invalid_report", "reporter"),
    ({"description": "x" * 5000}, 422, "invalid_report", "description"),
])
def test_bad_reports_get_a_precise_4xx_and_write_nothing(client, db, token, change, status, code, field):
    response = client.post("/api/v1/reports", json={**REPORT, **change}, headers=token())
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert field in [f["field"] for f in response.json["error"]["fields"]]
    assert count(db, Case) == 0 and count(db, Report) == 0


@pytest.mark.parametrize("data, content_type, status, code", [
    ("{not json", "application/json", 400, "invalid_json"),
    ("kind=slavery", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ('["a", "list"]', "application/json", 422, "invalid_report"),
    ("{" + '"a": "' + "x" * 70000 + '"}', "application/json", 413, "request_entity_too_large"),
    ("[" * 60000, "application/json", 400, "invalid_json"),  # nested deeper than Python's parser recurses
    ('{"description": ' + "[" * 30000 + "]" * 30000 + "}", "application/json", 400, "invalid_json"),
])
def test_malformed_bodies_are_refused_clearly(client, db, token, data, content_type, status, code):
    response = client.post("/api/v1/reports", data=data, content_type=content_type, headers=token())
    assert response.status_code == status and response.json["error"]["code"] == code
    assert count(db, Case) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer h1300_" + "x" * 43}])
def test_no_valid_token_is_401(client, headers):
    response = client.post("/api/v1/reports", json=REPORT, headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_a_revoked_token_stops_working_and_a_read_only_token_cannot_report(app, client, db, token):
    headers = token()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    runner = app.test_cli_runner()
    token_id = db.scalars(select(ApiToken.id)).one()
    assert "revoked" in runner.invoke(args=["tokens", "revoke", str(token_id)]).output
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    assert client.post("/api/v1/reports", json=REPORT, headers=token(report=False)).status_code == 403


def test_tokens_are_stored_hashed_and_the_cli_shows_them_once(app, db):
    output = app.test_cli_runner().invoke(args=["tokens", "create", "protect-u", "--scope", "province",
                                                "--province", "50", "--province", "57"]).output
    secret = output.split(": ", 1)[1].split()[0]
    stored = db.scalars(select(ApiToken)).one()
    assert secret.startswith("h1300_") and secret not in (stored.token_hash, stored.prefix)
    assert stored.provinces == ["50", "57"] and stored.scope == "province"
    assert "protect-u" in app.test_cli_runner().invoke(args=["tokens", "list"]).output
    bad = app.test_cli_runner().invoke(args=["tokens", "create", "x", "--scope", "province", "--province", "99"])
    assert bad.exit_code != 0 and "unknown province" in bad.output


def test_reads_are_scoped_to_the_tokens_provinces(client, token):
    writer = token()
    for n, location in enumerate(({"province_code": "50"}, {"province_code": "10"}, None)):
        report = {**REPORT, "idempotency_key": f"scope-key-{n}", "location": location}
        response = client.post("/api/v1/reports", json={k: v for k, v in report.items() if v is not None},
                               headers=writer)
        assert response.status_code == 201
    everything = client.get("/api/v1/cases", headers=writer).json["cases"]
    assert len(everything) == 3
    chiang_mai = token(provinces=["50"])
    scoped = client.get("/api/v1/cases", headers=chiang_mai).json["cases"]
    assert [c["province_code"] for c in scoped] == ["50"]
    bangkok_case = next(c for c in everything if c["province_code"] == "10")
    assert client.get(f"/api/v1/cases/{bangkok_case['reference']}", headers=chiang_mai).status_code == 404
    detail = client.get(f"/api/v1/cases/{scoped[0]['reference']}", headers=chiang_mai).json
    assert detail["transitions"][0]["to"] == "new"


def test_case_pages_follow_each_other_without_gaps(client, token):
    headers = token()
    for n in range(7):
        client.post("/api/v1/reports", json={**REPORT, "idempotency_key": f"page-key-{n}"}, headers=headers)
    seen, before = [], None
    while True:
        query = f"?limit=3&before={before}" if before else "?limit=3"
        page = client.get(f"/api/v1/cases{query}", headers=headers).json
        seen += [c["id"] for c in page["cases"]]
        if page["next"] is None:
            break
        before = page["next"]["before"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7
    assert client.get("/api/v1/cases?limit=0", headers=headers).status_code == 400
    assert client.get("/api/v1/cases?before=abc", headers=headers).status_code == 400


def test_a_call_is_readable_with_the_number_masked_unless_allowed(client, twilio, token):
    twilio.post("/voice/incoming", call_params("CA" + "7" * 32, From="+66812345678"))
    masked = client.get(f"/api/v1/calls/CA{'7' * 32}", headers=token()).json
    assert masked["caller"] == "+668XXXX5678" and masked["has_recording"] is False
    answer = client.get(f"/api/v1/calls/CA{'7' * 32}", headers=token(numbers=True))
    assert answer.json["caller"] == "+66812345678"
    assert answer.headers["Cache-Control"] == "no-store"  # a number in clear stays off proxies' and clients' disks
    assert client.get("/api/v1/calls/CAnope", headers=token()).status_code == 404


def test_a_call_says_who_answered_it_how_long_the_caller_waited_and_talked(client, db, twilio, token):
    from datetime import UTC, datetime, timedelta

    from models import Call, DeskWait, User

    for sid in ("CA" + "5" * 32, "CA" + "6" * 32):
        twilio.post("/voice/incoming", call_params(sid, From="+66812345678"))
    never = client.get(f"/api/v1/calls/CA{'6' * 32}", headers=token()).json
    assert [never[key] for key in ("answered_by", "answered_at", "wait_seconds", "talk_seconds")] == [None] * 4
    operator = User(username="op_api", role="operator", password_hash="x", active=True, language="th")
    db.add(operator)
    db.flush()
    asked = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    call = db.scalar(select(Call).where(Call.call_sid == "CA" + "5" * 32))
    db.add(DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language="th", state="answered",
                    asked_at=asked, answered_by=operator.id, answered_at=asked + timedelta(seconds=42),
                    ended_at=asked + timedelta(seconds=342)))
    db.commit()
    answer = client.get(f"/api/v1/calls/CA{'5' * 32}", headers=token()).json
    assert (answer["answered_by"], answer["wait_seconds"], answer["talk_seconds"]) == ("op_api", 42, 300)
    assert answer["answered_at"] == (asked + timedelta(seconds=42)).isoformat()
    described = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Call"]["properties"]
    assert {"answered_by", "answered_at", "wait_seconds", "talk_seconds"} <= set(described)


def test_every_api_call_is_audited_and_last_use_recorded(client, db, token):
    headers = token()
    client.post("/api/v1/reports", json=REPORT, headers=headers)
    client.get("/api/v1/cases", headers=headers)
    actions = [a.action for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["api:create_report", "api:list_cases"]
    assert db.scalars(select(ApiToken)).one().last_used_at is not None


def test_tokens_are_rate_limited(app, client, token):
    app.config["HOTLINE"].API_RATE_LIMIT_PER_MINUTE = 3
    headers = token()
    codes = [client.get("/api/v1/cases", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/cases", headers=token()).status_code == 200  # another token is not affected


def test_unknown_api_paths_and_methods_answer_json(client):
    assert client.get("/api/v1/nothing").json["error"]["code"] == "not_found"
    response = client.delete("/api/v1/reports")
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/openapi.json").json["openapi"] == "3.1.0"


def test_no_answer_about_cases_or_callers_may_be_stored(client, token):
    headers = token(numbers=True)
    created = client.post("/api/v1/reports", json=REPORT, headers=headers)
    answers = [created, client.get("/api/v1/cases", headers=headers),
               client.get(f"/api/v1/cases/{created.json['reference']}", headers=headers),
               client.get("/api/v1/cases", headers={"Authorization": "Bearer wrong"})]
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)
    assert client.get("/api/v1/openapi.json").headers.get("Cache-Control") != "no-store"


def test_an_api_case_climbs_the_same_ladder(ladder_env, db):
    from helpers.ladder import DUTY_1, DUTY_2, run_jobs

    from hotline.api.tokens import issue

    app, _, redis = ladder_env
    client = app.test_client()
    with app.extensions["sessions"].begin() as session:
        headers = {"Authorization": f"Bearer {issue(session, 'app', [])[1]}"}

    client.post("/api/v1/reports", json={**REPORT, "location": {"postcode": "50200"}}, headers=headers)
    run_jobs(redis)
    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert case.status == "escalating" and sorted(e.contact.phone for e in case.escalations) == [DUTY_1, DUTY_2]
