"""Browser fixtures: the real app served on 127.0.0.1 by a werkzeug thread, Debian's Chromium driven by Playwright.

Screenshots of every browser test (passed or failed) land in test-artifacts/browser/ under the repo root.
Without /usr/bin/chromium (or the playwright package) the tests skip; with HOTLINE_REQUIRE_SERVICES=1 (CI) they fail.
"""
from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path

import pytest
from helpers.browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REQUIRE, TIMEOUT_MS
from helpers.support import AUTH_TOKEN, OPERATOR
from sqlalchemy import text
from werkzeug.serving import make_server

from casework.config import Config
from models import Base, make_engine


def _missing(why: str) -> None:
    if REQUIRE:
        pytest.fail(f"{why} and HOTLINE_REQUIRE_SERVICES=1")
    pytest.skip(why)


@pytest.fixture(scope="session")
def playwright_session():
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def database_url(sqlite_url) -> str:
    """SQLite only, in a file, so the server thread and the test see the same database."""
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        for table in (t.name for t in reversed(Base.metadata.sorted_tables)):
            connection.execute(text(f"DELETE FROM {table}"))
        if connection.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first():
            connection.execute(text("DELETE FROM sqlite_sequence"))
    engine.dispose()
    return sqlite_url


@pytest.fixture
def config(database_url, tmp_path) -> Config:
    cfg = Config(ENV="test", DATABASE_URL=database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, SECRET_KEY="test",
                 OPERATOR_DIAL_TARGET=OPERATOR, PUBLIC_BASE_URL=None, SPOOL_DIR=tmp_path / "spool",
                 PROMPTS_DIR=tmp_path / "prompts", CONSOLE_POLL_SECONDS=1)
    cfg.check()
    return cfg


@pytest.fixture
def live_server(app):
    """The app on a free port of 127.0.0.1, served by werkzeug in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


OUTCOME = pytest.StashKey[dict]()  # the test's reports, for naming its screenshot


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or report.failed:
        item.stash.setdefault(OUTCOME, {})[report.when] = report



@pytest.fixture
def page(playwright_session, request, live_server, tmp_path):
    """Chromium with a fresh user data dir for each test, and one page; a screenshot is saved at the end,
    named after the test and its outcome."""
    context = playwright_session.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        base_url=live_server, locale="en-US", timezone_id="Asia/Bangkok")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.pages[0] if context.pages else context.new_page()
    yield tab
    reports = request.node.stash.get(OUTCOME, {})
    state = "failed" if any(r.failed for r in reports.values()) else "passed"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}-{state}.png"), full_page=True, timeout=TIMEOUT_MS)
    except Exception as error:  # noqa: BLE001 - a crashed page must not hide the test's own failure
        warnings.warn(f"no screenshot for {request.node.name}: {error}", stacklevel=1)
    finally:
        context.close()

