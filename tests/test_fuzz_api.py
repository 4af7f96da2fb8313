"""Schemathesis against /api/v1/openapi.json, in-process (WSGI), on PostgreSQL.

Signed in as a manager, then as a lead, with the session cookie and the CSRF header a
browser sends, every operation of the OpenAPI document gets generated requests, valid
and invalid (destructive ones included, on a fresh dataset of the test's own, rolled
back at its end). Every answer must be no server error, a status code the document
lists, of the documented content type and conforming to the documented schema (the
error shape included). Bounded in examples so the whole file takes about two minutes
on a 2-core machine; PostgreSQL only (CI's second pass), where U+0000 and
out-of-range integers used to end in 500s.
"""

import os
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config import TestConfig
from server import create_app
from server.auth.models import Role

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="fuzzing runs on PostgreSQL (TEST_DATABASE_URL)",
    ),
]

# Examples per operation: 98 operations x 2 roles x 10 take about 70 s here (3: 56 s,
# 15: 74 s, on 2 cores); FUZZ_MAX_EXAMPLES=100 for a longer run by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Signing in or out would swap the session the other operations run in.
SKIPPED = ("/api/v1/auth/login", "/api/v1/auth/logout")


@pytest.fixture(params=[Role.MANAGER, Role.LEAD])
def fuzz_session(request, app, client, auth, make_team, make_user, make_customer):
    """A small team with customers, signed in as its manager or its lead."""
    team = make_team()
    lead = make_user(Role.LEAD, team=team)
    manager = make_user(Role.MANAGER, team=team)
    other = make_user(Role.MANAGER, team=team)
    for owner in (manager, manager, other, None):
        make_customer(
            manager=owner,
            birthday=date(1980, 5, 17),
            address="杭州市西湖区文三路 1 号",
            contract_end_date=date.today() + timedelta(days=20),
        )
    user = manager if request.param == Role.MANAGER else lead
    assert auth.login(user.username).status_code == 200
    return client, auth.csrf_token


# The document, read from an app of its own at collection (no database needed for it);
# the requests go to the test's signed-in client (the `session` of each call).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(TestConfig)).exclude(
    path=list(SKIPPED)
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, fuzz_session):
    client, csrf_token = fuzz_session
    # identity: the in-process client does not undo Flask-Compress's gzip.
    headers = {"X-CSRF-Token": csrf_token, "Accept-Encoding": "identity"}
    case.call_and_validate(session=client, headers=headers, checks=CHECKS)
