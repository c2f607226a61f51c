"""Schemathesis walks the served OpenAPI document with valid and invalid requests (150 of each per
operation): no 500, no answer that breaks the document."""
from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from casework.config import Config
from hotline import create_app
from hotline.api.tokens import issue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_app(sqlite_url, tmp_path_factory):
    config = Config(ENV="test", DATABASE_URL=sqlite_url, TWILIO_AUTH_TOKEN="t", SECRET_KEY="t",
                    OPERATOR_DIAL_TARGET="+6621234567", SPOOL_DIR=tmp_path_factory.mktemp("spool"), TESTING=True,
                    API_RATE_LIMIT_PER_MINUTE=10**9)
    config.check()
    app = create_app(config)
    with app.extensions["sessions"].begin() as session:
        _, secret = issue(session, "fuzz", [])
    app.config["FUZZ_TOKEN"] = secret
    return app


def test_the_api_keeps_its_document(fuzz_app):
    """Schemathesis's pytest plugin does not run on pytest 9 yet: drive its strategies with Hypothesis."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def keeps_the_document(case):
            # Semantic checks beyond the document (a real phone number, a known postcode, a point in
            # Thailand) answer a precise 422 for data the document allows; every other check runs.
            # The token replaces a generated Authorization header; a negative case that leaves the
            # header out (the required header missing) must go out without it, to be refused.
            token = headers if "Authorization" in (case.headers or {}) else None
            case.call_and_validate(headers=token, excluded_checks=[positive_data_acceptance])

        keeps_the_document()
