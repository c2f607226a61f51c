"""GET /metrics: a bearer token or nothing, and values that move as a call goes through the service."""
from __future__ import annotations

from datetime import timedelta

from helpers.ladder import report, run_jobs
from helpers.support import AUTH_TOKEN, BASE_URL, call_params
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

from hotline.simulator import Caller, Phone, client_post
from models import Case, utcnow
from workers.queues import SMS, queue

TOKEN = "scrape-token-0123456789"


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_404_without_a_token_configured_and_401_without_the_right_one(client, app):
    assert client.get("/metrics").status_code == 404
    app.config["HOTLINE"].METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_values_move_as_a_call_becomes_a_case_and_its_sms(ladder_env, db):
    app, twilio, redis = ladder_env
    app.config["HOTLINE"].METRICS_TOKEN = TOKEN
    client = app.test_client()
    before = scrape(client)

    twilio.post("/voice/incoming", call_params("CA" + "7" * 32))
    assert value(scrape(client), "hotline_calls_in_progress") == 1
    twilio.post("/voice/status", call_params("CA" + "7" * 32, CallStatus="no-answer"))

    phone = Phone(client_post(client, BASE_URL), BASE_URL, AUTH_TOKEN)
    phone.call(Caller(presses=["1", "1", "3", "1"], postcode="50200"))
    during = scrape(client)
    assert value(during, "hotline_calls_in_progress") == 0
    assert value(during, "hotline_ivr_outcomes_total", branch="trafficking", language="th") == \
        value(before, "hotline_ivr_outcomes_total", branch="trafficking", language="th") + 1
    assert value(during, "hotline_ivr_outcomes_total", branch="no_choice", language="th") == \
        value(before, "hotline_ivr_outcomes_total", branch="no_choice", language="th") + 1
    incoming = dict(route="/voice/incoming", method="POST", status="200")
    assert value(during, "hotline_http_requests_total", **incoming) == value(before, "hotline_http_requests_total",
                                                                            **incoming) + 2
    assert value(during, "hotline_http_request_duration_seconds_count", route="/voice/ivr/<node>", method="POST") > 0
    assert value(during, "hotline_outbox_pending") == 1 and value(during, "hotline_queue_depth", queue="default") == 1
    assert value(during, "hotline_outbox_oldest_pending_age_seconds") >= 0
    assert value(during, "hotline_dependency_up", dependency="redis") == 1

    queue(SMS, redis).enqueue("workers.jobs.send_escalation", 999_999)  # an escalation that does not exist: fails
    run_jobs(redis)
    after = scrape(client)
    assert value(after, "hotline_outbox_pending") == 0 and value(after, "hotline_queue_depth", queue="default") == 0
    assert value(after, "hotline_queue_failed_jobs", queue="sms") == 1
    assert value(after, "hotline_escalations_open", level="1") == 1
    assert value(after, "hotline_sms_messages", status="dry-run") == 2  # the two on-duty officers in Chiang Mai
    assert value(after, "hotline_cases_unacknowledged_late", urgency="normal") == 0
    assert value(after, "hotline_queue_scheduled_jobs", queue="default") == 1  # the level-1 SLA check

    db.execute(update(Case).values(sla_due_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert value(scrape(client), "hotline_cases_unacknowledged_late", urgency="normal") == 1


def test_a_trainers_simulated_call_moves_no_value(ladder_env, db):
    app, twilio, redis = ladder_env
    app.config["HOTLINE"].METRICS_TOKEN = TOKEN
    client = app.test_client()
    before = scrape(client)
    sid = "CAsimulator" + "a" * 24
    twilio.post("/voice/incoming", call_params(sid))
    assert value(scrape(client), "hotline_calls_in_progress") == 0
    report(twilio, sid, ["1", "3"], postcode="50200")
    run_jobs(redis)
    assert db.scalars(select(Case)).one().source == "training"
    after = scrape(client)
    for name, labels in (("hotline_ivr_outcomes_total", dict(branch="trafficking", language="th")),
                         ("hotline_escalations_open", dict(level="0")), ("hotline_calls_in_progress", {})):
        assert value(after, name, **labels) == value(before, name, **labels), name


def test_a_scrape_with_the_database_and_redis_down_still_answers(config):
    from casework.config import Config
    from hotline import create_app

    broken = Config(**{**config.__dict__, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test",
                       "REDIS_URL": "redis://127.0.0.1:1/0", "METRICS_TOKEN": TOKEN})
    samples = scrape(create_app(broken).test_client())
    assert value(samples, "hotline_dependency_up", dependency="database") == 0
    assert value(samples, "hotline_dependency_up", dependency="redis") == 0


def test_a_made_up_http_method_adds_no_series(client, app):
    """Any client may send any method: counted as "other", so it cannot grow the scrape without bound."""
    app.config["HOTLINE"].METRICS_TOKEN = TOKEN
    for n in range(5):
        client.open("/console/login", method=f"BREW{n}")
    methods = {dict(labels).get("method") for (name, labels) in scrape(client) if name == "hotline_http_requests_total"}
    assert not any(m and m.startswith("BREW") for m in methods), methods
    assert "other" in methods
