"""API fuzzing: schemathesis drives every operation of the live OpenAPI document, as each
role (staff once per duty) and anonymously, through the WSGI app (no network) on the
embedded test database, with the checks and settings of `make fuzz` (bench/fuzz_checks.py,
bench/fuzz.toml).

A failing check is a failing build. The number of examples per operation is bounded (see
EXAMPLES) so the whole module stays around a minute on a 2-core machine; `make fuzz` is the
deep run (25 examples, every check, the stateful phase, over HTTP); raise
ONEVISIT_FUZZ_EXAMPLES locally for a deeper run here.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bench.fuzz import CONFIG, STAFF_DUTIES
from bench.fuzz_checks import documented_status_code
from tests.conftest import Users

EXAMPLES = int(os.environ.get("ONEVISIT_FUZZ_EXAMPLES", "5"))
# A role the operation does not admit (x-roles) only ever reaches the 401/403 check: a few
# examples prove that, the full count is spent where the role gets past it.
REFUSED_EXAMPLES = 1
ROLES = ("anonymous", "resident", "enterprise", *STAFF_DUTIES, "supervisor", "admin")


CHECKS = [
    not_a_server_error,
    documented_status_code,
    response_schema_conformance,
    status_code_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Fuzzing sends thousands of logins/registrations; the limits have their own tests.
    return {
        "login_limit_phone": "100000/60",
        "login_limit_address": "100000/60",
        "register_limit_address": "100000/60",
        "report_limit_user": "100000/60",
    }


def _token(users: Users, role: str) -> str | None:
    if role == "anonymous":
        return None
    if role in STAFF_DUTIES:
        return users.staff(duties=(STAFF_DUTIES[role],)).token
    return getattr(users, role)().token


def _examples(operation: Any, role: str) -> int:
    raw = operation.definition.raw
    admitted = raw.get("x-roles") or ["any"]
    optional = {} in (raw.get("security") or [{}])
    if optional or (role != "anonymous" and "any" in admitted):
        return EXAMPLES
    return EXAMPLES if role.split("-")[0] in admitted else REFUSED_EXAMPLES


def _run_operation(operation: Any, role: str, headers: dict[str, str], failures: list[str]) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=headers),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers),
    )

    @settings(
        max_examples=_examples(operation, role),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseExceptionGroup as group:  # schemathesis groups the failed checks
            details = "\n".join(str(exc) for exc in group.exceptions)
            raise AssertionError(f"{details}\nReproduce: {case.as_curl_command()}") from group

    try:
        run()
    except Exception as exc:
        failures.append(f"{operation.label}:\n{str(exc)[:3000]}")


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_survives_fuzzing(app: Flask, users: Users, role: str) -> None:
    config = schemathesis.config.SchemathesisConfig.from_path(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    token = _token(users, role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        _run_operation(operation, role, headers, failures)
    assert not failures, f"{len(failures)} operation(s) failed as {role}:\n\n" + "\n\n".join(
        failures
    )
