"""Schemathesis over ``/openapi.json`` as each persona: no request, valid or not, gets a 5xx, and every documented
response matches its schema. A bounded number of examples per operation keeps the run short.

The operations are driven through Hypothesis directly (``APIOperation.as_strategy``) rather than schemathesis'
pytest plugin, whose lazy-fixture loader does not run under pytest 9; the checks are schemathesis' own.
"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sales_growth.settings import Settings
from tests.personas import Personas, make_app

PERSONAS = ("admin", "M1", "A1")
EXAMPLES_PER_OPERATION = 12


def test_no_request_gets_a_server_error_and_responses_match_the_schema(settings: Settings, personas: Personas) -> None:
    app = make_app(settings.model_copy(update={"expensive_requests_per_user": 10_000}))
    failures: list[str] = []
    with TestClient(app):  # runs the lifespan (queue configured) for the whole run
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15
        for operation in operations:
            strategy = st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )

            @given(case=strategy)
            @examples(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case: schemathesis.Case) -> None:
                for persona in PERSONAS:  # the same request as an admin, a manager and a member
                    case.call_and_validate(
                        headers=personas.headers[persona], checks=[not_a_server_error, response_schema_conformance]
                    )

            try:
                exercise()
            except Exception as exc:  # collect every operation's failure, then report them together
                failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
