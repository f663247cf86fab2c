"""Health, readiness, version, metrics, CORS, router presence and admin surfaces on a healthy sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from cutover_sandbox import DEFAULT_GIT_SHA, migrate

from .sandbox_support import Api

ALLOWED_ORIGIN = "https://admin.sandbox.local"


def test_health_readiness_version(api: Api) -> None:
    assert api.get("/api/health").json() == {"status": "healthy", "environment": "sandbox"}
    r = api.get("/api/readiness")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "dependencies": {"database": "connected", "migrations": "ok"},
                        "alembic": {"db": migrate.head(), "head": migrate.head()}}
    assert api.scalar("SELECT version_num FROM alembic_version") == migrate.head()
    version = api.get("/api/version").json()
    assert version["service"] == "backend" and version["git_sha"] == DEFAULT_GIT_SHA
    assert re.fullmatch(r"[0-9a-f]{40}", DEFAULT_GIT_SHA) and version["build_time"].endswith("Z")


def test_git_sha_is_configurable(make_api: Callable[..., Api]) -> None:
    api = make_api(git_sha="0123456789abcdef0123456789abcdef01234567")
    assert api.get("/api/version").json()["git_sha"] == "0123456789abcdef0123456789abcdef01234567"


def test_metrics_count_requests_by_route_and_status_class(api: Api) -> None:
    api.get("/api/health")
    api.get("/api/v1/auth/me")  # 401
    text = api.get("/metrics").text
    assert 'http_requests_total{handler="/api/health",method="GET",status="2xx"}' in text
    assert 'http_requests_total{handler="/api/v1/auth/me",method="GET",status="4xx"}' in text
    assert "# TYPE http_request_duration_seconds histogram" in text
    samples = {(s.name, tuple(sorted(s.labels.items()))) for family in text_string_to_metric_families(text)
               for s in family.samples}
    health = (("handler", "/api/health"), ("method", "GET"))
    assert ("http_request_duration_seconds_bucket", (*health[:1], ("le", "+Inf"), *health[1:])) in samples
    assert ("http_request_duration_seconds_count", health) in samples


def _preflight(api: Api, origin: str) -> tuple[int, str | None]:
    r = api.request("OPTIONS", "/api/v1/auth/login", headers={"Origin": origin,
                                                               "Access-Control-Request-Method": "POST"})
    return r.status_code, r.headers.get("access-control-allow-origin")


def test_cors_allows_the_admin_origin_only(api: Api) -> None:
    assert _preflight(api, ALLOWED_ORIGIN) == (200, ALLOWED_ORIGIN)
    status, allow = _preflight(api, "https://evil.example")
    assert status == 400 and allow is None


def test_payouts_router_is_mounted_and_bootstrap_is_not(api: Api) -> None:
    r = api.request("OPTIONS", "/api/v1/payouts/initiate")
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/json")
    assert api.get("/api/v1/payouts/status/00000000-0000-0000-0000-000000000000", token=api.admin).status_code == 404
    assert api.get("/api/v1/payouts/status/00000000-0000-0000-0000-000000000000").status_code == 401
    assert api.post("/api/v1/admin/bootstrap", json={}).status_code == 404


def test_dashboard_summarises_the_platform(api: Api) -> None:
    player = api.funded_player("7.00")
    api.withdraw(player, "2.00")
    r = api.get("/api/v1/admin/dashboard", token=api.admin)
    assert r.status_code == 200
    body = r.json()
    assert body["players"]["total"] >= 1 and body["withdrawals"]["pending"] >= 1
    assert set(body) >= {"players", "withdrawals", "deposits", "wallets", "generated_at"}
    assert api.get("/api/v1/admin/dashboard").status_code == 401


def test_admin_player_wallet_and_kyc_for_unknown_players(api: Api) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/api/v1/admin/players/{unknown}/wallet", token=api.admin).status_code == 404
    r = api.post(f"/api/v1/kyc/documents/{unknown}/review", token=api.admin, json={"status": "approved"})
    assert r.status_code == 404
