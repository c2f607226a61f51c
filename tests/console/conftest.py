"""Console fixtures: a user of every role and logged-in browsers."""
from __future__ import annotations

import pytest
from helpers.console_support import ROLES, Browser, add_user

from models import User


@pytest.fixture
def users(db) -> dict[str, User]:
    """One user per role, named after it; English, so tests can read the pages."""
    return {role: add_user(db, role, role, provinces) for role, provinces in ROLES.items()}


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def as_role(app, users):
    """A logged-in browser for a role."""

    def log_in(role: str) -> Browser:
        browser = Browser(app.test_client())
        assert browser.login(role).status_code == 302
        return browser

    return log_in
