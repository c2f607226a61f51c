"""Two pools of gunicorn workers: `webhooks` (the Procfile's `voice:`) serves Twilio's callbacks and nothing a person
or an API client could keep busy; `web` serves the console and the API (and the webhooks too, for the console's
IVR simulator, which calls them in-process)."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from helpers.support import Twilio, call_params

from casework.config import ROOT, Config, ConfigError, pool
from hotline import create_app


@pytest.fixture
def webhooks(config):
    app = create_app(replace(config, POOL="webhooks", METRICS_TOKEN="metrics-token"))
    yield app
    app.extensions["engine"].dispose()


def test_the_webhook_pool_answers_twilio_and_nobody_else(webhooks, db):
    twilio = Twilio(webhooks.test_client())
    assert twilio.post("/voice/incoming", call_params("CA" + "5" * 32)).status_code == 200
    assert twilio.post("/sms/incoming", {"MessageSid": "SM" + "5" * 32, "From": "+66810000011", "Body": "ACK"}).status_code == 200
    client = webhooks.test_client()
    for path in ("/console/login", "/console/", "/api/v1/openapi.json", "/console/reports"):
        assert client.get(path).status_code == 404, path
    assert client.post("/api/v1/reports", json={}).status_code == 404
    assert client.get("/healthz").json["pool"] == "webhooks"
    assert client.get("/readyz").json["pool"] == "webhooks"
    metrics = client.get("/metrics", headers={"Authorization": "Bearer metrics-token"}).get_data(as_text=True)
    assert 'hotline_pool_info{pool="webhooks"} 1.0' in metrics
    assert "Set-Cookie" not in twilio.post("/voice/status", call_params("CA" + "5" * 32, CallStatus="completed")).headers


def test_the_web_pool_serves_the_console_the_api_and_the_simulators_webhooks(app):
    client = app.test_client()
    assert client.get("/console/login").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/healthz").json["pool"] == "web"
    assert Twilio(client).post("/voice/incoming", call_params("CA" + "6" * 32)).status_code == 200


def test_the_webhook_pool_loads_neither_the_console_nor_the_api():
    probe = ("import sys; from hotline import create_app; from casework.config import Config;"
             " create_app(Config(ENV='test', DATABASE_URL='sqlite://', SECRET_KEY='x', POOL='webhooks'));"
             " loaded = sorted(m for m in ('hotline.console', 'hotline.api', 'flask_babel', 'flask_wtf', 'wtforms',"
             " 'pydantic', 'hotline.cli', 'phonenumbers.geodata', 'scipy', 'alembic') if m in sys.modules); assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


def test_neither_pool_loads_the_migrations_tooling():
    """alembic, with mako and pygments, is `release`'s (11 MB); /readyz knows the schema's revision without it."""
    probe = ("import sys; from hotline import create_app; from casework.config import Config;"
             " [create_app(Config(ENV='test', DATABASE_URL='sqlite://', SECRET_KEY='x', POOL=pool)) for pool in ('web', 'webhooks')];"
             " loaded = sorted(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules); assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


def test_each_pool_is_sized_and_ranked_on_its_own(monkeypatch):
    monkeypatch.setenv("HOTLINE_POOL", "webhooks")
    monkeypatch.setenv("VOICE_CONCURRENCY", "3")
    assert (pool().name, pool().workers, pool().threads, pool().nice) == ("webhooks", 3, 1, 0)
    monkeypatch.delenv("HOTLINE_POOL")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("WEB_THREADS", "8")
    assert (pool().name, pool().workers, pool().threads, pool().nice) == ("web", 2, 8, 10)
    monkeypatch.setenv("HOTLINE_POOL", "console")
    with pytest.raises(ConfigError, match="HOTLINE_POOL"):
        pool()
    with pytest.raises(ConfigError, match="HOTLINE_POOL"):
        Config.from_env({"HOTLINE_ENV": "test", "HOTLINE_POOL": "console"})


def test_the_web_pools_master_loads_what_every_console_page_needs_before_it_forks(tmp_path):
    """gunicorn's `when_ready` runs in the master before the workers are forked: what it loads, they share."""
    probe = f"""
import runpy, types
from babel import localedata
from casework.config import Config
from hotline import create_app
app = create_app(Config(ENV='test', DATABASE_URL='sqlite:///{tmp_path}/h.db', SECRET_KEY='x', POOL='web'))
hooks = runpy.run_path('gunicorn.conf.py')
hooks['when_ready'](types.SimpleNamespace(app=types.SimpleNamespace(wsgi=lambda: app)))
pages = [name for name in app.jinja_env.list_templates() if name.endswith('.html')]
compiled = {{key[1] for key in app.jinja_env.cache.keys()}}
assert pages and not set(pages) - compiled, sorted(set(pages) - compiled)
assert {{'th', 'en'}} <= set(localedata._cache), sorted(localedata._cache)
assert len(app.extensions['babel'].instance.domain_instance.cache) == 2, app.extensions['babel'].instance.domain_instance.cache
"""
    env = {**os.environ, "HOTLINE_POOL": "web", "PROMETHEUS_MULTIPROC_DIR": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("pool_name, gives_back", [("web", True), ("webhooks", False)])
def test_after_each_request_the_web_pool_hands_freed_heap_back_to_the_system(pool_name, gives_back):
    """A 50,000-row export frees megabytes in the middle of the C heap, which glibc would keep: the console's pool
    (not the webhooks', whose requests are small) gives them back after each request."""
    probe = """
import runpy
def private_mb():
    fields = dict(line.split(':', 1) for line in open('/proc/self/smaps_rollup').read().splitlines()[1:])
    return (int(fields['Private_Clean'].split()[0]) + int(fields['Private_Dirty'].split()[0])) / 1024
hooks = runpy.run_path('gunicorn.conf.py')
chunks = [bytes(4000) + bytes([n % 256]) for n in range(15000)]  # ~60 MB in malloc's heap, written
keep = bytes(4000) + b'last'  # above them: the heap's top cannot shrink past it
before = private_mb()
del chunks
hooks['post_request'](None, None, {}, None)
print(before - private_mb())
"""
    env = {**os.environ, "HOTLINE_POOL": pool_name, "PROMETHEUS_MULTIPROC_DIR": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    given_back = float(done.stdout)
    assert given_back > 40 if gives_back else given_back < 10, given_back
