"""The API answers as /api/v1/openapi.json says: schemathesis generates requests from the
document for every operation (bounded, derandomized) and checks each answer: no server error,
a documented status, content type, headers and body schema."""

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lectureorder.extensions import db
from lectureorder.models import Role
from lectureorder.services import accounts
from lectureorder.services.clock import now_utc
from tests.report_data import make_order, make_session

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
COORDINATOR_PATHS = ("/members", "/sessions", "/orders/{code}/candidates")


@pytest.fixture
def api_schema(app, world, make_member, make_user):
    """The app's own document, served by the app under test (whichever database it runs on),
    with a member and a coordinator who have data to show."""
    member = make_member("马建国")
    coordinator = make_user(Role.COORDINATOR, username="coord")
    now = now_utc()
    order = make_order(db, world, created=now - timedelta(days=3), status="scheduled")
    make_session(db, world, member, order=order, start=now + timedelta(days=2),
                 status="scheduled")
    past = make_order(db, world, created=now - timedelta(days=40), status="closed")
    make_session(db, world, member, order=past, start=now - timedelta(days=30), rating=4)
    db.session.commit()
    app.config["SCHEMATHESIS_USERS"] = {"member": member.user, "coordinator": coordinator}
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def bearer(app, role: str) -> dict:
    """A fresh token each call: DELETE /auth/token may have revoked the last one."""
    user = db.session.merge(app.config["SCHEMATHESIS_USERS"][role])
    token = accounts.issue_token(user, now=now_utc(), days=1)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def headers_for(app, case) -> dict | None:
    path = case.operation.path
    if path in COORDINATOR_PATHS:
        return bearer(app, "coordinator")
    if path.startswith("/member/") or (path == "/auth/token" and case.method == "DELETE"):
        return bearer(app, "member")
    return None


# schemathesis' own pytest loader (``schemathesis.pytest.from_fixture``) does not run under
# pytest 9 (it reads ``request.node._nodeid``), so the test drives its Python API: one
# hypothesis run per operation and generation mode, on the app fixture of this test.
@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE])
def test_the_api_keeps_its_contract(app, api_schema, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 16
    failures, seen = [], set()
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit,
                                                                   Phase.generate])
        def run(case):
            try:
                response = case.call_and_validate(headers=headers_for(app, case), checks=CHECKS)
                seen.add((case.method.upper(), case.operation.path, response.status_code))
            finally:
                db.session.rollback()  # the test's own session sees the app's commits afresh

        try:
            run()
        except Unsatisfiable:
            # nothing to get wrong: an operation without parameters or body has no invalid input
            assert mode is schemathesis.GenerationMode.NEGATIVE
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    if mode is schemathesis.GenerationMode.POSITIVE:  # the tokens worked: real answers came
        assert {("GET", "/member/sessions", 200), ("GET", "/members", 200),
                ("GET", "/member/offers", 200), ("GET", "/menu", 200)} <= seen
