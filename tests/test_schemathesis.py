"""Property-based requests from the OpenAPI schema find no server error.

Schemathesis generates requests for every operation of /api/openapi.json
and sends them, with an administrator's bearer token, to a real server over
a fresh database. Any 5xx answer is a failure.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from web_fixtures import add_token, add_user, writable_server_fixture  # noqa: F401

# Examples per operation: enough to reach the validation and permission
# branches, few enough for the test to stay well under two minutes.
EXAMPLES_PER_OPERATION = 15


def test_api_has_no_server_errors(db, writable_server):
    add_user(db, "admin", "admin")
    headers = {"Authorization": f"Bearer {add_token(db, 'admin')}"}
    schema = schemathesis.openapi.from_url(f"{writable_server}/api/openapi.json")
    failures: list[str] = []
    checked = 0

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def send(case) -> None:
            response = case.call(base_url=writable_server, headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query or ''} "
                    f"-> {response.status_code}: {response.text[:200]}"
                )

        send()
        checked += 1

    assert checked >= 15
    assert failures == []
