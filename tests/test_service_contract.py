"""The service's contract: every endpoint against every role (the authorization matrix), and the
OpenAPI description exercised by a property-based tester (schemathesis) on a live server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from proscribe.service import ServiceConfig, route_table
from proscribe.service.auth import Role, RouteRule
from proscribe.service.live import LiveServer
from test_service_api import copy_store

ROLES = ("viewer", "analyst", "approver", "admin")
#: what to put in a path's parameters: a real value where a real one is needed to get past lookups
PATH_VALUES = {"dataset": "default", "entity_id": "icc-khan-karim", "job_id": "nojob", "prefix": "nokey"}


@pytest.fixture(scope="module")
def server(real_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("contract")
    (tmp / "mirror").mkdir()
    config = ServiceConfig(
        db=copy_store(real_store_url, tmp),
        index_cache=tmp / "index",
        jobs_dir=tmp / "jobs",
        lists_mirror=tmp / "mirror",
        refresh_seconds=3600,
        rate=10_000,
        burst=10_000,
    )
    with LiveServer(config) as srv:
        yield srv


@pytest.fixture(scope="module")
def keys(server: LiveServer) -> dict[str, str]:
    return {role: server.key(role) for role in ROLES}


def _request(rule: RouteRule) -> tuple[str, dict[str, Any]]:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "nobody"), rule.path)
    kwargs: dict[str, Any] = {}
    if rule.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return path, kwargs


def test_every_route_has_a_rule_and_only_health_and_login_are_public(server: LiveServer) -> None:
    table = route_table(server.app)
    assert len(table) >= 25
    public = {(r.method, r.path) for r in table if r.role is None and not r.path.startswith("/ui/static/")}
    assert public == {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/login"), ("POST", "/login")}
    audited = {(r.method, r.path) for r in table if r.audited}
    assert ("POST", "/api/users") in audited and ("POST", "/match/{dataset}") not in audited


def test_authorization_matrix(server: LiveServer, keys: dict[str, str]) -> None:
    """Every endpoint x (anonymous and each role): 401, 403 or let through, as its rule says."""
    wrong: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        for rule in route_table(server.app):
            path, kwargs = _request(rule)
            for who in (None, *ROLES):
                headers = {"Authorization": f"ApiKey {keys[who]}"} if who else {}
                resp = client.request(rule.method, path, headers=headers, **kwargs)
                status = resp.status_code
                # a 403 for another reason (a web form without its CSRF token) is past the role check
                role_refused = status == 403 and "needs the" in resp.text
                if rule.role is None:
                    ok, expected = status != 401 and not role_refused and status < 500, "not refused"
                elif who is None:
                    ok, expected = status == 401, "401"
                elif Role[who] < rule.role:
                    ok, expected = role_refused, "403 for the role"
                else:
                    ok, expected = status != 401 and not role_refused and status < 500, "let through"
                if not ok:
                    wrong.append(
                        f"{rule.method} {path} as {who or 'anonymous'}: {status}, expected {expected}"
                    )
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def api_schema(server: LiveServer, keys: dict[str, str]) -> Any:
    schema = schemathesis.openapi.from_url(
        f"{server.url}/openapi.json", headers={"Authorization": f"ApiKey {keys['admin']}"}
    )
    schema.config.base_url = server.url
    return schema


#: the operations this module answers for (the enforcement routes have their own tests)
MINE = {"yente-compatible", "proscribe", "session"}


def test_openapi_contract(api_schema: Any, keys: dict[str, str]) -> None:
    """Generated requests get documented status codes, content types and bodies of the documented
    shape, never a server error. A request the schema allows may still be refused (400) when its
    values make no sense together, so schemathesis' "valid data accepted" check is left out."""
    headers = {"Authorization": f"ApiKey {keys['admin']}"}
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not set(operation.tags or []) & MINE:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
